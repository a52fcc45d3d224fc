//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/runwatch/runwatch/agents/sensor"
	"github.com/runwatch/runwatch/agents/sensor/delivery"
	"github.com/runwatch/runwatch/agents/sensor/kernel"
	"github.com/runwatch/runwatch/agents/sensor/nodelabel"
	"github.com/runwatch/runwatch/agents/sensor/spool"
	"github.com/runwatch/runwatch/domain/pkgid"
	runwatchv1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

// state is what the sensor reports about itself in heartbeats.
type state struct {
	mu      sync.Mutex
	status  runwatchv1.SensorStatus
	message string
	settled chan struct{} // closed at the first start, failure or stand-down
	once    sync.Once
}

func (s *state) set(st runwatchv1.SensorStatus, msg string) {
	s.mu.Lock()
	s.status, s.message = st, msg
	s.mu.Unlock()
	s.once.Do(func() { close(s.settled) })
}

func (s *state) get() (runwatchv1.SensorStatus, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status, s.message
}

func run(ctx context.Context, o *options, logger *slog.Logger) error {
	sn := sensor.New(o.sensor, logger)
	st := &state{status: runwatchv1.SensorStatus_SENSOR_STATUS_UNSPECIFIED, settled: make(chan struct{})}
	var ready atomic.Bool

	mode := runwatchv1.SensorMode_SENSOR_MODE_KUBERNETES
	if o.host {
		mode = runwatchv1.SensorMode_SENSOR_MODE_HOST
	}
	logger.Info("runwatch-sensor starting", "version", version, "node", o.nodeName, "mode", mode.String(),
		"cgroup_v2", o.sensor.Cgroups.V2, "cgroup_v1_memory", o.sensor.Cgroups.V1Memory)

	var (
		out     sensor.Output
		shipper *delivery.Shipper
	)
	if o.print {
		out = &jsonOutput{w: bufio.NewWriter(os.Stdout)}
	} else {
		sp, err := spool.Open(o.spoolDir, o.spoolMaxBytes)
		if err != nil {
			return err
		}
		httpc, err := o.transport.HTTPClient(logger)
		if err != nil {
			return err
		}
		client := runwatchv1connect.NewSensorServiceClient(httpc, o.transport.PlatformURL, o.transport.ClientOptions()...)
		shipper = delivery.NewShipper(client, sp, logger)
		out = shipper
		shipCtx, stopShipping := context.WithCancel(context.WithoutCancel(ctx))
		defer stopShipping()
		platformDone := make(chan struct{})
		go func() {
			defer close(platformDone)
			talkToPlatform(shipCtx, client, shipper, sn, st, o, mode, logger)
		}()
		defer func() {
			// Give what is spooled a few seconds to reach the platform; the rest
			// stays on disk for the next start.
			deadline := time.Now().Add(5 * time.Second)
			for time.Now().Before(deadline) {
				if shipper.Stats().SpooledRecords == 0 {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			stopShipping()
			<-platformDone
		}()
	}

	reg := prometheus.NewRegistry()
	registerMetrics(reg, sn, shipper)
	mux := healthMux(reg, &ready)
	if o.pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	}
	srv := &http.Server{Addr: o.listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen for metrics and health: %w", err)
	}
	go srv.Serve(ln)
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()

	labels := labelWatcher(o, logger)
	for ctx.Err() == nil {
		if labels != nil && labels.disabled(ctx) {
			logger.Info("node is labelled runwatch.io/sensor=disabled; standing down")
			st.set(runwatchv1.SensorStatus_SENSOR_STATUS_DISABLED, "node labelled runwatch.io/sensor=disabled")
			ready.Store(true) // standing down is the desired state here
			labels.waitEnabled(ctx)
			continue
		}
		runCtx, cancel := context.WithCancel(ctx)
		if labels != nil {
			go labels.cancelWhenDisabled(runCtx, cancel)
		}
		err := sn.Run(runCtx, out, func(m kernel.HookMode) {
			st.set(runwatchv1.SensorStatus_SENSOR_STATUS_RUNNING, "")
			ready.Store(true)
			logger.Info("sensor running", "hook_mode", m.String())
		})
		cancel()
		ready.Store(false)
		if j, ok := out.(*jsonOutput); ok {
			j.flush()
		}
		if err == nil || ctx.Err() != nil {
			continue
		}
		logger.Error("sensor failed; retrying in 30s", "err", err)
		st.set(runwatchv1.SensorStatus_SENSOR_STATUS_FAILED, err.Error())
		select {
		case <-ctx.Done():
		case <-time.After(30 * time.Second):
		}
	}
	return nil
}

// talkToPlatform registers the node, then sends the spool and heartbeats.
func talkToPlatform(ctx context.Context, client runwatchv1connect.SensorServiceClient, shipper *delivery.Shipper, sn *sensor.Sensor, st *state, o *options, mode runwatchv1.SensorMode, logger *slog.Logger) {
	// Register once the hook mode is known (or the sensor failed or stood down).
	select {
	case <-st.settled:
	case <-ctx.Done():
		return
	}
	req := &runwatchv1.RegisterNodeRequest{
		NodeName:      o.nodeName,
		KernelVersion: kernelRelease(),
		OsImage:       osImage(o.procRoot),
		Architecture:  runtime.GOARCH,
		SensorVersion: version,
		Mode:          mode,
		HookMode:      hookMode(sn.Status().HookMode),
		BootId:        strings.TrimSpace(readSmall("/proc/sys/kernel/random/boot_id")),
	}
	resp, err := delivery.Register(ctx, client, req, logger)
	if err != nil {
		if ctx.Err() == nil {
			logger.Error("registration refused; records stay spooled until the sensor is restarted with a valid token", "err", err)
		}
		return
	}
	logger.Info("registered with the platform", "cluster", resp.ClusterName, "cluster_id", resp.ClusterId)
	sn.SetMaxBatchRecords(int(resp.MaxBatchRecords))
	shipper.SetRestricted(resp.Restricted, resp.RestrictionReason)
	go shipper.Run(ctx)

	interval := durationOr(resp.HeartbeatInterval, 30*time.Second)
	var last sensor.Status
	var lastSpoolFull uint64
	for {
		s := sn.Status()
		ds := shipper.Stats()
		status, msg := st.get()
		if status == runwatchv1.SensorStatus_SENSOR_STATUS_RUNNING &&
			(s.RingBufferDrops > last.RingBufferDrops || ds.SpoolFullRecords > lastSpoolFull || s.DedupOverflow > last.DedupOverflow) {
			status = runwatchv1.SensorStatus_SENSOR_STATUS_DEGRADED
			msg = fmt.Sprintf("losing events: ring buffer drops %d, spool-full drops %d, dedup overflow %d since start",
				s.RingBufferDrops, ds.SpoolFullRecords, s.DedupOverflow)
		}
		if reason := shipper.Restricted(); reason != "" && status != runwatchv1.SensorStatus_SENSOR_STATUS_DISABLED {
			status, msg = runwatchv1.SensorStatus_SENSOR_STATUS_RESTRICTED, reason
		}
		last, lastSpoolFull = s, ds.SpoolFullRecords
		hb := &runwatchv1.NodeHeartbeatRequest{
			NodeName:       o.nodeName,
			SensorVersion:  version,
			Status:         status,
			Message:        msg,
			Mode:           mode,
			HookMode:       hookMode(s.HookMode),
			EventsReceived: s.EventsReceived,
			SpooledRecords: uint64(ds.SpooledRecords),
			Drops: &runwatchv1.DropCounters{
				RingBuffer:         s.RingBufferDrops,
				SpoolFull:          ds.SpoolFullRecords,
				DecodeErrors:       s.DecodeErrors,
				DedupOverflow:      s.DedupOverflow,
				FilteredInKernel:   s.KernelFiltered,
				RejectedByPlatform: ds.RejectedRecords,
			},
		}
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		r, err := client.NodeHeartbeat(cctx, connect.NewRequest(hb))
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				stopped(client, hb, logger)
				return
			}
			logger.Warn("heartbeat failed", "err", err)
		} else {
			interval = durationOr(r.Msg.HeartbeatInterval, interval)
			shipper.SetRestricted(r.Msg.Restricted, r.Msg.RestrictionReason)
		}
		select {
		case <-ctx.Done():
			stopped(client, hb, logger)
			return
		case <-time.After(interval):
		}
	}
}

// stopped tells the platform the sensor stops cleanly: the node leaves
// operation at once (a restricted node elsewhere may take its place)
// instead of after three missed heartbeats.
func stopped(client runwatchv1connect.SensorServiceClient, last *runwatchv1.NodeHeartbeatRequest, logger *slog.Logger) {
	hb := proto.Clone(last).(*runwatchv1.NodeHeartbeatRequest)
	hb.Status, hb.Message = runwatchv1.SensorStatus_SENSOR_STATUS_STOPPED, "the sensor stopped"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := client.NodeHeartbeat(ctx, connect.NewRequest(hb)); err != nil {
		logger.Warn("could not tell the platform the sensor stopped", "err", err)
	}
}

func durationOr(d *durationpb.Duration, def time.Duration) time.Duration {
	if d == nil || d.AsDuration() <= 0 {
		return def
	}
	return d.AsDuration()
}

func hookMode(m kernel.HookMode) runwatchv1.HookMode {
	switch m {
	case kernel.HookLSM:
		return runwatchv1.HookMode_HOOK_MODE_LSM
	case kernel.HookFentry:
		return runwatchv1.HookMode_HOOK_MODE_FENTRY
	case kernel.HookTracepoint:
		return runwatchv1.HookMode_HOOK_MODE_TRACEPOINT
	}
	return runwatchv1.HookMode_HOOK_MODE_UNSPECIFIED
}

func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

// osImage is the host's PRETTY_NAME, read through pid 1's root so a
// DaemonSet pod reports the node's OS and not its own image's.
func osImage(procRoot string) string {
	for _, p := range []string{procRoot + "/1/root/etc/os-release", "/etc/os-release"} {
		if name := pkgid.ParseOSRelease(strings.NewReader(readSmall(p))).PrettyName; name != "" {
			return name
		}
	}
	return ""
}

func readSmall(p string) string {
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 64<<10))
	return string(b)
}

func healthMux(reg *prometheus.Registry, ready *atomic.Bool) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready.Load() {
			http.Error(w, "eBPF programs not attached yet\n", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	return mux
}

func registerMetrics(reg *prometheus.Registry, sn *sensor.Sensor, shipper *delivery.Shipper) {
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	counter := func(name, help string, f func(sensor.Status) uint64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "runwatch_sensor", Name: name, Help: help},
			func() float64 { return float64(f(sn.Status())) }))
	}
	gauge := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "runwatch_sensor", Name: name, Help: help}, f))
	}
	counter("events_received_total", "Events read from the kernel ring buffer.", func(s sensor.Status) uint64 { return s.EventsReceived })
	counter("exec_events_total", "Exec events read.", func(s sensor.Status) uint64 { return s.Execs })
	counter("exit_events_total", "Process exit events read.", func(s sensor.Status) uint64 { return s.Exits })
	counter("file_events_total", "File load events read.", func(s sensor.Status) uint64 { return s.FileLoads })
	counter("ring_buffer_drops_total", "Events the kernel could not write because the ring buffer was full.", func(s sensor.Status) uint64 { return s.RingBufferDrops })
	counter("kernel_filtered_total", "File events suppressed by the in-kernel filter.", func(s sensor.Status) uint64 { return s.KernelFiltered })
	counter("user_filtered_total", "File events dropped by the user-space filter (not a loss).", func(s sensor.Status) uint64 { return s.UserFiltered })
	counter("decode_errors_total", "Ring buffer records that could not be decoded.", func(s sensor.Status) uint64 { return s.DecodeErrors })
	counter("dedup_overflow_total", "New sightings dropped because the aggregation table was full.", func(s sensor.Status) uint64 { return s.DedupOverflow })
	counter("unresolved_hashes_total", "Files that could not be hashed (see unresolved_reason).", func(s sensor.Status) uint64 { return s.UnresolvedHashes })
	counter("records_out_total", "Records handed to the output.", func(s sensor.Status) uint64 { return s.RecordsOut })
	counter("hash_cache_hits_total", "Hash lookups answered from the identity cache.", func(s sensor.Status) uint64 { return s.HashCacheHits })
	counter("hash_cache_misses_total", "Files read and hashed.", func(s sensor.Status) uint64 { return s.HashCacheMisses })
	gauge("dedup_keys", "Keys held in the aggregation tables.", func() float64 { return float64(sn.Status().DedupKeys) })
	gauge("processes", "Processes in the process table.", func() float64 { return float64(sn.Status().Processes) })
	gauge("running", "1 while the eBPF programs are attached.", func() float64 {
		if sn.Status().Running {
			return 1
		}
		return 0
	})
	if shipper != nil {
		gauge("spooled_records", "Records waiting in the spool.", func() float64 { return float64(shipper.Stats().SpooledRecords) })
		gauge("spooled_bytes", "Bytes used by the spool.", func() float64 { return float64(shipper.Stats().SpooledBytes) })
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "runwatch_sensor", Name: "spool_full_drops_total", Help: "Records dropped because the spool was full."},
			func() float64 { return float64(shipper.Stats().SpoolFullRecords) }))
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "runwatch_sensor", Name: "delivered_records_total", Help: "Records the platform acknowledged."},
			func() float64 { return float64(shipper.Stats().SentRecords) }))
	}
}

// jsonOutput writes each record as one JSON line: {"execution": {...}} or
// {"fileLoad": {...}}.
type jsonOutput struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (j *jsonOutput) Deliver(req *runwatchv1.ReportRuntimeRequest) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, e := range req.Executions {
		b, _ := protojson.Marshal(e)
		fmt.Fprintf(j.w, "{\"execution\":%s}\n", b)
	}
	for _, f := range req.FileLoads {
		b, _ := protojson.Marshal(f)
		fmt.Fprintf(j.w, "{\"fileLoad\":%s}\n", b)
	}
	j.w.Flush()
}

func (j *jsonOutput) flush() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.w.Flush()
}

// labels watches the node's runwatch.io/sensor label in Kubernetes mode.
type labels struct {
	client *nodelabel.Client
	node   string
	poll   time.Duration
	logger *slog.Logger
}

func labelWatcher(o *options, logger *slog.Logger) *labels {
	if o.host {
		return nil
	}
	c, inCluster, err := nodelabel.InCluster()
	if !inCluster {
		logger.Info("not in a Kubernetes pod; the runwatch.io/sensor node label is not checked")
		return nil
	}
	if err != nil {
		logger.Warn("cannot read node labels; the runwatch.io/sensor label is not checked", "err", err)
		return nil
	}
	return &labels{client: c, node: o.nodeName, poll: o.labelPoll, logger: logger}
}

// disabled reads the label now. An API error keeps the sensor running: a
// flaky API server must not switch security monitoring off.
func (l *labels) disabled(ctx context.Context) bool {
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	lb, err := l.client.Labels(cctx, l.node)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			l.logger.Warn("cannot read this node's labels", "err", err)
		}
		return false
	}
	return nodelabel.Disabled(lb)
}

func (l *labels) waitEnabled(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(l.poll):
		}
		if !l.disabled(ctx) {
			l.logger.Info("runwatch.io/sensor=disabled removed from the node; starting")
			return
		}
	}
}

func (l *labels) cancelWhenDisabled(ctx context.Context, cancel context.CancelFunc) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(l.poll):
		}
		if l.disabled(ctx) {
			cancel()
			return
		}
	}
}
