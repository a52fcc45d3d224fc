package vuln

import "strings"

// semver is a parsed semantic version (semver.org 2.0). Go module versions
// are semver with a leading "v", which is accepted and ignored; pseudo
// versions (v0.0.0-20210101000000-abcdef123456) are semver pre-releases
// and order by their timestamp as Go orders them.
type semver struct {
	major, minor, patch string // digit runs
	pre                 []string
	valid               bool
}

func parseSemver(s string) semver {
	s = strings.TrimPrefix(s, "v")
	if i := strings.IndexByte(s, '+'); i >= 0 {
		s = s[:i] // build metadata does not take part in ordering
	}
	var v semver
	core, pre, hasPre := strings.Cut(s, "-")
	parts := strings.Split(core, ".")
	if len(parts) > 3 {
		return v
	}
	nums := [3]string{"0", "0", "0"}
	for i, p := range parts {
		if !allDigits(p) {
			return v
		}
		nums[i] = p
	}
	v.major, v.minor, v.patch = nums[0], nums[1], nums[2]
	if hasPre {
		if pre == "" {
			return v
		}
		v.pre = strings.Split(pre, ".")
		for _, id := range v.pre {
			if id == "" {
				return v
			}
		}
	}
	v.valid = true
	return v
}

// ValidSemver says whether s is a semantic version, with or without a
// leading "v"; minor and patch may be left out ("1", "1.2").
func ValidSemver(s string) bool { return parseSemver(s).valid }

// CompareSemver orders two semantic versions by semver precedence. Invalid
// versions order before every valid one and among themselves as strings.
func CompareSemver(a, b string) int {
	va, vb := parseSemver(a), parseSemver(b)
	switch {
	case !va.valid && !vb.valid:
		return strings.Compare(a, b)
	case !va.valid:
		return -1
	case !vb.valid:
		return 1
	}
	if c := compareDigits(va.major, vb.major); c != 0 {
		return c
	}
	if c := compareDigits(va.minor, vb.minor); c != 0 {
		return c
	}
	if c := compareDigits(va.patch, vb.patch); c != 0 {
		return c
	}
	return comparePrerelease(va.pre, vb.pre)
}

// comparePrerelease orders pre-release identifiers: a version without them
// is greater; numeric identifiers order numerically and before
// alphanumeric ones; a shorter list that is a prefix is smaller.
func comparePrerelease(a, b []string) int {
	switch {
	case len(a) == 0 && len(b) == 0:
		return 0
	case len(a) == 0:
		return 1
	case len(b) == 0:
		return -1
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		na, nb := allDigits(a[i]), allDigits(b[i])
		var c int
		switch {
		case na && nb:
			c = compareDigits(a[i], b[i])
		case na:
			c = -1
		case nb:
			c = 1
		default:
			c = strings.Compare(a[i], b[i])
		}
		if c != 0 {
			return c
		}
	}
	return cmpInt(len(a), len(b))
}

// GoVersionToSemver turns a Go toolchain version as build info records it
// ("go1.22.3", "go1.21", "go1.23rc1", "go1.20beta2") into the semver the Go
// vulnerability database uses for the standard library ("1.22.3",
// "1.21.0", "1.23.0-rc.1"). It returns "" for what is not a Go release.
func GoVersionToSemver(v string) string {
	v, _, _ = strings.Cut(v, " ") // "go1.22.3 X:boringcrypto"
	v = strings.TrimPrefix(v, "go")
	if v == "" {
		return ""
	}
	pre := ""
	for _, tag := range []string{"rc", "beta", "alpha"} {
		if i := strings.Index(v, tag); i > 0 {
			n := v[i+len(tag):]
			if !allDigits(n) {
				return ""
			}
			pre = "-" + tag + "." + n
			v = v[:i]
			break
		}
	}
	parts := strings.Split(v, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return ""
	}
	for _, p := range parts {
		if !allDigits(p) {
			return ""
		}
	}
	if len(parts) == 2 {
		parts = append(parts, "0")
	}
	return strings.Join(parts, ".") + pre
}
