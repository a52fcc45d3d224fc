package ports

import (
	"context"
	"time"

	"github.com/runwatch/runwatch/domain/access"
)

// UserStore keeps local accounts.
type UserStore interface {
	// CreateUser stores a new account; a taken username fails with
	// domain.ErrConflict.
	CreateUser(ctx context.Context, u access.UserAccount) error
	GetUser(ctx context.Context, id string) (access.UserAccount, error)
	GetUserByName(ctx context.Context, username string) (access.UserAccount, error)
	ListUsers(ctx context.Context) ([]access.UserAccount, error)
	// UpdateUser writes role, password hash and disabled time.
	UpdateUser(ctx context.Context, u access.UserAccount) error
	DeleteUser(ctx context.Context, id string) error
	// CountActiveAdmins counts enabled admin accounts, so the last one is
	// never removed.
	CountActiveAdmins(ctx context.Context) (int, error)
	RecordLogin(ctx context.Context, id string, at time.Time) error
}

// SessionStore keeps people's sessions.
type SessionStore interface {
	CreateSession(ctx context.Context, s access.Session) error
	GetSession(ctx context.Context, id string) (access.Session, error)
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions ends a user's sessions, except one (or none when
	// except is empty).
	DeleteUserSessions(ctx context.Context, userID, except string) error
	// DeleteExpiredSessions removes sessions expired before now.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)
}

// APITokenStore keeps API tokens.
type APITokenStore interface {
	CreateAPIToken(ctx context.Context, t access.APITokenRecord) error
	GetAPIToken(ctx context.Context, id string) (access.APITokenRecord, error)
	// ListAPITokens lists one user's tokens, or all when userID is "*".
	ListAPITokens(ctx context.Context, userID string) ([]access.APITokenRecord, error)
	RevokeAPIToken(ctx context.Context, id string, at time.Time) (access.APITokenRecord, error)
	TouchAPITokens(ctx context.Context, lastUsed map[string]time.Time) error
}

// AuditStore keeps the audit log.
type AuditStore interface {
	AppendAudit(ctx context.Context, e access.AuditEvent) error
	// ListAudit returns events newest first, before the id (0: from the
	// newest), whose actor or action contains text.
	ListAudit(ctx context.Context, text string, limit int, beforeID int64) ([]access.AuditEvent, error)
}

// SettingsStore keeps platform-wide settings every replica shares.
type SettingsStore interface {
	GetSetting(ctx context.Context, key string) (value string, found bool, err error)
	PutSetting(ctx context.Context, key, value string, at time.Time) error
}

// EntitlementStore reads and writes which nodes are in operation and
// restricted.
type EntitlementStore interface {
	// NodesInOperation lists nodes whose sensor heartbeated (or reported)
	// at or after since and did not say it stopped.
	NodesInOperation(ctx context.Context, since time.Time) ([]access.NodeInOperation, error)
	// SetRestrictions makes the restricted flags of all nodes match the
	// decisions: restricted nodes get their reason, every other node is
	// unrestricted.
	SetRestrictions(ctx context.Context, decisions []access.Decision) error
	// TouchSensor marks a node's sensor seen now, as a heartbeat without a
	// status would, for a node that reports before it heartbeats.
	TouchSensor(ctx context.Context, clusterID, node string, now time.Time) error
}

// AccessStore is everything access control keeps.
type AccessStore interface {
	UserStore
	SessionStore
	APITokenStore
	AuditStore
	SettingsStore
	EntitlementStore
}

// PasswordHasher hashes and checks passwords; the encoding carries its
// own parameters.
type PasswordHasher interface {
	Hash(password string) (string, error)
	Verify(encoded, password string) (bool, error)
}
