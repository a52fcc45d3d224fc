package risk

import (
	"slices"
	"time"
)

// ViolationKind names an integrity violation.
type ViolationKind string

// The violations.
const (
	// ViolationTagMoved: the tag the container was started from now
	// points to another digest in the registry (tag overwritten).
	ViolationTagMoved ViolationKind = "tag_moved"
	// ViolationDigestMissing: the registry the image came from no longer
	// holds the running digest.
	ViolationDigestMissing ViolationKind = "digest_missing"
	// ViolationDrift: a process ran an executable that is not in its image.
	ViolationDrift ViolationKind = "drift"
)

// Violation is an integrity violation with its evidence.
type Violation struct {
	Kind ViolationKind
	// Reference is the image reference or the executable path concerned.
	Reference string
	// Expected and Actual are the evidence: for tag_moved the running
	// digest and the digest the tag resolves to now; for digest_missing the
	// running digest and ""; for drift "" (nothing in the image) and the
	// executable's sha256.
	Expected string
	Actual   string
	Detail   string
	// ObservedAt is when the evidence was gathered.
	ObservedAt time.Time
}

// TagCheck is what a registry said when a reference's tag was resolved.
type TagCheck struct {
	Reference string // "registry.example.com/app/server:1.2"
	Status    CheckStatus
	// Digest is the manifest (or index) digest the tag resolves to.
	Digest string
	// Children are the manifest digests of an index, so a running
	// platform-specific manifest of a multi-arch tag is not a mismatch.
	Children []string
	At       time.Time
}

// DigestCheck is whether the registry the image came from still holds
// the running digest.
type DigestCheck struct {
	Repository string
	Status     CheckStatus
	At         time.Time
}

// DriftedFile is an executable run that the image does not contain.
type DriftedFile struct {
	Path, SHA256 string
	FirstSeen    time.Time
}

// IntegrityInput is the evidence about one running image.
type IntegrityInput struct {
	RunningDigest string
	Tags          []TagCheck
	Digest        *DigestCheck
	Drift         []DriftedFile
}

// EvaluateIntegrity lists the violations the evidence shows. Checks that
// failed prove nothing and add no violation.
func EvaluateIntegrity(in IntegrityInput) []Violation {
	var out []Violation
	for _, t := range in.Tags {
		if t.Status != CheckFound || t.Digest == "" || in.RunningDigest == "" {
			continue
		}
		if t.Digest == in.RunningDigest || slices.Contains(t.Children, in.RunningDigest) {
			continue
		}
		out = append(out, Violation{Kind: ViolationTagMoved, Reference: t.Reference,
			Expected: in.RunningDigest, Actual: t.Digest, ObservedAt: t.At,
			Detail: "the tag now resolves to another digest than the one running"})
	}
	if d := in.Digest; d != nil && d.Status == CheckNotFound {
		out = append(out, Violation{Kind: ViolationDigestMissing, Reference: d.Repository,
			Expected: in.RunningDigest, ObservedAt: d.At,
			Detail: "the registry no longer holds the running digest"})
	}
	for _, f := range in.Drift {
		out = append(out, Violation{Kind: ViolationDrift, Reference: f.Path, Actual: f.SHA256,
			ObservedAt: f.FirstSeen, Detail: "an executable that is not part of the image was run"})
	}
	return out
}
