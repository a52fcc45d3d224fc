package app

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"time"

	"github.com/runwatch/runwatch/domain"
	"github.com/runwatch/runwatch/domain/access"
	"github.com/runwatch/runwatch/ports"
)

// Admin implements ports.Administration.
type Admin struct {
	tokens ports.TokenStore
	auth   *Authenticator
	clock  ports.Clock
	random io.Reader
	log    *slog.Logger
}

var _ ports.Administration = (*Admin)(nil)

// NewAdmin makes an Admin.
func NewAdmin(tokens ports.TokenStore, auth *Authenticator, clock ports.Clock, log *slog.Logger) *Admin {
	return &Admin{tokens: tokens, auth: auth, clock: clock, random: rand.Reader, log: log}
}

// CreateRegistrationToken implements ports.Administration.
func (a *Admin) CreateRegistrationToken(ctx context.Context, clusterName, description string, ttl time.Duration) (ports.NewToken, error) {
	if err := access.ValidateClusterName(clusterName); err != nil {
		return ports.NewToken{}, err
	}
	now := a.clock.Now()
	id, err := access.NewID(a.random, "cl")
	if err != nil {
		return ports.NewToken{}, err
	}
	ref, err := a.tokens.EnsureCluster(ctx, id, clusterName, now)
	if err != nil {
		return ports.NewToken{}, err
	}
	text, rec, err := access.NewRegistrationToken(a.random, ref.ID, ref.Name, description, ttl, now)
	if err != nil {
		return ports.NewToken{}, err
	}
	if err := a.tokens.CreateRegistrationToken(ctx, rec); err != nil {
		return ports.NewToken{}, err
	}
	a.log.Info("registration token created", "token_id", rec.ID, "cluster", ref.Name, "expires_at", rec.ExpiresAt)
	return ports.NewToken{Text: text, Record: rec}, nil
}

// ListRegistrationTokens implements ports.Administration.
func (a *Admin) ListRegistrationTokens(ctx context.Context, cluster string) ([]access.RegistrationToken, error) {
	if len(cluster) > 256 {
		return nil, domain.Invalidf("cluster filter too long")
	}
	return a.tokens.ListRegistrationTokens(ctx, cluster)
}

// RevokeRegistrationToken implements ports.Administration.
func (a *Admin) RevokeRegistrationToken(ctx context.Context, id string) (access.RegistrationToken, error) {
	if id == "" || len(id) > 64 {
		return access.RegistrationToken{}, domain.Invalidf("token id is required")
	}
	rec, err := a.tokens.RevokeRegistrationToken(ctx, id, a.clock.Now())
	if err != nil {
		return rec, err
	}
	a.auth.Forget("reg:" + id)
	a.log.Info("registration token revoked", "token_id", id, "cluster", rec.ClusterName)
	return rec, nil
}
