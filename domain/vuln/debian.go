package vuln

import "strings"

// debVersion is [epoch:]upstream[-revision] (deb-version(7)).
type debVersion struct {
	epoch, upstream, revision string
	valid                     bool
}

func parseDebian(s string) debVersion {
	s = strings.TrimSpace(s)
	v := debVersion{epoch: "0"}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		v.epoch, s = s[:i], s[i+1:]
		if !allDigits(v.epoch) {
			return debVersion{upstream: s}
		}
	}
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		v.upstream, v.revision = s[:i], s[i+1:]
	} else {
		v.upstream = s
	}
	v.valid = v.upstream != "" && isDigit(v.upstream[0])
	return v
}

// ValidDebian says whether s is a Debian version whose upstream part
// starts with a digit, as dpkg requires.
func ValidDebian(s string) bool { return parseDebian(s).valid }

// CompareDebian orders two Debian package versions as dpkg does: epoch
// numerically, then upstream version and revision by dpkg's verrevcmp
// (a tilde sorts before anything, even the end of the string; letters sort
// before other characters; digit runs compare numerically).
func CompareDebian(a, b string) int {
	va, vb := parseDebian(a), parseDebian(b)
	if c := compareDigits(va.epoch, vb.epoch); c != 0 {
		return c
	}
	if c := verrevcmp(va.upstream, vb.upstream); c != 0 {
		return c
	}
	return verrevcmp(va.revision, vb.revision)
}

// debOrder is dpkg's order of a non-digit character: tilde lowest, then the
// end of the string, then letters, then everything else.
func debOrder(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	c := s[i]
	switch {
	case isDigit(c):
		return 0
	case isLetter(c):
		return int(c)
	case c == '~':
		return -1
	default:
		return int(c) + 256
	}
}

func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := debOrder(a, i), debOrder(b, j)
			if ac != bc {
				return cmpInt(ac, bc)
			}
			i++
			j++
		}
		si := i
		for i < len(a) && isDigit(a[i]) {
			i++
		}
		sj := j
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		if c := compareDigits(a[si:min(i, len(a))], b[sj:min(j, len(b))]); c != 0 {
			return c
		}
	}
	return 0
}
