package platform

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/google/wire"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/runwatch/runwatch/adapters/passwords"
	"github.com/runwatch/runwatch/adapters/rpc"
	"github.com/runwatch/runwatch/adapters/secrets"
	"github.com/runwatch/runwatch/adapters/server"
	"github.com/runwatch/runwatch/adapters/store"
	"github.com/runwatch/runwatch/platform/app"
	"github.com/runwatch/runwatch/ports"
	"github.com/runwatch/runwatch/web"
)

// The providers wire composes. Each turns configuration or other parts
// into one part.

func provideStore(ctx context.Context, cfg *Config, log *slog.Logger, sealer ports.SecretSealer) (*store.Store, func(), error) {
	s, err := store.Open(ctx, cfg.DSN(), log, store.WithSecrets(sealer))
	if err != nil {
		return nil, nil, err
	}
	log.Info("store open", "dialect", s.Dialect())
	// Credentials kept in the clear by an earlier version are sealed now;
	// ones sealed under another key are named, and their integrations
	// wait (the platform serves the rest).
	rep, err := s.SealSecrets(ctx)
	if err != nil {
		s.Close()
		return nil, nil, fmt.Errorf("seal stored secrets: %w", err)
	}
	if rep.Sealed > 0 {
		log.Info("sealed secrets that were kept in the clear", "count", rep.Sealed)
	}
	for _, e := range rep.Unreadable {
		log.Error("stored secret unusable", "err", e)
	}
	return s, func() { s.Close() }, nil
}

// provideSecretSealer seals credentials at rest with the platform's key.
func provideSecretSealer(cfg *Config, log *slog.Logger) (ports.SecretSealer, error) {
	key, from, made, err := cfg.ResolveSecretKey()
	if err != nil {
		return nil, err
	}
	box, err := secrets.New(key, from)
	if err != nil {
		return nil, err
	}
	log.Info("secret key", "from", from, "id", box.KeyID(), "new", made)
	if cfg.Database != "" && cfg.SecretKey == "" {
		log.Warn("credentials are sealed with a key kept in this replica's data directory; "+
			"replicas sharing the database need one key: set RUNWATCH_SECRET_KEY on every replica", "file", from)
	}
	return box, nil
}

func provideRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

func provideRetention(cfg *Config) app.Retention { return app.Retention(cfg.Retention) }

func provideIngestLimits() app.IngestLimits { return app.DefaultIngestLimits }

func provideAdminToken(cfg *Config, log *slog.Logger) (app.AdminToken, error) {
	tok, from, err := cfg.ResolveAdminToken()
	if err != nil {
		return "", err
	}
	log.Info("admin token", "from", from)
	return tok, nil
}

func provideRateLimits(cfg *Config) app.RateLimits {
	return app.RateLimits{ClusterPerSecond: cfg.IngestRateCluster, NodePerSecond: cfg.IngestRateNode}
}

func provideAdminPassword(cfg *Config) app.AdminPassword { return app.AdminPassword(cfg.AdminPassword) }

func provideLicenseKey(cfg *Config) (app.LicenseKey, error) { return cfg.LicenseKey() }

func provideHasher() ports.PasswordHasher { return passwords.Argon2id{P: passwords.DefaultParams} }

// provideEntitlementGauges exports the entitlement's counts.
func provideEntitlementGauges(reg *prometheus.Registry) app.EntitlementGauges {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "runwatch_entitlement_nodes",
		Help: "Nodes with sensors, by state: in_operation, entitled, restricted."}, []string{"state"})
	reg.MustRegister(g)
	return func(inOperation, entitled, restricted int) {
		g.WithLabelValues("in_operation").Set(float64(inOperation))
		g.WithLabelValues("entitled").Set(float64(entitled))
		g.WithLabelValues("restricted").Set(float64(restricted))
	}
}

func provideRoutes(cfg *Config, auth *app.Authenticator, ingest *app.Ingest, queries *app.Queries, admin *app.Admin, accounts *app.Accounts,
	audit *app.AuditLog, ent *app.Entitlements, risks *app.Risks, clock ports.Clock, log *slog.Logger, reg *prometheus.Registry) []rpc.Route {
	return rpc.Routes(rpc.Deps{Auth: auth, Ingest: ingest, Inventory: queries, Admin: admin, Accounts: accounts, Audit: audit,
		Licensing: ent, Clock: clock, Log: log, Metrics: rpc.NewMetrics(reg), MaxMessage: rpc.DefaultMaxMessageBytes,
		Security: rpc.Security{RequireAgentClientCert: cfg.RequireAgentClientCert, AllowedOrigins: cfg.Origins()},
		Risk:     risks, Enrichment: risks})
}

// provideUI serves the web UI bundle embedded in the binary.
func provideUI() http.Handler { return web.Handler(web.Dist()) }

func provideServer(cfg *Config, routes []rpc.Route, s *store.Store, reg *prometheus.Registry, ui http.Handler, log *slog.Logger) *server.Server {
	return server.New(cfg.ServerConfig(), routes, s.Ping, reg, ui, log)
}

var providers = wire.NewSet(
	provideSecretSealer,
	provideStore,
	wire.Bind(new(ports.Store), new(*store.Store)),
	wire.Bind(new(ports.TokenStore), new(*store.Store)),
	wire.Bind(new(ports.QueryStore), new(*store.Store)),
	wire.Bind(new(ports.Pruner), new(*store.Store)),
	wire.Bind(new(ports.EnrichmentStore), new(*store.Store)),
	wire.Bind(new(ports.Clock), new(app.SystemClock)),
	wire.Value(app.SystemClock{}),
	provideRegistry,
	provideRetention,
	provideIngestLimits,
	provideAdminToken,
	provideAdminPassword,
	provideRateLimits,
	provideLicenseKey,
	provideHasher,
	provideEntitlementGauges,
	app.NewLoginLimiter,
	app.NewAccounts,
	app.NewAuditLog,
	app.NewEntitlements,
	wire.Bind(new(ports.AuditStore), new(*store.Store)),
	app.NewAuthenticator,
	app.NewIngest,
	app.NewQueries,
	app.NewAdmin,
	app.NewPruner,
	enrichmentProviders,
	provideRoutes,
	provideUI,
	provideServer,
	wire.Struct(new(Platform), "*"),
)
