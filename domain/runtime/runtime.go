// Package runtime holds what a sensor observes: process executions and
// file loads in containers, aggregated per (container, file), and the rules
// for validating and merging them.
package runtime

import (
	"slices"
	"time"

	"github.com/runwatch/runwatch/domain"
)

// Runtime names the container runtime a sensor recognised.
type Runtime string

const (
	RuntimeHost       Runtime = "host"
	RuntimeContainerd Runtime = "containerd"
	RuntimeCRIO       Runtime = "cri-o"
	RuntimeDocker     Runtime = "docker"
	RuntimePodman     Runtime = "podman"
	RuntimeUnknown    Runtime = "unknown"
)

// FileKind says how a file was loaded.
type FileKind string

const (
	FileExecutable        FileKind = "executable"
	FileSharedLibrary     FileKind = "shared_library"
	FileJar               FileKind = "jar"
	FileScript            FileKind = "script"
	FileInterpretedModule FileKind = "interpreted_module"
)

// ContainerRef attributes a record to a container; an empty ContainerID is
// a host process.
type ContainerRef struct {
	ContainerID string
	PodUID      string
	Runtime     Runtime
	CgroupPath  string
}

// Process is a process execution aggregated per key.
type Process struct {
	Container            ContainerRef
	ExecutablePath       string
	SHA256               string
	Argv                 []string
	ArgvTruncated        bool
	UID                  uint32
	PID                  uint32
	ParentPID            uint32
	ParentExecutablePath string
	Comm                 string
	FirstSeen            time.Time
	LastSeen             time.Time
	Count                uint64
	Drift                bool
	PackagePURLs         []string
	UnresolvedReason     string
}

// ProcessKey is what process records aggregate by within a node.
type ProcessKey struct {
	ContainerID    string
	ExecutablePath string
	SHA256         string
}

// Key returns the record's aggregation key.
func (p *Process) Key() ProcessKey {
	return ProcessKey{p.Container.ContainerID, p.ExecutablePath, p.SHA256}
}

// FileLoad is a file loaded into processes, aggregated per key.
type FileLoad struct {
	Container        ContainerRef
	Path             string
	SHA256           string
	Kind             FileKind
	PackagePURLs     []string
	LoadedByPath     string
	FirstSeen        time.Time
	LastSeen         time.Time
	Count            uint64
	Drift            bool
	UnresolvedReason string
}

// FileKey is what file-load records aggregate by within a node.
type FileKey struct {
	ContainerID string
	Path        string
	SHA256      string
}

// Key returns the record's aggregation key.
func (f *FileLoad) Key() FileKey {
	return FileKey{f.Container.ContainerID, f.Path, f.SHA256}
}

// Batch is one ReportRuntime call from one node.
type Batch struct {
	ID        string
	NodeName  string
	Processes []Process
	Files     []FileLoad
}

// Records counts the records in the batch.
func (b *Batch) Records() int { return len(b.Processes) + len(b.Files) }

// ApplyResult is what applying a batch did.
type ApplyResult struct {
	Duplicate bool
	Processes int
	Files     int
	// Rejected are the records Normalize took out.
	Rejected []domain.Rejection
}

// HasDetail says whether the record carries a sighting's details (a first
// sighting does; a counters-only update does not). A uid of 0 is root, not
// "unknown", so the test is on what a sensor always fills in.
func (p *Process) HasDetail() bool {
	return p.Comm != "" || len(p.Argv) > 0 || p.PID != 0
}

// MergeProcess folds a later report of the same key into an earlier
// record. Counts add up; first and last seen widen; details already known
// stay (the first sighting carries them, later reports only counters), and
// details missing so far are taken from the later report; drift, once
// seen, stays.
//
// The stores implement the same rule in SQL; their contract tests hold
// them to this function.
func MergeProcess(old, later Process) Process {
	m := old
	m.Count = old.Count + later.Count
	m.FirstSeen = earliest(old.FirstSeen, later.FirstSeen)
	m.LastSeen = latest(old.LastSeen, later.LastSeen)
	m.Drift = old.Drift || later.Drift
	if !old.HasDetail() {
		// The details of one sighting travel together: mixing the argv of
		// one execution with the uid of another would describe neither.
		m.Argv, m.ArgvTruncated = later.Argv, later.ArgvTruncated
		m.UID, m.PID, m.ParentPID = later.UID, later.PID, later.ParentPID
		m.ParentExecutablePath, m.Comm = later.ParentExecutablePath, later.Comm
	}
	m.Container.PodUID = firstNonEmpty(m.Container.PodUID, later.Container.PodUID)
	if m.Container.Runtime == "" {
		m.Container.Runtime = later.Container.Runtime
	}
	m.Container.CgroupPath = firstNonEmpty(m.Container.CgroupPath, later.Container.CgroupPath)
	if len(m.PackagePURLs) == 0 {
		m.PackagePURLs = later.PackagePURLs
	}
	m.UnresolvedReason = firstNonEmpty(m.UnresolvedReason, later.UnresolvedReason)
	return m
}

// MergeFile is MergeProcess for file loads.
func MergeFile(old, later FileLoad) FileLoad {
	m := old
	m.Count = old.Count + later.Count
	m.FirstSeen = earliest(old.FirstSeen, later.FirstSeen)
	m.LastSeen = latest(old.LastSeen, later.LastSeen)
	m.Drift = old.Drift || later.Drift
	if m.Kind == "" {
		m.Kind = later.Kind
	}
	if len(m.PackagePURLs) == 0 {
		m.PackagePURLs = later.PackagePURLs
	}
	m.LoadedByPath = firstNonEmpty(m.LoadedByPath, later.LoadedByPath)
	m.Container.PodUID = firstNonEmpty(m.Container.PodUID, later.Container.PodUID)
	if m.Container.Runtime == "" {
		m.Container.Runtime = later.Container.Runtime
	}
	m.Container.CgroupPath = firstNonEmpty(m.Container.CgroupPath, later.Container.CgroupPath)
	m.UnresolvedReason = firstNonEmpty(m.UnresolvedReason, later.UnresolvedReason)
	return m
}

// Coalesce merges records of the same key within one batch, keeping the
// order of first appearance. Stores need it: one multi-row upsert cannot
// touch the same row twice.
func (b *Batch) Coalesce() {
	b.Processes = coalesce(b.Processes, (*Process).Key, MergeProcess)
	b.Files = coalesce(b.Files, (*FileLoad).Key, MergeFile)
}

func coalesce[T any, K comparable](in []T, key func(*T) K, merge func(T, T) T) []T {
	if len(in) < 2 {
		return in
	}
	at := make(map[K]int, len(in))
	out := in[:0:0]
	out = slices.Grow(out, len(in))
	for i := range in {
		k := key(&in[i])
		if j, ok := at[k]; ok {
			out[j] = merge(out[j], in[i])
			continue
		}
		at[k] = len(out)
		out = append(out, in[i])
	}
	return out
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
