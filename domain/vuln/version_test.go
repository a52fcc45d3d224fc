package vuln

import (
	"strings"
	"testing"
)

// ordered lists versions lowest first per ecosystem; each adjacent pair
// must compare less, and every pair must be consistent.
var ordered = map[Ecosystem][]string{
	EcosystemGo: {
		"v0.0.0-20210101000000-abcdefabcdef", "v0.0.0-20220101000000-abcdefabcdef",
		"v0.1.0-alpha", "v0.1.0-alpha.1", "v0.1.0-alpha.beta", "v0.1.0-beta", "v0.1.0-beta.2",
		"v0.1.0-beta.11", "v0.1.0-rc.1", "v0.1.0", "0.3.5", "v0.3.6", "0.3.7", "v0.3.8-0.20220101000000-abcdefabcdef",
		"v0.3.8", "v0.10.0", "v1.0.0", "v1.2.3", "v2.0.0+incompatible", "v10.0.0",
		"v99999999999999999999.0.0",
	},
	EcosystemDebian: {
		"1.0~rc1", "1.0~rc1-1", "1.0", "1.0-0.1", "1.0-1", "1.0-1+b1", "1.0-1+deb12u1", "1.0-2",
		"1.0a", "1.0+dfsg-1", "1.0.1", "1.2", "1.10", "2:0.1", "2:0.1-1",
	},
	EcosystemAlpine: {
		"1.0_alpha", "1.0_alpha2", "1.0_beta", "1.0_pre1", "1.0_rc1", "1.0", "1.0-r1", "1.0-r10",
		"1.0_p1", "1.0a", "1.0.0", "1.01", "1.1", "1.2.3", "1.10", "3.0.11-r0", "3.0.11-r1",
		"3.0.12-r0",
	},
	EcosystemMaven: {
		"1-alpha-1", "1-alpha-2", "1-beta", "1-milestone-1", "1-rc", "1-snapshot", "1",
		"1-sp", "1-abc", "1-1", "1.0.1", "1.1", "1.2-beta-2", "1.2", "2.14.1", "2.15.0", "2.16",
		"10.0",
	},
}

func TestVersionOrder(t *testing.T) {
	for eco, vs := range ordered {
		for i := range vs {
			for j := range vs {
				got := CompareVersions(eco, vs[i], vs[j])
				want := cmpInt(i, j)
				if got != want {
					t.Errorf("%s: compare(%q, %q) = %d, want %d", eco, vs[i], vs[j], got, want)
				}
			}
		}
	}
}

func TestVersionEquivalents(t *testing.T) {
	tests := []struct {
		eco  Ecosystem
		a, b string
	}{
		{EcosystemGo, "v1.2.3", "1.2.3"},
		{EcosystemGo, "1.2", "1.2.0"},
		{EcosystemGo, "v1.2.3+build.5", "v1.2.3"},
		{EcosystemDebian, "0:1.0-1", "1.0-1"},
		{EcosystemDebian, "1.00", "1.0"},
		{EcosystemMaven, "1.0", "1"},
		{EcosystemMaven, "1-ga", "1"},
		{EcosystemMaven, "1.0.0.RELEASE", "1"},
		{EcosystemMaven, "1-final", "1.0"},
		{EcosystemMaven, "1-cr1", "1-rc1"},
		{EcosystemMaven, "1a1", "1-alpha-1"},
		{EcosystemAlpine, "1.0-r0", "1.0"},
	}
	for _, tt := range tests {
		if c := CompareVersions(tt.eco, tt.a, tt.b); c != 0 {
			t.Errorf("%s: compare(%q, %q) = %d, want 0", tt.eco, tt.a, tt.b, c)
		}
	}
}

func TestValidity(t *testing.T) {
	tests := []struct {
		fn   func(string) bool
		in   string
		want bool
	}{
		{ValidSemver, "v1.2.3", true},
		{ValidSemver, "1.2.3-rc.1+b", true},
		{ValidSemver, "1.2.3.4", false},
		{ValidSemver, "1.x", false},
		{ValidSemver, "1.2.3-", false},
		{ValidSemver, "1.2.3-a..b", false},
		{ValidDebian, "1:2.3-4", true},
		{ValidDebian, "x:1", false},
		{ValidDebian, "abc", false},
		{ValidAlpine, "1.2.3_rc1-r2", true},
		{ValidAlpine, "1.2_foo", false},
		{ValidAlpine, "", false},
	}
	for _, tt := range tests {
		if got := tt.fn(tt.in); got != tt.want {
			t.Errorf("valid(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestInvalidSemverOrdersFirst(t *testing.T) {
	if CompareSemver("garbage", "0.0.1") >= 0 || CompareSemver("0.0.1", "garbage") <= 0 {
		t.Fatal("an invalid version must order before valid ones")
	}
}

func TestGoVersionToSemver(t *testing.T) {
	tests := map[string]string{
		"go1.22.3": "1.22.3", "go1.21": "1.21.0", "go1.23rc1": "1.23.0-rc.1",
		"go1.20beta2": "1.20.0-beta.2", "go1.22.3 X:boringcrypto": "1.22.3",
		"devel +abc": "", "go": "", "go1": "", "go1.x": "", "go1.23rcx": "",
	}
	for in, want := range tests {
		if got := GoVersionToSemver(in); got != want {
			t.Errorf("GoVersionToSemver(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzCompare checks every comparator is a consistent total order on any
// input: reflexive, antisymmetric, transitive on the three inputs, and
// never panics.
func FuzzCompare(f *testing.F) {
	for _, vs := range ordered {
		for i := 0; i+2 < len(vs); i += 2 {
			f.Add(vs[i], vs[i+1], vs[i+2])
		}
	}
	f.Add("1:~", "~~", "-r")
	f.Add("1..2", "1-.-", "a1b2")
	f.Add("1.0_p_alpha", "1.0-r", "0:")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		for _, eco := range []Ecosystem{EcosystemGo, EcosystemDebian, EcosystemAlpine, EcosystemMaven} {
			cmp := func(x, y string) int { return CompareVersions(eco, x, y) }
			if cmp(a, a) != 0 {
				t.Fatalf("%s: %q != itself", eco, a)
			}
			if sign(cmp(a, b)) != -sign(cmp(b, a)) {
				t.Fatalf("%s: not antisymmetric on %q, %q", eco, a, b)
			}
			// Maven's own ComparableVersion is not transitive on degenerate
			// versions mixing qualifiers and sub-lists ("a" < "0a0" < "0"
			// but "a" > "0"); Runwatch orders as Maven does, so only the
			// other ecosystems are held to transitivity.
			if eco != EcosystemMaven && cmp(a, b) <= 0 && cmp(b, c) <= 0 && cmp(a, c) > 0 {
				t.Fatalf("%s: not transitive: %q <= %q <= %q but %q > %q", eco, a, b, c, a, c)
			}
		}
		if strings.HasPrefix(a, "go") {
			_ = GoVersionToSemver(a)
		}
	})
}

func sign(x int) int { return cmpInt(x, 0) }
