package rpc

import (
	"log/slog"
	"net/http"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"

	"github.com/runwatch/runwatch/ports"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

// MaxMessageBytes bounds a request message. The largest legitimate ones
// are batches of 10,000 records, well under this.
type MaxMessageBytes int

// DefaultMaxMessageBytes is 16 MiB.
const DefaultMaxMessageBytes MaxMessageBytes = 16 << 20

// Deps is what the API needs.
type Deps struct {
	Auth       ports.Authentication
	Ingest     ports.Ingestion
	Inventory  ports.Inventory
	Admin      ports.Administration
	Accounts   ports.Accounts
	Audit      ports.Audit
	Licensing  ports.Licensing
	Clock      ports.Clock
	Log        *slog.Logger
	Metrics    *Metrics
	MaxMessage MaxMessageBytes
	Security   Security
	// Enrichment's reads and settings; nil leaves those RPCs unimplemented.
	Risk       ports.RiskQueries
	Enrichment ports.EnrichmentAdmin
}

// Security is how strictly callers are checked beyond their credentials.
type Security struct {
	// RequireAgentClientCert refuses ingest without a verified client
	// certificate (mTLS for agents).
	RequireAgentClientCert bool
	// AllowedOrigins are web origins besides the platform's own from which
	// a signed-in browser may call the API.
	AllowedOrigins []string
}

// Route is a path prefix and its handler.
type Route struct {
	Path    string
	Handler http.Handler
}

// Services are the fully-qualified names of the API's services.
var Services = []string{
	runwatchv1connect.ControllerServiceName,
	runwatchv1connect.SensorServiceName,
	runwatchv1connect.InventoryServiceName,
	runwatchv1connect.AdminServiceName,
	runwatchv1connect.AuthServiceName,
}

// Routes returns the handlers of every service, plus gRPC health checking
// and server reflection (open to all, like a health endpoint: they reveal
// only the public schema).
func Routes(d Deps) []Route {
	max := d.MaxMessage
	if max <= 0 {
		max = DefaultMaxMessageBytes
	}
	origins := map[string]bool{}
	for _, o := range d.Security.AllowedOrigins {
		origins[o] = true
	}
	opts := []connect.HandlerOption{
		connect.WithInterceptors(d.Metrics.interceptor(),
			authInterceptor{auth: d.Auth, requireAgentCert: d.Security.RequireAgentClientCert, allowedOrigins: origins},
			auditInterceptor{audit: d.Audit}),
		connect.WithReadMaxBytes(int(max)),
		connect.WithCompressMinBytes(1024),
	}
	ingest := &ingestHandler{uc: d.Ingest, log: d.Log, metrics: d.Metrics}
	var routes []Route
	add := func(path string, h http.Handler) { routes = append(routes, Route{path, withRequestInfo(h)}) }
	add(runwatchv1connect.NewControllerServiceHandler(ingest, opts...))
	add(runwatchv1connect.NewSensorServiceHandler(ingest, opts...))
	add(runwatchv1connect.NewInventoryServiceHandler(&inventoryHandler{uc: d.Inventory, risk: d.Risk, clock: d.Clock, log: d.Log}, opts...))
	add(runwatchv1connect.NewAdminServiceHandler(&adminHandler{uc: d.Admin, enrich: d.Enrichment, accounts: d.Accounts, audit: d.Audit, licenses: d.Licensing,
		clock: d.Clock, log: d.Log}, opts...))
	add(runwatchv1connect.NewAuthServiceHandler(&authHandler{uc: d.Accounts, log: d.Log}, opts...))
	add(grpchealth.NewHandler(grpchealth.NewStaticChecker(Services...)))
	reflector := grpcreflect.NewStaticReflector(Services...)
	add(grpcreflect.NewHandlerV1(reflector))
	add(grpcreflect.NewHandlerV1Alpha(reflector))
	return routes
}
