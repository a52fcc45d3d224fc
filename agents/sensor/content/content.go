// Package content hashes the files processes execute and load. A file is
// read through the loading process's own root (/proc/<pid>/root), checked
// against the identity the kernel reported, and hashed at most once per
// identity: the cache is keyed by (device, inode, size, mtime).
package content

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/runwatch/runwatch/agents/sensor/lru"
)

// Identity is a file's identity as the kernel saw it when it was loaded.
type Identity struct {
	Dev       uint32 // kernel dev_t (major<<20 | minor)
	Ino       uint64
	Size      uint64
	MtimeSec  int64
	MtimeNsec uint32
	// Overlay says the kernel saw the file on overlayfs, whose inode numbers
	// seen from user space may be the underlying layer's; then only size and
	// mtime are compared.
	Overlay bool
}

// Reasons a file could not be hashed. They end up in the records'
// unresolved_reason, so they are written for a person.
const (
	ReasonGone     = "file no longer reachable (deleted, or the process and its container exited) before it could be read"
	ReasonReplaced = "file was replaced before it could be read (identity differs from the loaded one)"
	ReasonChanged  = "file changed while it was being hashed"
	ReasonTooLarge = "file larger than the hashing limit"
	ReasonNotFile  = "not a regular file"
)

// Hasher hashes files, with a bounded cache by identity.
type Hasher struct {
	maxSize int64

	mu     sync.Mutex
	cache  *lru.Cache[Identity, string]
	hits   uint64
	misses uint64
}

// NewHasher caches up to capacity hashes and refuses files larger than
// maxSize bytes.
func NewHasher(capacity int, maxSize int64) *Hasher {
	return &Hasher{maxSize: maxSize, cache: lru.New[Identity, string](capacity)}
}

// Stats are the cache counters.
func (h *Hasher) Stats() (hits, misses uint64, size int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hits, h.misses, h.cache.Len()
}

// Cached returns the hash of id without touching the file system.
func (h *Hasher) Cached(id Identity) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	sum, ok := h.cache.Get(id)
	if ok {
		h.hits++
	}
	return sum, ok
}

// Hash returns the hex sha256 of the file at p (absolute, inside the
// process's root), trying each root in turn (the process's own, then
// another live process's of the same container). On failure sha is empty
// and reason says why.
func (h *Hasher) Hash(roots []string, p string, id Identity) (sha, reason string) {
	if sum, ok := h.Cached(id); ok {
		return sum, ""
	}
	if id.Size > uint64(h.maxSize) {
		return "", fmt.Sprintf("%s (%d > %d bytes)", ReasonTooLarge, id.Size, h.maxSize)
	}
	f, reason := Open(roots, p, id)
	if f == nil {
		return "", reason
	}
	defer f.Close()
	d := sha256.New()
	n, err := io.Copy(d, io.LimitReader(f, h.maxSize+1))
	if err != nil {
		return "", fmt.Sprintf("read failed: %v", err)
	}
	if n > h.maxSize {
		return "", ReasonTooLarge
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil || !sameContent(&st, id) || uint64(n) != id.Size {
		return "", ReasonChanged
	}
	sum := hex.EncodeToString(d.Sum(nil))
	h.mu.Lock()
	h.misses++
	h.cache.Add(id, sum)
	h.mu.Unlock()
	return sum, ""
}

// Open opens p inside the first root where it is the file the kernel
// reported. The path is resolved with RESOLVE_IN_ROOT, so symlinks inside
// a container cannot lead the sensor to a host file.
func Open(roots []string, p string, id Identity) (*os.File, string) {
	reason := ReasonGone
	for _, root := range roots {
		f, err := openInRoot(root, p)
		if err != nil {
			if !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ESRCH) {
				reason = fmt.Sprintf("cannot open: %v", err)
			}
			continue
		}
		var st unix.Stat_t
		if err := unix.Fstat(int(f.Fd()), &st); err != nil {
			f.Close()
			reason = fmt.Sprintf("cannot stat: %v", err)
			continue
		}
		if st.Mode&unix.S_IFMT != unix.S_IFREG {
			f.Close()
			return nil, ReasonNotFile
		}
		if !sameContent(&st, id) || (!id.Overlay && st.Ino != id.Ino) {
			f.Close()
			reason = ReasonReplaced
			continue
		}
		return f, ""
	}
	return nil, reason
}

func sameContent(st *unix.Stat_t, id Identity) bool {
	return uint64(st.Size) == id.Size && st.Mtim.Sec == id.MtimeSec && uint32(st.Mtim.Nsec) == id.MtimeNsec
}

// OpenInRoot opens p (absolute, inside root) for reading, resolving it as
// if root were "/": absolute symlinks and ".." stay inside root.
func OpenInRoot(root, p string) (*os.File, error) { return openInRoot(root, p) }

func openInRoot(root, p string) (*os.File, error) {
	dir, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dir)
	rel := strings.TrimPrefix(path.Clean("/"+p), "/")
	if rel == "" {
		rel = "."
	}
	fd, err := unix.Openat2(dir, rel, &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOCTTY | unix.O_NONBLOCK,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if errors.Is(err, unix.ENOSYS) { // before Linux 5.6
		fd, err = unix.Openat(dir, rel, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	}
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), path.Join(root, rel)), nil
}
