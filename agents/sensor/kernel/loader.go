//go:build linux

package kernel

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"
)

// Options configure Load.
type Options struct {
	// Mode forces a hook mode; HookAuto tries LSM, then fentry, then
	// tracepoints, and keeps the first that loads and attaches.
	Mode HookMode
	// NoKernelFilter sends every open and every file mapping to user space
	// instead of only executable mappings and archive opens, once per
	// process and file. For measurements; it costs ring-buffer space.
	NoKernelFilter bool
	// SelfPID is excluded from file events, so the sensor's own reads (for
	// hashing) do not come back to it. 0 means this process.
	SelfPID uint32
	// HostMountNS is the inode number of the host's mount namespace: execs in
	// any other one (containers) wake the reader at once. 0 wakes it for
	// every exec.
	HostMountNS uint32
	// RingBufferBytes sizes the ring buffer (a power of two, at least a
	// page); 0 keeps the objects' 8 MiB.
	RingBufferBytes uint32
	Logger          *slog.Logger
}

// Attempt records how one hook mode fared at start-up.
type Attempt struct {
	Mode HookMode
	Err  error // nil for the mode that was chosen
}

// Loader holds the loaded programs, their links and the ring-buffer reader.
type Loader struct {
	mode     HookMode
	attempts []Attempt
	process  processObjects
	fileObjs io.Closer
	links    []link.Link
	reader   *ringbuf.Reader
	record   ringbuf.Record
}

// Load loads and attaches the programs. The process hooks (exec, exit) are
// the same in every mode; the file-load hooks are the mode's.
func Load(opts Options) (_ *Loader, err error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.SelfPID == 0 {
		opts.SelfPID = uint32(os.Getpid())
	}
	if opts.HostMountNS == 0 {
		opts.HostMountNS = hostMountNS()
	}
	l := &Loader{}
	defer func() {
		if err != nil {
			l.Close()
		}
	}()

	cache := btf.NewCache()
	spec, err := loadProcess()
	if err != nil {
		return nil, err
	}
	if err := configure(spec, opts); err != nil {
		return nil, err
	}
	if err := spec.LoadAndAssign(&l.process, &ebpf.CollectionOptions{Cache: cache}); err != nil {
		return nil, fmt.Errorf("load process hooks: %w", verifierDetail(err))
	}
	for _, p := range []*ebpf.Program{l.process.RwSchedProcessExec, l.process.RwSchedProcessExit} {
		lk, err := link.AttachTracing(link.TracingOptions{Program: p})
		if err != nil {
			return nil, fmt.Errorf("attach %s: %w", p, err)
		}
		l.links = append(l.links, lk)
	}

	modes := []HookMode{HookLSM, HookFentry, HookTracepoint}
	if opts.Mode != HookAuto {
		modes = []HookMode{opts.Mode}
	}
	shared := map[string]*ebpf.Map{"events": l.process.Events, "counters": l.process.Counters, "scratch": l.process.Scratch}
	for _, m := range modes {
		closer, links, err := loadFileHooks(m, opts, shared, cache)
		l.attempts = append(l.attempts, Attempt{Mode: m, Err: err})
		if err != nil {
			logger.Info("file-load hooks not available", "mode", m.String(), "reason", err)
			continue
		}
		l.mode, l.fileObjs = m, closer
		l.links = append(l.links, links...)
		break
	}
	if l.mode == HookAuto {
		return nil, fmt.Errorf("no file-load hook mode loads on this kernel: %w", l.attemptErrors())
	}
	l.reader, err = ringbuf.NewReader(l.process.Events)
	if err != nil {
		return nil, fmt.Errorf("open ring buffer: %w", err)
	}
	logger.Info("eBPF programs attached", "hook_mode", l.mode.String(), "kernel_filter", !opts.NoKernelFilter)
	return l, nil
}

func (l *Loader) attemptErrors() error {
	var errs []error
	for _, a := range l.attempts {
		errs = append(errs, fmt.Errorf("%s: %w", a.Mode, a.Err))
	}
	return errors.Join(errs...)
}

func configure(spec *ebpf.CollectionSpec, opts Options) error {
	filter := uint32(1)
	if opts.NoKernelFilter {
		filter = 0
	}
	if err := spec.Variables["rw_self_tgid"].Set(opts.SelfPID); err != nil {
		return fmt.Errorf("set rw_self_tgid: %w", err)
	}
	if err := spec.Variables["rw_filter"].Set(filter); err != nil {
		return fmt.Errorf("set rw_filter: %w", err)
	}
	if err := spec.Variables["rw_host_mntns"].Set(opts.HostMountNS); err != nil {
		return fmt.Errorf("set rw_host_mntns: %w", err)
	}
	if opts.RingBufferBytes != 0 {
		spec.Maps["events"].MaxEntries = opts.RingBufferBytes
	}
	return nil
}

func loadFileHooks(mode HookMode, opts Options, shared map[string]*ebpf.Map, cache *btf.Cache) (io.Closer, []link.Link, error) {
	collOpts := &ebpf.CollectionOptions{MapReplacements: shared, Cache: cache}
	attachTracing := func(p *ebpf.Program) (link.Link, error) {
		return link.AttachTracing(link.TracingOptions{Program: p})
	}
	switch mode {
	case HookLSM:
		if err := bpfLSMEnabled(); err != nil {
			return nil, nil, err
		}
		objs := &fileloadLsmObjects{}
		return loadAndAttach(loadFileloadLsm, objs, opts, collOpts, func(p *ebpf.Program) (link.Link, error) {
			return link.AttachLSM(link.LSMOptions{Program: p})
		}, func() []*ebpf.Program { return []*ebpf.Program{objs.RwLsmFileOpen, objs.RwLsmMmapFile} })
	case HookFentry:
		objs := &fileloadFentryObjects{}
		return loadAndAttach(loadFileloadFentry, objs, opts, collOpts, attachTracing,
			func() []*ebpf.Program { return []*ebpf.Program{objs.RwFentryFileOpen, objs.RwFentryMmapFile} })
	case HookTracepoint:
		objs := &fileloadTpObjects{}
		return loadAndAttach(loadFileloadTp, objs, opts, collOpts, attachTracing,
			func() []*ebpf.Program { return []*ebpf.Program{objs.RwSysExit} })
	}
	return nil, nil, fmt.Errorf("unknown hook mode %d", mode)
}

// loadAndAttach loads one mode's collection into objs (the bpf2go objects
// struct), configured like the process hooks, and attaches the programs
// progs names once loaded. On failure nothing stays loaded or attached.
func loadAndAttach(load func() (*ebpf.CollectionSpec, error), objs io.Closer, opts Options, collOpts *ebpf.CollectionOptions,
	attach func(*ebpf.Program) (link.Link, error), progs func() []*ebpf.Program) (io.Closer, []link.Link, error) {
	spec, err := load()
	if err == nil {
		if err = configure(spec, opts); err == nil {
			err = spec.LoadAndAssign(objs, collOpts)
		}
	}
	if err != nil {
		return nil, nil, verifierDetail(err)
	}
	links, err := attachAll(progs(), attach)
	if err != nil {
		objs.Close()
		return nil, nil, err
	}
	return objs, links, nil
}

func attachAll(progs []*ebpf.Program, attach func(*ebpf.Program) (link.Link, error)) ([]link.Link, error) {
	var links []link.Link
	for _, p := range progs {
		lk, err := attach(p)
		if err != nil {
			for _, l := range links {
				l.Close()
			}
			return nil, fmt.Errorf("attach %s: %w", p, err)
		}
		links = append(links, lk)
	}
	return links, nil
}

// hostMountNS is the inode of pid 1's mount namespace (the host's, with
// hostPID), or of this process's when pid 1's is out of reach.
func hostMountNS() uint32 {
	for _, p := range []string{"/proc/1/ns/mnt", "/proc/self/ns/mnt"} {
		var st unix.Stat_t
		if unix.Stat(p, &st) == nil {
			return uint32(st.Ino)
		}
	}
	return 0
}

// bpfLSMEnabled checks the active LSM list: BPF LSM programs load without
// "bpf" in it but are never called.
func bpfLSMEnabled() error {
	b, err := os.ReadFile("/sys/kernel/security/lsm")
	if err != nil {
		return fmt.Errorf("read the active LSM list: %w", err)
	}
	for _, name := range strings.Split(strings.TrimSpace(string(b)), ",") {
		if name == "bpf" {
			return nil
		}
	}
	return fmt.Errorf("the bpf LSM is not active (lsm=%s)", strings.TrimSpace(string(b)))
}

// verifierDetail keeps the tail of a verifier log, which is where the
// reason is; the whole log can be megabytes.
func verifierDetail(err error) error {
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		return fmt.Errorf("%w (verifier: %+3v)", err, ve)
	}
	return err
}

// Mode is the hook mode that was chosen.
func (l *Loader) Mode() HookMode { return l.mode }

// Attempts says which modes were tried, and why those not chosen failed.
func (l *Loader) Attempts() []Attempt { return append([]Attempt(nil), l.attempts...) }

// ErrClosed is returned by ReadEvent once the loader is closed.
var ErrClosed = errors.New("loader closed")

// DecodeError wraps a ring-buffer record that could not be decoded.
type DecodeError struct{ Err error }

func (e *DecodeError) Error() string { return "decode event: " + e.Err.Error() }
func (e *DecodeError) Unwrap() error { return e.Err }

// pollInterval bounds how long an event can wait in the ring: the programs
// wake the reader only when 64 KiB are pending, so the reader also looks on
// its own this often.
const pollInterval = 20 * time.Millisecond

// ReadEvent blocks for the next event. It is not safe for concurrent use.
// A *DecodeError means one bad record; reading can go on.
func (l *Loader) ReadEvent() (Event, error) {
	for {
		l.reader.SetDeadline(time.Now().Add(pollInterval))
		err := l.reader.ReadInto(&l.record)
		if err == nil {
			break
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		if errors.Is(err, os.ErrClosed) {
			return nil, ErrClosed
		}
		return nil, fmt.Errorf("read ring buffer: %w", err)
	}
	ev, err := Decode(l.record.RawSample)
	if err != nil {
		return nil, &DecodeError{Err: err}
	}
	return ev, nil
}

// Counters are the kernel-side counters, summed over CPUs.
type Counters struct {
	RingBufferDrops uint64 // events lost because the ring was full
	Filtered        uint64 // file events suppressed by the in-kernel filter
	Emitted         uint64 // events written to the ring
}

// Counters reads the kernel counters.
func (l *Loader) Counters() (Counters, error) {
	get := func(idx uint32) (uint64, error) {
		var per []uint64
		if err := l.process.Counters.Lookup(idx, &per); err != nil {
			return 0, fmt.Errorf("read counter %d: %w", idx, err)
		}
		var sum uint64
		for _, v := range per {
			sum += v
		}
		return sum, nil
	}
	var c Counters
	var err error
	if c.RingBufferDrops, err = get(0); err != nil {
		return c, err
	}
	if c.Filtered, err = get(1); err != nil {
		return c, err
	}
	c.Emitted, err = get(2)
	return c, err
}

// Close detaches every program and unblocks ReadEvent.
func (l *Loader) Close() error {
	if l.reader != nil {
		l.reader.Close()
	}
	for _, lk := range l.links {
		lk.Close()
	}
	l.links = nil
	if l.fileObjs != nil {
		l.fileObjs.Close()
	}
	return l.process.Close()
}
