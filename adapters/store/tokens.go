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
	"github.com/runwatch/runwatch/ports"
)

type tokenRow struct {
	bun.BaseModel `bun:"table:registration_tokens,alias:registration_tokens"`
	ID            string `bun:"id,pk"`
	ClusterID     string `bun:"cluster_id"`
	SecretHash    string `bun:"secret_hash"`
	Description   string `bun:"description"`
	CreatedAt     int64  `bun:"created_at"`
	ExpiresAt     int64  `bun:"expires_at"`
	RevokedAt     int64  `bun:"revoked_at"`
	LastUsedAt    int64  `bun:"last_used_at"`
	ClusterName   string `bun:"cluster_name,scanonly"`
}

func (r *tokenRow) domain() access.RegistrationToken {
	return access.RegistrationToken{
		ID: r.ID, ClusterID: r.ClusterID, ClusterName: r.ClusterName, Description: r.Description,
		SecretHash: r.SecretHash, CreatedAt: fromUS(r.CreatedAt), ExpiresAt: fromUS(r.ExpiresAt),
		RevokedAt: fromUS(r.RevokedAt), LastUsedAt: fromUS(r.LastUsedAt),
	}
}

// EnsureCluster implements ports.TokenStore.
func (s *Store) EnsureCluster(ctx context.Context, id, name string, now time.Time) (ports.ClusterRef, error) {
	// Insert-or-nothing, then read: concurrent creators of the same name
	// both end with the one row that won.
	if _, err := s.db.ExecContext(ctx, `INSERT INTO clusters (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`, id, name, us(now)); err != nil {
		return ports.ClusterRef{}, fmt.Errorf("create cluster %s: %w", name, err)
	}
	return s.clusterRef(ctx, s.db, "name = ?", name)
}

func (s *Store) clusterRef(ctx context.Context, db bun.IDB, where string, arg any) (ports.ClusterRef, error) {
	var ref ports.ClusterRef
	var uid sql.NullString
	err := db.NewRaw("SELECT id, name, uid FROM clusters WHERE "+where, arg).Scan(ctx, &ref.ID, &ref.Name, &uid)
	if errors.Is(err, sql.ErrNoRows) {
		return ref, domain.NotFoundf("no cluster %q", arg)
	}
	if err != nil {
		return ref, fmt.Errorf("read cluster: %w", err)
	}
	ref.UID = uid.String
	return ref, nil
}

// CreateRegistrationToken implements ports.TokenStore.
func (s *Store) CreateRegistrationToken(ctx context.Context, t access.RegistrationToken) error {
	row := tokenRow{ID: t.ID, ClusterID: t.ClusterID, SecretHash: t.SecretHash, Description: t.Description,
		CreatedAt: us(t.CreatedAt), ExpiresAt: us(t.ExpiresAt)}
	if _, err := s.db.NewInsert().Model(&row).Exec(ctx); err != nil {
		return fmt.Errorf("store registration token: %w", err)
	}
	return nil
}

const tokenSelect = `SELECT t.id, t.cluster_id, t.secret_hash, t.description, t.created_at, t.expires_at, t.revoked_at, t.last_used_at, c.name AS cluster_name
FROM registration_tokens t JOIN clusters c ON c.id = t.cluster_id`

// GetRegistrationToken implements ports.TokenStore.
func (s *Store) GetRegistrationToken(ctx context.Context, id string) (access.RegistrationToken, error) {
	var row tokenRow
	err := s.db.NewRaw(tokenSelect+` WHERE t.id = ?`, id).Scan(ctx, &row)
	if errors.Is(err, sql.ErrNoRows) {
		return access.RegistrationToken{}, domain.NotFoundf("no registration token %q", domain.Clip(id))
	}
	if err != nil {
		return access.RegistrationToken{}, fmt.Errorf("read registration token: %w", err)
	}
	return row.domain(), nil
}

// ListRegistrationTokens implements ports.TokenStore.
func (s *Store) ListRegistrationTokens(ctx context.Context, cluster string) ([]access.RegistrationToken, error) {
	var rows []tokenRow
	q := tokenSelect
	var args []any
	if cluster != "" {
		q += ` WHERE c.id = ? OR c.name = ?`
		args = append(args, cluster, cluster)
	}
	q += ` ORDER BY t.created_at DESC, t.id`
	if err := s.db.NewRaw(q, args...).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("list registration tokens: %w", err)
	}
	out := make([]access.RegistrationToken, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// RevokeRegistrationToken implements ports.TokenStore.
func (s *Store) RevokeRegistrationToken(ctx context.Context, id string, at time.Time) (access.RegistrationToken, error) {
	if _, err := s.db.ExecContext(ctx, `UPDATE registration_tokens SET revoked_at = ? WHERE id = ? AND revoked_at = 0`, us(at), id); err != nil {
		return access.RegistrationToken{}, fmt.Errorf("revoke registration token: %w", err)
	}
	return s.GetRegistrationToken(ctx, id)
}

// TouchRegistrationTokens implements ports.TokenStore.
func (s *Store) TouchRegistrationTokens(ctx context.Context, lastUsed map[string]time.Time) error {
	return s.touch(ctx, "registration_tokens", lastUsed)
}

// touch moves tokens' last_used_at forward, never back.
func (s *Store) touch(ctx context.Context, table string, lastUsed map[string]time.Time) error {
	for id, at := range lastUsed {
		if _, err := s.db.ExecContext(ctx, `UPDATE `+table+` SET last_used_at = ? WHERE id = ? AND last_used_at < ?`, us(at), id, us(at)); err != nil {
			return fmt.Errorf("record use of %s %s: %w", table, id, err)
		}
	}
	return nil
}

// BindCluster implements ports.ClusterStore.
func (s *Store) BindCluster(ctx context.Context, clusterID string, reg inventory.Registration, now time.Time) (ports.ClusterRef, error) {
	var ref ports.ClusterRef
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		cur, err := s.clusterRef(ctx, tx, "id = ?", clusterID)
		if err != nil {
			return err
		}
		if cur.UID != "" && cur.UID != reg.ClusterUID {
			return domain.Conflictf("this token belongs to cluster %q, which is bound to cluster uid %s; a controller of cluster uid %s cannot use it (create a token for its own cluster name)", cur.Name, cur.UID, domain.Clip(reg.ClusterUID))
		}
		var other string
		err = tx.NewRaw(`SELECT name FROM clusters WHERE uid = ? AND id <> ?`, reg.ClusterUID, clusterID).Scan(ctx, &other)
		switch {
		case err == nil:
			return domain.Conflictf("cluster uid %s is already registered as cluster %q; use that cluster's token", domain.Clip(reg.ClusterUID), other)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("check cluster uid: %w", err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE clusters SET uid = ?, kubernetes_version = ?, provider = ?, controller_version = ?, controller_heartbeat_at = ? WHERE id = ?`,
			reg.ClusterUID, reg.KubernetesVersion, reg.Provider, reg.ControllerVersion, us(now), clusterID)
		if err != nil {
			return fmt.Errorf("bind cluster: %w", err)
		}
		ref = cur
		ref.UID = reg.ClusterUID
		return nil
	})
	return ref, err
}

// ControllerHeartbeat implements ports.ClusterStore.
func (s *Store) ControllerHeartbeat(ctx context.Context, clusterID string, st inventory.ControllerState) error {
	_, err := s.db.ExecContext(ctx, `UPDATE clusters SET controller_status = ?, controller_version = ?, controller_message = ?, controller_heartbeat_at = ?, controller_pending = ? WHERE id = ?`,
		string(st.Reported), st.Version, st.Message, us(st.LastHeartbeat), st.Pending, clusterID)
	if err != nil {
		return fmt.Errorf("record controller heartbeat: %w", err)
	}
	return nil
}
