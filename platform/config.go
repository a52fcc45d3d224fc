// Package platform assembles runwatch-platform: its configuration, the
// composition root (google/wire) and the process lifecycle.
package platform

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/runwatch/runwatch/adapters/secrets"
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
	// AdminToken and AdminPassword come only from the environment: a
	// secret in a flag is readable by every user of the machine.
	AdminToken    string
	AdminPassword string
	// SecretKey seals integration and webhook credentials at rest: base64
	// of 32 bytes, from RUNWATCH_SECRET_KEY; empty for the one kept in the
	// data directory (made on first start).
	SecretKey string
	// LicensePublicKey verifies licences: base64 of the raw ed25519 key,
	// or a file holding that or a PEM "PUBLIC KEY".
	LicensePublicKey       string
	ClientCAFile           string
	RequireAgentClientCert bool
	AllowedOrigins         string
	IngestRateCluster      float64
	IngestRateNode         float64
	// Enrichment configures registries, scanners and the enrichment worker.
	Enrichment EnrichmentFlags
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
	fs.StringVar(&c.LicensePublicKey, "license-public-key", env("RUNWATCH_LICENSE_PUBLIC_KEY", ""), "ed25519 public key licences are verified with: base64, or a file (env RUNWATCH_LICENSE_PUBLIC_KEY)")
	fs.StringVar(&c.ClientCAFile, "client-ca", env("RUNWATCH_CLIENT_CA", ""), "PEM CA bundle to verify agents' client certificates with; needs TLS (env RUNWATCH_CLIENT_CA)")
	fs.BoolVar(&c.RequireAgentClientCert, "require-agent-client-cert", env("RUNWATCH_REQUIRE_AGENT_CLIENT_CERT", "") == "true", "refuse ingest without a verified client certificate (env RUNWATCH_REQUIRE_AGENT_CLIENT_CERT)")
	fs.StringVar(&c.AllowedOrigins, "allowed-origins", env("RUNWATCH_ALLOWED_ORIGINS", ""), "comma-separated web origins besides the platform's own that may call the API with a session (env RUNWATCH_ALLOWED_ORIGINS)")
	clusterRate, _ := strconv.ParseFloat(env("RUNWATCH_INGEST_RATE_CLUSTER", "200000"), 64)
	nodeRate, _ := strconv.ParseFloat(env("RUNWATCH_INGEST_RATE_NODE", "20000"), 64)
	fs.Float64Var(&c.IngestRateCluster, "ingest-rate-cluster", clusterRate, "records (or objects) per second one cluster may send; 0 for no limit (env RUNWATCH_INGEST_RATE_CLUSTER)")
	fs.Float64Var(&c.IngestRateNode, "ingest-rate-node", nodeRate, "runtime records per second one node may send; 0 for no limit (env RUNWATCH_INGEST_RATE_NODE)")
	c.AdminToken = os.Getenv("RUNWATCH_ADMIN_TOKEN")
	c.AdminPassword = os.Getenv("RUNWATCH_ADMIN_PASSWORD")
	c.SecretKey = os.Getenv("RUNWATCH_SECRET_KEY")
	c.Enrichment.Bind(fs)
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
	if c.ClientCAFile != "" && c.TLSCertFile == "" {
		return errors.New("--client-ca needs TLS (--tls-cert and --tls-key)")
	}
	if c.RequireAgentClientCert && c.ClientCAFile == "" {
		return errors.New("--require-agent-client-cert needs --client-ca")
	}
	if c.IngestRateCluster < 0 || c.IngestRateNode < 0 {
		return errors.New("ingest rates cannot be negative")
	}
	if _, err := c.LicenseKey(); err != nil {
		return err
	}
	if c.SecretKey != "" {
		if _, err := secrets.ParseKey(c.SecretKey); err != nil {
			return fmt.Errorf("RUNWATCH_SECRET_KEY: %w", err)
		}
	}
	return nil
}

// LicenseKey decodes --license-public-key.
func (c *Config) LicenseKey() (app.LicenseKey, error) {
	v := strings.TrimSpace(c.LicensePublicKey)
	if v == "" {
		return nil, nil
	}
	if b, err := os.ReadFile(v); err == nil {
		v = strings.TrimSpace(string(b))
	}
	if block, _ := pem.Decode([]byte(v)); block != nil {
		key, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("--license-public-key: %w", err)
		}
		pub, ok := key.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("--license-public-key is a %T, not an ed25519 key", key)
		}
		return app.LicenseKey(pub), nil
	}
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, errors.New("--license-public-key must be base64 of a 32-byte ed25519 key, or a PEM file")
	}
	return app.LicenseKey(raw), nil
}

// Origins splits --allowed-origins.
func (c *Config) Origins() []string {
	var out []string
	for _, o := range strings.Split(c.AllowedOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, strings.TrimSuffix(o, "/"))
		}
	}
	return out
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
	for {
		tok, path, made, err := dataDirSecret(c.DataDir, adminTokenFile, newAdminToken)
		if err != nil {
			return "", "", err
		}
		if len(tok) < 16 {
			// A truncated token file guards nothing; unlike the secret
			// key, nothing is lost by making a new one.
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", "", fmt.Errorf("replace %s: %w", path, err)
			}
			continue
		}
		if made {
			path += " (new)"
		}
		return app.AdminToken(tok), path, nil
	}
}

func newAdminToken() (string, error) {
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	return "rwa_" + base64.RawURLEncoding.EncodeToString(raw[:]), nil
}

// secretKeyFile holds the secret key the platform made itself, when
// RUNWATCH_SECRET_KEY is not set.
const secretKeyFile = "secret-key"

// ResolveSecretKey returns the key credentials are sealed with:
// RUNWATCH_SECRET_KEY, or the one kept in the data directory, made on
// first start (base64, mode 0600). It says where it came from, and
// whether it was made now. A key file that is there but unreadable or
// malformed is an error, never replaced: a new key would lose every
// sealed secret.
func (c *Config) ResolveSecretKey() (key []byte, from string, made bool, err error) {
	if c.SecretKey != "" {
		k, err := secrets.ParseKey(c.SecretKey)
		if err != nil {
			return nil, "", false, fmt.Errorf("RUNWATCH_SECRET_KEY: %w", err)
		}
		return k, "RUNWATCH_SECRET_KEY", false, nil
	}
	text, path, made, err := dataDirSecret(c.DataDir, secretKeyFile, func() (string, error) {
		k, err := secrets.NewKey()
		return base64.StdEncoding.EncodeToString(k), err
	})
	if err != nil {
		return nil, "", false, err
	}
	k, err := secrets.ParseKey(text)
	if err != nil {
		return nil, "", false, fmt.Errorf("%s: %w", path, err)
	}
	return k, path, made, nil
}

// dataDirSecret returns the secret kept in file name of dir (trimmed), or
// writes the one newSecret makes when there is none, mode 0600. The file
// appears whole or not at all: it is written under a temporary name and
// hard-linked into place, which fails when another process got there
// first. Processes starting together on one directory so agree on one
// secret and never read half of it.
func dataDirSecret(dir, name string, newSecret func() (string, error)) (value, path string, made bool, err error) {
	path = filepath.Join(dir, name)
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), path, false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", "", false, fmt.Errorf("read %s: %w", path, err)
	}
	value, err = newSecret()
	if err != nil {
		return "", "", false, fmt.Errorf("make %s: %w", path, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", false, fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+name+"-*") // mode 0600
	if err != nil {
		return "", "", false, fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.WriteString(value + "\n")
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return "", "", false, fmt.Errorf("write %s: %w", path, werr)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return dataDirSecret(dir, name, newSecret)
	} else if err != nil {
		return "", "", false, fmt.Errorf("write %s: %w", path, err)
	}
	return value, path, true, nil
}

// ServerConfig is the HTTP server's part of the configuration.
func (c *Config) ServerConfig() server.Config {
	return server.Config{Listen: c.Listen, TLSCertFile: c.TLSCertFile, TLSKeyFile: c.TLSKeyFile, ClientCAFile: c.ClientCAFile}
}
