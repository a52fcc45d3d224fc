package content

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func identityOf(t *testing.T, p string) Identity {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		t.Fatal(err)
	}
	return Identity{Dev: 1, Ino: st.Ino, Size: uint64(st.Size), MtimeSec: st.Mtim.Sec, MtimeNsec: uint32(st.Mtim.Nsec)}
}

func TestHashOnceByIdentity(t *testing.T) {
	root := t.TempDir()
	data := []byte("#!/bin/sh\necho hello\n")
	if err := os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, "usr/bin/hello")
	if err := os.WriteFile(p, data, 0o755); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(data)
	h := NewHasher(8, 1<<20)
	id := identityOf(t, p)
	for range 3 {
		sum, reason := h.Hash([]string{root}, "/usr/bin/hello", id)
		if sum != hex.EncodeToString(want[:]) || reason != "" {
			t.Fatalf("sum %q reason %q", sum, reason)
		}
	}
	hits, misses, size := h.Stats()
	if misses != 1 || hits != 2 || size != 1 {
		t.Errorf("hits %d misses %d size %d: want the file read once", hits, misses, size)
	}
}

func TestHashFailuresAreExplained(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "bin")
	if err := os.WriteFile(p, []byte("one"), 0o755); err != nil {
		t.Fatal(err)
	}
	id := identityOf(t, p)
	h := NewHasher(8, 1<<20)

	// Replaced after the load: same path, other content and mtime.
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("other content"), 0o755); err != nil {
		t.Fatal(err)
	}
	if sum, reason := h.Hash([]string{root}, "/bin", id); sum != "" || reason != ReasonReplaced {
		t.Errorf("replaced: sum %q reason %q", sum, reason)
	}
	// Deleted, and a root that no longer exists (the process exited).
	if sum, reason := h.Hash([]string{root + "/gone-root", root}, "/missing", id); sum != "" || reason != ReasonGone {
		t.Errorf("gone: sum %q reason %q", sum, reason)
	}
	// Too large.
	big := id
	big.Size = 10 << 20
	if _, reason := h.Hash([]string{root}, "/bin", big); !strings.HasPrefix(reason, ReasonTooLarge) {
		t.Errorf("too large: %q", reason)
	}
	// Not a regular file.
	if err := os.Mkdir(filepath.Join(root, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, reason := h.Hash([]string{root}, "/dir", identityOf(t, filepath.Join(root, "dir"))); reason != ReasonNotFile {
		t.Errorf("directory: %q", reason)
	}
}

func TestSymlinksStayInsideTheRoot(t *testing.T) {
	root := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("host file"), 0o644); err != nil {
		t.Fatal(err)
	}
	// An absolute symlink inside the "container" pointing at the host path.
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	id := identityOf(t, outside)
	h := NewHasher(8, 1<<20)
	if sum, reason := h.Hash([]string{root}, "/link", id); sum != "" {
		t.Errorf("followed a symlink out of the root: sum %q reason %q", sum, reason)
	}
}

func TestChangedWhileHashing(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "f")
	if err := os.WriteFile(p, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	id := identityOf(t, p)
	// Same size, different mtime: what a rewrite in place looks like.
	later := time.Unix(id.MtimeSec+10, 0)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	if sum, reason := NewHasher(8, 1<<20).Hash([]string{root}, "/f", id); sum != "" || reason != ReasonReplaced {
		t.Errorf("sum %q reason %q", sum, reason)
	}
}
