package vuln

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRangeEvaluation(t *testing.T) {
	ev := func(kind, v string) Event {
		switch kind {
		case "i":
			return Event{Introduced: v}
		case "f":
			return Event{Fixed: v}
		case "l":
			return Event{LastAffected: v}
		}
		return Event{Limit: v}
	}
	tests := []struct {
		name    string
		eco     Ecosystem
		events  []Event
		version string
		want    bool
	}{
		{"below fix", EcosystemGo, []Event{ev("i", "0"), ev("f", "0.3.7")}, "v0.3.5", true},
		{"at fix", EcosystemGo, []Event{ev("i", "0"), ev("f", "0.3.7")}, "v0.3.7", false},
		{"above fix", EcosystemGo, []Event{ev("i", "0"), ev("f", "0.3.7")}, "v0.4.0", false},
		{"before introduced", EcosystemGo, []Event{ev("i", "1.2.0"), ev("f", "1.2.5")}, "1.1.9", false},
		{"at introduced", EcosystemGo, []Event{ev("i", "1.2.0"), ev("f", "1.2.5")}, "1.2.0", true},
		{"two spans, between", EcosystemGo, []Event{ev("i", "0"), ev("f", "1.20.12"), ev("i", "1.21.0-0"), ev("f", "1.21.5")}, "1.20.13", false},
		{"two spans, second", EcosystemGo, []Event{ev("i", "0"), ev("f", "1.20.12"), ev("i", "1.21.0-0"), ev("f", "1.21.5")}, "1.21.4", true},
		{"two spans, unordered events", EcosystemGo, []Event{ev("f", "1.21.5"), ev("i", "1.21.0-0"), ev("f", "1.20.12"), ev("i", "0")}, "1.20.11", true},
		{"pre-release of second span", EcosystemGo, []Event{ev("i", "0"), ev("f", "1.20.12"), ev("i", "1.21.0-0"), ev("f", "1.21.5")}, "1.21.0-rc.2", true},
		{"last_affected equal", EcosystemGo, []Event{ev("i", "1.0.0"), ev("l", "1.4.0")}, "1.4.0", true},
		{"last_affected above", EcosystemGo, []Event{ev("i", "1.0.0"), ev("l", "1.4.0")}, "1.4.1", false},
		{"no fix", EcosystemGo, []Event{ev("i", "0")}, "99.0.0", true},
		{"limit", EcosystemGo, []Event{ev("i", "0"), ev("lim", "2.0.0")}, "2.1.0", false},
		{"debian epoch", EcosystemDebian, []Event{ev("i", "0"), ev("f", "1:2.0-1")}, "2.9-1", true},
		{"debian deb12u1 fix", EcosystemDebian, []Event{ev("i", "0"), ev("f", "3.0.11-1~deb12u2")}, "3.0.11-1~deb12u1", true},
		{"debian fixed", EcosystemDebian, []Event{ev("i", "0"), ev("f", "3.0.11-1~deb12u2")}, "3.0.11-1~deb12u2", false},
		{"alpine revision", EcosystemAlpine, []Event{ev("i", "0"), ev("f", "3.1.4-r1")}, "3.1.4-r0", true},
		{"alpine fixed", EcosystemAlpine, []Event{ev("i", "0"), ev("f", "3.1.4-r1")}, "3.1.4-r1", false},
		{"maven log4shell", EcosystemMaven, []Event{ev("i", "2.0-beta9"), ev("f", "2.15.0")}, "2.14.1", true},
		{"maven before introduced", EcosystemMaven, []Event{ev("i", "2.0-beta9"), ev("f", "2.15.0")}, "2.0-beta8", false},
		{"maven fixed", EcosystemMaven, []Event{ev("i", "2.0-beta9"), ev("f", "2.15.0")}, "2.15.0", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rangeAffects(tt.eco, tt.events, tt.version); got != tt.want {
				t.Errorf("affected(%s) = %v, want %v", tt.version, got, tt.want)
			}
		})
	}
}

func TestParseRecordRefusesWhatWouldMatchWrongly(t *testing.T) {
	tests := []struct{ name, json, want string }{
		{"not JSON", `{`, "decode"},
		{"no id", `{"affected":[]}`, "no valid id"},
		{"id with slash", `{"id":"../x"}`, "no valid id"},
		{"no package name", `{"id":"X-1","affected":[{"package":{"ecosystem":"Go"}}]}`, "no package name"},
		{"unknown range type", `{"id":"X-1","affected":[{"package":{"ecosystem":"Go","name":"m"},"ranges":[{"type":"WHAT","events":[{"introduced":"0"}]}]}]}`, "unknown type"},
		{"empty events", `{"id":"X-1","affected":[{"package":{"ecosystem":"Go","name":"m"},"ranges":[{"type":"SEMVER","events":[]}]}]}`, "0 events"},
		{"event with two fields", `{"id":"X-1","affected":[{"package":{"ecosystem":"Go","name":"m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0","fixed":"1"}]}]}]}`, "exactly one"},
		{"trailing data", `{"id":"X-1"} {"id":"X-2"}`, "trailing"},
		{"bad time", `{"id":"X-1","modified":"yesterday"}`, "decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRecord([]byte(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to say %q", err, tt.want)
			}
		})
	}
	if _, err := ParseRecord(make([]byte, MaxRecordBytes+1)); err == nil {
		t.Fatal("an oversized record was accepted")
	}
}

func record(t *testing.T, s string) *Record {
	t.Helper()
	r, err := ParseRecord([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestIndexMatch(t *testing.T) {
	x := NewIndex()
	x.Add(record(t, `{"id":"GO-2021-0113","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2021-38561","GHSA-ppp9-7jff-5vj2"],
	  "affected":[{"package":{"name":"golang.org/x/text","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.3.7"}]}]}]}`))
	x.Add(record(t, `{"id":"GHSA-jfh8-c2jp-5v3q","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2021-44228"],
	  "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}],
	  "affected":[{"package":{"name":"org.apache.logging.log4j:log4j-core","ecosystem":"Maven"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.0-beta9"},{"fixed":"2.3.1"},{"introduced":"2.4"},{"fixed":"2.12.2"},{"introduced":"2.13.0"},{"fixed":"2.15.0"}]}]}]}`))
	x.Add(record(t, `{"id":"DSA-5532-1","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2023-5363"],
	  "affected":[{"package":{"name":"openssl","ecosystem":"Debian:12"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u2"}]}]},
	              {"package":{"name":"openssl","ecosystem":"Debian:11"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.1.1w-0+deb11u1"}]}]}],
	  "database_specific":{"severity":"HIGH"}}`))
	x.Add(record(t, `{"id":"ALPINE-CVE-2023-0464","modified":"2024-01-01T00:00:00Z",
	  "affected":[{"package":{"name":"openssl","ecosystem":"Alpine:v3.17"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.8-r1"}]}]}]}`))
	x.Add(record(t, `{"id":"MAL-2024-1","modified":"2024-01-01T00:00:00Z","summary":"Malicious code in evil-pkg (npm)",
	  "affected":[{"package":{"name":"evil-pkg","ecosystem":"npm"}}]}`))
	x.Add(record(t, `{"id":"GO-2099-0001","modified":"2024-01-01T00:00:00Z","withdrawn":"2024-02-01T00:00:00Z",
	  "affected":[{"package":{"name":"golang.org/x/text","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`))

	tests := []struct {
		purl      string
		want      []string
		fixed     string
		severity  SeverityLevel
		malicious bool
	}{
		{"pkg:golang/golang.org/x/text@v0.3.5", []string{"GO-2021-0113"}, "0.3.7", SeverityUnknown, false},
		{"pkg:golang/golang.org/x/text@v0.3.7", nil, "", 0, false},
		{"pkg:golang/golang.org/x/text", nil, "", 0, false},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", []string{"GHSA-jfh8-c2jp-5v3q"}, "2.15.0", SeverityCritical, false},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.12.2", nil, "", 0, false},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.3", []string{"GHSA-jfh8-c2jp-5v3q"}, "2.3.1", SeverityCritical, false},
		{"pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl", []string{"DSA-5532-1"}, "3.0.11-1~deb12u2", SeverityHigh, false},
		{"pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12&upstream=openssl", nil, "", 0, false},
		{"pkg:deb/debian/openssl@1.1.1n-0+deb11u5?distro=debian-11", []string{"DSA-5532-1"}, "1.1.1w-0+deb11u1", SeverityHigh, false},
		{"pkg:apk/alpine/libcrypto3@3.0.8-r0?distro=alpine-3.17.2&upstream=openssl", []string{"ALPINE-CVE-2023-0464"}, "3.0.8-r1", SeverityUnknown, false},
		{"pkg:apk/alpine/libcrypto3@3.0.8-r0?distro=alpine-3.18.0&upstream=openssl", nil, "", 0, false},
		{"pkg:npm/evil-pkg@1.0.0", []string{"MAL-2024-1"}, "", SeverityCritical, true},
		{"pkg:cargo/serde@1.0.0", nil, "", 0, false},
		// A version the ordering cannot judge matches nothing, rather than
		// everything opened at "0".
		{"pkg:golang/golang.org/x/text@latest", nil, "", 0, false},
		{"pkg:deb/debian/openssl@unknown?distro=debian-11", nil, "", 0, false},
		// Ubuntu packages are not matched against Debian's advisories.
		{"pkg:deb/ubuntu/openssl@1.1.1n-0?distro=ubuntu-22.04", nil, "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.purl, func(t *testing.T) {
			p, err := ParsePURL(tt.purl)
			if err != nil {
				t.Fatal(err)
			}
			got := x.Match(p)
			var ids []string
			for _, f := range got {
				ids = append(ids, f.ID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Fatalf("matched %v, want %v", ids, tt.want)
			}
			if len(got) == 0 {
				return
			}
			f := got[0]
			if first := append(f.FixedVersions, "")[0]; first != tt.fixed {
				t.Errorf("fixed %v, want %q first", f.FixedVersions, tt.fixed)
			}
			if f.Severity != tt.severity || f.Malicious != tt.malicious {
				t.Errorf("severity %v malicious %v, want %v %v", f.Severity, f.Malicious, tt.severity, tt.malicious)
			}
		})
	}
	if x.Len() != 6 || x.Withdrawn() != 1 {
		t.Fatalf("len %d withdrawn %d, want 6 and 1", x.Len(), x.Withdrawn())
	}
}

func TestIndexKeepsNewestRevision(t *testing.T) {
	x := NewIndex()
	old := `{"id":"GO-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"name":"m","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]}]}`
	newer := `{"id":"GO-1","modified":"2024-03-01T00:00:00Z","affected":[{"package":{"name":"m","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"2.0.0"}]}]}]}`
	withdrawn := `{"id":"GO-1","modified":"2024-04-01T00:00:00Z","withdrawn":"2024-04-01T00:00:00Z","affected":[{"package":{"name":"m","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`
	p, _ := ParsePURL("pkg:golang/m@v1.5.0")
	x.Add(record(t, newer))
	x.Add(record(t, old)) // older: ignored
	if got := x.Match(p); len(got) != 1 || got[0].FixedVersions[0] != "2.0.0" {
		t.Fatalf("after an older revision: %+v", got)
	}
	x.Add(record(t, withdrawn))
	if got := x.Match(p); len(got) != 0 {
		t.Fatalf("a withdrawn record still matches: %+v", got)
	}
	if !x.LastModified().Equal(time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("last modified %v", x.LastModified())
	}
}

func TestCVSS3(t *testing.T) {
	tests := map[string]float64{
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H": 9.8,
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H": 10.0,
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H": 7.5,
		"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N": 5.5,
		"CVSS:3.0/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N": 3.1,
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N": 0,
	}
	for v, want := range tests {
		got, ok := CVSS3BaseScore(v)
		if !ok || got != want {
			t.Errorf("%s = %v (%v), want %v", v, got, ok, want)
		}
	}
	for _, bad := range []string{"", "CVSS:2.0/AV:N", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"} {
		if _, ok := CVSS3BaseScore(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestPURL(t *testing.T) {
	tests := []struct {
		in, canon, pkg string
		osv            OSVPackage
	}{
		{"pkg:golang/golang.org/x/text@v0.3.5", "pkg:golang/golang.org/x/text@v0.3.5", "pkg:golang/golang.org/x/text",
			OSVPackage{Ecosystem: EcosystemGo, Names: []string{"golang.org/x/text"}, Version: "v0.3.5"}},
		{"pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12&arch=amd64&upstream=openssl", "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl", "pkg:deb/debian/libssl3",
			OSVPackage{Ecosystem: EcosystemDebian, Release: "12", Names: []string{"libssl3", "openssl"}, Version: "3.0.11-1~deb12u2"}},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "pkg:maven/org.apache.logging.log4j/log4j-core",
			OSVPackage{Ecosystem: EcosystemMaven, Names: []string{"org.apache.logging.log4j:log4j-core"}, Version: "2.14.1"}},
		{"pkg:npm/%40angular/core@1.0.0", "pkg:npm/%40angular/core@1.0.0", "pkg:npm/%40angular/core",
			OSVPackage{Ecosystem: EcosystemNPM, Names: []string{"@angular/core"}, Version: "1.0.0"}},
		{"pkg:apk/alpine/busybox@1.36.1-r2?distro=alpine-3.19.1", "pkg:apk/alpine/busybox@1.36.1-r2?distro=alpine-3.19.1", "pkg:apk/alpine/busybox",
			OSVPackage{Ecosystem: EcosystemAlpine, Release: "v3.19", Names: []string{"busybox"}, Version: "1.36.1-r2"}},
	}
	for _, tt := range tests {
		p, err := ParsePURL(tt.in)
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if p.String() != tt.canon || p.Package() != tt.pkg {
			t.Errorf("%s: canon %s pkg %s", tt.in, p.String(), p.Package())
		}
		o, ok := p.ToOSV()
		if !ok || o.Ecosystem != tt.osv.Ecosystem || o.Release != tt.osv.Release || !slices.Equal(o.Names, tt.osv.Names) || o.Version != tt.osv.Version {
			t.Errorf("%s: osv %+v, want %+v", tt.in, o, tt.osv)
		}
	}
	for _, bad := range []string{"", "golang/x@1", "pkg:", "pkg:golang", "pkg:golang/", "pkg:golang/x%zz@1", "pkg:deb/x?%zz"} {
		if _, err := ParsePURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseRecord(f *testing.F) {
	f.Add([]byte(`{"id":"GO-2021-0113","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2021-38561"],"affected":[{"package":{"name":"golang.org/x/text","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.3.7"}]}]}]}`))
	f.Add([]byte(`{"id":"MAL-1","affected":[{"package":{"name":"x","ecosystem":"npm"},"versions":["1.0.0"]}]}`))
	f.Add([]byte(`{"id":"D-1","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"affected":[{"package":{"name":"o","ecosystem":"Debian:12"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"last_affected":"1:2"},{"limit":"*"}]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRecord(data)
		if err != nil {
			return
		}
		// Whatever parses must index, match and re-encode without panicking.
		x := NewIndex()
		x.Add(r)
		RecordSeverity(r)
		for _, a := range r.Affected {
			eco, _ := SplitEcosystem(a.Package.Ecosystem)
			for _, rg := range a.Ranges {
				for _, e := range rg.Events {
					a.Affects(eco, e.Introduced+e.Fixed+e.LastAffected+e.Limit)
				}
			}
		}
		if _, err := json.Marshal(r); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzParsePURL(f *testing.F) {
	for _, s := range []string{"pkg:golang/golang.org/x/text@v0.3.5", "pkg:deb/debian/libssl3@3.0.11-1?distro=debian-12&upstream=openssl", "pkg:npm/%40a/b@1#sub/path", "pkg:maven/g/a@1?x=%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePURL(s)
		if err != nil {
			return
		}
		// The canonical form must parse back to the same package URL
		// (unless escaping made it longer than a purl may be).
		if len(p.String()) > MaxPURLLength {
			return
		}
		q, err := ParsePURL(p.String())
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", p.String(), s, err)
		}
		if q.String() != p.String() {
			t.Fatalf("not stable: %q -> %q -> %q", s, p.String(), q.String())
		}
		p.ToOSV()
	})
}
