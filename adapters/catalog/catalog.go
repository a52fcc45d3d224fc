// Package catalog lists what an image contains from its layers, without
// unpacking them to disk: dpkg and apk databases, Go binaries' build
// information and Java archives' Maven metadata, with the paths and
// sha256 of the files each component owns.
//
// Layers are untrusted input. Entry names are normalised and names that
// climb out of the root are refused (nothing is ever written where a name
// says); whiteouts are applied as a container runtime would; and every
// read is bounded, so an archive bomb stops with an error instead of
// filling memory or disk.
package catalog

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/runwatch/runwatch/domain/pkgid"
	"github.com/runwatch/runwatch/domain/risk"
	"github.com/runwatch/runwatch/domain/vuln"
	"github.com/runwatch/runwatch/ports"
)

// Limits bound what cataloguing an image may read.
type Limits struct {
	// MaxImageBytes bounds the uncompressed bytes of all layers.
	MaxImageBytes int64
	// MaxEntries bounds the tar entries of all layers.
	MaxEntries int
	// MaxMetadataBytes bounds a package database file read into memory.
	MaxMetadataBytes int64
	// MaxBinaryBytes bounds an executable or archive spooled to a
	// temporary file to read its build information.
	MaxBinaryBytes int64
	// MaxArchiveEntries bounds the entries of a jar examined.
	MaxArchiveEntries int
}

// DefaultLimits fit real images with a wide margin.
var DefaultLimits = Limits{
	MaxImageBytes:     16 << 30,
	MaxEntries:        2_000_000,
	MaxMetadataBytes:  64 << 20,
	MaxBinaryBytes:    1 << 30,
	MaxArchiveEntries: 100_000,
}

// ErrLimit is wrapped by errors that stop cataloguing at a limit.
var ErrLimit = errors.New("image exceeds a cataloguing limit")

// Cataloguer implements ports.Cataloguer.
type Cataloguer struct {
	Limits Limits
	// TempDir is where executables are spooled; "" is the system default.
	TempDir string
}

var _ ports.Cataloguer = (*Cataloguer)(nil)

// New returns a cataloguer with the default limits.
func New() *Cataloguer { return &Cataloguer{Limits: DefaultLimits} }

// file is the last state of a path across layers.
type file struct {
	sha256 string
	size   int64
	// comps are the components found in this file itself (Go modules of a
	// binary, Maven artifacts of a jar).
	comps []found
}

type found struct {
	purl vuln.PURL
}

// state is the merged view of the layers read so far.
type state struct {
	files    map[string]*file // regular files, by absolute path
	dpkg     map[string][]byte
	dpkgList map[string][]byte // "info/<pkg>.list" contents, by package name (arch suffix removed)
	apk      []byte
	osRel    []byte
	entries  int
	bytes    int64
}

// Catalogue implements ports.Cataloguer.
func (c *Cataloguer) Catalogue(ctx context.Context, img ports.ImageContent) (ports.Catalogue, error) {
	st := &state{files: map[string]*file{}, dpkg: map[string][]byte{}, dpkgList: map[string][]byte{}}
	spool, err := os.CreateTemp(c.TempDir, "runwatch-catalog-*")
	if err != nil {
		return ports.Catalogue{}, fmt.Errorf("catalogue: spool file: %w", err)
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	for i, l := range img.Layers {
		if err := c.layer(ctx, st, l, spool); err != nil {
			return ports.Catalogue{}, fmt.Errorf("catalogue %s layer %d (%s): %w", img.Digest, i, l.Digest, err)
		}
	}
	return st.result(), nil
}

func (c *Cataloguer) layer(ctx context.Context, st *state, l ports.Layer, spool *os.File) error {
	rc, err := l.Open(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	r, err := decompress(rc, l.MediaType)
	if err != nil {
		return err
	}
	return c.readLayer(ctx, st, r, spool)
}

// decompress turns a layer blob into its tar stream: gzip by media type or
// magic number, or plain tar. zstd layers are refused with a clear error.
func decompress(r io.Reader, mediaType string) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(4)
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return gz, nil
	case len(magic) == 4 && bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}), strings.HasSuffix(mediaType, "+zstd"):
		return nil, fmt.Errorf("zstd-compressed layers are not supported (media type %q)", mediaType)
	}
	return br, nil
}

// cleanName normalises a tar entry name to an absolute path; ok is false
// for a name that climbs out of the root ("../etc/passwd", "a/../../x").
func cleanName(name string) (string, bool) {
	name = strings.TrimPrefix(name, "./")
	depth := 0
	for _, seg := range strings.Split(name, "/") {
		switch seg {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return "", false
			}
		default:
			depth++
		}
	}
	p := path.Clean("/" + name)
	return p, p != "/"
}

// countingReader counts bytes against the image limit.
type countingReader struct {
	r   io.Reader
	st  *state
	max int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.st.bytes += int64(n)
	if c.st.bytes > c.max {
		return n, fmt.Errorf("%w: more than %d uncompressed bytes", ErrLimit, c.max)
	}
	return n, err
}

// readLayer applies one uncompressed layer (a tar stream) to the state.
func (c *Cataloguer) readLayer(ctx context.Context, st *state, r io.Reader, spool *os.File) error {
	lim := c.Limits
	tr := tar.NewReader(&countingReader{r: r, st: st, max: lim.MaxImageBytes})
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		st.entries++
		if st.entries > lim.MaxEntries {
			return fmt.Errorf("%w: more than %d entries", ErrLimit, lim.MaxEntries)
		}
		p, ok := cleanName(h.Name)
		if !ok {
			continue // outside the root, or the root itself: nothing to catalogue
		}
		dir, base := path.Split(p)
		if base == ".wh..wh..opq" {
			st.removeUnder(strings.TrimSuffix(dir, "/"))
			continue
		}
		if strings.HasPrefix(base, ".wh.") {
			st.remove(dir + strings.TrimPrefix(base, ".wh."))
			continue
		}
		// A later layer's entry replaces whatever the path was.
		st.remove(p)
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if err := c.readFile(st, p, h, tr, spool); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
}

func (st *state) remove(p string) {
	delete(st.files, p)
	st.forget(p)
}

func (st *state) removeUnder(dir string) {
	prefix := dir + "/"
	for p := range st.files {
		if strings.HasPrefix(p, prefix) {
			delete(st.files, p)
		}
	}
	for _, p := range []string{"/var/lib/dpkg/status", "/lib/apk/db/installed", "/etc/os-release", "/usr/lib/os-release"} {
		if strings.HasPrefix(p, prefix) {
			st.forget(p)
		}
	}
	for k := range st.dpkg {
		if strings.HasPrefix(k, prefix) {
			delete(st.dpkg, k)
		}
	}
	if strings.HasPrefix("/var/lib/dpkg/info/", prefix) || prefix == "/var/lib/dpkg/info/" {
		st.dpkgList = map[string][]byte{}
	}
}

func (st *state) forget(p string) {
	switch {
	case p == "/lib/apk/db/installed":
		st.apk = nil
	case p == "/etc/os-release" || p == "/usr/lib/os-release":
		st.osRel = nil
	case p == "/var/lib/dpkg/status" || strings.HasPrefix(p, "/var/lib/dpkg/status.d/"):
		delete(st.dpkg, p)
	case strings.HasPrefix(p, "/var/lib/dpkg/info/") && strings.HasSuffix(p, ".list"):
		delete(st.dpkgList, dpkgListName(p))
	}
}

func dpkgListName(p string) string {
	n := strings.TrimSuffix(path.Base(p), ".list")
	n, _, _ = strings.Cut(n, ":") // libssl3:amd64.list
	return n
}

func isMetadata(p string) bool {
	return p == "/var/lib/dpkg/status" || strings.HasPrefix(p, "/var/lib/dpkg/status.d/") ||
		(strings.HasPrefix(p, "/var/lib/dpkg/info/") && strings.HasSuffix(p, ".list")) ||
		p == "/lib/apk/db/installed" || p == "/etc/os-release" || p == "/usr/lib/os-release"
}

func (c *Cataloguer) readFile(st *state, p string, h *tar.Header, r io.Reader, spool *os.File) error {
	lim := c.Limits
	if isMetadata(p) {
		if h.Size > lim.MaxMetadataBytes {
			return fmt.Errorf("%w: package metadata of %d bytes", ErrLimit, h.Size)
		}
		data, err := io.ReadAll(io.LimitReader(r, lim.MaxMetadataBytes+1))
		if err != nil {
			return err
		}
		switch {
		case p == "/lib/apk/db/installed":
			st.apk = data
		case p == "/etc/os-release":
			st.osRel = data
		case p == "/usr/lib/os-release":
			if st.osRel == nil {
				st.osRel = data
			}
		case strings.HasSuffix(p, ".list"):
			st.dpkgList[dpkgListName(p)] = data
		default:
			st.dpkg[p] = data
		}
		sum := sha256.Sum256(data)
		st.files[p] = &file{sha256: hex.EncodeToString(sum[:]), size: int64(len(data))}
		return nil
	}
	// Only executables, shared libraries and archives are hashed: they are
	// what a sensor reports loading. Everything else is skipped unread.
	br := bufio.NewReaderSize(r, 4096)
	magic, _ := br.Peek(4)
	elf := bytes.Equal(magic, []byte("\x7fELF"))
	zipMagic := bytes.Equal(magic, []byte("PK\x03\x04"))
	if !elf && !(zipMagic && pkgid.IsArchive(p)) {
		if h.Mode&0o111 != 0 || strings.Contains(p, ".so") {
			// Scripts and other executables: hash them for drift and
			// path matching, streaming.
			return st.hashOnly(p, br, h.Size)
		}
		return nil
	}
	if h.Size > lim.MaxBinaryBytes {
		return fmt.Errorf("%w: file of %d bytes", ErrLimit, h.Size)
	}
	if err := spool.Truncate(0); err != nil {
		return err
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return err
	}
	hsh := sha256.New()
	n, err := io.Copy(io.MultiWriter(spool, hsh), io.LimitReader(br, lim.MaxBinaryBytes+1))
	if err != nil {
		return err
	}
	f := &file{sha256: hex.EncodeToString(hsh.Sum(nil)), size: n}
	st.files[p] = f
	if elf {
		f.comps = goModules(spool, n)
	} else {
		f.comps = jarArtifacts(spool, n, lim)
	}
	return nil
}

func (st *state) hashOnly(p string, r io.Reader, size int64) error {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return err
	}
	st.files[p] = &file{sha256: hex.EncodeToString(h.Sum(nil)), size: n}
	return nil
}

// result turns the merged state into components.
func (st *state) result() ports.Catalogue {
	out := ports.Catalogue{Bytes: st.bytes, Files: int64(len(st.files))}
	osr := pkgid.ParseOSRelease(bytes.NewReader(st.osRel))
	out.Distro = osr.Distro()
	byPURL := map[string]*risk.Component{}
	add := func(p vuln.PURL, files ...risk.ComponentFile) {
		key := p.String()
		c := byPURL[key]
		if c == nil {
			c = &risk.Component{PURL: key}
			byPURL[key] = c
		}
		c.Files = append(c.Files, files...)
	}
	paths := make([]string, 0, len(st.files))
	for p := range st.files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		f := st.files[p]
		for _, c := range f.comps {
			add(c.purl, risk.ComponentFile{Path: p, SHA256: f.sha256})
		}
	}
	fileRef := func(p string) risk.ComponentFile {
		if f, ok := st.files[p]; ok {
			return risk.ComponentFile{Path: p, SHA256: f.sha256}
		}
		return risk.ComponentFile{Path: p}
	}
	keys := make([]string, 0, len(st.dpkg))
	for k := range st.dpkg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		// A corrupt database still names the packages before the damage.
		pkgs, _ := pkgid.ParseDpkgStatus(bytes.NewReader(st.dpkg[k]))
		for _, pkg := range pkgs {
			p := pkg.PURL(osr)
			var files []risk.ComponentFile
			for _, fp := range listedFiles(st.dpkgList[pkg.Name]) {
				if _, ok := st.files[fp]; ok { // only files that exist and matter
					files = append(files, fileRef(fp))
				}
			}
			add(p, files...)
		}
	}
	apks, _ := pkgid.ParseApkInstalled(bytes.NewReader(st.apk))
	for _, pkg := range apks {
		p := pkg.PURL(osr)
		var files []risk.ComponentFile
		for _, fp := range pkg.Files {
			if _, ok := st.files[fp]; ok {
				files = append(files, fileRef(fp))
			}
		}
		add(p, files...)
	}
	for _, c := range byPURL {
		out.Components = append(out.Components, *c)
	}
	sort.Slice(out.Components, func(i, j int) bool { return out.Components[i].PURL < out.Components[j].PURL })
	return out
}

// listedFiles reads a dpkg file list, keeping paths inside the root.
func listedFiles(list []byte) []string {
	paths, _ := pkgid.ParseDpkgList(bytes.NewReader(list), false)
	out := paths[:0]
	for _, p := range paths {
		if p, ok := cleanName(p); ok {
			out = append(out, p)
		}
	}
	return out
}
