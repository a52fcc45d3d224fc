// Package access holds who may call the platform: registration tokens that
// let a cluster's agents report, and the principals requests run as.
package access

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"io"
	"strings"
	"time"

	"github.com/runwatch/runwatch/domain"
)

// A registration token reads "rwr_<id>_<secret>": the id finds the stored
// record, the secret proves possession. Only sha256(token) is stored: the
// secret has 160 random bits, so a slow password hash would buy nothing
// and cost every ingest call.
const (
	RegistrationPrefix = "rwr_"
	idBytes            = 5  // 8 base32 characters
	secretBytes        = 20 // 32 base32 characters
)

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// TokenState is derived from expiry and revocation.
type TokenState string

const (
	TokenActive  TokenState = "active"
	TokenExpired TokenState = "expired"
	TokenRevoked TokenState = "revoked"
)

// Token lifetimes.
const (
	DefaultTokenTTL = 365 * 24 * time.Hour
	MaxTokenTTL     = 5 * 365 * 24 * time.Hour
)

// RegistrationToken is the stored record of a token; it never holds the
// secret.
type RegistrationToken struct {
	ID          string
	ClusterID   string
	ClusterName string
	Description string
	// SecretHash is hex sha256 of the whole token text.
	SecretHash string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  time.Time
	LastUsedAt time.Time
}

// State says whether the token may be used at now.
func (t *RegistrationToken) State(now time.Time) TokenState {
	switch {
	case !t.RevokedAt.IsZero():
		return TokenRevoked
	case !now.Before(t.ExpiresAt):
		return TokenExpired
	}
	return TokenActive
}

// newSecret makes "<prefix><id>_<secret>" and its id.
func newSecret(random io.Reader, prefix string) (text, id string, err error) {
	buf := make([]byte, idBytes+secretBytes)
	if _, err := io.ReadFull(random, buf); err != nil {
		return "", "", err
	}
	id = b32.EncodeToString(buf[:idBytes])
	return prefix + id + "_" + b32.EncodeToString(buf[idBytes:]), id, nil
}

// parseSecret checks a presented secret token's shape and returns its id.
// It says nothing more specific than "malformed" on purpose.
func parseSecret(text, prefix, what string) (string, error) {
	rest, ok := strings.CutPrefix(text, prefix)
	if !ok {
		return "", domain.Unauthenticatedf("not %s", what)
	}
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 8 || len(secret) != 32 {
		return "", domain.Unauthenticatedf("malformed %s", what)
	}
	if _, err := b32.DecodeString(id); err != nil {
		return "", domain.Unauthenticatedf("malformed %s", what)
	}
	if _, err := b32.DecodeString(secret); err != nil {
		return "", domain.Unauthenticatedf("malformed %s", what)
	}
	return id, nil
}

// checkTTL applies a default and bounds to a token lifetime.
func checkTTL(ttl, def, max time.Duration) (time.Duration, error) {
	switch {
	case ttl == 0:
		return def, nil
	case ttl < time.Minute:
		return 0, domain.Invalidf("ttl %s is shorter than a minute", ttl)
	case ttl > max:
		return 0, domain.Invalidf("ttl %s is longer than %s", ttl, max)
	}
	return ttl, nil
}

// NewRegistrationToken makes a token for a cluster. It returns the token
// text (shown once) and the record to store.
func NewRegistrationToken(random io.Reader, clusterID, clusterName, description string, ttl time.Duration, now time.Time) (string, RegistrationToken, error) {
	ttl, err := checkTTL(ttl, DefaultTokenTTL, MaxTokenTTL)
	if err != nil {
		return "", RegistrationToken{}, err
	}
	if len(description) > 256 {
		return "", RegistrationToken{}, domain.Invalidf("description is %d bytes, at most 256", len(description))
	}
	text, id, err := newSecret(random, RegistrationPrefix)
	if err != nil {
		return "", RegistrationToken{}, err
	}
	return text, RegistrationToken{
		ID:          id,
		ClusterID:   clusterID,
		ClusterName: clusterName,
		Description: description,
		SecretHash:  HashToken(text),
		CreatedAt:   now,
		ExpiresAt:   now.Add(ttl),
	}, nil
}

// secretMatches compares a presented token with a stored hash in constant
// time.
func secretMatches(text, hash string) bool {
	return subtle.ConstantTimeCompare([]byte(HashToken(text)), []byte(hash)) == 1
}

// HashToken is what is stored of a token.
func HashToken(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// ParseRegistrationToken checks a presented token's shape and returns its
// id. It says nothing more specific than "malformed" on purpose.
func ParseRegistrationToken(text string) (id string, err error) {
	return parseSecret(text, RegistrationPrefix, "a registration token")
}

// Verify checks a presented token against its stored record: the secret
// matches (in constant time), and the token is neither revoked nor expired.
func (t *RegistrationToken) Verify(text string, now time.Time) error {
	if !secretMatches(text, t.SecretHash) {
		return domain.Unauthenticatedf("unknown registration token")
	}
	switch t.State(now) {
	case TokenRevoked:
		return domain.Unauthenticatedf("registration token %s was revoked on %s", t.ID, t.RevokedAt.UTC().Format(time.RFC3339))
	case TokenExpired:
		return domain.Unauthenticatedf("registration token %s expired on %s", t.ID, t.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// ValidateClusterName checks a cluster name: lowercase letters, digits,
// '-' and '.', starting and ending with a letter or digit, at most 63.
func ValidateClusterName(name string) error {
	if name == "" || len(name) > 63 {
		return domain.Invalidf("cluster name must be 1 to 63 characters")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && !(c == '-' || c == '.') || (!alnum && (i == 0 || i == len(name)-1)) {
			return domain.Invalidf("cluster name %q must be lowercase letters, digits, '-' and '.', starting and ending with a letter or digit", domain.Clip(name))
		}
	}
	return nil
}

// NewID returns a random identifier with a prefix, for clusters and the
// like: "<prefix>_" and 16 base32 characters (80 bits).
func NewID(random io.Reader, prefix string) (string, error) {
	var b [10]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return "", err
	}
	return prefix + "_" + b32.EncodeToString(b[:]), nil
}
