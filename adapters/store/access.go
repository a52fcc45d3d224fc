package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/runwatch/runwatch/domain"
	"github.com/runwatch/runwatch/domain/access"
	"github.com/runwatch/runwatch/domain/inventory"
)

// ---- users ----

type userRow struct {
	bun.BaseModel `bun:"table:users,alias:users"`
	ID            string `bun:"id,pk"`
	Username      string `bun:"username"`
	Role          string `bun:"role"`
	PasswordHash  string `bun:"password_hash"`
	CreatedAt     int64  `bun:"created_at"`
	LastLoginAt   int64  `bun:"last_login_at"`
	DisabledAt    int64  `bun:"disabled_at"`
}

func (r *userRow) domain() access.UserAccount {
	return access.UserAccount{ID: r.ID, Username: r.Username, Role: access.Role(r.Role), PasswordHash: r.PasswordHash,
		CreatedAt: fromUS(r.CreatedAt), LastLoginAt: fromUS(r.LastLoginAt), DisabledAt: fromUS(r.DisabledAt)}
}

// CreateUser implements ports.UserStore.
func (s *Store) CreateUser(ctx context.Context, u access.UserAccount) error {
	r, err := s.db.ExecContext(ctx, `INSERT INTO users (id, username, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (username) DO NOTHING`,
		u.ID, u.Username, string(u.Role), u.PasswordHash, us(u.CreatedAt))
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	if affected(r) == 0 {
		return domain.Conflictf("user %q exists", u.Username)
	}
	return nil
}

func (s *Store) getUser(ctx context.Context, where string, arg any) (access.UserAccount, error) {
	var row userRow
	err := s.db.NewSelect().Model(&row).Where(where, arg).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return access.UserAccount{}, domain.NotFoundf("no such user")
	}
	if err != nil {
		return access.UserAccount{}, fmt.Errorf("read user: %w", err)
	}
	return row.domain(), nil
}

// GetUser implements ports.UserStore.
func (s *Store) GetUser(ctx context.Context, id string) (access.UserAccount, error) {
	return s.getUser(ctx, "id = ?", id)
}

// GetUserByName implements ports.UserStore.
func (s *Store) GetUserByName(ctx context.Context, username string) (access.UserAccount, error) {
	return s.getUser(ctx, "username = ?", username)
}

// ListUsers implements ports.UserStore.
func (s *Store) ListUsers(ctx context.Context) ([]access.UserAccount, error) {
	var rows []userRow
	if err := s.db.NewSelect().Model(&rows).Order("username").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out := make([]access.UserAccount, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// UpdateUser implements ports.UserStore.
func (s *Store) UpdateUser(ctx context.Context, u access.UserAccount) error {
	r, err := s.db.ExecContext(ctx, `UPDATE users SET role = ?, password_hash = ?, disabled_at = ? WHERE id = ?`,
		string(u.Role), u.PasswordHash, us(u.DisabledAt), u.ID)
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	if affected(r) == 0 {
		return domain.NotFoundf("no such user")
	}
	return nil
}

// DeleteUser implements ports.UserStore. Their sessions go with them
// (ON DELETE CASCADE); their API tokens are revoked, not deleted, so the
// audit log keeps naming them.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, id); err != nil {
			return fmt.Errorf("delete user's sessions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at = 0`, us(time.Now()), id); err != nil {
			return fmt.Errorf("revoke user's API tokens: %w", err)
		}
		r, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete user: %w", err)
		}
		if affected(r) == 0 {
			return domain.NotFoundf("no such user")
		}
		return nil
	})
}

// CountActiveAdmins implements ports.UserStore.
func (s *Store) CountActiveAdmins(ctx context.Context) (int, error) {
	var n int
	if err := s.db.NewRaw(`SELECT count(*) FROM users WHERE role = ? AND disabled_at = 0`, string(access.RoleAdmin)).Scan(ctx, &n); err != nil {
		return 0, fmt.Errorf("count admins: %w", err)
	}
	return n, nil
}

// RecordLogin implements ports.UserStore.
func (s *Store) RecordLogin(ctx context.Context, id string, at time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE users SET last_login_at = ? WHERE id = ?`, us(at), id); err != nil {
		return fmt.Errorf("record login: %w", err)
	}
	return nil
}

// ---- sessions ----

type sessionRow struct {
	bun.BaseModel `bun:"table:sessions,alias:sessions"`
	ID            string `bun:"id,pk"`
	UserID        string `bun:"user_id"`
	SecretHash    string `bun:"secret_hash"`
	CreatedAt     int64  `bun:"created_at"`
	ExpiresAt     int64  `bun:"expires_at"`
}

// CreateSession implements ports.SessionStore.
func (s *Store) CreateSession(ctx context.Context, se access.Session) error {
	row := sessionRow{ID: se.ID, UserID: se.UserID, SecretHash: se.SecretHash, CreatedAt: us(se.CreatedAt), ExpiresAt: us(se.ExpiresAt)}
	if _, err := s.db.NewInsert().Model(&row).Exec(ctx); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// GetSession implements ports.SessionStore.
func (s *Store) GetSession(ctx context.Context, id string) (access.Session, error) {
	var row sessionRow
	err := s.db.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return access.Session{}, domain.NotFoundf("no such session")
	}
	if err != nil {
		return access.Session{}, fmt.Errorf("read session: %w", err)
	}
	return access.Session{ID: row.ID, UserID: row.UserID, SecretHash: row.SecretHash, CreatedAt: fromUS(row.CreatedAt), ExpiresAt: fromUS(row.ExpiresAt)}, nil
}

// DeleteSession implements ports.SessionStore.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions implements ports.SessionStore.
func (s *Store) DeleteUserSessions(ctx context.Context, userID, except string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND id <> ?`, userID, except); err != nil {
		return fmt.Errorf("delete sessions: %w", err)
	}
	return nil
}

// DeleteExpiredSessions implements ports.SessionStore.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	r, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, us(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return int64(affected(r)), nil
}

// ---- API tokens ----

type apiTokenRow struct {
	bun.BaseModel `bun:"table:api_tokens,alias:api_tokens"`
	ID            string `bun:"id,pk"`
	Name          string `bun:"name"`
	Role          string `bun:"role"`
	UserID        string `bun:"user_id"`
	Username      string `bun:"username"`
	SecretHash    string `bun:"secret_hash"`
	CreatedAt     int64  `bun:"created_at"`
	ExpiresAt     int64  `bun:"expires_at"`
	RevokedAt     int64  `bun:"revoked_at"`
	LastUsedAt    int64  `bun:"last_used_at"`
}

func (r *apiTokenRow) domain() access.APITokenRecord {
	return access.APITokenRecord{ID: r.ID, Name: r.Name, Role: access.Role(r.Role), UserID: r.UserID, Username: r.Username,
		SecretHash: r.SecretHash, CreatedAt: fromUS(r.CreatedAt), ExpiresAt: fromUS(r.ExpiresAt), RevokedAt: fromUS(r.RevokedAt),
		LastUsedAt: fromUS(r.LastUsedAt)}
}

// CreateAPIToken implements ports.APITokenStore.
func (s *Store) CreateAPIToken(ctx context.Context, t access.APITokenRecord) error {
	row := apiTokenRow{ID: t.ID, Name: t.Name, Role: string(t.Role), UserID: t.UserID, Username: t.Username, SecretHash: t.SecretHash,
		CreatedAt: us(t.CreatedAt), ExpiresAt: us(t.ExpiresAt)}
	if _, err := s.db.NewInsert().Model(&row).Exec(ctx); err != nil {
		return fmt.Errorf("create API token: %w", err)
	}
	return nil
}

// GetAPIToken implements ports.APITokenStore.
func (s *Store) GetAPIToken(ctx context.Context, id string) (access.APITokenRecord, error) {
	var row apiTokenRow
	err := s.db.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return access.APITokenRecord{}, domain.NotFoundf("no API token %q", domain.Clip(id))
	}
	if err != nil {
		return access.APITokenRecord{}, fmt.Errorf("read API token: %w", err)
	}
	return row.domain(), nil
}

// ListAPITokens implements ports.APITokenStore.
func (s *Store) ListAPITokens(ctx context.Context, userID string) ([]access.APITokenRecord, error) {
	var rows []apiTokenRow
	q := s.db.NewSelect().Model(&rows).Order("created_at DESC", "id")
	if userID != "*" {
		q = q.Where("user_id = ?", userID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	out := make([]access.APITokenRecord, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// RevokeAPIToken implements ports.APITokenStore.
func (s *Store) RevokeAPIToken(ctx context.Context, id string, at time.Time) (access.APITokenRecord, error) {
	if _, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at = 0`, us(at), id); err != nil {
		return access.APITokenRecord{}, fmt.Errorf("revoke API token: %w", err)
	}
	return s.GetAPIToken(ctx, id)
}

// TouchAPITokens implements ports.APITokenStore.
func (s *Store) TouchAPITokens(ctx context.Context, lastUsed map[string]time.Time) error {
	return s.touch(ctx, "api_tokens", lastUsed)
}

// ---- audit ----

type auditRow struct {
	bun.BaseModel `bun:"table:audit_events,alias:audit_events"`
	ID            int64  `bun:"id,pk,autoincrement"`
	At            int64  `bun:"at"`
	ActorKind     string `bun:"actor_kind"`
	Actor         string `bun:"actor"`
	Action        string `bun:"action"`
	Detail        string `bun:"detail"`
	Result        string `bun:"result"`
	RemoteAddr    string `bun:"remote_addr"`
}

// AppendAudit implements ports.AuditStore.
func (s *Store) AppendAudit(ctx context.Context, e access.AuditEvent) error {
	row := auditRow{At: us(e.At), ActorKind: string(e.ActorKind), Actor: e.Actor, Action: e.Action, Detail: e.Detail, Result: e.Result, RemoteAddr: e.RemoteAddr}
	if _, err := s.db.NewInsert().Model(&row).Exec(ctx); err != nil {
		return fmt.Errorf("append audit event: %w", err)
	}
	return nil
}

// ListAudit implements ports.AuditStore.
func (s *Store) ListAudit(ctx context.Context, text string, limit int, beforeID int64) ([]access.AuditEvent, error) {
	var rows []auditRow
	q := s.db.NewSelect().Model(&rows).Order("id DESC").Limit(int64(limit))
	if beforeID > 0 {
		q = q.Where("id < ?", beforeID)
	}
	if text != "" {
		pat := likeArg(text)
		q = q.Where(`(lower(actor) LIKE ? ESCAPE '\' OR lower(action) LIKE ? ESCAPE '\')`, pat, pat)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	out := make([]access.AuditEvent, len(rows))
	for i, r := range rows {
		out[i] = access.AuditEvent{ID: r.ID, At: fromUS(r.At), ActorKind: access.PrincipalKind(r.ActorKind), Actor: r.Actor,
			Action: r.Action, Detail: r.Detail, Result: r.Result, RemoteAddr: r.RemoteAddr}
	}
	return out, nil
}

// ---- settings ----

// GetSetting implements ports.SettingsStore.
func (s *Store) GetSetting(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := s.db.NewRaw(`SELECT value FROM settings WHERE key = ?`, key).Scan(ctx, &v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read setting %s: %w", key, err)
	}
	return v, true, nil
}

// PutSetting implements ports.SettingsStore.
func (s *Store) PutSetting(ctx context.Context, key, value string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`, key, value, us(at))
	if err != nil {
		return fmt.Errorf("write setting %s: %w", key, err)
	}
	return nil
}

// ---- entitlement ----

// NodesInOperation implements ports.EntitlementStore.
func (s *Store) NodesInOperation(ctx context.Context, since time.Time) ([]access.NodeInOperation, error) {
	var rows []struct {
		ClusterID   string `bun:"cluster_id"`
		ClusterName string `bun:"cluster_name"`
		Name        string `bun:"name"`
		StartedAt   int64  `bun:"sensor_started_at"`
	}
	err := s.db.NewRaw(`SELECT n.cluster_id, c.name AS cluster_name, n.name, n.sensor_started_at FROM nodes n JOIN clusters c ON c.id = n.cluster_id
		WHERE n.sensor_heartbeat_at >= ? AND n.sensor_status <> ? AND n.sensor_disabled = FALSE`, us(since), string(inventory.SensorStopped)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("list nodes in operation: %w", err)
	}
	out := make([]access.NodeInOperation, len(rows))
	for i, r := range rows {
		out[i] = access.NodeInOperation{ClusterID: r.ClusterID, ClusterName: r.ClusterName, Node: r.Name, Since: fromUS(r.StartedAt)}
	}
	return out, nil
}

// SetRestrictions implements ports.EntitlementStore.
func (s *Store) SetRestrictions(ctx context.Context, decisions []access.Decision) error {
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var keep []string
		for _, d := range decisions {
			if !d.Restricted {
				continue
			}
			keep = append(keep, d.ClusterID+"/"+d.Node) // node names never hold '/'

			if _, err := tx.ExecContext(ctx, `UPDATE nodes SET restricted = TRUE, restriction_reason = ? WHERE cluster_id = ? AND name = ?`,
				d.Reason, d.ClusterID, d.Node); err != nil {
				return fmt.Errorf("restrict %s: %w", d.Node, err)
			}
		}
		q := `UPDATE nodes SET restricted = FALSE, restriction_reason = '' WHERE restricted = TRUE`
		var args []any
		if len(keep) > 0 {
			q += ` AND (cluster_id || '/' || name) NOT IN (?)`
			args = append(args, bun.List(keep))
		}
		if _, err := tx.NewRaw(q, args...).Exec(ctx); err != nil {
			return fmt.Errorf("lift restrictions: %w", err)
		}
		return nil
	})
}

// TouchSensor implements ports.EntitlementStore.
func (s *Store) TouchSensor(ctx context.Context, clusterID, node string, now time.Time) error {
	t := us(now)
	_, err := s.db.ExecContext(ctx, `INSERT INTO nodes (cluster_id, name, first_seen, last_seen, sensor_status, sensor_started_at, sensor_heartbeat_at)
	VALUES (?, ?, ?, ?, 'running', ?, ?)
	ON CONFLICT (cluster_id, name) DO UPDATE SET `+sensorSince("?")+`, sensor_heartbeat_at = EXCLUDED.sensor_heartbeat_at,
		sensor_status = CASE WHEN nodes.sensor_status IN ('', ?) THEN 'running' ELSE nodes.sensor_status END`,
		clusterID, node, t, t, t, t, us(now.Add(-inventory.StaleAfter)), string(inventory.SensorStopped))
	if err != nil {
		return fmt.Errorf("mark sensor of %s seen: %w", node, err)
	}
	return nil
}

// sensorSince keeps when a node's sensor started operating while it keeps
// operating, and restarts it when the node comes back after silence or a
// clean stop. A sensor restart (an upgrade) must not make a node the
// newest, or the entitlement would restrict it first. The placeholder is
// the stale-before time.
func sensorSince(stalePlaceholder string) string {
	return "sensor_started_at = CASE WHEN nodes.sensor_started_at = 0 OR nodes.sensor_heartbeat_at < " + stalePlaceholder +
		" OR nodes.sensor_status = 'stopped' THEN EXCLUDED.sensor_started_at ELSE nodes.sensor_started_at END"
}
