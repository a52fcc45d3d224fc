package osv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/runwatch/runwatch/domain/vuln"
	"github.com/runwatch/runwatch/ports"
)

var _ ports.VulnerabilityScanner = (*Scanner)(nil)

// Source is one set of OSV data the scanner matches against.
type Source struct {
	// Name identifies the source in logs and the data revision.
	Name string
	// Attribution is shown wherever findings of the source are ("Go
	// Vulnerability Database, CC-BY-4.0").
	Attribution string
	// Load imports the source.
	Load func(ctx context.Context) (*vuln.Index, ImportStats, error)
}

type loaded struct {
	name, attribution string
	idx               *vuln.Index
	stats             ImportStats
}

type snapshot struct {
	sources  []loaded
	revision string
	loadedAt time.Time
}

// Scanner matches package URLs against OSV sources held in memory. Reload
// swaps in new data atomically: a match in progress sees either the old or
// the new data, never a mix.
type Scanner struct {
	sources []Source
	log     *slog.Logger
	mu      sync.Mutex // serialises reloads
	cur     atomic.Pointer[snapshot]
}

// NewScanner returns a scanner over sources; call Reload before matching.
func NewScanner(log *slog.Logger, sources ...Source) *Scanner {
	return &Scanner{sources: sources, log: log}
}

// Name is the scanner's name in findings.
func (s *Scanner) Name() string { return "osv" }

// Reload imports every source again. A source that fails keeps its
// previous data (if any) and the error is returned; the others are
// replaced.
func (s *Scanner) Reload(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.cur.Load()
	next := &snapshot{loadedAt: time.Now()}
	var errs []string
	for _, src := range s.sources {
		start := time.Now()
		idx, stats, err := src.Load(ctx)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", src.Name, err))
			if prev != nil {
				for _, l := range prev.sources {
					if l.name == src.Name {
						next.sources = append(next.sources, l)
					}
				}
			}
			continue
		}
		s.log.Info("vulnerability data loaded", "source", src.Name, "records", stats.Records,
			"withdrawn", stats.Withdrawn, "malicious", stats.Malicious, "rejected", stats.Rejected,
			"took", time.Since(start).Round(time.Millisecond))
		for _, r := range stats.RejectedSamples {
			s.log.Warn("vulnerability record rejected", "source", src.Name, "reason", r)
		}
		next.sources = append(next.sources, loaded{name: src.Name, attribution: src.Attribution, idx: idx, stats: stats})
	}
	next.revision = revisionOf(next.sources)
	s.cur.Store(next)
	if len(errs) > 0 {
		return fmt.Errorf("load vulnerability data: %s", strings.Join(errs, "; "))
	}
	return nil
}

// revisionOf names the data: it changes whenever a source's records or
// their modification times change, and triggers re-evaluation.
func revisionOf(ls []loaded) string {
	h := sha256.New()
	for _, l := range ls {
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00%s\x00", l.name, l.idx.Len(), l.idx.Withdrawn(), l.idx.LastModified().UTC().Format(time.RFC3339Nano))
		fmt.Fprintf(h, "%d\x00", l.stats.Bytes)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Revision identifies the data loaded; "" before the first Reload.
func (s *Scanner) Revision() string {
	if c := s.cur.Load(); c != nil {
		return c.revision
	}
	return ""
}

// Ready says whether data has been loaded.
func (s *Scanner) Ready() bool { return s.cur.Load() != nil }

// Sources describes the loaded sources.
func (s *Scanner) Sources() []ports.VulnSource {
	c := s.cur.Load()
	if c == nil {
		return nil
	}
	out := make([]ports.VulnSource, 0, len(c.sources))
	for _, l := range c.sources {
		out = append(out, ports.VulnSource{Name: l.name, Attribution: l.attribution, Records: l.stats.Records,
			Withdrawn: l.stats.Withdrawn, Malicious: l.stats.Malicious, Rejected: l.stats.Rejected})
	}
	return out
}

// Match returns the findings of each package URL, keyed by the purl as
// given. Purls that do not parse, carry no version or name an ecosystem
// without data match nothing. Findings of the same id from several
// sources are reported once.
func (s *Scanner) Match(ctx context.Context, purls []string) (map[string][]vuln.Finding, error) {
	c := s.cur.Load()
	if c == nil {
		return nil, fmt.Errorf("vulnerability data not loaded yet")
	}
	out := make(map[string][]vuln.Finding, len(purls))
	for i, raw := range purls {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		p, err := vuln.ParsePURL(raw)
		if err != nil {
			continue
		}
		var fs []vuln.Finding
		seen := map[string]bool{}
		for _, l := range c.sources {
			for _, f := range l.idx.Match(p) {
				if seen[f.ID] {
					continue
				}
				seen[f.ID] = true
				f.Source = l.name
				fs = append(fs, f)
			}
		}
		if len(fs) > 0 {
			out[raw] = fs
		}
	}
	return out, nil
}

// Record returns a record by id from the first source holding it.
func (s *Scanner) Record(id string) (*vuln.Record, string, bool) {
	c := s.cur.Load()
	if c == nil {
		return nil, "", false
	}
	for _, l := range c.sources {
		if r, ok := l.idx.Record(id); ok {
			return r, l.attribution, true
		}
	}
	return nil, "", false
}

// DirSource is a source read from a path (directory, .zip, .tar.gz).
func DirSource(p string, l Limits) Source {
	return Source{Name: "osv:" + p, Attribution: "OSV data imported from " + p,
		Load: func(ctx context.Context) (*vuln.Index, ImportStats, error) { return Import(ctx, p, l) }}
}
