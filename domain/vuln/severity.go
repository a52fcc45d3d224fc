package vuln

import (
	"encoding/json"
	"math"
	"strings"
)

// SeverityLevel is the qualitative severity the funnel and the risks use.
type SeverityLevel int

// The levels, lowest first. Unknown is a record that carries no severity
// (the Go vulnerability database publishes none): it is never counted as
// critical or high.
const (
	SeverityUnknown SeverityLevel = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"unknown", "low", "medium", "high", "critical"}

func (s SeverityLevel) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return "unknown"
	}
	return severityNames[s]
}

// ParseSeverityLevel reads a level name as written by OSV databases,
// Xray and people ("CRITICAL", "High", "moderate").
func ParseSeverityLevel(s string) SeverityLevel {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical":
		return SeverityCritical
	case "high", "important":
		return SeverityHigh
	case "medium", "moderate":
		return SeverityMedium
	case "low", "negligible", "minor":
		return SeverityLow
	}
	return SeverityUnknown
}

// LevelOfScore maps a CVSS base score to its qualitative rating.
func LevelOfScore(score float64) SeverityLevel {
	switch {
	case score >= 9.0:
		return SeverityCritical
	case score >= 7.0:
		return SeverityHigh
	case score >= 4.0:
		return SeverityMedium
	case score > 0:
		return SeverityLow
	}
	return SeverityUnknown
}

// RecordSeverity is the record's severity and CVSS base score (0 when it
// has none): the highest CVSS v3 score of the record or its affected
// entries, else the database's own word (database_specific.severity).
func RecordSeverity(r *Record) (SeverityLevel, float64) {
	best := -1.0
	scan := func(ss []Severity) {
		for _, s := range ss {
			if s.Type == "CVSS_V3" {
				if score, ok := CVSS3BaseScore(s.Score); ok && score > best {
					best = score
				}
			}
		}
	}
	scan(r.Severity)
	for _, a := range r.Affected {
		scan(a.Severity)
	}
	if best >= 0 {
		return LevelOfScore(best), best
	}
	var ds struct {
		Severity string `json:"severity"`
	}
	if len(r.DatabaseSpecific) > 0 && json.Unmarshal(r.DatabaseSpecific, &ds) == nil {
		return ParseSeverityLevel(ds.Severity), 0
	}
	return SeverityUnknown, 0
}

// CVSS3BaseScore computes the base score of a CVSS v3.0/v3.1 vector
// ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" is 9.8) by the
// specification's formula. ok is false for a vector missing a base metric
// or holding an unknown value.
func CVSS3BaseScore(vector string) (float64, bool) {
	parts := strings.Split(vector, "/")
	if len(parts) < 9 || !strings.HasPrefix(parts[0], "CVSS:3.") {
		return 0, false
	}
	m := make(map[string]string, len(parts))
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, ":")
		if !ok {
			return 0, false
		}
		m[k] = v
	}
	weights := map[string]map[string]float64{
		"AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
		"AC": {"L": 0.77, "H": 0.44},
		"UI": {"N": 0.85, "R": 0.62},
		"C":  {"H": 0.56, "L": 0.22, "N": 0},
		"I":  {"H": 0.56, "L": 0.22, "N": 0},
		"A":  {"H": 0.56, "L": 0.22, "N": 0},
	}
	w := map[string]float64{}
	for k, table := range weights {
		v, ok := table[m[k]]
		if !ok {
			return 0, false
		}
		w[k] = v
	}
	changed := false
	switch m["S"] {
	case "U":
	case "C":
		changed = true
	default:
		return 0, false
	}
	var pr float64
	switch m["PR"] {
	case "N":
		pr = 0.85
	case "L":
		pr = 0.62
		if changed {
			pr = 0.68
		}
	case "H":
		pr = 0.27
		if changed {
			pr = 0.5
		}
	default:
		return 0, false
	}
	iss := 1 - (1-w["C"])*(1-w["I"])*(1-w["A"])
	var impact float64
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	} else {
		impact = 6.42 * iss
	}
	exploitability := 8.22 * w["AV"] * w["AC"] * pr * w["UI"]
	if impact <= 0 {
		return 0, true
	}
	if changed {
		return roundUp(math.Min(1.08*(impact+exploitability), 10)), true
	}
	return roundUp(math.Min(impact+exploitability, 10)), true
}

// roundUp is CVSS v3.1's Roundup: the smallest one-decimal number not
// below x, computed on integers to avoid floating-point surprises.
func roundUp(x float64) float64 {
	i := int64(math.Round(x * 100000))
	if i%10000 == 0 {
		return float64(i) / 100000
	}
	return float64(i/10000+1) / 10
}
