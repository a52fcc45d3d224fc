package access

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/runwatch/runwatch/domain"
)

// A licence is "rwl1.<payload>.<signature>": the payload is JSON, both
// parts base64url without padding, the signature ed25519 over the payload
// bytes exactly as encoded. It is small enough to paste, and needs no
// library to verify.
const LicensePrefix = "rwl1."

// License is what a licence grants.
type License struct {
	ID           string    `json:"id"`
	Organization string    `json:"organization"`
	IssuedAt     time.Time `json:"issued_at"`
	ExpiresAt    time.Time `json:"expires_at"`
	// SensorNodes is how many nodes may run sensors.
	SensorNodes int64 `json:"sensor_nodes"`
	// SensorsLicensed is false for controller-only licences.
	SensorsLicensed bool `json:"sensors_licensed"`
}

// DefaultEntitlement is what the platform grants without a licence: sensors
// on up to 10 nodes, enough to evaluate Runwatch on a small cluster.
var DefaultEntitlement = License{ID: "default", Organization: "unlicensed", SensorNodes: 10, SensorsLicensed: true}

// LicenseSkew is how far a licence's issue time may be ahead of the
// platform's clock: a little clock skew between the issuer and the
// platform must not refuse a fresh licence.
const LicenseSkew = 5 * time.Minute

// maxLicenseLen bounds what is decoded.
const maxLicenseLen = 8192

// ParseLicense verifies a licence's signature with the public key and
// checks its fields and that it is valid at now: what applying one needs.
func ParseLicense(text string, pub ed25519.PublicKey, now time.Time) (License, error) {
	l, err := VerifyLicense(text, pub)
	if err != nil {
		return License{}, err
	}
	return l, l.CheckValidity(now)
}

// VerifyLicense verifies a licence's signature and fields, whatever the
// time: a stored licence that expired is still the licence it was.
func VerifyLicense(text string, pub ed25519.PublicKey) (License, error) {
	text = strings.TrimSpace(text)
	if len(text) > maxLicenseLen {
		return License{}, domain.Invalidf("licence is %d bytes: not a licence", len(text))
	}
	rest, ok := strings.CutPrefix(text, LicensePrefix)
	if !ok {
		return License{}, domain.Invalidf("not a Runwatch licence (it starts with %q)", LicensePrefix)
	}
	payloadB64, sigB64, ok := strings.Cut(rest, ".")
	if !ok {
		return License{}, domain.Invalidf("licence is malformed: no signature")
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(payloadB64)
	sig, err2 := base64.RawURLEncoding.DecodeString(sigB64)
	if err1 != nil || err2 != nil || len(sig) != ed25519.SignatureSize {
		return License{}, domain.Invalidf("licence is malformed: bad encoding")
	}
	if len(pub) != ed25519.PublicKeySize {
		return License{}, domain.Invalidf("no licence public key is configured (--license-public-key)")
	}
	if !ed25519.Verify(pub, payload, sig) {
		return License{}, domain.Invalidf("licence signature does not verify: it was changed, or signed by another key")
	}
	var l License
	dec := json.NewDecoder(strings.NewReader(string(payload)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return License{}, domain.Invalidf("licence payload is malformed: %v", err)
	}
	switch {
	case l.ID == "" || len(l.ID) > 128:
		return License{}, domain.Invalidf("licence has no id")
	case l.Organization == "" || len(l.Organization) > 256:
		return License{}, domain.Invalidf("licence names no organisation")
	case l.SensorNodes < 0:
		return License{}, domain.Invalidf("licence grants %d nodes", l.SensorNodes)
	case l.IssuedAt.IsZero() || !l.ExpiresAt.After(l.IssuedAt):
		return License{}, domain.Invalidf("licence validity is empty (issued %s, expires %s)", l.IssuedAt.Format(time.RFC3339), l.ExpiresAt.Format(time.RFC3339))
	}
	return l, nil
}

// CheckValidity says whether the licence is valid at now, allowing for
// LicenseSkew at its start.
func (l License) CheckValidity(now time.Time) error {
	switch {
	case l.IssuedAt.After(now.Add(LicenseSkew)):
		return domain.Invalidf("licence is issued in the future (%s): check this platform's clock", l.IssuedAt.Format(time.RFC3339))
	case !now.Before(l.ExpiresAt):
		return domain.Invalidf("licence %s expired on %s", l.ID, l.ExpiresAt.Format(time.RFC3339))
	}
	return nil
}

// SignLicense issues a licence: the inverse of ParseLicense, for the
// issuer's tool and tests.
func SignLicense(l License, priv ed25519.PrivateKey) (string, error) {
	payload, err := json.Marshal(l)
	if err != nil {
		return "", err
	}
	sig := ed25519.Sign(priv, payload)
	return LicensePrefix + base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// LicenseSource says where the entitlement in force comes from.
type LicenseSource string

const (
	SourceDefault LicenseSource = "default"
	SourceLicense LicenseSource = "license"
	SourceExpired LicenseSource = "expired"
)

// InForce returns the entitlement in force at now: the applied licence,
// or the default when there is none or it expired. An expired licence
// falls back to the default rather than to nothing, so an expiry stops
// nobody's monitoring beyond what the default allows.
func InForce(applied *License, now time.Time) (License, LicenseSource) {
	switch {
	case applied == nil:
		return DefaultEntitlement, SourceDefault
	case !now.Before(applied.ExpiresAt):
		return DefaultEntitlement, SourceExpired
	}
	return *applied, SourceLicense
}
