// Package osv is the vulnerability scanner over OSV data
// (ossf.github.io/osv-schema): it imports records from a directory of
// JSON files, an OSV export (<ecosystem>/all.zip) or the Go vulnerability
// database snapshot the platform ships (package govulndb), and matches
// package URLs against them in memory.
package osv

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/runwatch/runwatch/domain/vuln"
)

// Limits bound an import, so a corrupt or hostile feed cannot exhaust
// memory: a record larger than MaxRecordBytes is rejected, and an import of
// more than MaxRecords records or MaxTotalBytes of JSON stops with an error.
type Limits struct {
	MaxRecords    int
	MaxTotalBytes int64
}

// DefaultLimits fit every public OSV export with room to spare (the
// largest, PyPI and npm, hold some 200,000 records).
var DefaultLimits = Limits{MaxRecords: 2_000_000, MaxTotalBytes: 16 << 30}

// maxRejectedKept bounds how many rejection messages an import keeps.
const maxRejectedKept = 20

// ImportStats says what an import took in and what it refused.
type ImportStats struct {
	Records   int
	Withdrawn int
	Malicious int
	// Rejected counts records refused as malformed; RejectedSamples holds
	// the first few reasons, each naming its file.
	Rejected        int
	RejectedSamples []string
	Bytes           int64
}

func (s *ImportStats) reject(name string, err error) {
	s.Rejected++
	if len(s.RejectedSamples) < maxRejectedKept {
		s.RejectedSamples = append(s.RejectedSamples, fmt.Sprintf("%s: %v", name, err))
	}
}

// importer adds records to an index within limits.
type importer struct {
	idx    *vuln.Index
	limits Limits
	stats  ImportStats
}

func newImporter(l Limits) *importer {
	if l.MaxRecords <= 0 {
		l.MaxRecords = DefaultLimits.MaxRecords
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = DefaultLimits.MaxTotalBytes
	}
	return &importer{idx: vuln.NewIndex(), limits: l}
}

var errTooMuch = errors.New("import limit reached")

// add reads one record of at most vuln.MaxRecordBytes from r.
func (im *importer) add(name string, r io.Reader) error {
	if im.stats.Records+im.stats.Rejected >= im.limits.MaxRecords {
		return fmt.Errorf("%w: more than %d records", errTooMuch, im.limits.MaxRecords)
	}
	data, err := io.ReadAll(io.LimitReader(r, vuln.MaxRecordBytes+1))
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	im.stats.Bytes += int64(len(data))
	if im.stats.Bytes > im.limits.MaxTotalBytes {
		return fmt.Errorf("%w: more than %d bytes", errTooMuch, im.limits.MaxTotalBytes)
	}
	rec, err := vuln.ParseRecord(data)
	if err != nil {
		im.stats.reject(name, err)
		return nil
	}
	im.idx.Add(rec)
	im.stats.Records++
	if rec.IsWithdrawn() {
		im.stats.Withdrawn++
	}
	if rec.IsMalicious() {
		im.stats.Malicious++
	}
	return nil
}

func isRecordName(name string) bool {
	base := path.Base(name)
	return strings.HasSuffix(base, ".json") && !strings.HasPrefix(base, ".")
}

// ImportFS imports every *.json file under root of fsys (an OSV
// repository's data directory: vulndb's data/osv, an unpacked all.zip).
func ImportFS(ctx context.Context, fsys fs.FS, root string, l Limits) (*vuln.Index, ImportStats, error) {
	im := newImporter(l)
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || !d.Type().IsRegular() || !isRecordName(p) {
			return nil
		}
		f, err := fsys.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		return im.add(p, f)
	})
	if err != nil {
		return nil, im.stats, fmt.Errorf("import OSV records from %s: %w", root, err)
	}
	return im.idx, im.stats, nil
}

// ImportDir imports every *.json file under dir.
func ImportDir(ctx context.Context, dir string, l Limits) (*vuln.Index, ImportStats, error) {
	return ImportFS(ctx, os.DirFS(dir), ".", l)
}

// ImportZip imports an OSV export zip (osv.dev publishes one per
// ecosystem as <ecosystem>/all.zip: one JSON record per entry).
func ImportZip(ctx context.Context, file string, l Limits) (*vuln.Index, ImportStats, error) {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return nil, ImportStats{}, fmt.Errorf("open OSV export %s: %w", file, err)
	}
	defer zr.Close()
	im := newImporter(l)
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return nil, im.stats, err
		}
		if f.FileInfo().IsDir() || !isRecordName(f.Name) {
			continue
		}
		if f.UncompressedSize64 > vuln.MaxRecordBytes {
			im.stats.reject(f.Name, fmt.Errorf("%d bytes, at most %d", f.UncompressedSize64, vuln.MaxRecordBytes))
			continue
		}
		rc, err := f.Open()
		if err != nil {
			im.stats.reject(f.Name, err)
			continue
		}
		err = im.add(f.Name, rc)
		rc.Close()
		if err != nil {
			return nil, im.stats, fmt.Errorf("import OSV export %s: %w", file, err)
		}
	}
	return im.idx, im.stats, nil
}

// ImportTarGz imports the records of a gzip-compressed tar stream (the
// form the shipped Go vulnerability database snapshot takes).
func ImportTarGz(ctx context.Context, r io.Reader, l Limits) (*vuln.Index, ImportStats, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, ImportStats{}, fmt.Errorf("read OSV archive: %w", err)
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	im := newImporter(l)
	for {
		if err := ctx.Err(); err != nil {
			return nil, im.stats, err
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, im.stats, fmt.Errorf("read OSV archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg || !isRecordName(h.Name) {
			continue
		}
		if err := im.add(h.Name, tr); err != nil {
			return nil, im.stats, fmt.Errorf("import OSV archive: %w", err)
		}
	}
	return im.idx, im.stats, nil
}

// Import imports from a path: a directory, a .zip export, or a .tar.gz.
func Import(ctx context.Context, p string, l Limits) (*vuln.Index, ImportStats, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, ImportStats{}, fmt.Errorf("OSV source: %w", err)
	}
	switch {
	case st.IsDir():
		return ImportDir(ctx, p, l)
	case strings.HasSuffix(p, ".zip"):
		return ImportZip(ctx, p, l)
	case strings.HasSuffix(p, ".tar.gz"), strings.HasSuffix(p, ".tgz"):
		f, err := os.Open(p)
		if err != nil {
			return nil, ImportStats{}, err
		}
		defer f.Close()
		return ImportTarGz(ctx, f, l)
	case strings.HasSuffix(p, ".json"):
		im := newImporter(l)
		f, err := os.Open(p)
		if err != nil {
			return nil, ImportStats{}, err
		}
		defer f.Close()
		if err := im.add(filepath.Base(p), f); err != nil {
			return nil, im.stats, err
		}
		return im.idx, im.stats, nil
	}
	return nil, ImportStats{}, fmt.Errorf("OSV source %s: want a directory, a .zip, a .tar.gz or a .json file", p)
}
