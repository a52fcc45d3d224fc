package vuln

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Record is an OSV record (ossf.github.io/osv-schema), reduced to what
// matching and reporting need.
type Record struct {
	ID        string     `json:"id"`
	Modified  time.Time  `json:"modified"`
	Published time.Time  `json:"published,omitzero"`
	Withdrawn time.Time  `json:"withdrawn,omitzero"`
	Aliases   []string   `json:"aliases,omitempty"`
	Summary   string     `json:"summary,omitempty"`
	Details   string     `json:"details,omitempty"`
	Severity  []Severity `json:"severity,omitempty"`
	Affected  []Affected `json:"affected,omitempty"`
	// DatabaseSpecific carries a database's own severity (GitHub's
	// "severity": "HIGH"), read by RecordSeverity.
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
	References       []Reference     `json:"references,omitempty"`
}

// Severity is a scored severity: type CVSS_V2, CVSS_V3, CVSS_V4 or Ubuntu,
// with a vector or a word.
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Reference is a link of a record.
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// Affected is one affected package of a record.
type Affected struct {
	Package           Package         `json:"package"`
	Ranges            []Range         `json:"ranges,omitempty"`
	Versions          []string        `json:"versions,omitempty"`
	Severity          []Severity      `json:"severity,omitempty"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  json.RawMessage `json:"database_specific,omitempty"`
}

// Package names an affected package.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl,omitempty"`
}

// Range is a version range as events.
type Range struct {
	Type   string  `json:"type"` // SEMVER, ECOSYSTEM, GIT
	Events []Event `json:"events"`
}

// Event is one range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Limits of a record Runwatch accepts. Real records are far below them;
// they bound memory when a feed is corrupt or hostile.
const (
	MaxRecordBytes   = 4 << 20
	MaxAffected      = 10000
	MaxEventsPerSpan = 10000
	maxIDLength      = 256
)

// ParseRecord decodes and checks one OSV record. It refuses what would be
// matched wrongly: a record without id, a range without events or with an
// event that sets no or several fields, an affected entry without a
// package name or ecosystem.
func ParseRecord(data []byte) (*Record, error) {
	if len(data) > MaxRecordBytes {
		return nil, fmt.Errorf("OSV record of %d bytes, at most %d", len(data), MaxRecordBytes)
	}
	var r Record
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("decode OSV record: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("OSV record %q: trailing data after the JSON object", r.ID)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// Validate checks a decoded record (see ParseRecord).
func (r *Record) Validate() error {
	if r.ID == "" || len(r.ID) > maxIDLength || strings.ContainsAny(r.ID, " \t\r\n/\\") {
		return fmt.Errorf("OSV record has no valid id (%.40q)", r.ID)
	}
	if len(r.Affected) > MaxAffected {
		return fmt.Errorf("OSV record %s: %d affected entries, at most %d", r.ID, len(r.Affected), MaxAffected)
	}
	for i, a := range r.Affected {
		if a.Package.Name == "" || a.Package.Ecosystem == "" {
			return fmt.Errorf("OSV record %s: affected[%d] has no package name or ecosystem", r.ID, i)
		}
		for j, rg := range a.Ranges {
			switch rg.Type {
			case "SEMVER", "ECOSYSTEM", "GIT":
			default:
				return fmt.Errorf("OSV record %s: affected[%d].ranges[%d] has unknown type %q", r.ID, i, j, rg.Type)
			}
			if len(rg.Events) == 0 || len(rg.Events) > MaxEventsPerSpan {
				return fmt.Errorf("OSV record %s: affected[%d].ranges[%d] has %d events", r.ID, i, j, len(rg.Events))
			}
			for k, e := range rg.Events {
				n := 0
				for _, f := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
					if f != "" {
						n++
					}
				}
				if n != 1 {
					return fmt.Errorf("OSV record %s: affected[%d].ranges[%d].events[%d] must set exactly one of introduced, fixed, last_affected, limit", r.ID, i, j, k)
				}
			}
		}
	}
	return nil
}

// IsWithdrawn says whether the record was withdrawn: it then matches nothing.
func (r *Record) IsWithdrawn() bool { return !r.Withdrawn.IsZero() }

// IsMalicious says whether the record names a malicious package (the
// OpenSSF malicious-packages feed's MAL- identifiers, as an id or alias).
func (r *Record) IsMalicious() bool {
	if strings.HasPrefix(r.ID, "MAL-") {
		return true
	}
	for _, a := range r.Aliases {
		if strings.HasPrefix(a, "MAL-") {
			return true
		}
	}
	return false
}

// CVEs are the record's CVE ids: its id or aliases.
func (r *Record) CVEs() []string {
	var out []string
	if strings.HasPrefix(r.ID, "CVE-") {
		out = append(out, r.ID)
	}
	for _, a := range r.Aliases {
		if strings.HasPrefix(a, "CVE-") {
			out = append(out, a)
		}
	}
	return out
}

// Affects says whether version of the package (ecosystem with release, as
// OSVPackage) is affected by a, and returns the versions that fix it above
// version, lowest first.
func (a *Affected) Affects(eco Ecosystem, version string) (bool, []string) {
	for _, v := range a.Versions {
		if CompareVersions(eco, v, version) == 0 {
			return true, a.fixedAbove(eco, version)
		}
	}
	for _, rg := range a.Ranges {
		if rg.Type == "GIT" {
			continue // commits, not versions
		}
		if rangeAffects(eco, sortEvents(eco, rg.Events), version) {
			return true, a.fixedAbove(eco, version)
		}
	}
	return false, nil
}

// affectsSorted is Affects over ranges whose events are already sorted
// (the index sorts them once when it adds a record).
func (a *Affected) affectsSorted(eco Ecosystem, sorted [][]Event, version string) (bool, []string) {
	for _, v := range a.Versions {
		if CompareVersions(eco, v, version) == 0 {
			return true, a.fixedAbove(eco, version)
		}
	}
	for _, events := range sorted {
		if rangeAffects(eco, events, version) {
			return true, a.fixedAbove(eco, version)
		}
	}
	return false, nil
}

// sortEvents returns a copy of events in version order, "0" first.
func sortEvents(eco Ecosystem, events []Event) []Event {
	sorted := make([]Event, len(events))
	copy(sorted, events)
	at := func(e Event) string { return e.Introduced + e.Fixed + e.LastAffected + e.Limit }
	slices.SortStableFunc(sorted, func(x, y Event) int { return compareEventVersions(eco, at(x), at(y)) })
	return sorted
}

// rangeAffects implements the OSV evaluation over events sorted by
// sortEvents: walk them in version order; an introduced at or below the
// version opens the range, a fixed at or below it or a last_affected below
// it closes it. A limit at or below the version excludes it whatever the
// events say.
func rangeAffects(eco Ecosystem, sorted []Event, version string) bool {
	affected := false
	for _, e := range sorted {
		switch {
		case e.Introduced != "":
			if e.Introduced == "0" || CompareVersions(eco, version, e.Introduced) >= 0 {
				affected = true
			}
		case e.Fixed != "":
			if CompareVersions(eco, version, e.Fixed) >= 0 {
				affected = false
			}
		case e.LastAffected != "":
			if CompareVersions(eco, version, e.LastAffected) > 0 {
				affected = false
			}
		case e.Limit != "":
			if e.Limit != "*" && CompareVersions(eco, version, e.Limit) >= 0 {
				return false
			}
		}
	}
	return affected
}

// compareEventVersions orders event versions with "0" (the beginning of
// time) before everything.
func compareEventVersions(eco Ecosystem, a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "0":
		return -1
	case b == "0":
		return 1
	}
	return CompareVersions(eco, a, b)
}

func (a *Affected) fixedAbove(eco Ecosystem, version string) []string {
	var out []string
	for _, rg := range a.Ranges {
		if rg.Type == "GIT" {
			continue
		}
		for _, e := range rg.Events {
			if e.Fixed != "" && CompareVersions(eco, e.Fixed, version) > 0 {
				out = append(out, e.Fixed)
			}
		}
	}
	sortVersions(eco, out)
	return dedupSorted(out)
}

func sortVersions(eco Ecosystem, vs []string) {
	slices.SortStableFunc(vs, func(x, y string) int { return CompareVersions(eco, x, y) })
}

func dedupSorted(vs []string) []string {
	out := vs[:0]
	for i, v := range vs {
		if i == 0 || v != vs[i-1] {
			out = append(out, v)
		}
	}
	return out
}
