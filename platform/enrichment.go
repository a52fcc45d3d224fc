package platform

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/wire"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/runwatch/runwatch/adapters/artifactory"
	"github.com/runwatch/runwatch/adapters/catalog"
	"github.com/runwatch/runwatch/adapters/oci"
	"github.com/runwatch/runwatch/adapters/osv"
	"github.com/runwatch/runwatch/adapters/osv/govulndb"
	"github.com/runwatch/runwatch/adapters/sbom"
	"github.com/runwatch/runwatch/adapters/webhook"
	"github.com/runwatch/runwatch/adapters/xray"
	"github.com/runwatch/runwatch/platform/app"
	"github.com/runwatch/runwatch/ports"
)

// EnrichmentFlags configure enrichment.
type EnrichmentFlags struct {
	// VulnData are OSV sources read besides the shipped Go vulnerability
	// database: directories, all.zip exports, .tar.gz archives.
	VulnData    string
	VulnReload  time.Duration
	Concurrency int
	TTL         time.Duration
	Poll        time.Duration
}

// Bind registers the flags.
func (e *EnrichmentFlags) Bind(fs *flag.FlagSet) {
	fs.StringVar(&e.VulnData, "vuln-data", env("RUNWATCH_VULN_DATA", ""), "comma-separated OSV sources (directory, all.zip export, .tar.gz) besides the shipped Go vulnerability database (env RUNWATCH_VULN_DATA)")
	fs.DurationVar(&e.VulnReload, "vuln-reload", envDuration("RUNWATCH_VULN_RELOAD", time.Hour), "how often OSV sources are read again; new data re-evaluates every image (env RUNWATCH_VULN_RELOAD)")
	fs.IntVar(&e.Concurrency, "enrich-concurrency", envInt("RUNWATCH_ENRICH_CONCURRENCY", app.DefaultEnrichmentConfig.Concurrency), "images enriched at once (env RUNWATCH_ENRICH_CONCURRENCY)")
	fs.DurationVar(&e.TTL, "enrich-ttl", envDuration("RUNWATCH_ENRICH_TTL", app.DefaultEnrichmentConfig.TTL), "how long registry answers are cached before images are checked again (env RUNWATCH_ENRICH_TTL)")
	fs.DurationVar(&e.Poll, "enrich-poll", envDuration("RUNWATCH_ENRICH_POLL", app.DefaultEnrichmentConfig.Poll), "how often the enrichment worker looks for new images and runtime records (env RUNWATCH_ENRICH_POLL)")
}

func envDuration(key string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(env(key, "")); err == nil {
		return v
	}
	return def
}

func envInt(key string, def int) int {
	if v, err := strconv.Atoi(env(key, "")); err == nil {
		return v
	}
	return def
}

// Connectors builds registry and scanner adapters from integrations. It
// keeps the registry clients of unchanged integrations, so their bearer
// tokens are reused until they expire.
type Connectors struct {
	mu         sync.Mutex
	registries map[string]cachedConn
}

type cachedConn struct {
	updated time.Time
	conn    app.RegistryConn
}

// Registry implements app.Connectors.
func (c *Connectors) Registry(in ports.Integration) (app.RegistryConn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cc, ok := c.registries[in.ID]; ok && cc.updated.Equal(in.UpdatedAt) && cc.conn.Integration.Trusted == in.Trusted {
		return cc.conn, nil
	}
	conn, err := newRegistryConn(in)
	if err != nil {
		return conn, err
	}
	if c.registries == nil {
		c.registries = map[string]cachedConn{}
	}
	c.registries[in.ID] = cachedConn{updated: in.UpdatedAt, conn: conn}
	return conn, nil
}

func newRegistryConn(in ports.Integration) (app.RegistryConn, error) {
	switch in.Kind {
	case ports.IntegrationOCI:
		c, err := oci.New(oci.Config{Name: in.Name, URL: in.URL, Username: in.Username, Password: in.Secret})
		if err != nil {
			return app.RegistryConn{}, err
		}
		return app.RegistryConn{Integration: in, Locator: c, Tags: c, Source: c, Serves: c.Serves}, nil
	case ports.IntegrationArtifactory:
		c, err := artifactory.New(artifactory.Config{Name: in.Name, URL: in.URL, Username: in.Username, Password: in.Secret, Token: tokenOnly(in)})
		if err != nil {
			return app.RegistryConn{}, err
		}
		// Artifactory also serves its Docker repositories over the OCI
		// API at the same host: tags and layers come from there.
		reg, err := oci.New(oci.Config{Name: in.Name, URL: in.URL, Username: in.Username, Password: in.Secret})
		if err != nil {
			return app.RegistryConn{}, err
		}
		return app.RegistryConn{Integration: in, Locator: c, Tags: reg, Source: reg, Serves: c.Serves}, nil
	}
	return app.RegistryConn{}, fmt.Errorf("integration %s: kind %s has no registry adapter", in.Name, in.Kind)
}

// tokenOnly is the secret as an access token when no username goes with it.
func tokenOnly(in ports.Integration) string {
	if in.Username == "" {
		return in.Secret
	}
	return ""
}

// Scanner implements app.Connectors.
func (*Connectors) Scanner(in ports.Integration) (ports.ArtifactScanner, error) {
	if in.Kind != ports.IntegrationXray {
		return nil, fmt.Errorf("integration %s: kind %s is not a scanner", in.Name, in.Kind)
	}
	return xray.New(xray.Config{Name: in.Name, URL: in.URL, Username: in.Username, Password: in.Secret, Token: tokenOnly(in)})
}

func provideScanner(cfg *Config, log *slog.Logger) *osv.Scanner {
	sources := []osv.Source{govulndb.Source()}
	for _, p := range strings.Split(cfg.Enrichment.VulnData, ",") {
		if p = strings.TrimSpace(p); p != "" {
			sources = append(sources, osv.DirSource(p, osv.DefaultLimits))
		}
	}
	return osv.NewScanner(log, sources...)
}

func provideEnrichmentConfig(cfg *Config) app.EnrichmentConfig {
	c := app.DefaultEnrichmentConfig
	if cfg.Enrichment.Concurrency > 0 {
		c.Concurrency = cfg.Enrichment.Concurrency
	}
	if cfg.Enrichment.TTL > 0 {
		c.TTL = cfg.Enrichment.TTL
	}
	if cfg.Enrichment.Poll > 0 {
		c.Poll = cfg.Enrichment.Poll
	}
	return c
}

func provideNotifier(s ports.EnrichmentStore, clock ports.Clock, log *slog.Logger, reg *prometheus.Registry) *app.Notifier {
	n := app.NewNotifier(s, webhook.New(), clock, log)
	deliveries := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "runwatch_webhook_deliveries_total",
		Help: "Webhook delivery attempts, by result (delivered, failed)."}, []string{"result"})
	reg.MustRegister(deliveries)
	n.Delivered = func(ok bool) {
		if ok {
			deliveries.WithLabelValues("delivered").Inc()
		} else {
			deliveries.WithLabelValues("failed").Inc()
		}
	}
	return n
}

func provideEnricher(s ports.EnrichmentStore, scanner *osv.Scanner, n *app.Notifier, clock ports.Clock, log *slog.Logger,
	cfg app.EnrichmentConfig, reg *prometheus.Registry) *app.Enricher {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "runwatch_vulnerability_records",
		Help: "OSV records loaded, all sources."}, func() float64 {
		n := 0
		for _, src := range scanner.Sources() {
			n += src.Records
		}
		return float64(n)
	}))
	enriched := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "runwatch_enrichment_images_total",
		Help: "Image enrichments, by the status they ended in (done, pending, failed)."}, []string{"status"})
	evaluated := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "runwatch_enrichment_evaluation_seconds",
		Help: "Time to evaluate an image (match, applicability, risks).", Buckets: prometheus.ExponentialBuckets(0.001, 4, 8)})
	reg.MustRegister(enriched, evaluated)
	e := app.NewEnricher(s, scanner, catalog.New(), &Connectors{}, n, clock, log.With("part", "enrichment"), cfg)
	e.SetMetrics(app.EnrichmentMetrics{
		Enriched:  func(st ports.EnrichmentStatus) { enriched.WithLabelValues(string(st)).Inc() },
		Evaluated: func(d time.Duration) { evaluated.Observe(d.Seconds()) },
	})
	return e
}

func provideRisks(s ports.EnrichmentStore, scanner *osv.Scanner, clock ports.Clock) *app.Risks {
	return app.NewRisks(s, scanner, sbom.Writer{Version: "dev"}, clock)
}

// Enrichment is the background part of enrichment.
type Enrichment struct {
	Scanner  *osv.Scanner
	Enricher *app.Enricher
	Notifier *app.Notifier
	Reload   time.Duration
	Log      *slog.Logger
}

func provideEnrichment(cfg *Config, scanner *osv.Scanner, e *app.Enricher, n *app.Notifier, ingest *app.Ingest, log *slog.Logger) *Enrichment {
	// New reports wake the worker: a loaded vulnerable binary shows as
	// applicable in about MinInterval, not a whole poll.
	changes := app.NewChanges()
	ingest.NotifyOn(changes)
	e.WakeOn(changes)
	reload := cfg.Enrichment.VulnReload
	if reload <= 0 {
		reload = time.Hour
	}
	return &Enrichment{Scanner: scanner, Enricher: e, Notifier: n, Reload: reload, Log: log}
}

// Run loads the vulnerability data and runs the worker and the webhook
// deliveries until ctx ends.
func (e *Enrichment) Run(ctx context.Context) {
	go func() {
		for {
			if err := e.Scanner.Reload(ctx); err != nil && ctx.Err() == nil {
				e.Log.Error("vulnerability data", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(e.Reload):
			}
		}
	}()
	go e.Notifier.Run(ctx, time.Second)
	e.Enricher.Run(ctx)
}

// enrichmentProviders is bound in providers with
// wire.Bind(new(ports.EnrichmentStore), new(*store.Store)).
var enrichmentProviders = wire.NewSet(
	provideScanner,
	provideEnrichmentConfig,
	provideNotifier,
	provideEnricher,
	provideRisks,
	provideEnrichment,
)
