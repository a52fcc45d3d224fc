package cgroup

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/runwatch/runwatch/agents/sensor/lru"
)

// Mounts are where the cgroup hierarchies the sensor reads are mounted.
type Mounts struct {
	// V2 is the cgroup2 mount (/sys/fs/cgroup on a v2 host,
	// /sys/fs/cgroup/unified on a hybrid one).
	V2 string
	// V1Memory is the v1 memory controller's mount, empty on a pure v2 host.
	// On a v1 or hybrid host containers are told apart only there.
	V1Memory string
}

// DiscoverMounts reads a mountinfo file (/proc/self/mountinfo).
func DiscoverMounts(mountinfo string) (Mounts, error) {
	f, err := os.Open(mountinfo)
	if err != nil {
		return Mounts{}, fmt.Errorf("discover cgroup mounts: %w", err)
	}
	defer f.Close()
	return parseMountinfo(f)
}

func parseMountinfo(r io.Reader) (Mounts, error) {
	var m Mounts
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// id parent major:minor root mountpoint options [optional...] - fstype source superoptions
		line := sc.Text()
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if len(pf) < 5 || len(qf) < 1 {
			continue
		}
		mountpoint := unescapeMount(pf[4])
		switch qf[0] {
		case "cgroup2":
			if m.V2 == "" {
				m.V2 = mountpoint
			}
		case "cgroup":
			if len(qf) >= 3 && m.V1Memory == "" {
				for _, opt := range strings.Split(qf[2], ",") {
					if opt == "memory" {
						m.V1Memory = mountpoint
					}
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return m, fmt.Errorf("read mountinfo: %w", err)
	}
	if m.V2 == "" && m.V1Memory == "" {
		return m, errors.New("no cgroup2 or cgroup v1 memory mount found")
	}
	return m, nil
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space, ...).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v byte
			ok := true
			for _, c := range s[i+1 : i+4] {
				if c < '0' || c > '7' {
					ok = false
					break
				}
				v = v*8 + byte(c-'0')
			}
			if ok {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// ErrNotFound is returned for a cgroup id that no longer exists (the
// cgroup was removed before it could be resolved).
var ErrNotFound = errors.New("cgroup not found")

// hierarchy resolves cgroup ids of one mounted hierarchy to their
// attribution. The cache holds the parsed Ref, not the path: an event from a
// known cgroup (nearly every event) costs a map lookup, no parsing.
type hierarchy struct {
	root string

	mu        sync.Mutex
	cache     *lru.Cache[uint64, Ref]
	lastWalk  time.Time
	handleErr error // set once open_by_handle_at is known not to work here
}

const fileIDKernfs = 0xfe // FILEID_KERNFS: a cgroup's file handle is its 64-bit id

func newHierarchy(root string, capacity int) *hierarchy {
	return &hierarchy{root: root, cache: lru.New[uint64, Ref](capacity)}
}

// resolve returns the attribution of the cgroup id: ParsePath of its path
// ("/kubepods/...").
func (h *hierarchy) resolve(id uint64) (Ref, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ref, ok := h.cache.Get(id); ok {
		return ref, nil
	}
	if h.handleErr == nil {
		p, err := h.byHandle(id)
		if err == nil {
			ref := ParsePath(p)
			h.cache.Add(id, ref)
			return ref, nil
		}
		if errors.Is(err, unix.ESTALE) || errors.Is(err, unix.ENOENT) {
			return Ref{}, fmt.Errorf("%w: id %d under %s", ErrNotFound, id, h.root)
		}
		// EPERM (no CAP_DAC_READ_SEARCH), EOPNOTSUPP (old kernel): walk instead.
		h.handleErr = err
	}
	return h.byWalk(id)
}

// byHandle opens the cgroup directory by its kernfs file handle, which is
// the id itself, and reads back its path: O(1) however many cgroups exist.
func (h *hierarchy) byHandle(id uint64) (string, error) {
	mfd, err := unix.Open(h.root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", h.root, err)
	}
	defer unix.Close(mfd)
	var raw [8]byte
	binary.NativeEndian.PutUint64(raw[:], id)
	fd, err := unix.OpenByHandleAt(mfd, unix.NewFileHandle(fileIDKernfs, raw[:]), unix.O_RDONLY|unix.O_PATH|unix.O_CLOEXEC)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	target, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	if err != nil {
		return "", fmt.Errorf("read cgroup path of id %d: %w", id, err)
	}
	rel, err := filepath.Rel(h.root, target)
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", fmt.Errorf("cgroup id %d resolved outside %s: %s", id, h.root, target)
	}
	return "/" + strings.TrimPrefix(filepath.ToSlash(rel), "."), nil
}

// byWalk finds id by walking the hierarchy and matching directory inode
// numbers (a cgroup id is its kernfs inode number). Every directory seen is
// cached; walks are at most one a second, so a burst of unknown ids costs
// one walk.
func (h *hierarchy) byWalk(id uint64) (Ref, error) {
	if time.Since(h.lastWalk) < time.Second {
		return Ref{}, fmt.Errorf("%w: id %d under %s (walked less than 1s ago)", ErrNotFound, id, h.root)
	}
	h.lastWalk = time.Now()
	var (
		found Ref
		seen  bool
	)
	err := filepath.WalkDir(h.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a cgroup removed during the walk
		}
		if !d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			return nil
		}
		rel, _ := filepath.Rel(h.root, p)
		ref := ParsePath("/" + strings.TrimPrefix(filepath.ToSlash(rel), "."))
		h.cache.Add(st.Ino, ref)
		if st.Ino == id {
			found, seen = ref, true
		}
		return nil
	})
	if err != nil {
		return Ref{}, fmt.Errorf("walk %s: %w", h.root, err)
	}
	if !seen {
		return Ref{}, fmt.Errorf("%w: id %d under %s", ErrNotFound, id, h.root)
	}
	return found, nil
}

// Attributor turns the cgroup ids the kernel reports into a Ref.
type Attributor struct {
	v2, v1 *hierarchy
}

// NewAttributor resolves against m, caching up to capacity paths per
// hierarchy.
func NewAttributor(m Mounts, capacity int) *Attributor {
	a := &Attributor{}
	if m.V2 != "" {
		a.v2 = newHierarchy(m.V2, capacity)
	}
	if m.V1Memory != "" {
		a.v1 = newHierarchy(m.V1Memory, capacity)
	}
	return a
}

// Attribute attributes an event by its v2 cgroup id and, on v1 and hybrid
// hosts, its memory controller cgroup id. A cgroup that is gone before it
// could be resolved yields KindUnknown with the reason in Path: it is
// never guessed to be the host.
func (a *Attributor) Attribute(v2ID, v1ID uint64) Ref {
	var v2err error
	if a.v2 != nil {
		ref, err := a.v2.resolve(v2ID)
		if err == nil && (ref.Kind != KindHost || a.v1 == nil || v1ID == 0) {
			return ref
		}
		v2err = err
	}
	if a.v1 != nil && v1ID != 0 {
		ref, err := a.v1.resolve(v1ID)
		if err == nil {
			return ref
		}
		return Ref{Kind: KindUnknown, Path: fmt.Sprintf("unresolved: memory cgroup %d: %v", v1ID, err)}
	}
	if v2err != nil {
		return Ref{Kind: KindUnknown, Path: fmt.Sprintf("unresolved: cgroup %d: %v", v2ID, v2err)}
	}
	return Ref{Kind: KindHost, Path: "/"}
}

// MountsUnder finds the hierarchies in a bind mount of a host's
// /sys/fs/cgroup (a DaemonSet's view of the node): a cgroup2 root, or the
// hybrid/legacy layout's unified/ and memory/ directories.
func MountsUnder(dir string) (Mounts, error) {
	if _, err := os.Stat(filepath.Join(dir, "cgroup.controllers")); err == nil {
		return Mounts{V2: dir}, nil
	}
	var m Mounts
	if _, err := os.Stat(filepath.Join(dir, "unified", "cgroup.controllers")); err == nil {
		m.V2 = filepath.Join(dir, "unified")
	}
	if _, err := os.Stat(filepath.Join(dir, "memory", "cgroup.procs")); err == nil {
		m.V1Memory = filepath.Join(dir, "memory")
	}
	if m.V2 == "" && m.V1Memory == "" {
		return m, fmt.Errorf("no cgroup hierarchy found under %s", dir)
	}
	return m, nil
}
