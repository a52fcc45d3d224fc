package vuln

import "strings"

// Alpine (apk) versions: dot-separated numbers, an optional letter, any
// number of suffixes (_alpha, _beta, _pre, _rc, or _cvs, _svn, _git, _hg,
// _p) each with an optional number, an optional ~hash, and an optional
// package revision -r<N>. This follows apk-tools' apk_version_compare.

// apkSuffixRank orders suffixes: the pre-release ones before a plain
// version, the post-release ones after.
var apkSuffixRank = map[string]int{
	"alpha": -4, "beta": -3, "pre": -2, "rc": -1,
	"cvs": 1, "svn": 2, "git": 3, "hg": 4, "p": 5,
}

type apkSuffix struct {
	rank int
	num  string
}

type apkVersion struct {
	nums     []string
	letter   byte
	suffixes []apkSuffix
	hash     string
	revision string
	valid    bool
}

func parseAlpine(s string) apkVersion {
	var v apkVersion
	rest := s
	if i := strings.LastIndex(rest, "-r"); i >= 0 && allDigits(rest[i+2:]) {
		v.revision, rest = rest[i+2:], rest[:i]
	}
	if i := strings.IndexByte(rest, '~'); i >= 0 {
		v.hash, rest = rest[i+1:], rest[:i]
	}
	main, suffixes, _ := strings.Cut(rest, "_")
	if main == "" {
		return v
	}
	if c := main[len(main)-1]; c >= 'a' && c <= 'z' {
		v.letter, main = c, main[:len(main)-1]
	}
	for _, n := range strings.Split(main, ".") {
		if !allDigits(n) {
			return v
		}
		v.nums = append(v.nums, n)
	}
	if suffixes != "" {
		for _, sfx := range strings.Split(suffixes, "_") {
			name := strings.TrimRightFunc(sfx, func(r rune) bool { return r >= '0' && r <= '9' })
			rank, ok := apkSuffixRank[name]
			if !ok {
				return v
			}
			v.suffixes = append(v.suffixes, apkSuffix{rank: rank, num: sfx[len(name):]})
		}
	}
	v.valid = true
	return v
}

// ValidAlpine says whether s is a well-formed apk version.
func ValidAlpine(s string) bool { return parseAlpine(s).valid }

// CompareAlpine orders two apk package versions. Invalid versions order
// before valid ones and among themselves as strings.
func CompareAlpine(a, b string) int {
	va, vb := parseAlpine(a), parseAlpine(b)
	switch {
	case !va.valid && !vb.valid:
		return strings.Compare(a, b)
	case !va.valid:
		return -1
	case !vb.valid:
		return 1
	}
	for i := 0; i < len(va.nums) || i < len(vb.nums); i++ {
		if i >= len(va.nums) {
			return -1 // 1.2 < 1.2.0: apk treats the longer one as newer
		}
		if i >= len(vb.nums) {
			return 1
		}
		var c int
		// After the first component a leading zero makes the component a
		// fraction, compared as a string (apk: 1.01 < 1.1).
		if i > 0 && (va.nums[i][0] == '0' || vb.nums[i][0] == '0') {
			c = strings.Compare(va.nums[i], vb.nums[i])
		} else {
			c = compareDigits(va.nums[i], vb.nums[i])
		}
		if c != 0 {
			return c
		}
	}
	if c := cmpInt(int(va.letter), int(vb.letter)); c != 0 {
		return c
	}
	for i := 0; i < len(va.suffixes) || i < len(vb.suffixes); i++ {
		var sa, sb apkSuffix
		if i < len(va.suffixes) {
			sa = va.suffixes[i]
		}
		if i < len(vb.suffixes) {
			sb = vb.suffixes[i]
		}
		if c := cmpInt(sa.rank, sb.rank); c != 0 {
			return c
		}
		if c := compareDigits(sa.num, sb.num); c != 0 {
			return c
		}
	}
	if c := strings.Compare(va.hash, vb.hash); c != 0 {
		return c
	}
	return compareDigits(va.revision, vb.revision)
}
