package platform_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runwatch/runwatch/adapters/secrets"
	"github.com/runwatch/runwatch/adapters/store/storetest"
	"github.com/runwatch/runwatch/platform"
	"github.com/runwatch/runwatch/platform/platformtest"
)

// TestSecretsAtRest runs the platform three times on one database: the
// credentials it is given are sealed in the database; a row an earlier
// version kept in the clear is sealed at the next start; a platform with
// another key names the integration whose secret it cannot open, keeps
// serving, and never shows a secret.
func TestSecretsAtRest(t *testing.T) {
	for _, dialect := range platformtest.Dialects {
		t.Run(dialect, func(t *testing.T) { testSecretsAtRest(t, dialect) })
	}
}

func testSecretsAtRest(t *testing.T, dialect string) {
	ctx := context.Background()
	dir := t.TempDir()
	var dsn, driver, pgURL string
	if dialect == "postgres" {
		pgURL = storetest.PostgresURL(t)
		dsn, driver = pgURL, "pgx"
	} else {
		dsn, driver = "file:"+filepath.Join(dir, "runwatch.db"), "sqlite"
	}
	keyA := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	keyB := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
	start := func(t *testing.T, key string) *platformtest.Instance {
		return platformtest.StartWith(t, dialect, func(c *platform.Config) {
			c.DataDir, c.Database, c.SecretKey = dir, pgURL, key
		})
	}
	column := func(table, name string) string {
		t.Helper()
		db, err := sql.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var v string
		if err := db.QueryRowContext(ctx, `SELECT secret FROM `+table+` WHERE name = '`+name+`'`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	post := func(t *testing.T, in *platformtest.Instance, procedure, body string) string {
		t.Helper()
		status, out := in.PostJSON(t, procedure, platformtest.AdminToken, body)
		if status != http.StatusOK {
			t.Fatalf("%s: %d %s", procedure, status, out)
		}
		return string(out)
	}

	t.Run("sealed when put", func(t *testing.T) {
		in := start(t, keyA)
		post(t, in, "/runwatch.v1.AdminService/PutIntegration", `{"name":"corp","kind":"INTEGRATION_KIND_OCI","url":"https://r.example","username":"robot","secret":"registry-s3cret","trusted":true}`)
		post(t, in, "/runwatch.v1.AdminService/PutWebhook", `{"name":"ops","url":"https://h.example","secret":"hook-s3cret"}`)
		for _, c := range []struct{ table, name, plain string }{{"integrations", "corp", "registry-s3cret"}, {"webhooks", "ops", "hook-s3cret"}} {
			if v := column(c.table, c.name); !secrets.IsSealed(v) || strings.Contains(v, c.plain) {
				t.Fatalf("%s %s is stored as %q", c.table, c.name, v)
			}
		}
	})

	// A row as the version before sealing wrote it.
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := `INSERT INTO integrations (id, name, kind, url, username, secret, trusted, created_at, updated_at) VALUES ('int-old', 'legacy', 'oci', 'https://l.example', '', 'legacy-s3cret', FALSE, 1, 1)`
	if _, err := db.ExecContext(ctx, q); err != nil {
		t.Fatal(err)
	}
	db.Close()

	t.Run("sealed at the next start", func(t *testing.T) {
		in := start(t, keyA)
		if v := column("integrations", "legacy"); !secrets.IsSealed(v) || strings.Contains(v, "legacy-s3cret") {
			t.Fatalf("the legacy row holds %q after a start", v)
		}
		out := post(t, in, "/runwatch.v1.AdminService/ListIntegrations", `{}`)
		if strings.Count(out, `"hasSecret":true`) != 2 || strings.Contains(out, "secretError") || strings.Contains(out, "s3cret") {
			t.Fatalf("ListIntegrations: %s", out)
		}
	})

	t.Run("another key", func(t *testing.T) {
		before := column("integrations", "corp")
		in := start(t, keyB)
		out := post(t, in, "/runwatch.v1.AdminService/ListIntegrations", `{}`)
		if !strings.Contains(out, `"secretError":"the secret of integration/corp cannot be opened: sealed under another key`) ||
			!strings.Contains(out, "from RUNWATCH_SECRET_KEY") || strings.Contains(out, "s3cret") {
			t.Fatalf("ListIntegrations under another key: %s", out)
		}
		hooks := post(t, in, "/runwatch.v1.AdminService/ListWebhooks", `{}`)
		if !strings.Contains(hooks, "the secret of webhook/ops cannot be opened") || strings.Contains(hooks, "s3cret") {
			t.Fatalf("ListWebhooks under another key: %s", hooks)
		}
		if column("integrations", "corp") != before {
			t.Fatal("a secret the key cannot open was rewritten")
		}
		// The rest of the platform serves.
		res, err := http.Get(in.URL + "/readyz")
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("readyz: %v %v", res, err)
		}
		res.Body.Close()
		// Putting the secret again under this key mends the integration.
		post(t, in, "/runwatch.v1.AdminService/PutIntegration", `{"name":"corp","kind":"INTEGRATION_KIND_OCI","url":"https://r.example","username":"robot","secret":"registry-s3cret-2","trusted":true}`)
		out = post(t, in, "/runwatch.v1.AdminService/ListIntegrations", `{}`)
		if strings.Contains(out, "integration/corp cannot be opened") {
			t.Fatalf("after putting the secret again: %s", out)
		}
	})
}
