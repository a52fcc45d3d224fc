package store_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/runwatch/runwatch/adapters/secrets"
	"github.com/runwatch/runwatch/adapters/store"
	"github.com/runwatch/runwatch/adapters/store/storetest"
	"github.com/runwatch/runwatch/ports"
)

// withSecrets seals the credentials a test stores under a random key.
func withSecrets(t testing.TB) store.Option {
	t.Helper()
	s, err := secrets.NewRandom("a test key")
	if err != nil {
		t.Fatal(err)
	}
	return store.WithSecrets(s)
}

func TestSQLiteSecretsAtRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runwatch.db")
	testSecretsAtRest(t, func(opts ...store.Option) *store.Store {
		s, err := store.OpenSQLite(context.Background(), path, slog.New(slog.DiscardHandler), opts...)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, "sqlite", "file:"+path)
}

func TestPostgresSecretsAtRest(t *testing.T) {
	url := storetest.PostgresURL(t)
	testSecretsAtRest(t, func(opts ...store.Option) *store.Store {
		s, err := store.OpenPostgres(context.Background(), url, slog.New(slog.DiscardHandler), opts...)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, "pgx", url)
}

// testSecretsAtRest: credentials are sealed in the database; rows an
// earlier version kept in the clear are read, then sealed at start; a
// store with another key names the records it cannot open and never
// gives a wrong secret.
func testSecretsAtRest(t *testing.T, open func(...store.Option) *store.Store, driver, dsn string) {
	ctx := context.Background()
	keyA, _ := secrets.NewKey()
	keyB, _ := secrets.NewKey()
	boxA, _ := secrets.New(keyA, "RUNWATCH_SECRET_KEY")
	boxB, _ := secrets.New(keyB, "/data/secret-key")
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	stored := func(table, name string) string {
		t.Helper()
		var v string
		if err := raw.QueryRowContext(ctx, `SELECT secret FROM `+table+` WHERE name = '`+name+`'`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if driver == "pgx" { // numbered placeholders
			for i := 1; strings.Contains(q, "?"); i++ {
				q = strings.Replace(q, "?", "$"+strconv.Itoa(i), 1)
			}
		}
		if _, err := raw.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	byName := func(ins []ports.Integration, name string) ports.Integration {
		for _, in := range ins {
			if in.Name == name {
				return in
			}
		}
		t.Fatalf("no integration %s in %+v", name, ins)
		return ports.Integration{}
	}

	a := open(store.WithSecrets(boxA))
	// Rows as the version before sealing wrote them.
	now := time.Now().UnixMicro()
	exec(`INSERT INTO integrations (id, name, kind, url, username, secret, trusted, created_at, updated_at) VALUES
 ('int-1', 'corp', 'oci', 'https://r.example', 'robot', 'plain-s3cret', TRUE, ?, ?),
 ('int-2', 'public', 'oci', 'https://p.example', '', '', FALSE, ?, ?)`, now, now, now, now)
	exec(`INSERT INTO webhooks (id, name, url, format, secret, kinds, created_at) VALUES ('wh-1', 'ops', 'https://h.example', 'generic', 'hook-key', '', ?)`, now)
	ins, err := a.ListIntegrations(ctx)
	if err != nil || byName(ins, "corp").Secret != "plain-s3cret" {
		t.Fatalf("a secret kept in the clear is read as it is: %+v %v", ins, err)
	}

	rep, err := a.SealSecrets(ctx)
	if err != nil || rep.Sealed != 2 || len(rep.Unreadable) != 0 {
		t.Fatalf("seal at start: %+v %v", rep, err)
	}
	for _, c := range []struct{ table, name, plain string }{{"integrations", "corp", "plain-s3cret"}, {"webhooks", "ops", "hook-key"}} {
		if v := stored(c.table, c.name); !secrets.IsSealed(v) || strings.Contains(v, c.plain) {
			t.Fatalf("%s %s holds %q after sealing", c.table, c.name, v)
		}
	}
	if v := stored("integrations", "public"); v != "" {
		t.Fatalf("no secret became %q", v)
	}
	if rep, _ := a.SealSecrets(ctx); rep.Sealed != 0 {
		t.Fatalf("sealing twice sealed %d again", rep.Sealed)
	}
	ins, _ = a.ListIntegrations(ctx)
	hooks, _ := a.ListWebhooks(ctx)
	if byName(ins, "corp").Secret != "plain-s3cret" || byName(ins, "corp").SecretErr != nil || hooks[0].Secret != "hook-key" {
		t.Fatalf("sealed secrets read back: %+v %+v", ins, hooks)
	}

	// Put: sealed as written; without a secret, the stored one stays.
	if _, err := a.PutIntegration(ctx, ports.Integration{ID: "int-9", Name: "corp", Kind: ports.IntegrationOCI, URL: "https://r.example", Secret: "new-s3cret", Trusted: true}); err != nil {
		t.Fatal(err)
	}
	if v := stored("integrations", "corp"); !secrets.IsSealed(v) || strings.Contains(v, "new-s3cret") {
		t.Fatalf("put stored %q", v)
	}
	in, err := a.PutIntegration(ctx, ports.Integration{ID: "int-9", Name: "corp", Kind: ports.IntegrationOCI, URL: "https://r2.example", Trusted: true})
	if err != nil || in.Secret != "new-s3cret" {
		t.Fatalf("put without a secret: %+v %v", in, err)
	}
	// A sealed secret copied onto another record does not open there.
	exec(`UPDATE integrations SET secret = ? WHERE name = 'public'`, stored("integrations", "corp"))
	ins, _ = a.ListIntegrations(ctx)
	if p := byName(ins, "public"); p.Secret != "" || p.SecretErr == nil || !strings.Contains(p.SecretErr.Error(), "integration/public") {
		t.Fatalf("a secret moved to another record: %+v", p)
	}
	exec(`UPDATE integrations SET secret = '' WHERE name = 'public'`)
	a.Close()

	// Another key: every record it cannot open is named, none is given a
	// wrong secret, and nothing is overwritten.
	b := open(store.WithSecrets(boxB))
	defer b.Close()
	ins, err = b.ListIntegrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	corp := byName(ins, "corp")
	if corp.Secret != "" || corp.SecretErr == nil || !errors.Is(corp.SecretErr, secrets.ErrWrongKey) || !corp.HasSecret() ||
		!strings.Contains(corp.SecretErr.Error(), "integration/corp") || !strings.Contains(corp.SecretErr.Error(), boxA.KeyID()) {
		t.Fatalf("corp under another key: %+v", corp)
	}
	before := stored("integrations", "corp")
	rep, err = b.SealSecrets(ctx)
	if err != nil || rep.Sealed != 0 || len(rep.Unreadable) != 2 {
		t.Fatalf("seal with another key: %+v %v", rep, err)
	}
	if msg := rep.Unreadable[0].Error() + rep.Unreadable[1].Error(); !strings.Contains(msg, `integration "corp"`) || !strings.Contains(msg, `webhook "ops"`) {
		t.Fatalf("unreadable: %v", rep.Unreadable)
	}
	if stored("integrations", "corp") != before {
		t.Fatal("a secret this key cannot open was rewritten")
	}
	// Putting the secret again under this key mends it.
	if _, err := b.PutIntegration(ctx, ports.Integration{ID: "x", Name: "corp", Kind: ports.IntegrationOCI, URL: "https://r.example", Secret: "mended", Trusted: true}); err != nil {
		t.Fatal(err)
	}
	ins, _ = b.ListIntegrations(ctx)
	if c := byName(ins, "corp"); c.Secret != "mended" || c.SecretErr != nil {
		t.Fatalf("after putting the secret again: %+v", c)
	}

	// A store without a sealer keeps no credential.
	c := open()
	defer c.Close()
	if _, err := c.PutWebhook(ctx, ports.Webhook{ID: "wh-2", Name: "dev", URL: "https://d.example", Format: "generic", Secret: "k"}); err == nil {
		t.Fatal("a store without a sealer kept a secret")
	}
}
