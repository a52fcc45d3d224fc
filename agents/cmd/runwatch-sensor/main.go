//go:build linux

// Command runwatch-sensor is Runwatch's node agent. It watches every
// process execution and every executable or library load on its node with
// eBPF, attributes them to containers, hashes and identifies the files, and
// reports what is new to the Runwatch platform.
//
// In a Kubernetes DaemonSet it takes its node name from NODE_NAME (the
// downward API) and stands down on nodes labelled runwatch.io/sensor=disabled.
// With --host it runs on a plain Linux host and names itself after the host.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/runwatch/runwatch/agents/sensor"
	"github.com/runwatch/runwatch/agents/sensor/cgroup"
	"github.com/runwatch/runwatch/agents/sensor/kernel"
	"github.com/runwatch/runwatch/agents/transport"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

type options struct {
	transport      transport.Config
	host           bool
	nodeName       string
	listen         string
	spoolDir       string
	spoolMaxBytes  int64
	hookMode       string
	noKernelFilter bool
	ringBytes      uint
	procRoot       string
	hostRoot       string
	cgroupV2       string
	cgroupV1Memory string
	hostCgroupDir  string
	flush          time.Duration
	print          bool
	logLevel       string
	level          slog.Level
	labelPoll      time.Duration
	memoryLimit    int64
	pprof          bool
	sensor         sensor.Config
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("runwatch-sensor", flag.ContinueOnError)
	o.transport.BindFlags(fs)
	d := sensor.DefaultConfig()
	fs.BoolVar(&o.host, "host", envOr("RUNWATCH_SENSOR_HOST_MODE", "") == "true", "run on a plain Linux host without Kubernetes (env RUNWATCH_SENSOR_HOST_MODE=true)")
	fs.StringVar(&o.nodeName, "node-name", os.Getenv("NODE_NAME"), "this node's name; from the downward API in a DaemonSet, the host name in --host mode (env NODE_NAME)")
	fs.StringVar(&o.listen, "listen", envOr("RUNWATCH_SENSOR_LISTEN", ":9464"), "address of /metrics, /healthz and /readyz (env RUNWATCH_SENSOR_LISTEN)")
	fs.StringVar(&o.spoolDir, "spool-dir", envOr("RUNWATCH_SENSOR_SPOOL_DIR", "/var/lib/runwatch-sensor/spool"), "where batches wait while the platform is unreachable (env RUNWATCH_SENSOR_SPOOL_DIR)")
	fs.Int64Var(&o.spoolMaxBytes, "spool-max-bytes", 256<<20, "the spool's size limit; beyond it new batches are dropped and counted")
	fs.StringVar(&o.hookMode, "hook-mode", envOr("RUNWATCH_SENSOR_HOOK_MODE", "auto"), "kernel hooks for file loads: auto, lsm, fentry or tracepoint (env RUNWATCH_SENSOR_HOOK_MODE)")
	fs.BoolVar(&o.noKernelFilter, "no-kernel-filter", false, "send every open and file mapping to user space (for measurements)")
	fs.UintVar(&o.ringBytes, "ring-buffer-bytes", 8<<20, "eBPF ring buffer size, a power of two")
	fs.StringVar(&o.procRoot, "proc-root", envOr("RUNWATCH_SENSOR_PROC_ROOT", "/proc"), "the host's /proc (the pod needs hostPID)")
	fs.StringVar(&o.hostRoot, "host-root", os.Getenv("RUNWATCH_SENSOR_HOST_ROOT"), "the host's root file system, for host processes' files (default: / with --host, <proc-root>/1/root otherwise)")
	fs.StringVar(&o.cgroupV2, "cgroup-v2-root", os.Getenv("RUNWATCH_SENSOR_CGROUP_V2_ROOT"), "the host's cgroup2 mount (default: found in /proc/self/mountinfo)")
	fs.StringVar(&o.cgroupV1Memory, "cgroup-v1-memory-root", os.Getenv("RUNWATCH_SENSOR_CGROUP_V1_MEMORY_ROOT"), "the host's cgroup v1 memory mount, on v1 and hybrid hosts (default: found in /proc/self/mountinfo)")
	fs.StringVar(&o.hostCgroupDir, "host-cgroup-dir", os.Getenv("RUNWATCH_SENSOR_HOST_CGROUP_DIR"), "a bind mount of the host's /sys/fs/cgroup (in a DaemonSet, where the pod's own cgroup namespace hides the host's tree); its layout is detected")
	fs.DurationVar(&o.flush, "flush-interval", d.FlushInterval, "how often new records are batched")
	fs.IntVar(&o.sensor.DedupSize, "dedup-entries", d.DedupSize, "bound of each (container, file) aggregation table")
	fs.IntVar(&o.sensor.HashCacheSize, "hash-cache-entries", d.HashCacheSize, "bound of the file hash cache")
	fs.Int64Var(&o.sensor.MaxHashBytes, "max-hash-bytes", d.MaxHashBytes, "larger files are reported without a hash")
	fs.BoolVar(&o.print, "print", false, "write records to stdout as JSON lines instead of sending them to a platform")
	fs.StringVar(&o.logLevel, "log-level", envOr("RUNWATCH_LOG_LEVEL", "info"), "debug, info, warn or error")
	fs.Int64Var(&o.memoryLimit, "memory-limit-bytes", 48<<20, "soft limit for the Go heap (runtime/debug.SetMemoryLimit); the caches are bounded separately, this keeps garbage from growing the footprint. 0 disables")
	fs.BoolVar(&o.pprof, "pprof", false, "serve Go profiles under /debug/pprof/ on the --listen address")
	fs.DurationVar(&o.labelPoll, "node-label-poll", time.Minute, "how often the node's runwatch.io/sensor label is checked (Kubernetes mode)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	o.transport.UserAgent = "runwatch-sensor/" + version
	if !o.print {
		if err := o.transport.Validate(); err != nil {
			return nil, err
		}
	}
	if o.nodeName == "" {
		if !o.host {
			return nil, errors.New("the node name is required in Kubernetes mode (NODE_NAME from the downward API, or --node-name); use --host on a plain Linux host")
		}
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("host name: %w", err)
		}
		o.nodeName = h
	}
	if err := o.level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", o.logLevel)
	}
	mode, err := kernel.ParseHookMode(o.hookMode)
	if err != nil {
		return nil, err
	}
	if o.ringBytes == 0 || o.ringBytes&(o.ringBytes-1) != 0 {
		return nil, fmt.Errorf("--ring-buffer-bytes %d is not a power of two", o.ringBytes)
	}
	mounts := cgroup.Mounts{V2: o.cgroupV2, V1Memory: o.cgroupV1Memory}
	if o.hostCgroupDir != "" && mounts.V2 == "" && mounts.V1Memory == "" {
		if mounts, err = cgroup.MountsUnder(o.hostCgroupDir); err != nil {
			return nil, err
		}
	}
	if mounts.V2 == "" && mounts.V1Memory == "" {
		if mounts, err = cgroup.DiscoverMounts("/proc/self/mountinfo"); err != nil {
			return nil, err
		}
	}
	o.sensor.NodeName = o.nodeName
	o.sensor.ProcRoot = o.procRoot
	o.sensor.HostRoot = o.hostRoot
	if o.hostRoot == "" && o.host {
		o.sensor.HostRoot = "/"
	}
	o.sensor.Cgroups = mounts
	o.sensor.HookMode = mode
	o.sensor.NoKernelFilter = o.noKernelFilter
	o.sensor.RingBufferBytes = uint32(o.ringBytes)
	o.sensor.FlushInterval = o.flush
	return o, nil
}

func newLogger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

func main() {
	opts, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "runwatch-sensor:", err)
		os.Exit(2)
	}
	logger := newLogger(opts.level)
	if opts.memoryLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(opts.memoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, opts, logger); err != nil {
		logger.Error("runwatch-sensor stopped", "err", err)
		os.Exit(1)
	}
	logger.Info("runwatch-sensor stopped")
}
