package vuln

import (
	"slices"
	"strings"
	"time"
)

// Finding is a vulnerability a package version is affected by.
type Finding struct {
	ID       string
	Aliases  []string
	Summary  string
	Severity SeverityLevel
	// Score is the CVSS base score, 0 when the record has none.
	Score float64
	// FixedVersions are the versions above the affected one that fix it,
	// lowest first; empty when no fix is known.
	FixedVersions []string
	// Malicious: the package itself is malware (a MAL- record); every
	// version named is affected and there is no fix but removal.
	Malicious bool
	Modified  time.Time
	// Source names the database the finding came from ("osv", "xray").
	Source string
}

// CVEs are the finding's CVE ids (its id or aliases).
func (f Finding) CVEs() []string {
	var out []string
	if strings.HasPrefix(f.ID, "CVE-") {
		out = append(out, f.ID)
	}
	for _, a := range f.Aliases {
		if strings.HasPrefix(a, "CVE-") {
			out = append(out, a)
		}
	}
	return out
}

// HasFix says whether a fixed version is known.
func (f Finding) HasFix() bool { return len(f.FixedVersions) > 0 }

type indexEntry struct {
	rec     *Record
	aff     *Affected
	release string
	eco     Ecosystem
	ranges  [][]Event // the non-GIT ranges' events, sorted
	meta    *recordMeta
}

// recordMeta is what the index computes once per record.
type recordMeta struct {
	level     SeverityLevel
	score     float64
	malicious bool
}

// Index matches package URLs against OSV records. Build it with Add, then
// share it read-only: Match is safe for concurrent use once no Add runs.
type Index struct {
	byPackage map[string][]indexEntry
	byID      map[string]*Record
	withdrawn int
	modified  time.Time
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{byPackage: map[string][]indexEntry{}, byID: map[string]*Record{}}
}

func packageKey(eco Ecosystem, name string) string {
	if eco == EcosystemPyPI {
		name = strings.ToLower(strings.ReplaceAll(name, "_", "-"))
	}
	return string(eco) + "\x00" + name
}

// Add indexes a record. A record whose id is already indexed replaces it
// only when it is newer (modified later); withdrawn records are kept, so
// that they replace the version they withdraw, but never match.
func (x *Index) Add(r *Record) {
	if old, ok := x.byID[r.ID]; ok {
		if !r.Modified.After(old.Modified) && !(r.Modified.Equal(old.Modified) && r.IsWithdrawn()) {
			return
		}
		x.remove(old)
	}
	x.byID[r.ID] = r
	if r.Modified.After(x.modified) {
		x.modified = r.Modified
	}
	if r.IsWithdrawn() {
		x.withdrawn++
		return
	}
	meta := &recordMeta{malicious: r.IsMalicious()}
	meta.level, meta.score = RecordSeverity(r)
	for i := range r.Affected {
		a := &r.Affected[i]
		eco, release := SplitEcosystem(a.Package.Ecosystem)
		e := indexEntry{rec: r, aff: a, release: release, eco: eco, meta: meta}
		for _, rg := range a.Ranges {
			if rg.Type != "GIT" {
				e.ranges = append(e.ranges, sortEvents(eco, rg.Events))
			}
		}
		k := packageKey(eco, a.Package.Name)
		x.byPackage[k] = append(x.byPackage[k], e)
	}
}

func (x *Index) remove(old *Record) {
	if old.IsWithdrawn() {
		x.withdrawn--
	}
	for i := range old.Affected {
		eco, _ := SplitEcosystem(old.Affected[i].Package.Ecosystem)
		k := packageKey(eco, old.Affected[i].Package.Name)
		x.byPackage[k] = slices.DeleteFunc(x.byPackage[k], func(e indexEntry) bool { return e.rec == old })
		if len(x.byPackage[k]) == 0 {
			delete(x.byPackage, k)
		}
	}
	delete(x.byID, old.ID)
}

// Len is the number of records indexed, withdrawn ones included.
func (x *Index) Len() int { return len(x.byID) }

// Withdrawn is the number of withdrawn records indexed.
func (x *Index) Withdrawn() int { return x.withdrawn }

// LastModified is the newest modification time of any record.
func (x *Index) LastModified() time.Time { return x.modified }

// Record returns an indexed record by id.
func (x *Index) Record(id string) (*Record, bool) {
	r, ok := x.byID[id]
	return r, ok
}

// Match returns the findings of one package URL, ordered by id. A purl
// without a version, with a version its ecosystem cannot order, or of a
// type Runwatch cannot match, matches nothing.
// A release (Debian 12, Alpine v3.20) in the purl's distro qualifier
// narrows the match to that release's records; records without a release
// match every release.
func (x *Index) Match(p PURL) []Finding {
	o, ok := p.ToOSV()
	if !ok || !ValidVersion(o.Ecosystem, o.Version) {
		return nil
	}
	seen := map[string]bool{}
	var out []Finding
	for _, name := range o.Names {
		for _, e := range x.byPackage[packageKey(o.Ecosystem, name)] {
			if seen[e.rec.ID] {
				continue
			}
			if e.release != "" && o.Release != "" && e.release != o.Release {
				continue
			}
			affected, fixed := e.aff.affectsSorted(o.Ecosystem, e.ranges, o.Version)
			malicious := e.meta.malicious
			if !affected && malicious && len(e.aff.Ranges) == 0 && len(e.aff.Versions) == 0 {
				affected = true // a malicious package with no versions named: all are
			}
			if !affected {
				continue
			}
			seen[e.rec.ID] = true
			level, score := e.meta.level, e.meta.score
			if malicious {
				level, fixed = SeverityCritical, nil
			}
			out = append(out, Finding{
				ID: e.rec.ID, Aliases: e.rec.Aliases, Summary: e.rec.Summary,
				Severity: level, Score: score, FixedVersions: fixed,
				Malicious: malicious, Modified: e.rec.Modified, Source: "osv",
			})
		}
	}
	slices.SortFunc(out, func(a, b Finding) int { return strings.Compare(a.ID, b.ID) })
	return out
}
