// Package vuln holds what Runwatch knows of vulnerabilities: package URLs,
// the version orderings of the ecosystems it matches (Go and semver,
// Debian, Alpine, Maven), OSV records and the rule that says whether a
// package version is affected by one.
//
// Every comparator here is total: it orders any two strings, valid or not,
// so a malformed version in imported data can never panic or hide a match
// silently; Valid says whether a version is well formed.
package vuln

import (
	"strings"
)

// Ecosystem is an OSV ecosystem name without its release suffix: "Go",
// "Debian", "Alpine", "Maven", "npm", "PyPI".
type Ecosystem string

// The ecosystems whose version ordering Runwatch implements.
const (
	EcosystemGo     Ecosystem = "Go"
	EcosystemDebian Ecosystem = "Debian"
	EcosystemUbuntu Ecosystem = "Ubuntu"
	EcosystemAlpine Ecosystem = "Alpine"
	EcosystemMaven  Ecosystem = "Maven"
	EcosystemNPM    Ecosystem = "npm"
	EcosystemPyPI   Ecosystem = "PyPI"
)

// SplitEcosystem splits an OSV ecosystem such as "Debian:12" or
// "Alpine:v3.20" into its base and release.
func SplitEcosystem(s string) (Ecosystem, string) {
	base, release, _ := strings.Cut(s, ":")
	return Ecosystem(base), release
}

// CompareVersions orders two versions of an ecosystem: negative when a < b,
// zero when equal, positive when a > b. Ecosystems without an ordering of
// their own (npm, and the ones Runwatch does not know) use semver, which
// is what npm is and the closest general rule for the rest.
func CompareVersions(eco Ecosystem, a, b string) int {
	switch eco {
	case EcosystemDebian, EcosystemUbuntu:
		return CompareDebian(a, b)
	case EcosystemAlpine:
		return CompareAlpine(a, b)
	case EcosystemMaven:
		return CompareMaven(a, b)
	default:
		return CompareSemver(a, b)
	}
}

// ValidVersion says whether v is a version the ecosystem's ordering can
// judge. A version that is not is matched against nothing: ordering it
// first would make it "affected" by every range opened at "0".
func ValidVersion(eco Ecosystem, v string) bool {
	switch eco {
	case EcosystemDebian, EcosystemUbuntu:
		return ValidDebian(v)
	case EcosystemAlpine:
		return ValidAlpine(v)
	case EcosystemMaven:
		return v != ""
	case EcosystemPyPI:
		return v != "" // PEP 440 ordering is approximated by semver's; see CompareVersions
	default:
		return ValidSemver(v)
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// compareDigits compares two runs of decimal digits numerically, without
// converting them, so runs longer than any integer type still order right.
func compareDigits(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if c := cmpInt(len(a), len(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
