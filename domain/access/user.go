package access

import (
	"io"
	"time"
	"unicode/utf8"

	"github.com/runwatch/runwatch/domain"
)

// UserAccount is a local account. PasswordHash is the hasher's encoded
// string; the domain never sees the algorithm.
type UserAccount struct {
	ID           string
	Username     string
	Role         Role
	PasswordHash string
	CreatedAt    time.Time
	LastLoginAt  time.Time
	DisabledAt   time.Time
}

// Active says whether the account may sign in and use its tokens.
func (u *UserAccount) Active() bool { return u.DisabledAt.IsZero() }

// Password bounds. Twelve characters is the floor NIST recommends for
// passwords chosen without other rules; the ceiling bounds hashing work.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

// ValidateUsername checks a username: 3 to 64 of [a-z0-9._-], starting
// with a letter or digit.
func ValidateUsername(name string) error {
	if len(name) < 3 || len(name) > 64 {
		return domain.Invalidf("username must be 3 to 64 characters")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && !(i > 0 && (c == '.' || c == '_' || c == '-')) {
			return domain.Invalidf("username %q must be lowercase letters, digits, '.', '_' and '-', starting with a letter or digit", domain.Clip(name))
		}
	}
	return nil
}

// ValidatePassword checks a new password.
func ValidatePassword(username, password string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLen:
		return domain.Invalidf("password must be at least %d characters", MinPasswordLen)
	case len(password) > MaxPasswordLen:
		return domain.Invalidf("password must be at most %d bytes", MaxPasswordLen)
	case !utf8.ValidString(password):
		return domain.Invalidf("password is not UTF-8")
	case password == username:
		return domain.Invalidf("password must not be the username")
	}
	return nil
}

// Secret-token prefixes: the prefix tells at a glance what leaked.
const (
	APITokenPrefix = "rwk_"
	SessionPrefix  = "rws_"
)

// Lifetimes.
const (
	DefaultAPITokenTTL = 90 * 24 * time.Hour
	MaxAPITokenTTL     = 2 * 365 * 24 * time.Hour
	SessionTTL         = 12 * time.Hour
)

// APITokenRecord is the stored record of an API token.
type APITokenRecord struct {
	ID         string
	Name       string
	Role       Role
	UserID     string // empty for tokens the admin token made
	Username   string
	SecretHash string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  time.Time
	LastUsedAt time.Time
}

// NewAPIToken makes an API token for a principal, with a role no higher
// than theirs.
func NewAPIToken(random io.Reader, creator Principal, name string, role Role, ttl time.Duration, now time.Time) (string, APITokenRecord, error) {
	if !creator.Person() {
		return "", APITokenRecord{}, domain.PermissionDeniedf("only a person may make API tokens")
	}
	if name == "" || len(name) > 128 || !utf8.ValidString(name) {
		return "", APITokenRecord{}, domain.Invalidf("API token name must be 1 to 128 characters")
	}
	if role == "" {
		role = creator.Role
	}
	if !role.Valid() {
		return "", APITokenRecord{}, domain.Invalidf("unknown role %q", role)
	}
	if !role.AtMost(creator.Role) {
		return "", APITokenRecord{}, domain.PermissionDeniedf("a %s cannot make a token with role %s", creator.Role, role)
	}
	ttl, err := checkTTL(ttl, DefaultAPITokenTTL, MaxAPITokenTTL)
	if err != nil {
		return "", APITokenRecord{}, err
	}
	text, id, err := newSecret(random, APITokenPrefix)
	if err != nil {
		return "", APITokenRecord{}, err
	}
	username := creator.Username
	if creator.Kind == AdminToken {
		username = "admin-token"
	}
	return text, APITokenRecord{ID: id, Name: name, Role: role, UserID: creator.UserID, Username: username,
		SecretHash: HashToken(text), CreatedAt: now, ExpiresAt: now.Add(ttl)}, nil
}

// ParseAPIToken checks a presented API token's shape and returns its id.
func ParseAPIToken(text string) (string, error) {
	return parseSecret(text, APITokenPrefix, "an API token")
}

// Verify checks a presented API token against its record.
func (t *APITokenRecord) Verify(text string, now time.Time) error {
	switch {
	case !secretMatches(text, t.SecretHash):
		return domain.Unauthenticatedf("unknown API token")
	case !t.RevokedAt.IsZero():
		return domain.Unauthenticatedf("API token %s was revoked on %s", t.ID, t.RevokedAt.UTC().Format(time.RFC3339))
	case !now.Before(t.ExpiresAt):
		return domain.Unauthenticatedf("API token %s expired on %s", t.ID, t.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// Session is a signed-in person's session.
type Session struct {
	ID         string
	UserID     string
	SecretHash string
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// NewSession starts a session for a user.
func NewSession(random io.Reader, userID string, now time.Time) (string, Session, error) {
	text, id, err := newSecret(random, SessionPrefix)
	if err != nil {
		return "", Session{}, err
	}
	return text, Session{ID: id, UserID: userID, SecretHash: HashToken(text), CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}, nil
}

// ParseSession checks a session cookie's shape and returns its id.
func ParseSession(text string) (string, error) { return parseSecret(text, SessionPrefix, "a session") }

// Verify checks a presented session cookie against its record.
func (s *Session) Verify(text string, now time.Time) error {
	switch {
	case !secretMatches(text, s.SecretHash):
		return domain.Unauthenticatedf("unknown session")
	case !now.Before(s.ExpiresAt):
		return domain.Unauthenticatedf("session expired; sign in again")
	}
	return nil
}
