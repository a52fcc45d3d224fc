package runtime

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/runwatch/runwatch/domain"
)

var (
	t0  = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	cid = strings.Repeat("c", 64)
	sha = strings.Repeat("5", 64)
)

func TestMergeProcess(t *testing.T) {
	full := Process{
		Container:      ContainerRef{ContainerID: cid, PodUID: "pod-1", Runtime: RuntimeContainerd},
		ExecutablePath: "/usr/bin/curl", SHA256: sha, Argv: []string{"curl", "-s"}, UID: 1000, PID: 42, ParentPID: 7,
		ParentExecutablePath: "/bin/sh", Comm: "curl", FirstSeen: t0, LastSeen: t0.Add(time.Minute), Count: 3,
		PackagePURLs: []string{"pkg:deb/debian/curl@7.88.1"},
	}
	countersOnly := Process{
		Container:      ContainerRef{ContainerID: cid, Runtime: RuntimeContainerd},
		ExecutablePath: "/usr/bin/curl", SHA256: sha, FirstSeen: t0.Add(2 * time.Minute), LastSeen: t0.Add(5 * time.Minute), Count: 2,
	}
	tests := []struct {
		name       string
		old, later Process
		check      func(t *testing.T, m Process)
	}{
		{"counters add up and details stay", full, countersOnly, func(t *testing.T, m Process) {
			if m.Count != 5 {
				t.Errorf("Count = %d, want 5", m.Count)
			}
			if !m.FirstSeen.Equal(t0) || !m.LastSeen.Equal(t0.Add(5*time.Minute)) {
				t.Errorf("seen = %v..%v", m.FirstSeen, m.LastSeen)
			}
			if !reflect.DeepEqual(m.Argv, full.Argv) || m.UID != 1000 || m.Comm != "curl" || m.Container.PodUID != "pod-1" {
				t.Errorf("details lost: %+v", m)
			}
		}},
		{"details missing so far are filled in", countersOnly, full, func(t *testing.T, m Process) {
			if !reflect.DeepEqual(m.Argv, full.Argv) || m.PID != 42 || m.ParentPID != 7 || len(m.PackagePURLs) != 1 || m.Container.PodUID != "pod-1" {
				t.Errorf("details not filled in: %+v", m)
			}
			if !m.FirstSeen.Equal(t0) {
				t.Errorf("FirstSeen = %v, want the earlier %v", m.FirstSeen, t0)
			}
		}},
		{"an out-of-order older report keeps the newest last seen", Process{FirstSeen: t0.Add(time.Hour), LastSeen: t0.Add(2 * time.Hour), Count: 1},
			Process{FirstSeen: t0, LastSeen: t0.Add(time.Minute), Count: 1}, func(t *testing.T, m Process) {
				if !m.FirstSeen.Equal(t0) || !m.LastSeen.Equal(t0.Add(2*time.Hour)) {
					t.Errorf("seen = %v..%v", m.FirstSeen, m.LastSeen)
				}
			}},
		{"root's uid 0 is a detail, not a gap", Process{Comm: "sh", UID: 0, PID: 5, Count: 1}, Process{Comm: "sh", UID: 1000, PID: 9, Count: 1}, func(t *testing.T, m Process) {
			if m.UID != 0 || m.PID != 5 {
				t.Errorf("UID = %d, PID = %d; want root's first sighting", m.UID, m.PID)
			}
		}},
		{"drift once seen stays", Process{Drift: true, Count: 1}, Process{Count: 1}, func(t *testing.T, m Process) {
			if !m.Drift {
				t.Error("drift was lost")
			}
		}},
		{"drift reported later is kept", Process{Count: 1}, Process{Drift: true, Count: 1}, func(t *testing.T, m Process) {
			if !m.Drift {
				t.Error("drift was not taken")
			}
		}},
		{"a different sighting later does not replace the first", full, Process{Argv: []string{"curl", "--other"}, UID: 0, Comm: "curl", Count: 1}, func(t *testing.T, m Process) {
			if m.Argv[1] != "-s" || m.UID != 1000 {
				t.Errorf("Argv = %q, UID = %d; want the first sighting's", m.Argv, m.UID)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, MergeProcess(tt.old, tt.later)) })
	}
}

func TestMergeFile(t *testing.T) {
	a := FileLoad{Path: "/lib/libc.so.6", Kind: FileSharedLibrary, LoadedByPath: "/usr/bin/curl", FirstSeen: t0, LastSeen: t0, Count: 1}
	b := FileLoad{Path: "/lib/libc.so.6", PackagePURLs: []string{"pkg:deb/debian/libc6@2.36"}, FirstSeen: t0.Add(time.Second), LastSeen: t0.Add(time.Hour), Count: 9, Drift: true}
	m := MergeFile(a, b)
	if m.Count != 10 || !m.LastSeen.Equal(t0.Add(time.Hour)) || !m.FirstSeen.Equal(t0) {
		t.Errorf("counters: %+v", m)
	}
	if m.Kind != FileSharedLibrary || m.LoadedByPath != "/usr/bin/curl" || len(m.PackagePURLs) != 1 || !m.Drift {
		t.Errorf("details: %+v", m)
	}
}

func TestCoalesce(t *testing.T) {
	p := func(path string, n uint64, at time.Duration) Process {
		return Process{Container: ContainerRef{ContainerID: cid, Runtime: RuntimeContainerd}, ExecutablePath: path, Count: n, FirstSeen: t0.Add(at), LastSeen: t0.Add(at)}
	}
	b := Batch{Processes: []Process{p("/a", 1, 0), p("/b", 2, time.Second), p("/a", 3, time.Minute), p("/c", 1, 0), p("/b", 1, time.Hour)}}
	b.Coalesce()
	var got []string
	for _, r := range b.Processes {
		got = append(got, r.ExecutablePath+":"+string(rune('0'+r.Count)))
	}
	if want := []string{"/a:4", "/b:3", "/c:1"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("coalesced = %v, want %v", got, want)
	}
	if !b.Processes[1].LastSeen.Equal(t0.Add(time.Hour)) {
		t.Errorf("LastSeen of /b = %v", b.Processes[1].LastSeen)
	}
	// A host process and a container process of the same path stay apart.
	b = Batch{Processes: []Process{p("/a", 1, 0), {Container: ContainerRef{Runtime: RuntimeHost}, ExecutablePath: "/a", Count: 1}}}
	b.Coalesce()
	if len(b.Processes) != 2 {
		t.Errorf("host and container records merged: %+v", b.Processes)
	}
}

func TestNormalize(t *testing.T) {
	valid := func() Batch {
		return Batch{ID: "batch-0001", NodeName: "node-1",
			Processes: []Process{{Container: ContainerRef{ContainerID: cid, Runtime: RuntimeContainerd}, ExecutablePath: "/bin/sh", SHA256: sha}},
			Files:     []FileLoad{{Container: ContainerRef{Runtime: RuntimeHost}, Path: "/lib/x.so", Kind: FileSharedLibrary}},
		}
	}
	tests := []struct {
		name    string
		mutate  func(b *Batch)
		wantErr string
	}{
		{"valid", func(b *Batch) {}, ""},
		{"no node", func(b *Batch) { b.NodeName = "" }, "node_name is required"},
		{"relative path", func(b *Batch) { b.Processes[0].ExecutablePath = "bin/sh" }, "not absolute"},
		{"path too long", func(b *Batch) { b.Processes[0].ExecutablePath = "/" + strings.Repeat("a", 5000) }, "at most 4096"},
		{"binary path", func(b *Batch) { b.Processes[0].ExecutablePath = "/bin/\xff" }, "not UTF-8"},
		{"bad sha", func(b *Batch) { b.Processes[0].SHA256 = "abc" }, "not 64 lowercase hex"},
		{"unspecified runtime", func(b *Batch) { b.Processes[0].Container.Runtime = "" }, "unspecified"},
		{"unknown runtime", func(b *Batch) { b.Processes[0].Container.Runtime = "lxc" }, "unknown container runtime"},
		{"host with container id", func(b *Batch) { b.Files[0].Container.ContainerID = cid }, "host process has no container id"},
		{"absurd count", func(b *Batch) { b.Processes[0].Count = 1 << 62 }, "absurd"},
		{"future clock", func(b *Batch) { b.Processes[0].LastSeen = t0.Add(3 * time.Hour) }, "ahead of the platform's clock"},
		{"ancient", func(b *Batch) { b.Processes[0].FirstSeen = time.Unix(5, 0); b.Processes[0].LastSeen = time.Unix(6, 0) }, "before 2000"},
		{"too many args", func(b *Batch) { b.Processes[0].Argv = make([]string, 300) }, "arguments, at most"},
		{"binary arg", func(b *Batch) { b.Processes[0].Argv = []string{"\xfe"} }, "not UTF-8"},
		{"bad purl", func(b *Batch) { b.Processes[0].PackagePURLs = []string{"deb/curl"} }, "is not pkg:"},
		{"unknown file kind", func(b *Batch) { b.Files[0].Kind = "font" }, "unknown file kind"},
		{"too many records", func(b *Batch) { b.Files = make([]FileLoad, 20000) }, "records, at most"},
		{"a bad record among good ones goes alone", func(b *Batch) {
			b.Processes = append(b.Processes, b.Processes[0], b.Processes[0])
			b.Processes[1].ExecutablePath = "relative"
		}, "not absolute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := valid()
			tt.mutate(&b)
			before := b.Records()
			rejected, err := b.Normalize(DefaultLimits, t0)
			if tt.wantErr == "" {
				if err != nil || len(rejected) > 0 {
					t.Fatal(err, rejected)
				}
				return
			}
			switch {
			case err != nil:
				if !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, domain.ErrInvalid) {
					t.Fatalf("Normalize = %v, want ErrInvalid containing %q", err, tt.wantErr)
				}
			case len(rejected) == 1:
				if !strings.Contains(rejected[0].Reason, tt.wantErr) || b.Records() != before-1 {
					t.Fatalf("rejected %+v with %d of %d records left, want %q", rejected, b.Records(), before, tt.wantErr)
				}
			default:
				t.Fatalf("Normalize = %v, %v; want %q", err, rejected, tt.wantErr)
			}
		})
	}
}

func TestNormalizeFillsDefaults(t *testing.T) {
	b := Batch{ID: "batch-0001", NodeName: "n", Processes: []Process{{Container: ContainerRef{Runtime: RuntimeHost}, ExecutablePath: "/bin/true"}}}
	if _, err := b.Normalize(DefaultLimits, t0); err != nil {
		t.Fatal(err)
	}
	p := b.Processes[0]
	if p.Count != 1 || !p.LastSeen.Equal(t0) || !p.FirstSeen.Equal(t0) {
		t.Errorf("defaults not filled: %+v", p)
	}
	// first_seen after last_seen is pulled back to last_seen.
	b.Processes[0].FirstSeen, b.Processes[0].LastSeen = t0, t0.Add(-time.Minute)
	if _, err := b.Normalize(DefaultLimits, t0); err != nil {
		t.Fatal(err)
	}
	if !b.Processes[0].FirstSeen.Equal(t0.Add(-time.Minute)) {
		t.Errorf("FirstSeen = %v", b.Processes[0].FirstSeen)
	}
}
