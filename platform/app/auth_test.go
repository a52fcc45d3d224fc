package app_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runwatch/runwatch/adapters/store"
	"github.com/runwatch/runwatch/domain"
	"github.com/runwatch/runwatch/domain/access"
	"github.com/runwatch/runwatch/platform/app"
	"github.com/runwatch/runwatch/ports"
)

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func setup(t *testing.T) (*store.Store, *clock, *app.Authenticator, *app.Admin) {
	t.Helper()
	s, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c := &clock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	log := slog.New(slog.DiscardHandler)
	auth := app.NewAuthenticator(s, c, "the-admin-token-0123", log)
	return s, c, auth, app.NewAdmin(s, auth, c, log)
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	s, c, auth, admin := setup(t)
	tok, err := admin.CreateRegistrationToken(ctx, "prod", "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p, err := auth.Authenticate(ctx, ports.Credentials{Bearer: tok.Text})
	if err != nil || p.Kind != access.Agent || p.ClusterName != "prod" || p.ClusterID != tok.Record.ClusterID || p.TokenID != tok.Record.ID {
		t.Fatalf("agent = %+v, %v", p, err)
	}
	if p, err := auth.Authenticate(ctx, ports.Credentials{Bearer: "the-admin-token-0123"}); err != nil || p.Kind != access.AdminToken {
		t.Fatalf("admin = %+v, %v", p, err)
	}
	for _, bad := range []string{"the-admin-token-012", "rwr_x", tok.Text + "x"} {
		if _, err := auth.Authenticate(ctx, ports.Credentials{Bearer: bad}); !errors.Is(err, domain.ErrUnauthenticated) {
			t.Errorf("Authenticate(%q) = %v", bad, err)
		}
	}
	// Revocation through this process holds at once, cache or not.
	if _, err := admin.RevokeRegistrationToken(ctx, tok.Record.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Authenticate(ctx, ports.Credentials{Bearer: tok.Text}); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("revoked token: %v", err)
	}
	// Expiry follows the clock, even for a cached record.
	tok2, _ := admin.CreateRegistrationToken(ctx, "prod", "", time.Hour)
	if _, err := auth.Authenticate(ctx, ports.Credentials{Bearer: tok2.Text}); err != nil {
		t.Fatal(err)
	}
	c.now = c.now.Add(time.Hour)
	if _, err := auth.Authenticate(ctx, ports.Credentials{Bearer: tok2.Text}); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired token: %v", err)
	}
	// Last use is written in the background, not per call.
	c.now = c.now.Add(-30 * time.Minute)
	tok3, _ := admin.CreateRegistrationToken(ctx, "prod", "", time.Hour)
	if _, err := auth.Authenticate(ctx, ports.Credentials{Bearer: tok3.Text}); err != nil {
		t.Fatal(err)
	}
	rec, _ := s.GetRegistrationToken(ctx, tok3.Record.ID)
	if !rec.LastUsedAt.IsZero() {
		t.Error("last use written on the request path")
	}
	if err := auth.FlushLastUsed(ctx); err != nil {
		t.Fatal(err)
	}
	rec, _ = s.GetRegistrationToken(ctx, tok3.Record.ID)
	if !rec.LastUsedAt.Equal(c.now) {
		t.Errorf("LastUsedAt = %v, want %v", rec.LastUsedAt, c.now)
	}
}

// BenchmarkAuthenticateAgent is the cost of a token check on ingest.
func BenchmarkAuthenticateAgent(b *testing.B) {
	ctx := context.Background()
	s, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "db"), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c := &clock{now: time.Now()}
	auth := app.NewAuthenticator(s, c, "", slog.New(slog.DiscardHandler))
	tok, err := app.NewAdmin(s, auth, c, slog.New(slog.DiscardHandler)).CreateRegistrationToken(ctx, "prod", "", 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := auth.Authenticate(ctx, ports.Credentials{Bearer: tok.Text}); err != nil {
			b.Fatal(err)
		}
	}
}
