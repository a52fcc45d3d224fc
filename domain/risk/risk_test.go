package risk

import (
	"slices"
	"testing"
	"time"

	"github.com/runwatch/runwatch/domain/vuln"
)

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func TestEvaluateTrust(t *testing.T) {
	found := RegistryCheck{Registry: "corp", Status: CheckFound, Repository: "docker-local"}
	missing := RegistryCheck{Registry: "mirror", Status: CheckNotFound}
	down := RegistryCheck{Registry: "other", Status: CheckFailed, Error: "connection refused"}
	tests := []struct {
		name   string
		checks []RegistryCheck
		want   Trust
		where  string
	}{
		{"nothing checked", nil, TrustUnknown, ""},
		{"found in one", []RegistryCheck{missing, found}, TrustTrusted, "corp"},
		{"found beats an outage", []RegistryCheck{down, found}, TrustTrusted, "corp"},
		{"absent everywhere", []RegistryCheck{missing, {Registry: "b", Status: CheckNotFound}}, TrustUntrusted, ""},
		{"absent but one down: wait", []RegistryCheck{missing, down}, TrustUnknown, ""},
		{"all down", []RegistryCheck{down}, TrustUnknown, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := EvaluateTrust(tt.checks)
			if v.Trust != tt.want || v.Reason == "" {
				t.Fatalf("trust %s (%s), want %s", v.Trust, v.Reason, tt.want)
			}
			if tt.where != "" && (v.Where == nil || v.Where.Registry != tt.where) {
				t.Fatalf("where %+v, want %s", v.Where, tt.where)
			}
		})
	}
}

func TestEvaluateIntegrity(t *testing.T) {
	const run, other, child = "sha256:aaaa", "sha256:bbbb", "sha256:cccc"
	tests := []struct {
		name string
		in   IntegrityInput
		want []Violation
	}{
		{"tag still points here", IntegrityInput{RunningDigest: run, Tags: []TagCheck{{Reference: "r/app:1", Status: CheckFound, Digest: run}}}, nil},
		{"tag moved", IntegrityInput{RunningDigest: run, Tags: []TagCheck{{Reference: "r/app:1", Status: CheckFound, Digest: other, At: t0}}},
			[]Violation{{Kind: ViolationTagMoved, Reference: "r/app:1", Expected: run, Actual: other, ObservedAt: t0}}},
		{"multi-arch index holds the running manifest", IntegrityInput{RunningDigest: child, Tags: []TagCheck{{Reference: "r/app:1", Status: CheckFound, Digest: other, Children: []string{child}}}}, nil},
		{"tag lookup failed proves nothing", IntegrityInput{RunningDigest: run, Tags: []TagCheck{{Reference: "r/app:1", Status: CheckFailed}}}, nil},
		{"tag gone is not a move", IntegrityInput{RunningDigest: run, Tags: []TagCheck{{Reference: "r/app:1", Status: CheckNotFound}}}, nil},
		{"digest deleted", IntegrityInput{RunningDigest: run, Digest: &DigestCheck{Repository: "r/app", Status: CheckNotFound, At: t0}},
			[]Violation{{Kind: ViolationDigestMissing, Reference: "r/app", Expected: run, ObservedAt: t0}}},
		{"digest check failed proves nothing", IntegrityInput{RunningDigest: run, Digest: &DigestCheck{Repository: "r/app", Status: CheckFailed}}, nil},
		{"drift", IntegrityInput{RunningDigest: run, Drift: []DriftedFile{{Path: "/tmp/x", SHA256: "ff", FirstSeen: t0}}},
			[]Violation{{Kind: ViolationDrift, Reference: "/tmp/x", Actual: "ff", ObservedAt: t0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EvaluateIntegrity(tt.in)
			for i := range got {
				got[i].Detail = ""
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestLoadedBy(t *testing.T) {
	goBin := Component{PURL: "pkg:golang/golang.org/x/text@v0.3.5", Files: []ComponentFile{{Path: "/app/server", SHA256: "s1"}}}
	deb := Component{PURL: "pkg:deb/debian/libssl3@3.0.11-1?distro=debian-12", Files: []ComponentFile{{Path: "/usr/lib/x86_64-linux-gnu/libssl.so.3"}}}
	tests := []struct {
		name  string
		c     Component
		loads []Load
		by    string
		ok    bool
	}{
		{"binary loaded by hash", goBin, []Load{{Path: "/srv/renamed", SHA256: "s1", FirstSeen: t0}}, "sha256", true},
		{"binary at path with other content is drift, not this", goBin, []Load{{Path: "/app/server", SHA256: "s2"}}, "", false},
		{"sensor named the purl, with qualifiers", goBin, []Load{{Path: "/x", SHA256: "zz", PURLs: []string{"pkg:golang/golang.org/x/text@v0.3.5?type=module"}}}, "purl", true},
		{"other version purl", goBin, []Load{{Path: "/x", PURLs: []string{"pkg:golang/golang.org/x/text@v0.3.8"}}}, "", false},
		{"library by path when the image side has no hash", deb, []Load{{Path: "/usr/lib/x86_64-linux-gnu/libssl.so.3", SHA256: "q"}}, "path", true},
		{"nothing loaded", deb, []Load{{Path: "/bin/sh", SHA256: "q"}}, "", false},
		{"earliest evidence wins", goBin, []Load{{Path: "/b", SHA256: "s1", FirstSeen: t0.Add(time.Hour)}, {Path: "/a", SHA256: "s1", FirstSeen: t0}}, "sha256", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, ok := LoadedBy(tt.c, tt.loads)
			if ok != tt.ok || ev.By != tt.by {
				t.Fatalf("loaded %v by %q, want %v by %q", ok, ev.By, tt.ok, tt.by)
			}
			if tt.name == "earliest evidence wins" && ev.Path != "/a" {
				t.Fatalf("evidence %+v", ev)
			}
		})
	}
}

func finding(id string, sev vuln.SeverityLevel, fixed ...string) vuln.Finding {
	return vuln.Finding{ID: id, Severity: sev, FixedVersions: fixed}
}

func TestJudgeFunnelAndRisks(t *testing.T) {
	text := Component{PURL: "pkg:golang/golang.org/x/text@v0.3.5", Files: []ComponentFile{{Path: "/app/server", SHA256: "s1"}}}
	ssl := Component{PURL: "pkg:deb/debian/libssl3@3.0.11-1", Files: []ComponentFile{{Path: "/usr/lib/libssl.so.3", SHA256: "s2"}}}
	evil := Component{PURL: "pkg:npm/left-padd@1.0.0", Files: []ComponentFile{{Path: "/app/node_modules/left-padd/index.js"}}}
	findings := map[string][]vuln.Finding{
		text.PURL: {finding("GO-2022-1059", vuln.SeverityHigh, "0.3.8"), finding("GO-2021-0113", vuln.SeverityUnknown, "0.3.7"), finding("CVE-CRIT-1", vuln.SeverityCritical)},
		ssl.PURL:  {finding("CVE-2023-5363", vuln.SeverityCritical, "3.0.11-1~deb12u2"), finding("GO-2022-1059", vuln.SeverityHigh, "0.3.8")},
		evil.PURL: {{ID: "MAL-2025-1", Severity: vuln.SeverityCritical, Malicious: true, Summary: "malware"}},
	}
	loads := []Load{{Path: "/app/server", SHA256: "s1", FirstSeen: t0}}
	facts := Judge([]Component{text, ssl, evil}, findings, loads, true)
	if len(facts) != 6 {
		t.Fatalf("%d facts", len(facts))
	}
	state := map[string]Applicability{}
	for _, f := range facts {
		state[f.Finding.ID+" "+f.Component] = f.Applicability
	}
	if state["GO-2022-1059 "+text.PURL] != Applicable || state["CVE-2023-5363 "+ssl.PURL] != NotApplicable {
		t.Fatalf("applicability: %v", state)
	}
	// 5 distinct ids; critical&high: GO-2022-1059, CVE-CRIT-1, CVE-2023-5363,
	// MAL-2025-1; with a fix: GO-2022-1059, CVE-2023-5363; applicable:
	// GO-2022-1059 (loaded through x/text, though not through libssl).
	// Loaded at any severity: the three of x/text.
	if got, want := CountFunnel(facts), (Funnel{All: 5, CriticalHigh: 4, WithFix: 2, Applicable: 1, ApplicableAny: 3}); got != want {
		t.Fatalf("funnel %+v, want %+v", got, want)
	}
	unobserved := Judge([]Component{text}, findings, nil, false)
	for _, f := range unobserved {
		if f.Applicability != ApplicabilityUnknown {
			t.Fatalf("without runtime observation: %s %s", f.Finding.ID, f.Applicability)
		}
	}

	a := ImageAssessment{Digest: "sha256:img", Trust: EvaluateTrust([]RegistryCheck{{Registry: "corp", Status: CheckNotFound}}),
		Violations: EvaluateIntegrity(IntegrityInput{RunningDigest: "sha256:img",
			Tags:  []TagCheck{{Reference: "r/app:1", Status: CheckFound, Digest: "sha256:new"}},
			Drift: []DriftedFile{{Path: "/tmp/miner", SHA256: "dd"}}}),
		Facts: facts}
	var kinds []string
	for _, r := range Risks(a) {
		kinds = append(kinds, string(r.Kind)+" "+r.Subject)
	}
	want := []string{
		"critical_applicable_cve CVE-CRIT-1",
		"drift /tmp/miner@dd",
		"integrity_violation tag_moved:r/app:1:sha256:new",
		"malicious_package pkg:npm/left-padd@1.0.0",
		"untrusted_image sha256:img",
	}
	if !slices.Equal(kinds, want) {
		t.Fatalf("risks\n%v\nwant\n%v", kinds, want)
	}
	// The same assessment yields the same keys (deduplication).
	r1, r2 := Risks(a), Risks(a)
	for i := range r1 {
		if r1[i].Key != r2[i].Key {
			t.Fatal("risk keys are not stable")
		}
	}
}

func TestCountFunnelApplicableAny(t *testing.T) {
	fact := func(id string, sev vuln.SeverityLevel, a Applicability, fixed ...string) VulnFact {
		return VulnFact{Finding: finding(id, sev, fixed...), Component: "pkg:generic/c-" + id + "-" + string(a), Applicability: a}
	}
	tests := []struct {
		name  string
		facts []VulnFact
		want  Funnel
	}{
		{"nothing", nil, Funnel{}},
		{"a low one loaded counts, though no stage holds it", []VulnFact{fact("L", vuln.SeverityLow, Applicable)},
			Funnel{All: 1, ApplicableAny: 1}},
		{"a critical one loaded without a fix", []VulnFact{fact("C", vuln.SeverityCritical, Applicable)},
			Funnel{All: 1, CriticalHigh: 1, ApplicableAny: 1}},
		{"a high one loaded with a fix is in both", []VulnFact{fact("H", vuln.SeverityHigh, Applicable, "2.0")},
			Funnel{All: 1, CriticalHigh: 1, WithFix: 1, Applicable: 1, ApplicableAny: 1}},
		{"never loaded, or not observed yet, does not count", []VulnFact{fact("N", vuln.SeverityLow, NotApplicable), fact("U", vuln.SeverityHigh, ApplicabilityUnknown)},
			Funnel{All: 2, CriticalHigh: 1}},
		{"one id in two components counts once, loaded if either is", []VulnFact{fact("D", vuln.SeverityMedium, NotApplicable), fact("D", vuln.SeverityMedium, Applicable)},
			Funnel{All: 1, ApplicableAny: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CountFunnel(tt.facts); got != tt.want {
				t.Fatalf("funnel %+v, want %+v", got, tt.want)
			}
		})
	}
}
