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
	Clock      ports.Clock
	Log        *slog.Logger
	Metrics    *Metrics
	MaxMessage MaxMessageBytes
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
}

// Routes returns the handlers of every service, plus gRPC health checking
// and server reflection (open to all, like a health endpoint: they reveal
// only the public schema).
func Routes(d Deps) []Route {
	max := d.MaxMessage
	if max <= 0 {
		max = DefaultMaxMessageBytes
	}
	opts := []connect.HandlerOption{
		connect.WithInterceptors(d.Metrics.interceptor(), authInterceptor{auth: d.Auth}),
		connect.WithReadMaxBytes(int(max)),
		connect.WithCompressMinBytes(1024),
	}
	ingest := &ingestHandler{uc: d.Ingest, log: d.Log, metrics: d.Metrics}
	var routes []Route
	add := func(path string, h http.Handler) { routes = append(routes, Route{path, h}) }
	add(runwatchv1connect.NewControllerServiceHandler(ingest, opts...))
	add(runwatchv1connect.NewSensorServiceHandler(ingest, opts...))
	add(runwatchv1connect.NewInventoryServiceHandler(&inventoryHandler{uc: d.Inventory, clock: d.Clock, log: d.Log}, opts...))
	add(runwatchv1connect.NewAdminServiceHandler(&adminHandler{uc: d.Admin, clock: d.Clock, log: d.Log}, opts...))
	add(grpchealth.NewHandler(grpchealth.NewStaticChecker(Services...)))
	reflector := grpcreflect.NewStaticReflector(Services...)
	add(grpcreflect.NewHandlerV1(reflector))
	add(grpcreflect.NewHandlerV1Alpha(reflector))
	return routes
}
