package runtime

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/runwatch/runwatch/domain"
	"github.com/runwatch/runwatch/domain/inventory"
)

// Limits bound one runtime batch and its records. A batch with too many
// records is refused whole, with a message that says so, so the sensor can
// split it; a record over a limit is rejected alone.
type Limits struct {
	MaxRecords    int
	MaxPathLen    int
	MaxArgs       int
	MaxArgvBytes  int
	MaxPURLs      int
	MaxCount      uint64
	MaxClockAhead time.Duration
}

// DefaultLimits are the platform's defaults.
var DefaultLimits = Limits{
	MaxRecords:   10000,
	MaxPathLen:   4096,
	MaxArgs:      256,
	MaxArgvBytes: 32 << 10,
	MaxPURLs:     64,
	// No container executes a file more than a billion times between two
	// reports; a larger count is a bug or a forgery.
	MaxCount: 1_000_000_000,
	// A sensor clock more than this ahead is refused, not trusted: its
	// records would sort before every honest one for days.
	MaxClockAhead: time.Hour,
}

// Normalize fills what a sensor may leave out (a count of 0 means one
// sighting; missing times mean now) and validates the batch against the
// platform's clock now. A batch that is wrong as a whole (its id, its node,
// its size) is an error; a record that is wrong is taken out of the batch
// and returned as a rejection, and the rest stands.
func (b *Batch) Normalize(l Limits, now time.Time) ([]domain.Rejection, error) {
	if err := inventory.ValidateBatchID(b.ID); err != nil {
		return nil, err
	}
	if b.NodeName == "" || len(b.NodeName) > 253 {
		return nil, domain.Invalidf("node_name is required, at most 253 characters")
	}
	if n := b.Records(); n > l.MaxRecords {
		return nil, domain.Invalidf("batch holds %d records, at most %d", n, l.MaxRecords)
	}
	var rejected []domain.Rejection
	b.Processes = keepValid(b.Processes, "executions", &rejected, func(p *Process) error { return p.normalize(l, now) })
	b.Files = keepValid(b.Files, "file_loads", &rejected, func(f *FileLoad) error { return f.normalize(l, now) })
	return rejected, nil
}

// keepValid keeps the records check accepts, in order, and records a
// rejection for each other one with its index as sent.
func keepValid[T any](records []T, field string, rejected *[]domain.Rejection, check func(*T) error) []T {
	kept := records[:0]
	for i := range records {
		if err := check(&records[i]); err != nil {
			*rejected = append(*rejected, domain.Rejection{Field: field, Index: i, Reason: err.Error()})
			continue
		}
		kept = append(kept, records[i])
	}
	return kept
}

func (p *Process) normalize(l Limits, now time.Time) error {
	if err := normalizeSeen(&p.FirstSeen, &p.LastSeen, &p.Count, l, now); err != nil {
		return domain.Invalidf("%s: %v", domain.Clip(p.ExecutablePath), err)
	}
	if err := checkRecord(p.Container, p.ExecutablePath, p.SHA256, p.PackagePURLs, l); err != nil {
		return err
	}
	if err := checkArgv(p.Argv, l); err != nil {
		return domain.Invalidf("%s: %v", domain.Clip(p.ExecutablePath), err)
	}
	if err := checkStrings(l.MaxPathLen, p.ParentExecutablePath, p.Comm, p.UnresolvedReason); err != nil {
		return domain.Invalidf("%s: %v", domain.Clip(p.ExecutablePath), err)
	}
	return nil
}

func (f *FileLoad) normalize(l Limits, now time.Time) error {
	if err := normalizeSeen(&f.FirstSeen, &f.LastSeen, &f.Count, l, now); err != nil {
		return domain.Invalidf("%s: %v", domain.Clip(f.Path), err)
	}
	if err := checkRecord(f.Container, f.Path, f.SHA256, f.PackagePURLs, l); err != nil {
		return err
	}
	switch f.Kind {
	case FileExecutable, FileSharedLibrary, FileJar, FileScript, FileInterpretedModule:
	default:
		return domain.Invalidf("%s: unknown file kind %q", domain.Clip(f.Path), f.Kind)
	}
	if err := checkStrings(l.MaxPathLen, f.LoadedByPath, f.UnresolvedReason); err != nil {
		return domain.Invalidf("%s: %v", domain.Clip(f.Path), err)
	}
	return nil
}

func normalizeSeen(first, last *time.Time, count *uint64, l Limits, now time.Time) error {
	if *count == 0 {
		*count = 1
	}
	if *count > l.MaxCount {
		return domain.Invalidf("count %d is absurd (at most %d between reports)", *count, l.MaxCount)
	}
	if last.IsZero() {
		*last = now
	}
	if first.IsZero() || first.After(*last) {
		*first = *last
	}
	if last.After(now.Add(l.MaxClockAhead)) {
		return domain.Invalidf("last_seen %s is more than %s ahead of the platform's clock: fix the node's clock", last.UTC().Format(time.RFC3339), l.MaxClockAhead)
	}
	if first.Year() < 2000 {
		return domain.Invalidf("first_seen %s is before 2000", first.UTC().Format(time.RFC3339))
	}
	return nil
}

func checkRecord(c ContainerRef, path, sha string, purls []string, l Limits) error {
	if err := inventory.ValidateContainerID(c.ContainerID); err != nil {
		return err
	}
	switch c.Runtime {
	case RuntimeHost, RuntimeContainerd, RuntimeCRIO, RuntimeDocker, RuntimePodman, RuntimeUnknown:
	case "":
		return domain.Invalidf("container runtime is unspecified (use host for host processes)")
	default:
		return domain.Invalidf("unknown container runtime %q", c.Runtime)
	}
	if c.Runtime == RuntimeHost && c.ContainerID != "" {
		return domain.Invalidf("a host process has no container id (got %q)", domain.Clip(c.ContainerID))
	}
	if path == "" || !strings.HasPrefix(path, "/") {
		return domain.Invalidf("path %q is not absolute", domain.Clip(path))
	}
	if len(path) > l.MaxPathLen {
		return domain.Invalidf("path is %d bytes, at most %d", len(path), l.MaxPathLen)
	}
	if !utf8.ValidString(path) {
		return domain.Invalidf("path %q is not UTF-8 (a sensor escapes such bytes)", domain.Clip(path))
	}
	if err := inventory.ValidateSHA256(sha); err != nil {
		return err
	}
	if len(c.PodUID) > 64 || len(c.CgroupPath) > l.MaxPathLen {
		return domain.Invalidf("pod uid or cgroup path too long")
	}
	if len(purls) > l.MaxPURLs {
		return domain.Invalidf("%d package URLs, at most %d", len(purls), l.MaxPURLs)
	}
	for _, p := range purls {
		if !strings.HasPrefix(p, "pkg:") || len(p) > 1024 || !utf8.ValidString(p) {
			return domain.Invalidf("package URL %q is not pkg:<type>/...", domain.Clip(p))
		}
	}
	return nil
}

func checkArgv(argv []string, l Limits) error {
	if len(argv) > l.MaxArgs {
		return domain.Invalidf("%d arguments, at most %d (the sensor bounds argv)", len(argv), l.MaxArgs)
	}
	total := 0
	for _, a := range argv {
		total += len(a)
		if !utf8.ValidString(a) {
			return domain.Invalidf("an argument is not UTF-8 (a sensor escapes binary arguments)")
		}
	}
	if total > l.MaxArgvBytes {
		return domain.Invalidf("argv is %d bytes, at most %d", total, l.MaxArgvBytes)
	}
	return nil
}

func checkStrings(max int, ss ...string) error {
	for _, s := range ss {
		if len(s) > max {
			return domain.Invalidf("a field is %d bytes, at most %d", len(s), max)
		}
		if !utf8.ValidString(s) {
			return domain.Invalidf("a field is not UTF-8")
		}
	}
	return nil
}

// ValidateSensorInfo checks what a sensor says about itself.
func ValidateSensorInfo(s SensorInfo) error {
	if s.NodeName == "" || len(s.NodeName) > 253 {
		return domain.Invalidf("node_name is required, at most 253 characters")
	}
	if err := checkMode(s.Mode, s.HookMode); err != nil {
		return err
	}
	return checkStrings(512, s.NodeName, s.KernelVersion, s.OSImage, s.Architecture, s.Version, s.BootID)
}

// ValidateHeartbeat checks a sensor heartbeat.
func ValidateHeartbeat(h Heartbeat) error {
	if h.NodeName == "" || len(h.NodeName) > 253 {
		return domain.Invalidf("node_name is required, at most 253 characters")
	}
	switch h.Status {
	case "", inventory.SensorRunning, inventory.SensorDegraded, inventory.SensorFailed, inventory.SensorDisabled, inventory.SensorStopped,
		inventory.SensorRestricted:
	default:
		return domain.Invalidf("a sensor cannot report status %q", h.Status)
	}
	if err := checkMode(h.Mode, h.HookMode); err != nil {
		return err
	}
	return checkStrings(4096, h.Version, h.Message)
}

func checkMode(m SensorMode, h HookMode) error {
	switch m {
	case "", ModeKubernetes, ModeHost:
	default:
		return domain.Invalidf("unknown sensor mode %q", m)
	}
	switch h {
	case "", HookLSM, HookFentry, HookTracepoint:
	default:
		return domain.Invalidf("unknown hook mode %q", h)
	}
	return nil
}
