package risk

import (
	"sort"

	"github.com/runwatch/runwatch/domain/vuln"
)

// Kind names a risk.
type Kind string

// The risks.
const (
	KindUntrustedImage        Kind = "untrusted_image"
	KindIntegrityViolation    Kind = "integrity_violation"
	KindCriticalApplicableCVE Kind = "critical_applicable_cve"
	KindMaliciousPackage      Kind = "malicious_package"
	KindDrift                 Kind = "drift"
)

// Kinds are the risk kinds, most severe first: what a person should look
// at first when counting them.
var Kinds = []Kind{KindMaliciousPackage, KindCriticalApplicableCVE, KindIntegrityViolation, KindUntrustedImage, KindDrift}

// Risk is one risk of an image (and so of every workload running it).
type Risk struct {
	Kind Kind
	// Key identifies the risk for deduplication: the same key is the same
	// risk, however often it is evaluated.
	Key string
	// Subject is what it is about: a vulnerability id, a reference, a path.
	Subject string
	Detail  string
}

// ImageAssessment is everything judged about one image.
type ImageAssessment struct {
	Digest     string
	Trust      TrustVerdict
	Violations []Violation
	Facts      []VulnFact
}

// Risks lists the risks of an image, ordered by kind then key:
//   - untrusted_image when the trust verdict is untrusted;
//   - integrity_violation per tag moved or digest missing;
//   - drift per executable run that is not in the image;
//   - critical_applicable_cve per critical vulnerability whose code was loaded;
//   - malicious_package per malicious package in the image, loaded or not.
func Risks(a ImageAssessment) []Risk {
	var out []Risk
	add := func(k Kind, subject, detail string) {
		out = append(out, Risk{Kind: k, Key: string(k) + "|" + a.Digest + "|" + subject, Subject: subject, Detail: detail})
	}
	if a.Trust.Trust == TrustUntrusted {
		add(KindUntrustedImage, a.Digest, a.Trust.Reason)
	}
	for _, v := range a.Violations {
		switch v.Kind {
		case ViolationDrift:
			add(KindDrift, v.Reference+"@"+v.Actual, v.Detail)
		default:
			add(KindIntegrityViolation, string(v.Kind)+":"+v.Reference+":"+v.Actual, v.Detail+" (expected "+v.Expected+", found "+orNone(v.Actual)+")")
		}
	}
	seen := map[string]bool{}
	for _, f := range a.Facts {
		switch {
		case f.Finding.Malicious:
			if !seen["mal|"+f.Component] {
				seen["mal|"+f.Component] = true
				add(KindMaliciousPackage, f.Component, f.Finding.ID+": "+f.Finding.Summary)
			}
		case f.Finding.Severity == vuln.SeverityCritical && f.Applicability == Applicable:
			if !seen["cve|"+f.Finding.ID] {
				seen["cve|"+f.Finding.ID] = true
				add(KindCriticalApplicableCVE, f.Finding.ID, f.Component+" is loaded at runtime")
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Key < out[j].Key
	})
	return out
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}
