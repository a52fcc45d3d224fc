package cgroup

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/runwatch/runwatch/agents/internal/sensortest/privtest"
)

func TestParseMountinfo(t *testing.T) {
	hybrid := `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
garbage line
`
	m, err := parseMountinfo(strings.NewReader(hybrid))
	if err != nil {
		t.Fatal(err)
	}
	if m.V2 != "/sys/fs/cgroup/unified" || m.V1Memory != "/sys/fs/cgroup/memory" {
		t.Errorf("hybrid: %+v", m)
	}
	v2only := "30 23 0:27 / /host/sys/fs\\040cgroup rw shared:9 - cgroup2 cgroup2 rw,nsdelegate\n"
	m, err = parseMountinfo(strings.NewReader(v2only))
	if err != nil {
		t.Fatal(err)
	}
	if m.V2 != "/host/sys/fs cgroup" || m.V1Memory != "" {
		t.Errorf("v2: %+v", m)
	}
	if _, err := parseMountinfo(strings.NewReader("1 2 0:1 / / rw - ext4 /dev/vda rw\n")); err == nil {
		t.Error("no cgroup mounts: want an error")
	}
}

// makeCgroup creates a Kubernetes-shaped cgroup under root and returns its
// id (the directory's inode number) and path relative to root.
func makeCgroup(t testing.TB, root, rel string) uint64 {
	t.Helper()
	dir := filepath.Join(root, rel)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Remove leaf first; cgroup directories are removed with rmdir.
		for p := dir; p != root && p != "/"; p = filepath.Dir(p) {
			if err := syscall.Rmdir(p); err != nil {
				break
			}
		}
	})
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func TestAttributeRealCgroups(t *testing.T) {
	privtest.RequireBPF(t)
	m, err := DiscoverMounts("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if m.V2 == "" {
		t.Fatal("no cgroup2 mount")
	}
	const id = "89abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234567"
	uid := "4b7e2a10-5c3d-4e6f-9a8b-7c6d5e4f3a2b"
	rel := fmt.Sprintf("kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod%s.slice/cri-containerd-%s.scope",
		strings.ReplaceAll(uid, "-", "_"), id)
	cgid := makeCgroup(t, m.V2, rel)

	for _, byWalk := range []bool{false, true} {
		a := NewAttributor(m, 16)
		if byWalk {
			a.v2.handleErr = fmt.Errorf("pretend open_by_handle_at is refused")
		}
		ref := a.Attribute(cgid, 0)
		if ref.Kind != KindContainer || ref.ContainerID != id || ref.PodUID != uid || ref.Runtime != RuntimeContainerd {
			t.Errorf("walk=%v: %+v", byWalk, ref)
		}
		if ref.Path != "/"+rel {
			t.Errorf("walk=%v: path %q", byWalk, ref.Path)
		}
	}

	// A removed cgroup is reported unresolved, not as the host.
	goneRel := "kubepods/besteffort/pod" + uid + "/" + strings.Repeat("e", 64)
	gone := makeCgroup(t, m.V2, goneRel)
	if err := syscall.Rmdir(filepath.Join(m.V2, goneRel)); err != nil {
		t.Fatal(err)
	}
	ref := NewAttributor(m, 16).Attribute(gone, 0)
	if ref.Kind != KindUnknown || !strings.Contains(ref.Path, "unresolved") {
		t.Errorf("removed cgroup: %+v", ref)
	}
}

func TestAttributeCgroupV1(t *testing.T) {
	privtest.RequireBPF(t)
	m, err := DiscoverMounts("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if m.V1Memory == "" {
		t.Skip("this host has no cgroup v1 memory hierarchy (pure cgroup v2)")
	}
	const id = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	v1 := makeCgroup(t, m.V1Memory, "docker/"+id)
	// On a hybrid host the v2 id of a v1-only container is the v2 root's.
	var st syscall.Stat_t
	if err := syscall.Stat(m.V2, &st); err != nil {
		t.Fatal(err)
	}
	ref := NewAttributor(m, 16).Attribute(st.Ino, v1)
	if ref.Kind != KindContainer || ref.ContainerID != id || ref.Runtime != RuntimeDocker {
		t.Errorf("v1 docker: %+v", ref)
	}
}

func TestMountsUnder(t *testing.T) {
	v2 := t.TempDir()
	os.WriteFile(filepath.Join(v2, "cgroup.controllers"), nil, 0o644)
	if m, err := MountsUnder(v2); err != nil || m.V2 != v2 || m.V1Memory != "" {
		t.Errorf("v2: %+v %v", m, err)
	}
	hybrid := t.TempDir()
	os.MkdirAll(filepath.Join(hybrid, "unified"), 0o755)
	os.MkdirAll(filepath.Join(hybrid, "memory"), 0o755)
	os.WriteFile(filepath.Join(hybrid, "unified", "cgroup.controllers"), nil, 0o644)
	os.WriteFile(filepath.Join(hybrid, "memory", "cgroup.procs"), nil, 0o644)
	if m, err := MountsUnder(hybrid); err != nil || m.V2 != filepath.Join(hybrid, "unified") || m.V1Memory != filepath.Join(hybrid, "memory") {
		t.Errorf("hybrid: %+v %v", m, err)
	}
	if _, err := MountsUnder(t.TempDir()); err == nil {
		t.Error("empty dir: want an error")
	}
}

// BenchmarkAttributeCached is the sensor's per-event cost of attribution:
// an event from a container whose cgroup was resolved before.
func BenchmarkAttributeCached(b *testing.B) {
	privtest.RequireBPF(b)
	m, err := DiscoverMounts("/proc/self/mountinfo")
	if err != nil || m.V2 == "" {
		b.Fatalf("no cgroup2 mount: %v", err)
	}
	const id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	rel := "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod4b7e2a10_5c3d_4e6f_9a8b_7c6d5e4f3a2b.slice/cri-containerd-" + id + ".scope"
	cgid := makeCgroup(b, m.V2, rel)
	a := NewAttributor(m, 16)
	if ref := a.Attribute(cgid, 0); ref.ContainerID != id {
		b.Fatalf("attributed %+v", ref)
	}
	b.ReportAllocs()
	for b.Loop() {
		a.Attribute(cgid, 0)
	}
}
