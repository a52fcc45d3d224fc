//go:build linux

// Package sensor is the node agent's core: it reads the kernel's events,
// attributes each to its container, hashes and identifies the files
// involved, aggregates them per (container, file) and hands batches of what
// is new to an Output (the platform, through a spool, or a JSON stream).
//
// One goroutine does all of that in event order, so the process table and
// the aggregation tables need no locks; a second goroutine only drains the
// ring buffer into a bounded channel. When processing falls behind, the
// channel fills, the ring buffer fills, and the kernel counts what it could
// not write: nothing is lost without being counted.
package sensor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/runwatch/runwatch/agents/sensor/cgroup"
	"github.com/runwatch/runwatch/agents/sensor/content"
	"github.com/runwatch/runwatch/agents/sensor/dedup"
	"github.com/runwatch/runwatch/agents/sensor/kernel"
	"github.com/runwatch/runwatch/agents/sensor/lru"
	"github.com/runwatch/runwatch/agents/sensor/packages"
	"github.com/runwatch/runwatch/agents/sensor/proctable"
	"github.com/runwatch/runwatch/agents/transport"
	"github.com/runwatch/runwatch/domain/pkgid"
	runwatchv1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
)

// Config holds the sensor's tunables. Zero values take the defaults of
// DefaultConfig.
type Config struct {
	// NodeName is put on every batch.
	NodeName string
	// ProcRoot is where the host's /proc is mounted (/proc with hostPID).
	ProcRoot string
	// HostRoot is the host's root file system as the sensor sees it: "/" on
	// a plain host, <ProcRoot>/1/root in a DaemonSet pod (with hostPID).
	HostRoot string
	// Cgroups are the cgroup mounts to resolve ids against.
	Cgroups cgroup.Mounts
	// HookMode forces a hook mode; kernel.HookAuto picks the best.
	HookMode kernel.HookMode
	// NoKernelFilter turns the in-kernel file filter off (measurements).
	NoKernelFilter  bool
	RingBufferBytes uint32
	// HashCacheSize bounds the file-identity → sha256 cache.
	HashCacheSize int
	// MaxHashBytes is the largest file hashed.
	MaxHashBytes int64
	// DedupSize bounds each aggregation table (executions, file loads).
	DedupSize int
	// ProcTableSize bounds the process table.
	ProcTableSize int
	// PackageIndexes bounds the per-container package indexes held.
	PackageIndexes int
	// FlushInterval is how often new records are batched.
	FlushInterval time.Duration
	// MaxBatchRecords caps the records in one batch.
	MaxBatchRecords int
}

// DefaultConfig is sized for a node with a few hundred containers in well
// under 64 MiB.
func DefaultConfig() Config {
	return Config{
		ProcRoot:        "/proc",
		HashCacheSize:   16384,
		MaxHashBytes:    512 << 20,
		DedupSize:       65536,
		ProcTableSize:   65536,
		PackageIndexes:  64,
		FlushInterval:   2 * time.Second,
		MaxBatchRecords: 1000,
	}
}

func (c *Config) fill() {
	d := DefaultConfig()
	if c.ProcRoot == "" {
		c.ProcRoot = d.ProcRoot
	}
	if c.HostRoot == "" {
		c.HostRoot = c.ProcRoot + "/1/root"
	}
	if c.HashCacheSize <= 0 {
		c.HashCacheSize = d.HashCacheSize
	}
	if c.MaxHashBytes <= 0 {
		c.MaxHashBytes = d.MaxHashBytes
	}
	if c.DedupSize <= 0 {
		c.DedupSize = d.DedupSize
	}
	if c.ProcTableSize <= 0 {
		c.ProcTableSize = d.ProcTableSize
	}
	if c.PackageIndexes <= 0 {
		c.PackageIndexes = d.PackageIndexes
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = d.FlushInterval
	}
	if c.MaxBatchRecords <= 0 {
		c.MaxBatchRecords = d.MaxBatchRecords
	}
}

// Output receives batches. Deliver must not block for long: the platform
// output spools to disk and sends from another goroutine.
type Output interface {
	Deliver(*runwatchv1.ReportRuntimeRequest)
}

// Record kinds in the aggregation keys: executions, and file loads by
// their FileKind (keyFile + kind), so a later report can say its kind.
const (
	keyExec = 1
	keyFile = 100
)

// Sensor is the node agent's core.
type Sensor struct {
	cfg    Config
	logger *slog.Logger

	attr   *cgroup.Attributor
	hasher *content.Hasher
	ident  *packages.Identifier
	procs  *proctable.Table
	// pins hold an open handle on the root of each recent cgroup's
	// processes, taken by the ring-buffer reader as soon as a cgroup is first
	// seen: a container's files and package databases stay readable through
	// it after the processes that loaded them (even the whole container)
	// have exited.
	pinMu sync.Mutex
	pins  *lru.Cache[cgroupIDs, pinnedRoot]
	execs *dedup.Table[runwatchv1.ProcessExecution]
	files *dedup.Table[runwatchv1.FileLoad]

	bootOffset time.Duration // wall clock minus CLOCK_BOOTTIME
	maxBatch   atomic.Int64

	c counters
}

// counters are read by heartbeats and metrics from other goroutines.
type counters struct {
	hookMode         atomic.Int64
	running          atomic.Bool
	eventsReceived   atomic.Uint64
	execs            atomic.Uint64
	exits            atomic.Uint64
	fileLoads        atomic.Uint64
	decodeErrors     atomic.Uint64
	ringDrops        atomic.Uint64
	kernelFiltered   atomic.Uint64
	userFiltered     atomic.Uint64
	dedupOverflow    atomic.Uint64
	unresolvedHashes atomic.Uint64
	recordsOut       atomic.Uint64
	dedupKeys        atomic.Int64
}

// New makes a sensor; Run starts it.
func New(cfg Config, logger *slog.Logger) *Sensor {
	cfg.fill()
	s := &Sensor{
		cfg:    cfg,
		logger: logger,
		attr:   cgroup.NewAttributor(cfg.Cgroups, 8192),
		hasher: content.NewHasher(cfg.HashCacheSize, cfg.MaxHashBytes),
		ident:  packages.NewIdentifier(cfg.PackageIndexes, cfg.HashCacheSize),
		procs:  proctable.New(cfg.ProcTableSize),
		pins:   lru.New[cgroupIDs, pinnedRoot](256),
		execs:  dedup.New[runwatchv1.ProcessExecution](cfg.DedupSize),
		files:  dedup.New[runwatchv1.FileLoad](cfg.DedupSize),
	}
	s.maxBatch.Store(int64(cfg.MaxBatchRecords))
	s.pins.OnEvict = func(_ cgroupIDs, p pinnedRoot) { p.f.Close() }
	return s
}

// SetMaxBatchRecords applies the platform's limit (from RegisterNode).
func (s *Sensor) SetMaxBatchRecords(n int) {
	if n > 0 {
		s.maxBatch.Store(int64(n))
	}
}

// Status is a snapshot of the sensor for heartbeats and metrics.
type Status struct {
	Running          bool
	HookMode         kernel.HookMode
	EventsReceived   uint64
	Execs            uint64
	Exits            uint64
	FileLoads        uint64
	DecodeErrors     uint64
	RingBufferDrops  uint64
	KernelFiltered   uint64
	UserFiltered     uint64
	DedupOverflow    uint64
	UnresolvedHashes uint64
	RecordsOut       uint64
	DedupKeys        int64
	Processes        int64
	HashCacheHits    uint64
	HashCacheMisses  uint64
}

// Status returns the current counters.
func (s *Sensor) Status() Status {
	hits, misses, _ := s.hasher.Stats()
	return Status{
		Running:          s.c.running.Load(),
		HookMode:         kernel.HookMode(s.c.hookMode.Load()),
		EventsReceived:   s.c.eventsReceived.Load(),
		Execs:            s.c.execs.Load(),
		Exits:            s.c.exits.Load(),
		FileLoads:        s.c.fileLoads.Load(),
		DecodeErrors:     s.c.decodeErrors.Load(),
		RingBufferDrops:  s.c.ringDrops.Load(),
		KernelFiltered:   s.c.kernelFiltered.Load(),
		UserFiltered:     s.c.userFiltered.Load(),
		DedupOverflow:    s.c.dedupOverflow.Load(),
		UnresolvedHashes: s.c.unresolvedHashes.Load(),
		RecordsOut:       s.c.recordsOut.Load(),
		DedupKeys:        s.c.dedupKeys.Load(),
		Processes:        int64(s.procs.Len()), // the table is safe for concurrent use
		HashCacheHits:    hits,
		HashCacheMisses:  misses,
	}
}

// Run loads the eBPF programs and processes events until ctx ends, then
// detaches, processes what was already read, and flushes a last batch.
// started is called once the programs are attached.
func (s *Sensor) Run(ctx context.Context, out Output, started func(kernel.HookMode)) error {
	loader, err := kernel.Load(kernel.Options{
		Mode:            s.cfg.HookMode,
		NoKernelFilter:  s.cfg.NoKernelFilter,
		RingBufferBytes: s.cfg.RingBufferBytes,
		Logger:          s.logger,
	})
	if err != nil {
		return fmt.Errorf("load eBPF programs: %w", err)
	}
	defer loader.Close()
	defer s.releasePins()
	s.c.hookMode.Store(int64(loader.Mode()))
	s.c.running.Store(true)
	defer s.c.running.Store(false)
	s.bootOffset = bootOffset()
	s.bootstrap()
	if started != nil {
		started(loader.Mode())
	}

	events := make(chan kernel.Event, 8192)
	go func() {
		defer close(events)
		for {
			ev, err := loader.ReadEvent()
			if errors.Is(err, kernel.ErrClosed) {
				return
			}
			var de *kernel.DecodeError
			if errors.As(err, &de) {
				s.c.decodeErrors.Add(1)
				continue
			}
			if err != nil {
				s.logger.Error("ring buffer read failed", "err", err)
				return
			}
			switch e := ev.(type) {
			case *kernel.Exec:
				s.pinRoot(idsOf(&e.Header), e.TGID, true)
			case *kernel.FileLoad:
				s.pinRoot(idsOf(&e.Header), e.TGID, false)
			}
			events <- ev
		}
	}()

	flush := time.NewTicker(s.cfg.FlushInterval)
	defer flush.Stop()
	poll := time.NewTicker(time.Second)
	defer poll.Stop()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				s.pollKernel(loader)
				s.flush(out)
				if ctx.Err() != nil {
					return nil
				}
				return errors.New("ring buffer reader stopped")
			}
			s.handle(ev)
		case <-flush.C:
			s.flush(out)
		case <-poll.C:
			s.pollKernel(loader)
		case <-ctx.Done():
			// Detach, then take what the reader had already read.
			loader.Close()
			for ev := range events {
				s.handle(ev)
			}
			s.pollKernel(loader)
			s.flush(out)
			return nil
		}
	}
}

func (s *Sensor) pollKernel(l *kernel.Loader) {
	c, err := l.Counters()
	if err != nil {
		return // closed: keep the last values
	}
	s.c.ringDrops.Store(c.RingBufferDrops)
	s.c.kernelFiltered.Store(c.Filtered)
}

// bootOffset converts CLOCK_BOOTTIME (event times) to wall-clock time.
func bootOffset() time.Duration {
	var ts unix.Timespec
	now := time.Now()
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	return time.Duration(now.UnixNano() - ts.Nano())
}

func (s *Sensor) wallTime(bootNS uint64) time.Time {
	return time.Unix(0, int64(bootNS)+int64(s.bootOffset))
}

// bootstrap fills the process table from /proc, so processes that started
// before the sensor have an executable and a container.
func (s *Sensor) bootstrap() {
	ents, err := os.ReadDir(s.cfg.ProcRoot)
	if err != nil {
		s.logger.Warn("cannot list processes", "err", err)
		return
	}
	n := 0
	for _, e := range ents {
		pid, err := strconv.ParseUint(e.Name(), 10, 32)
		if err != nil {
			continue
		}
		b, err := os.ReadFile(path.Join(s.cfg.ProcRoot, e.Name(), "cgroup"))
		if err != nil {
			continue
		}
		ref := cgroup.ParseProcCgroup(string(b))
		s.procs.Exec(proctable.Process{PID: uint32(pid), Exe: proctable.ExeOf(s.cfg.ProcRoot, uint32(pid)), Container: containerKey(ref)})
		n++
	}
	s.logger.Debug("process table bootstrapped from /proc", "processes", n)
}

func containerKey(ref cgroup.Ref) string {
	switch ref.Kind {
	case cgroup.KindContainer:
		return ref.ContainerID
	case cgroup.KindHost:
		return "host"
	}
	return "unknown:" + ref.Path
}

func containerRef(ref cgroup.Ref) *runwatchv1.ContainerRef {
	switch ref.Kind {
	case cgroup.KindHost:
		return &runwatchv1.ContainerRef{Runtime: runwatchv1.ContainerRuntime_CONTAINER_RUNTIME_HOST}
	case cgroup.KindContainer:
		rt := runwatchv1.ContainerRuntime_CONTAINER_RUNTIME_UNKNOWN
		switch ref.Runtime {
		case cgroup.RuntimeContainerd:
			rt = runwatchv1.ContainerRuntime_CONTAINER_RUNTIME_CONTAINERD
		case cgroup.RuntimeCRIO:
			rt = runwatchv1.ContainerRuntime_CONTAINER_RUNTIME_CRIO
		case cgroup.RuntimeDocker:
			rt = runwatchv1.ContainerRuntime_CONTAINER_RUNTIME_DOCKER
		case cgroup.RuntimePodman:
			rt = runwatchv1.ContainerRuntime_CONTAINER_RUNTIME_PODMAN
		}
		return &runwatchv1.ContainerRef{ContainerId: ref.ContainerID, PodUid: ref.PodUID, Runtime: rt}
	}
	return &runwatchv1.ContainerRef{
		PodUid:     ref.PodUID,
		Runtime:    runwatchv1.ContainerRuntime_CONTAINER_RUNTIME_UNKNOWN,
		CgroupPath: utf8(ref.Path),
	}
}

// utf8 makes raw kernel bytes (file names, argv) safe for protobuf strings.
func utf8(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

func identity(f kernel.FileID, ff kernel.FileFlags) content.Identity {
	return content.Identity{Dev: f.Dev, Ino: f.Ino, Size: f.Size, MtimeSec: f.MtimeSec, MtimeNsec: f.MtimeNsec, Overlay: ff.Overlay}
}

// roots lists where a process's files can be read: its own root, then the
// roots of other live processes of the same container (the process may
// have exited already), then the host's for host processes.
func (s *Sensor) roots(pid uint32, key string, cg cgroupIDs) []string {
	out := []string{s.procPath(pid, "root")}
	if key == "host" {
		// Host processes share the host's root (chroots aside, which their
		// own root above covers while they live).
		return append(out, s.cfg.HostRoot)
	}
	if p := s.pinnedRoot(cg); p != "" {
		out = append(out, p)
	}
	for _, other := range s.procs.InContainer(key, pid, 3) {
		out = append(out, s.procPath(other, "root"))
	}
	return out
}

// cgroupIDs identify the cgroup an event came from.
type cgroupIDs struct{ v2, v1 uint64 }

func idsOf(h *kernel.Header) cgroupIDs { return cgroupIDs{h.CgroupID, h.CgroupV1ID} }

// pinRoot runs in the ring-buffer reader, microseconds after the event: it
// keeps a handle on the root of the newest program of each cgroup. An exec
// re-pins when the root changed: a runtime's init process starts in the
// container's cgroup with the host's root and only then pivots into the
// image.
func (s *Sensor) pinRoot(cg cgroupIDs, pid uint32, exec bool) {
	s.pinMu.Lock()
	defer s.pinMu.Unlock()
	old, ok := s.pins.Get(cg)
	if ok && !exec {
		return
	}
	root := s.procPath(pid, "root")
	var st unix.Stat_t
	if unix.Stat(root, &st) != nil {
		return
	}
	if ok && old.dev == st.Dev && old.ino == st.Ino {
		return // the same root: one stat per exec, no more
	}
	fd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	if ok {
		old.f.Close()
		s.pins.Remove(cg)
	}
	s.pins.Add(cg, pinnedRoot{f: os.NewFile(uintptr(fd), "pinned root"), dev: st.Dev, ino: st.Ino})
}

// pinnedRoot is an open handle on a root directory and its identity.
type pinnedRoot struct {
	f        *os.File
	dev, ino uint64
}

func (s *Sensor) pinnedRoot(cg cgroupIDs) string {
	s.pinMu.Lock()
	defer s.pinMu.Unlock()
	if p, ok := s.pins.Get(cg); ok {
		return "/proc/self/fd/" + strconv.Itoa(int(p.f.Fd()))
	}
	return ""
}

// releasePins lets go of every pinned root.
func (s *Sensor) releasePins() {
	s.pinMu.Lock()
	defer s.pinMu.Unlock()
	for {
		k, p, ok := s.pins.Oldest()
		if !ok {
			return
		}
		p.f.Close()
		s.pins.Remove(k)
	}
}

func (s *Sensor) procPath(pid uint32, rest string) string {
	return s.cfg.ProcRoot + "/" + strconv.FormatUint(uint64(pid), 10) + "/" + rest
}

func (s *Sensor) hash(pid uint32, key string, cg cgroupIDs, p string, id content.Identity) (sha, reason string, roots []string) {
	if sum, ok := s.hasher.Cached(id); ok {
		return sum, "", nil
	}
	roots = s.roots(pid, key, cg)
	sha, reason = s.hasher.Hash(roots, p, id)
	if sha == "" {
		s.c.unresolvedHashes.Add(1)
	}
	return sha, reason, roots
}

func (s *Sensor) handle(ev kernel.Event) {
	s.c.eventsReceived.Add(1)
	switch e := ev.(type) {
	case *kernel.Exec:
		s.c.execs.Add(1)
		s.handleExec(e)
	case *kernel.Exit:
		s.c.exits.Add(1)
		s.procs.Exit(e.TGID)
	case *kernel.FileLoad:
		s.c.fileLoads.Add(1)
		s.handleFile(e)
	}
}

func drift(ref cgroup.Ref, ff kernel.FileFlags) bool {
	// Only a container has an image to drift from. A file in the overlay's
	// upper layer was written (or modified) after the container started;
	// an executable with no link left was deleted or is a memfd.
	return ref.Kind == cgroup.KindContainer && (ff.OverlayUpper || ff.Deleted)
}

func (s *Sensor) handleExec(e *kernel.Exec) {
	ref := s.attr.Attribute(e.CgroupID, e.CgroupV1ID)
	key := containerKey(ref)
	parent, _ := s.procs.Get(e.PPID)
	s.procs.Exec(proctable.Process{PID: e.TGID, PPID: e.PPID, Exe: e.Path, Container: key})

	id := identity(e.File, e.FileFlags)
	sha, reason, roots := s.hash(e.TGID, key, idsOf(&e.Header), e.Path, id)
	k := dedup.Key{Kind: keyExec, Container: key, Path: e.Path, SHA256: sha}
	at := s.wallTime(e.BootNS)
	ok := s.execs.Observe(k, at, func() *runwatchv1.ProcessExecution {
		purls, preason := s.packagesOf(&e.Header, key, roots, e.Path, sha, packages.KindExecutable, id)
		argv := make([]string, len(e.Argv))
		for i, a := range e.Argv {
			argv[i] = utf8(a)
		}
		return &runwatchv1.ProcessExecution{
			Container:            containerRef(ref),
			ExecutablePath:       utf8(e.Path),
			Sha256:               sha,
			Argv:                 argv,
			ArgvTruncated:        e.ArgvTruncated,
			Uid:                  e.UID,
			Pid:                  e.TGID,
			ParentPid:            e.PPID,
			ParentExecutablePath: utf8(s.exe(parent, e.PPID)),
			Comm:                 e.Comm,
			Drift:                drift(ref, e.FileFlags),
			PackagePurls:         purls,
			UnresolvedReason:     joinReasons(reason, pathReason(e.PathTruncated), preason),
		}
	})
	if !ok {
		s.countOverflow()
	}
}

// packagesOf names the packages of a file seen for the first time in its
// container. roots are those its hash was read through, nil when the hash
// came from the cache.
func (s *Sensor) packagesOf(h *kernel.Header, key string, roots []string, p, sha string, kind packages.FileKind, id content.Identity) (purls []string, reason string) {
	if roots == nil {
		roots = s.roots(h.TGID, key, idsOf(h))
	}
	return s.ident.Identify(roots, p, sha, kind, func() (*os.File, string) {
		return content.Open(roots, p, id)
	})
}

// exe is the executable of pid: as the process table holds it, or, for a
// process that started before the sensor, as /proc shows it.
func (s *Sensor) exe(known proctable.Process, pid uint32) string {
	if known.Exe != "" {
		return known.Exe
	}
	return proctable.ExeOf(s.cfg.ProcRoot, pid)
}

func (s *Sensor) countOverflow() {
	s.c.dedupOverflow.Store(s.execs.Overflow() + s.files.Overflow())
}

func pathReason(truncated bool) string {
	if truncated {
		return "path deeper or longer than the kernel buffers; only its end is shown"
	}
	return ""
}

func joinReasons(rs ...string) string {
	var out []string
	for _, r := range rs {
		if r != "" {
			out = append(out, r)
		}
	}
	return strings.Join(out, "; ")
}

func (s *Sensor) handleFile(e *kernel.FileLoad) {
	var kind runwatchv1.FileKind
	var pkind packages.FileKind
	switch {
	case e.Op == kernel.OpMmapExec:
		kind, pkind = runwatchv1.FileKind_FILE_KIND_SHARED_LIBRARY, packages.KindSharedLibrary
	case e.Op == kernel.OpOpen && pkgid.IsArchive(e.Path): // the kernel filter's suffixes
		kind, pkind = runwatchv1.FileKind_FILE_KIND_JAR, packages.KindJar
	case e.Op == kernel.OpScript:
		kind, pkind = runwatchv1.FileKind_FILE_KIND_SCRIPT, packages.KindOther
	default:
		// Without the kernel filter every open and mapping arrives; the same
		// rule applies here, so the records do not depend on the mode.
		s.c.userFiltered.Add(1)
		return
	}
	proc, known := s.procs.Get(e.TGID)
	if kind == runwatchv1.FileKind_FILE_KIND_SHARED_LIBRARY && known && proc.Exe == e.Path {
		s.c.userFiltered.Add(1) // the program's own image: reported by its exec
		return
	}
	ref := s.attr.Attribute(e.CgroupID, e.CgroupV1ID)
	key := containerKey(ref)
	id := identity(e.File, e.FileFlags)
	sha, reason, roots := s.hash(e.TGID, key, idsOf(&e.Header), e.Path, id)
	k := dedup.Key{Kind: keyFile + int(kind), Container: key, Path: e.Path, SHA256: sha}
	ok := s.files.Observe(k, s.wallTime(e.BootNS), func() *runwatchv1.FileLoad {
		purls, preason := s.packagesOf(&e.Header, key, roots, e.Path, sha, pkind, id)
		return &runwatchv1.FileLoad{
			Container:        containerRef(ref),
			Path:             utf8(e.Path),
			Sha256:           sha,
			Kind:             kind,
			PackagePurls:     purls,
			LoadedByPath:     utf8(s.exe(proc, e.TGID)),
			Drift:            drift(ref, e.FileFlags),
			UnresolvedReason: joinReasons(reason, pathReason(e.PathTruncated), preason),
		}
	})
	if !ok {
		s.countOverflow()
	}
}

// flush turns what changed since the last flush into batches.
func (s *Sensor) flush(out Output) {
	max := int(s.maxBatch.Load())
	for {
		execs := s.execs.Drain(max)
		files := s.files.Drain(max - len(execs))
		if len(execs) == 0 && len(files) == 0 {
			break
		}
		req := &runwatchv1.ReportRuntimeRequest{BatchId: transport.NewBatchID(), NodeName: s.cfg.NodeName}
		for _, it := range execs {
			req.Executions = append(req.Executions, execRecord(it))
		}
		for _, it := range files {
			req.FileLoads = append(req.FileLoads, fileRecord(it))
		}
		s.c.recordsOut.Add(uint64(len(execs) + len(files)))
		out.Deliver(req)
	}
	s.c.dedupKeys.Store(int64(s.execs.Len() + s.files.Len()))
	s.countOverflow()
}

// keyRef rebuilds the container reference of a later report from its key.
func keyRef(key string) *runwatchv1.ContainerRef {
	switch {
	case key == "host":
		return &runwatchv1.ContainerRef{Runtime: runwatchv1.ContainerRuntime_CONTAINER_RUNTIME_HOST}
	case strings.HasPrefix(key, "unknown:"):
		return &runwatchv1.ContainerRef{Runtime: runwatchv1.ContainerRuntime_CONTAINER_RUNTIME_UNKNOWN, CgroupPath: utf8(strings.TrimPrefix(key, "unknown:"))}
	}
	return &runwatchv1.ContainerRef{ContainerId: key}
}

func execRecord(it dedup.Item[runwatchv1.ProcessExecution]) *runwatchv1.ProcessExecution {
	r := it.Detail
	if r == nil {
		// A later report: the key, the count and the newest time only.
		r = &runwatchv1.ProcessExecution{Container: keyRef(it.Key.Container), ExecutablePath: utf8(it.Key.Path), Sha256: it.Key.SHA256}
	} else {
		r.FirstSeen = timestamppb.New(it.FirstSeen)
	}
	r.Count = it.Count
	r.LastSeen = timestamppb.New(it.LastSeen)
	return r
}

func fileRecord(it dedup.Item[runwatchv1.FileLoad]) *runwatchv1.FileLoad {
	r := it.Detail
	if r == nil {
		r = &runwatchv1.FileLoad{Container: keyRef(it.Key.Container), Path: utf8(it.Key.Path), Sha256: it.Key.SHA256,
			Kind: runwatchv1.FileKind(it.Key.Kind - keyFile)}
	} else {
		r.FirstSeen = timestamppb.New(it.FirstSeen)
	}
	r.Count = it.Count
	r.LastSeen = timestamppb.New(it.LastSeen)
	return r
}
