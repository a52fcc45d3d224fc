// Command runwatch-controller is Runwatch's Kubernetes controller: one per
// cluster, it watches nodes, namespaces, pods and workloads and reports the
// cluster's inventory (which containers run which image digests, for which
// workloads, on which nodes) to the Runwatch platform.
//
//	runwatch-controller --platform https://runwatch.example.com --token <registration token>
//
// Every flag has an environment variable (RUNWATCH_...). It serves /healthz,
// /readyz and /metrics on --listen.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"github.com/runwatch/runwatch/agents/controller"
	"github.com/runwatch/runwatch/agents/transport"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "runwatch-controller:", err)
		os.Exit(1)
	}
}

type options struct {
	platform    transport.Config
	clusterName string
	clusterUID  string
	kubeconfig  string
	listen      string
	logLevel    string
	logFormat   string
	showVersion bool
	ctl         controller.Config
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	env := &envDefaults{}
	envInt, envDuration := env.int, env.duration
	fs := flag.NewFlagSet("runwatch-controller", flag.ContinueOnError)
	o.platform.BindFlags(fs)
	fs.StringVar(&o.clusterName, "cluster-name", os.Getenv("RUNWATCH_CLUSTER_NAME"), "the cluster's name, as reported to the platform (env RUNWATCH_CLUSTER_NAME)")
	fs.StringVar(&o.clusterUID, "cluster-id", os.Getenv("RUNWATCH_CLUSTER_ID"), "the cluster's identity; default: the UID of the kube-system namespace (env RUNWATCH_CLUSTER_ID)")
	fs.StringVar(&o.kubeconfig, "kubeconfig", os.Getenv("RUNWATCH_KUBECONFIG"), "kubeconfig file; default: the in-cluster service account (env RUNWATCH_KUBECONFIG)")
	fs.StringVar(&o.listen, "listen", envOr("RUNWATCH_LISTEN", ":9090"), "address of /healthz, /readyz and /metrics (env RUNWATCH_LISTEN)")
	fs.StringVar(&o.logLevel, "log-level", envOr("RUNWATCH_LOG_LEVEL", "info"), "debug, info, warn or error (env RUNWATCH_LOG_LEVEL)")
	fs.StringVar(&o.logFormat, "log-format", envOr("RUNWATCH_LOG_FORMAT", "json"), "json or text (env RUNWATCH_LOG_FORMAT)")
	fs.DurationVar(&o.ctl.BatchDelay, "batch-delay", envDuration("RUNWATCH_BATCH_DELAY", 250*time.Millisecond), "how long changes gather before a delta is sent (env RUNWATCH_BATCH_DELAY)")
	fs.IntVar(&o.ctl.MaxBatchObjects, "max-batch-objects", envInt("RUNWATCH_MAX_BATCH_OBJECTS", 500), "most objects in one batch; the platform's own bound wins when smaller (env RUNWATCH_MAX_BATCH_OBJECTS)")
	fs.IntVar(&o.ctl.MaxPending, "max-pending", envInt("RUNWATCH_MAX_PENDING", 200_000), "most objects with unreported changes; past it a full snapshot is sent instead (env RUNWATCH_MAX_PENDING)")
	fs.DurationVar(&o.ctl.RPCTimeout, "rpc-timeout", envDuration("RUNWATCH_RPC_TIMEOUT", 30*time.Second), "bound on each call to the platform (env RUNWATCH_RPC_TIMEOUT)")
	fs.DurationVar(&o.ctl.ResnapshotInterval, "resnapshot-interval", envDuration("RUNWATCH_RESNAPSHOT_INTERVAL", time.Hour), "send a full snapshot this often; negative: only on start and reconnect (env RUNWATCH_RESNAPSHOT_INTERVAL)")
	fs.DurationVar(&o.ctl.SyncTimeout, "sync-timeout", envDuration("RUNWATCH_SYNC_TIMEOUT", time.Minute), "how long to wait for workload kinds to be listed before reporting without them (env RUNWATCH_SYNC_TIMEOUT)")
	fs.BoolVar(&o.showVersion, "version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := errors.Join(env.errs...); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return o, nil
}

func run(ctx context.Context, args []string, stderr *os.File) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	if o.showVersion {
		fmt.Println("runwatch-controller", version)
		return nil
	}
	log, err := newLogger(stderr, o.logLevel, o.logFormat)
	if err != nil {
		return err
	}
	// client-go logs through klog; send it to the same structured log.
	klog.SetSlogLogger(log)

	o.platform.UserAgent = "runwatch-controller/" + version
	if err := o.platform.Validate(); err != nil {
		return err
	}
	httpClient, err := o.platform.HTTPClient(log)
	if err != nil {
		return err
	}
	platform := runwatchv1connect.NewControllerServiceClient(httpClient, o.platform.PlatformURL, o.platform.ClientOptions()...)

	restCfg, err := kubeConfig(o.kubeconfig)
	if err != nil {
		return err
	}
	restCfg.UserAgent = "runwatch-controller/" + version
	// Protobuf is cheaper to decode than JSON for the built-in kinds.
	restCfg.ContentType = "application/vnd.kubernetes.protobuf"
	restCfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	kube, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	o.ctl.ClusterName, o.ctl.ClusterUID, o.ctl.Version = o.clusterName, o.clusterUID, version
	ctl, err := controller.New(o.ctl, kube, platform, log, reg)
	if err != nil {
		return err
	}

	lis, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.listen, err)
	}
	srv := &http.Server{Handler: healthMux(ctl, reg), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("health and metrics server stopped", "err", err)
		}
	}()
	log.Info("runwatch-controller starting", "version", version, "platform", o.platform.PlatformURL,
		"cluster_name", o.clusterName, "kubernetes", restCfg.Host, "listen", lis.Addr().String())

	runErr := ctl.Run(ctx)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	log.Info("runwatch-controller stopped")
	return runErr
}

func healthMux(ctl *controller.Controller, reg *prometheus.Registry) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := ctl.Ready(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	return mux
}

// kubeConfig loads the kubeconfig file when one is named, else the
// in-cluster service account.
func kubeConfig(path string) (*rest.Config, error) {
	if path != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", path)
		if err != nil {
			return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
		}
		return cfg, nil
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return nil, fmt.Errorf("not running in a cluster, and no --kubeconfig given: %w", err)
	}
	return cfg, nil
}

func newLogger(w *os.File, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want json or text", format)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// envDefaults reads flag defaults from the environment, keeping the
// errors: a malformed variable is reported, not silently ignored.
type envDefaults struct{ errs []error }

func (e *envDefaults) int(name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: not an integer", name, v))
		return def
	}
	return n
}

func (e *envDefaults) duration(name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: not a duration (e.g. 250ms, 30s)", name, v))
		return def
	}
	return d
}
