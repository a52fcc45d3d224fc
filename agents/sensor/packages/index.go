// Package packages names the package a loaded file belongs to, as package
// URLs: it indexes the OS package databases of each root file system the
// sensor sees (dpkg, its distroless status.d, apk) and inspects Go binaries
// and jars, with the readers of domain/pkgid. Every database is read from
// inside the container's root: a corrupt one yields a reason, never a
// crash or a wrong answer.
package packages

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/runwatch/runwatch/agents/sensor/content"
	"github.com/runwatch/runwatch/agents/sensor/lru"
	"github.com/runwatch/runwatch/domain/pkgid"
	"github.com/runwatch/runwatch/domain/vuln"
)

// Bounds of what one root's databases may make the sensor hold.
const (
	maxIndexedPaths = 500000
	maxStatusFiles  = 50000
	// maxPomFiles bounds the pom.properties a (shaded) jar may make the
	// sensor read.
	maxPomFiles = 2000
)

func purlStrings(ps []vuln.PURL) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// Index maps file paths to the OS packages that own them, for one root
// file system (a container's, or the host's).
type Index struct {
	OS pkgid.OSRelease
	// Databases names the databases found ("dpkg", "dpkg-status.d", "apk").
	Databases []string
	// Problems says what could not be read; lookups still use what could.
	Problems []string
	// owners maps a path to an index in purls: a full image holds ~100k
	// paths, so each costs one map entry and no slice. A path owned by more
	// than one package (rare: diversions, shared directories) keeps the
	// others in extra.
	owners map[string]uint32
	extra  map[string][]uint32
	purls  []string
}

// LoadIndex reads the package databases under root. Everything is read
// with the root as "/", so a container's symlinks cannot point the sensor at
// the host's files.
func LoadIndex(root string) *Index {
	ix := &Index{owners: make(map[string]uint32)}
	if f, err := content.OpenInRoot(root, "/etc/os-release"); err == nil {
		ix.OS = pkgid.ParseOSRelease(f)
		f.Close()
	} else if f, err := content.OpenInRoot(root, "/usr/lib/os-release"); err == nil {
		ix.OS = pkgid.ParseOSRelease(f)
		f.Close()
	}
	ix.loadDpkg(root)
	ix.loadDpkgStatusD(root)
	ix.loadApk(root)
	return ix
}

func (ix *Index) problem(format string, args ...any) {
	if len(ix.Problems) < 20 {
		ix.Problems = append(ix.Problems, fmt.Sprintf(format, args...))
	}
}

func (ix *Index) add(paths []string, purl string) {
	id := uint32(len(ix.purls))
	ix.purls = append(ix.purls, purl)
	for _, p := range paths {
		if len(ix.owners) >= maxIndexedPaths {
			ix.problem("index full at %d paths", maxIndexedPaths)
			return
		}
		if prev, ok := ix.owners[p]; ok {
			if prev == id || slices.Contains(ix.extra[p], id) {
				continue
			}
			if ix.extra == nil {
				ix.extra = make(map[string][]uint32)
			}
			ix.extra[p] = append(ix.extra[p], id)
			continue
		}
		ix.owners[p] = id
	}
}

func (ix *Index) lookup(p string) []string {
	id, ok := ix.owners[p]
	if !ok {
		return nil
	}
	out := []string{ix.purls[id]}
	for _, e := range ix.extra[p] {
		out = append(out, ix.purls[e])
	}
	return out
}

func (ix *Index) loadDpkg(root string) {
	f, err := content.OpenInRoot(root, "/var/lib/dpkg/status")
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			ix.problem("dpkg status: %v", err)
		}
		return
	}
	pkgs, err := pkgid.ParseDpkgStatus(f)
	f.Close()
	ix.Databases = append(ix.Databases, "dpkg")
	if err != nil {
		ix.problem("dpkg status is corrupt: %v", err)
	}
	for _, p := range pkgs {
		purl := p.PURL(ix.OS).String()
		// Multi-arch packages list their files in <name>:<arch>.list.
		for _, name := range []string{p.Name + ":" + p.Architecture + ".list", p.Name + ".list"} {
			lf, err := content.OpenInRoot(root, "/var/lib/dpkg/info/"+name)
			if err != nil {
				continue
			}
			paths, err := pkgid.ParseDpkgList(lf, false)
			lf.Close()
			if err != nil {
				ix.problem("dpkg %s: %v", name, err)
			}
			ix.add(paths, purl)
			break
		}
	}
}

// loadDpkgStatusD reads the per-package status files distroless images use
// (var/lib/dpkg/status.d/<name>, with <name>.md5sums listing the files).
func (ix *Index) loadDpkgStatusD(root string) {
	dir, err := content.OpenInRoot(root, "/var/lib/dpkg/status.d")
	if err != nil {
		return
	}
	names, err := dir.Readdirnames(maxStatusFiles)
	dir.Close()
	if err != nil && !errors.Is(err, io.EOF) {
		ix.problem("dpkg status.d: %v", err)
		return
	}
	ix.Databases = append(ix.Databases, "dpkg-status.d")
	sort.Strings(names)
	for _, n := range names {
		if strings.Contains(n, ".") {
			continue // .md5sums and friends are read beside their package
		}
		f, err := content.OpenInRoot(root, "/var/lib/dpkg/status.d/"+n)
		if err != nil {
			continue
		}
		pkgs, err := pkgid.ParseDpkgStatus(f)
		f.Close()
		if err != nil {
			ix.problem("dpkg status.d/%s is corrupt: %v", n, err)
		}
		for _, p := range pkgs {
			purl := p.PURL(ix.OS).String()
			mf, err := content.OpenInRoot(root, "/var/lib/dpkg/status.d/"+n+".md5sums")
			if err != nil {
				continue
			}
			paths, err := pkgid.ParseDpkgList(mf, true)
			mf.Close()
			if err != nil {
				ix.problem("dpkg status.d/%s.md5sums: %v", n, err)
			}
			ix.add(paths, purl)
		}
	}
}

func (ix *Index) loadApk(root string) {
	f, err := content.OpenInRoot(root, "/lib/apk/db/installed")
	if err != nil {
		return
	}
	pkgs, err := pkgid.ParseApkInstalled(f)
	f.Close()
	ix.Databases = append(ix.Databases, "apk")
	if err != nil {
		ix.problem("apk installed database is corrupt: %v", err)
	}
	for _, p := range pkgs {
		ix.add(p.Files, p.PURL(ix.OS).String())
	}
}

// Owners returns the purls of the packages owning p. With merged /usr, the
// database may list /bin/x for what the kernel resolved as /usr/bin/x, so
// both spellings are tried.
func (ix *Index) Owners(p string) []string {
	p = path.Clean(p)
	if o := ix.lookup(p); len(o) > 0 {
		return o
	}
	if rest, ok := strings.CutPrefix(p, "/usr"); ok && strings.HasPrefix(rest, "/") {
		return ix.lookup(rest)
	}
	return ix.lookup("/usr" + p)
}

// Len is the number of paths indexed.
func (ix *Index) Len() int { return len(ix.owners) }

// FileKind is what Identifier.Identify should look into a file for.
type FileKind int

const (
	KindExecutable FileKind = iota
	KindSharedLibrary
	KindJar
	KindOther
)

// Identifier caches package indexes per root file system, known by the
// identity (device, inode) of its root directory: each container's overlay
// mount is its own, and every host process shares the host's. It also
// caches the purls found inside files per content hash.
type Identifier struct {
	mu      sync.Mutex
	indexes *lru.Cache[rootID, *Index]
	inside  *lru.Cache[string, []string]
}

// NewIdentifier keeps up to roots indexes and files per-content results.
func NewIdentifier(roots, files int) *Identifier {
	return &Identifier{indexes: lru.New[rootID, *Index](roots), inside: lru.New[string, []string](files)}
}

// Identify returns the purls for the file at p (inside the first of roots
// that can be opened), whose content hash is sha. open opens the verified
// file when its content must be inspected. reason is set when a database
// could not be read.
func (id *Identifier) Identify(roots []string, p, sha string, kind FileKind, open func() (*os.File, string)) (purls []string, reason string) {
	ix := id.index(roots)
	if ix != nil {
		purls = append(purls, ix.Owners(p)...)
		if len(ix.Problems) > 0 {
			reason = strings.Join(ix.Problems, "; ")
		}
	}
	if sha == "" || kind == KindOther {
		return purls, reason
	}
	id.mu.Lock()
	found, ok := id.inside.Get(sha)
	id.mu.Unlock()
	if !ok {
		found = inspect(kind, open)
		id.mu.Lock()
		id.inside.Add(sha, found)
		id.mu.Unlock()
	}
	return append(purls, found...), reason
}

func inspect(kind FileKind, open func() (*os.File, string)) []string {
	f, _ := open()
	if f == nil {
		return nil
	}
	defer f.Close()
	switch kind {
	case KindExecutable, KindSharedLibrary:
		var magic [4]byte
		if _, err := f.ReadAt(magic[:], 0); err != nil || string(magic[:]) != "\x7fELF" {
			return nil
		}
		mods, err := pkgid.GoModules(f)
		if err != nil {
			return nil // not a Go binary
		}
		return purlStrings(mods)
	case KindJar:
		st, err := f.Stat()
		if err != nil {
			return nil
		}
		// Nested jars are not opened: what the JVM loads from them comes as
		// loads of their own when they are extracted.
		arts, err := pkgid.JarArtifacts(f, st.Size(), pkgid.JarLimits{MaxPoms: maxPomFiles})
		if err != nil {
			return nil
		}
		out := make([]string, 0, len(arts))
		for _, a := range arts {
			out = append(out, a.PURL().String())
		}
		return out
	}
	return nil
}

type rootID struct{ dev, ino uint64 }

func (id *Identifier) index(roots []string) *Index {
	// The first root that can be opened: a process may have exited since,
	// or be out of reach (another user namespace).
	var (
		root string
		key  rootID
	)
	for _, r := range roots {
		// One stat: /proc/<pid>/root and /proc/self/fd/<n> are links the
		// kernel resolves to the process's (or pinned) root directory.
		var st unix.Stat_t
		if unix.Stat(r, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
			root, key = r, rootID{uint64(st.Dev), st.Ino}
			break
		}
	}
	if root == "" {
		return nil
	}
	id.mu.Lock()
	ix, ok := id.indexes.Get(key)
	id.mu.Unlock()
	if ok {
		return ix
	}
	// Loaded outside the lock: a large dpkg database takes a while. Two
	// loads of the same root at once are harmless.
	ix = LoadIndex(root)
	id.mu.Lock()
	id.indexes.Add(key, ix)
	id.mu.Unlock()
	return ix
}
