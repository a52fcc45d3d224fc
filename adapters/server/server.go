// Package server is the platform's HTTP server (echo): the Connect API,
// health and readiness, Prometheus metrics and the web UI on one port.
// Plain HTTP serves HTTP/1.1 and HTTP/2 without TLS (h2c, for gRPC); with
// a certificate it serves both over TLS.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/runwatch/runwatch/adapters/rpc"
)

// Config is where and how the server listens.
type Config struct {
	// Listen is host:port; port 0 picks a free port.
	Listen string
	// TLSCertFile and TLSKeyFile enable TLS when both are set; the files
	// are reloaded when they change.
	TLSCertFile string
	TLSKeyFile  string
	// ClientCAFile, with TLS, asks clients for certificates and verifies
	// those presented against it (mTLS for agents).
	ClientCAFile string
}

// Readiness says whether the platform can serve: its store answers.
type Readiness func(ctx context.Context) error

// Server serves the platform over HTTP.
type Server struct {
	cfg  Config
	echo *echo.Echo
	http *http.Server
	ln   net.Listener
	log  *slog.Logger
}

// New assembles the server. ui, when not nil, serves every path the API
// does not.
func New(cfg Config, routes []rpc.Route, ready Readiness, gatherer prometheus.Gatherer, ui http.Handler, log *slog.Logger) *Server {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(recoverer(log))
	for _, r := range routes {
		e.Any(r.Path+"*", echo.WrapHandler(r.Handler))
	}
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	e.GET("/readyz", func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
		defer cancel()
		if err := ready(ctx); err != nil {
			return c.String(http.StatusServiceUnavailable, "not ready: "+err.Error()+"\n")
		}
		return c.String(http.StatusOK, "ready\n")
	})
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{})))
	if ui != nil {
		e.Any("/*", echo.WrapHandler(ui))
	}
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(true)
	protocols.SetUnencryptedHTTP2(true)
	return &Server{cfg: cfg, echo: e, log: log, http: &http.Server{
		Handler:           e,
		Protocols:         protocols,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}}
}

// recoverer turns a handler panic into a 500 and a log line, not a dead
// connection.
func recoverer(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				if r := recover(); r != nil {
					if r == http.ErrAbortHandler {
						panic(r)
					}
					log.Error("handler panic", "path", c.Request().URL.Path, "panic", r)
					err = echo.NewHTTPError(http.StatusInternalServerError, "internal error")
				}
			}()
			return next(c)
		}
	}
}

// Listen binds the port and returns the address it listens on.
func (s *Server) Listen() (string, error) {
	if s.cfg.ClientCAFile != "" && s.cfg.TLSCertFile == "" {
		return "", errors.New("a client CA needs TLS: set the certificate and key too")
	}
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return "", fmt.Errorf("listen on %s: %w", s.cfg.Listen, err)
	}
	if s.cfg.TLSCertFile != "" || s.cfg.TLSKeyFile != "" {
		if s.cfg.TLSCertFile == "" || s.cfg.TLSKeyFile == "" {
			ln.Close()
			return "", errors.New("TLS needs both a certificate and a key file")
		}
		certs, err := newCertReloader(s.cfg.TLSCertFile, s.cfg.TLSKeyFile, s.log)
		if err != nil {
			ln.Close()
			return "", err
		}
		conf := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: certs.GetCertificate, NextProtos: []string{"h2", "http/1.1"}}
		if s.cfg.ClientCAFile != "" {
			pool, err := clientCAs(s.cfg.ClientCAFile)
			if err != nil {
				ln.Close()
				return "", err
			}
			// Verify a certificate when one is given; whether one is
			// required is the API's decision, per procedure.
			conf.ClientCAs, conf.ClientAuth = pool, tls.VerifyClientCertIfGiven
		}
		s.http.TLSConfig = conf
		ln = tls.NewListener(ln, conf)
	}
	s.ln = ln
	return ln.Addr().String(), nil
}

// URL is the base URL of the listening server.
func (s *Server) URL() string {
	scheme := "http"
	if s.http.TLSConfig != nil {
		scheme = "https"
	}
	addr := s.ln.Addr().String()
	if host, port, err := net.SplitHostPort(addr); err == nil && (host == "::" || host == "0.0.0.0") {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	return scheme + "://" + addr
}

// Serve serves until ctx ends, then stops accepting and waits up to grace
// for requests in flight (an ingest batch answers only once committed).
func (s *Server) Serve(ctx context.Context, grace time.Duration) error {
	if s.ln == nil {
		return errors.New("server: Serve before Listen")
	}
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down HTTP server", "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := s.http.Shutdown(sctx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
