// Package platform assembles runwatch-platform: its configuration, the
// composition root (google/wire) and the process lifecycle.
package platform

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/runwatch/runwatch/adapters/server"
	"github.com/runwatch/runwatch/platform/app"
)

// Config is everything runwatch-platform is told at start.
type Config struct {
	Listen      string
	Database    string
	DataDir     string
	TLSCertFile string
	TLSKeyFile  string
	Retention   time.Duration
	LogLevel    string
	LogFormat   string
	// AdminToken comes only from the environment: a secret in a flag is
	// readable by every user of the machine.
	AdminToken string
}

// BindFlags registers the flags, each defaulting to its environment
// variable.
func (c *Config) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Listen, "listen", env("RUNWATCH_LISTEN", "127.0.0.1:8080"), "host:port to serve the API and UI on (env RUNWATCH_LISTEN)")
	fs.StringVar(&c.Database, "database", env("RUNWATCH_DATABASE", ""), "a postgres:// URL; empty for a SQLite file under --data-dir (env RUNWATCH_DATABASE)")
	fs.StringVar(&c.DataDir, "data-dir", env("RUNWATCH_DATA_DIR", "./runwatch-data"), "directory for the SQLite database and generated secrets (env RUNWATCH_DATA_DIR)")
	fs.StringVar(&c.TLSCertFile, "tls-cert", env("RUNWATCH_TLS_CERT", ""), "PEM certificate file; with --tls-key, serve TLS (env RUNWATCH_TLS_CERT)")
	fs.StringVar(&c.TLSKeyFile, "tls-key", env("RUNWATCH_TLS_KEY", ""), "PEM key file (env RUNWATCH_TLS_KEY)")
	retention, _ := time.ParseDuration(env("RUNWATCH_RETENTION", "240h"))
	fs.DurationVar(&c.Retention, "retention", retention, "how long runtime records are kept (env RUNWATCH_RETENTION)")
	fs.StringVar(&c.LogLevel, "log-level", env("RUNWATCH_LOG_LEVEL", "info"), "debug, info, warn or error (env RUNWATCH_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("RUNWATCH_LOG_FORMAT", "text"), "text or json (env RUNWATCH_LOG_FORMAT)")
	c.AdminToken = os.Getenv("RUNWATCH_ADMIN_TOKEN")
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// Validate checks the configuration before anything starts.
func (c *Config) Validate() error {
	if c.Listen == "" {
		return errors.New("--listen is required")
	}
	if c.Database != "" && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		return fmt.Errorf("--database must be a postgres:// URL (or empty for SQLite), not %q", c.Database)
	}
	if c.Database == "" && c.DataDir == "" {
		return errors.New("--data-dir is required for the SQLite database")
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if c.Retention < time.Hour {
		return fmt.Errorf("--retention %s is shorter than an hour", c.Retention)
	}
	if len(c.AdminToken) > 0 && len(c.AdminToken) < 16 {
		return errors.New("RUNWATCH_ADMIN_TOKEN must be at least 16 characters")
	}
	return nil
}

// DSN is the database the store opens.
func (c *Config) DSN() string {
	if c.Database != "" {
		return c.Database
	}
	return "sqlite:" + filepath.Join(c.DataDir, "runwatch.db")
}

// Logger builds the process logger.
func (c *Config) Logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, not %q", c.LogFormat)
}

// adminTokenFile holds the admin token the platform made itself, when
// RUNWATCH_ADMIN_TOKEN is not set: a first start works without setup, and
// the token survives restarts.
const adminTokenFile = "admin-token"

// ResolveAdminToken returns the admin token: RUNWATCH_ADMIN_TOKEN, or the
// one kept in the data directory (made on first start). It says where it
// came from.
func (c *Config) ResolveAdminToken() (app.AdminToken, string, error) {
	if c.AdminToken != "" {
		return app.AdminToken(c.AdminToken), "RUNWATCH_ADMIN_TOKEN", nil
	}
	path := filepath.Join(c.DataDir, adminTokenFile)
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) >= 16 {
		return app.AdminToken(strings.TrimSpace(string(b))), path, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", "", fmt.Errorf("read %s: %w", path, err)
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", "", err
	}
	tok := "rwa_" + base64.RawURLEncoding.EncodeToString(raw[:])
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return "", "", fmt.Errorf("create %s: %w", c.DataDir, err)
	}
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("write %s: %w", path, err)
	}
	return app.AdminToken(tok), path + " (new)", nil
}

// ServerConfig is the HTTP server's part of the configuration.
func (c *Config) ServerConfig() server.Config {
	return server.Config{Listen: c.Listen, TLSCertFile: c.TLSCertFile, TLSKeyFile: c.TLSKeyFile}
}
