package platform

import (
	"context"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/runwatch/runwatch/adapters/server"
	"github.com/runwatch/runwatch/adapters/store"
	"github.com/runwatch/runwatch/platform/app"
)

// Platform is the assembled process.
type Platform struct {
	Server        *server.Server
	Store         *store.Store
	Auth          *app.Authenticator
	Accounts      *app.Accounts
	Entitlements  *app.Entitlements
	Pruner        *app.Pruner
	AdminPassword app.AdminPassword
	Enrichment    *Enrichment
	Log           *slog.Logger
}

// Build assembles the platform; the cleanup closes what it opened.
func Build(ctx context.Context, cfg *Config, log *slog.Logger) (*Platform, func(), error) {
	return build(ctx, cfg, log)
}

// Run serves until ctx ends, with the background workers beside the
// server. Listen must have been called.
func (p *Platform) Run(ctx context.Context) error {
	if err := p.Accounts.Bootstrap(ctx, p.AdminPassword); err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return p.Server.Serve(ctx, 20*time.Second) })
	g.Go(func() error { p.Auth.Run(ctx, 30*time.Second); return nil })
	g.Go(func() error { p.Pruner.Run(ctx, time.Hour); return nil })
	g.Go(func() error { p.Entitlements.Run(ctx, 2*time.Second); return nil })
	g.Go(func() error { p.Enrichment.Run(ctx); return nil })
	return g.Wait()
}
