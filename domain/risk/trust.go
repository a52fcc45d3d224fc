// Package risk holds Runwatch's judgement of what runs: whether an image is
// trusted, whether it is what the registry holds, which of its
// vulnerabilities are applicable because their code was loaded, the
// prioritisation funnel, and the risks that follow.
//
// Every rule here is pure and decides only from evidence it is given; when
// evidence is missing (a registry did not answer) the answer is unknown or
// pending, never a guess.
package risk

// Trust is an image's provenance verdict.
type Trust string

// The trust verdicts.
const (
	// TrustUnknown: not checked yet, or a trusted registry could not be
	// asked; no verdict either way.
	TrustUnknown Trust = "unknown"
	// TrustTrusted: a trusted registry holds the image's digest.
	TrustTrusted Trust = "trusted"
	// TrustUntrusted: every trusted registry answered and none holds it.
	TrustUntrusted Trust = "untrusted"
)

// CheckStatus is what a registry answered about a digest.
type CheckStatus string

// The answers.
const (
	CheckFound    CheckStatus = "found"
	CheckNotFound CheckStatus = "not_found"
	// CheckFailed: the registry was down, slow, refused us, or lied (a
	// manifest whose content does not match its digest).
	CheckFailed CheckStatus = "failed"
)

// RegistryCheck is one trusted registry's answer about a digest.
type RegistryCheck struct {
	// Registry is the integration's name.
	Registry string
	Status   CheckStatus
	// Repository and Path locate the image in the registry when found
	// ("docker-local", "app/server/1.2/manifest.json").
	Repository string
	Path       string
	// Error says why a check failed.
	Error string
}

// TrustVerdict is a trust verdict and the check it rests on.
type TrustVerdict struct {
	Trust Trust
	// Where is the check that found the image, for a trusted image.
	Where *RegistryCheck
	// Reason explains the verdict in a sentence.
	Reason string
}

// EvaluateTrust decides trust from the checks of every trusted registry.
// One trusted registry holding the digest makes the image trusted. It is
// untrusted only when every trusted registry answered that it does not
// hold it; if any failed the verdict stays unknown, so an outage never
// turns a good image untrusted. With no trusted registry configured there
// is nothing to judge against: unknown.
func EvaluateTrust(checks []RegistryCheck) TrustVerdict {
	if len(checks) == 0 {
		return TrustVerdict{Trust: TrustUnknown, Reason: "no trusted registry is configured or none was checked yet"}
	}
	failed := 0
	for i := range checks {
		switch checks[i].Status {
		case CheckFound:
			c := checks[i]
			return TrustVerdict{Trust: TrustTrusted, Where: &c, Reason: "found in trusted registry " + c.Registry}
		case CheckFailed:
			failed++
		}
	}
	if failed > 0 {
		return TrustVerdict{Trust: TrustUnknown, Reason: "a trusted registry could not be checked; the verdict waits for it"}
	}
	return TrustVerdict{Trust: TrustUntrusted, Reason: "no trusted registry holds this digest"}
}
