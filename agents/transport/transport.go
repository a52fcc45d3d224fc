// Package transport is what the controller and the sensor share to talk to
// the platform: their common flags, an HTTP/2 client (TLS, or h2c for a
// plain http:// platform URL), the bearer-token interceptor, batch ids and
// retry backoff.
package transport

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"connectrpc.com/connect"
)

// Config is how an agent reaches the platform.
type Config struct {
	// PlatformURL is the platform's base URL: https://host:port, or
	// http://host:port for h2c (plaintext HTTP/2, labs and tests only).
	PlatformURL string
	// Token is the cluster's registration token.
	Token string
	// CAFile is a PEM bundle to verify the platform's certificate with;
	// empty means the system roots.
	CAFile string
	// Insecure skips verification of the platform's certificate.
	Insecure bool
	// ClientCertFile and ClientKeyFile, when both are set, present a client
	// certificate (mTLS).
	ClientCertFile string
	ClientKeyFile  string
	// UserAgent names the agent and its version.
	UserAgent string
}

// BindFlags registers the flags every agent shares. Each flag's default is
// its environment variable, so a DaemonSet can configure an agent either
// way.
func (c *Config) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.PlatformURL, "platform", os.Getenv("RUNWATCH_PLATFORM"), "platform URL, e.g. https://runwatch.example.com (env RUNWATCH_PLATFORM)")
	fs.StringVar(&c.Token, "token", os.Getenv("RUNWATCH_TOKEN"), "the cluster's registration token (env RUNWATCH_TOKEN)")
	fs.StringVar(&c.CAFile, "ca-file", os.Getenv("RUNWATCH_CA_FILE"), "PEM CA bundle to verify the platform with (env RUNWATCH_CA_FILE)")
	fs.BoolVar(&c.Insecure, "insecure-skip-verify", envBool("RUNWATCH_INSECURE_SKIP_VERIFY"), "do not verify the platform's TLS certificate; labs only (env RUNWATCH_INSECURE_SKIP_VERIFY)")
	fs.StringVar(&c.ClientCertFile, "client-cert", os.Getenv("RUNWATCH_CLIENT_CERT"), "client certificate for mTLS (env RUNWATCH_CLIENT_CERT)")
	fs.StringVar(&c.ClientKeyFile, "client-key", os.Getenv("RUNWATCH_CLIENT_KEY"), "client key for mTLS (env RUNWATCH_CLIENT_KEY)")
}

func envBool(name string) bool {
	switch strings.ToLower(os.Getenv(name)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// Validate says what is missing or wrong, before anything is dialled.
func (c *Config) Validate() error {
	if c.PlatformURL == "" {
		return errors.New("the platform URL is required (--platform or RUNWATCH_PLATFORM)")
	}
	u, err := url.Parse(c.PlatformURL)
	if err != nil {
		return fmt.Errorf("platform URL %q: %w", c.PlatformURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("platform URL %q: scheme must be http or https", c.PlatformURL)
	}
	if u.Host == "" {
		return fmt.Errorf("platform URL %q has no host", c.PlatformURL)
	}
	if c.Token == "" {
		return errors.New("the registration token is required (--token or RUNWATCH_TOKEN)")
	}
	if (c.ClientCertFile == "") != (c.ClientKeyFile == "") {
		return errors.New("--client-cert and --client-key go together")
	}
	return nil
}

// HTTPClient returns an HTTP/2 client for the platform URL: TLS for
// https, h2c (prior knowledge) for http. gRPC needs HTTP/2 either way.
func (c *Config) HTTPClient(logger *slog.Logger) (*http.Client, error) {
	u, err := url.Parse(c.PlatformURL)
	if err != nil {
		return nil, fmt.Errorf("platform URL: %w", err)
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	tr.Protocols = new(http.Protocols)
	if u.Scheme == "http" {
		tr.Protocols.SetUnencryptedHTTP2(true)
	} else {
		tr.Protocols.SetHTTP2(true)
		tlsConf, err := c.tlsConfig(logger)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = tlsConf
	}
	return &http.Client{Transport: tr}, nil
}

func (c *Config) tlsConfig(logger *slog.Logger) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA bundle: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA bundle %s holds no PEM certificate", c.CAFile)
		}
		conf.RootCAs = pool
	}
	if c.Insecure {
		logger.Warn("TLS verification of the platform is OFF (--insecure-skip-verify): anyone on the path can read and change what this agent sends")
		conf.InsecureSkipVerify = true
	}
	if c.ClientCertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.ClientCertFile, c.ClientKeyFile)
		if err != nil {
			return nil, fmt.Errorf("load client certificate: %w", err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	return conf, nil
}

// ClientOptions are the connect options every agent client uses: the gRPC
// protocol, gzip, and the bearer token on every call.
func (c *Config) ClientOptions() []connect.ClientOption {
	return []connect.ClientOption{
		connect.WithGRPC(),
		connect.WithSendGzip(),
		connect.WithInterceptors(bearer{token: c.Token, userAgent: c.UserAgent}),
	}
}

// bearer adds the registration token to every request.
type bearer struct{ token, userAgent string }

func (b bearer) set(h http.Header) {
	h.Set("Authorization", "Bearer "+b.token)
	if b.userAgent != "" {
		h.Set("User-Agent", b.userAgent)
	}
}

func (b bearer) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		b.set(req.Header())
		return next(ctx, req)
	}
}

func (b bearer) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		b.set(conn.RequestHeader())
		return conn
	}
}

func (b bearer) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

// NewBatchID returns a fresh idempotency key: 16 random bytes in hex.
func NewBatchID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux.
	return hex.EncodeToString(b[:])
}

// Retryable says whether a failed call may succeed if sent again later.
// Authentication, permission and validation errors will not: retrying them
// only hides the problem.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	switch connect.CodeOf(err) {
	case connect.CodeUnavailable, connect.CodeDeadlineExceeded, connect.CodeResourceExhausted,
		connect.CodeAborted, connect.CodeInternal, connect.CodeUnknown:
		return true
	}
	return false
}
