// Package platformtest starts a real runwatch platform inside a test: the
// composition root of the binary, on a random local port, over a SQLite
// file or a fresh Postgres database.
package platformtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runwatch/runwatch/adapters/store/storetest"
	"github.com/runwatch/runwatch/platform"
)

// AdminToken is the admin token of every test platform, and
// AdminPassword the password of its first admin, "admin".
const (
	AdminToken    = "test-admin-token-0123456789"
	AdminPassword = "test-admin-password-0123"
)

// Instance is a running platform.
type Instance struct {
	URL      string
	Platform *platform.Platform
	DataDir  string
}

// Dialects are the stores a test runs against.
var Dialects = []string{"sqlite", "postgres"}

// Start starts a platform on the dialect's store and stops it when the
// test ends. Postgres follows storetest.PostgresURL: skipped without a
// server, except in CI.
func Start(tb testing.TB, dialect string) *Instance {
	tb.Helper()
	return StartWith(tb, dialect, nil)
}

// StartWith is Start with a change to the configuration first.
func StartWith(tb testing.TB, dialect string, configure func(*platform.Config)) *Instance {
	tb.Helper()
	dir := tb.TempDir()
	cfg := platform.Config{Listen: "127.0.0.1:0", DataDir: dir, Retention: 240 * time.Hour, LogLevel: "warn", LogFormat: "text",
		AdminToken: AdminToken, AdminPassword: AdminPassword, IngestRateCluster: 200_000, IngestRateNode: 20_000}
	if dialect == "postgres" {
		cfg.Database = storetest.PostgresURL(tb)
	}
	if configure != nil {
		configure(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	level := slog.LevelWarn
	if os.Getenv("RUNWATCH_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, cancel := context.WithCancel(context.Background())
	p, cleanup, err := platform.Build(ctx, &cfg, log)
	if err != nil {
		cancel()
		tb.Fatalf("build platform: %v", err)
	}
	if _, err := p.Server.Listen(); err != nil {
		cancel()
		cleanup()
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("platform stopped with: %v", err)
		}
		cleanup()
	})
	return &Instance{URL: p.Server.URL(), Platform: p, DataDir: filepath.Clean(dir)}
}

// CreateTokenTLS is CreateToken through a given client (for TLS).
func (in *Instance) CreateTokenTLS(tb testing.TB, cluster string, hc *http.Client) string {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, in.URL+"/runwatch.v1.AdminService/CreateRegistrationToken", strings.NewReader(`{"clusterName":"`+cluster+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+AdminToken)
	res, err := hc.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.Token == "" {
		tb.Fatalf("create token: %d %v", res.StatusCode, err)
	}
	return out.Token
}

// PostJSON calls a procedure with the Connect protocol's JSON encoding, the
// way curl or a browser would, and returns the status and body.
func (in *Instance) PostJSON(tb testing.TB, procedure, token string, body any) (int, []byte) {
	tb.Helper()
	var raw []byte
	switch b := body.(type) {
	case []byte:
		raw = b
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(body); err != nil {
			tb.Fatal(err)
		}
	}
	req, err := http.NewRequest(http.MethodPost, in.URL+procedure, bytes.NewReader(raw))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("POST %s: %v", procedure, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return res.StatusCode, out
}

// CreateToken makes a registration token for a cluster through the admin
// API and returns its text.
func (in *Instance) CreateToken(tb testing.TB, cluster string) string {
	tb.Helper()
	status, body := in.PostJSON(tb, "/runwatch.v1.AdminService/CreateRegistrationToken", AdminToken, map[string]string{"clusterName": cluster})
	if status != http.StatusOK {
		tb.Fatalf("create token: %d %s", status, body)
	}
	var res struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &res); err != nil || res.Token == "" {
		tb.Fatalf("create token: %s", body)
	}
	return res.Token
}
