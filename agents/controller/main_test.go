package controller

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/runwatch/runwatch/agents/internal/kubetest"
	"github.com/runwatch/runwatch/agents/internal/testenv"
	"github.com/runwatch/runwatch/agents/transport"
)

// cluster is the control plane every test of this package shares (each
// test works in namespaces of its own). nil when the binaries are missing
// outside CI; the tests then skip.
var (
	cluster    *kubetest.Cluster
	clusterErr error
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	// Listing tests (go test -list) needs no control plane.
	flag.Parse()
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		return m.Run()
	}
	if _, err := kubetest.BinDir(); err != nil {
		clusterErr = err
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "runwatch-controller-test-")
	if err != nil {
		log.Print(err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := kubetest.Start(ctx, dir, kubetest.Options{ControllerManager: true, Kwok: true, Logf: log.Printf})
	if err != nil {
		log.Printf("start the test control plane: %v", err)
		return 1
	}
	defer c.Stop()
	cluster = c
	return m.Run()
}

// needCluster returns the shared control plane, or skips (fails under CI).
func needCluster(t *testing.T) *kubetest.Cluster {
	t.Helper()
	if cluster == nil {
		testenv.Missing(t, clusterErr)
	}
	return cluster
}

// running is a controller started by a test.
type running struct {
	ctl    *Controller
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan error
}

// startController runs a controller against the recorder, reading the
// cluster with restCfg (the admin when nil). It stops with the test.
func startController(t *testing.T, rec *recorder, token string, cfg Config, restCfg *rest.Config) *running {
	t.Helper()
	c := needCluster(t)
	if restCfg == nil {
		restCfg = c.RESTConfig()
	}
	kube, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		t.Fatal(err)
	}
	tc := transport.Config{PlatformURL: rec.url, Token: token, UserAgent: "runwatch-controller/test"}
	httpClient, err := tc.HTTPClient(slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	platform := runwatchv1connect.NewControllerServiceClient(httpClient, rec.url, tc.ClientOptions()...)
	if cfg.Version == "" {
		cfg.Version = "v0.0.0-test"
	}
	reg := prometheus.NewRegistry()
	ctl, err := New(cfg, kube, platform, testenv.Logger(t), reg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{ctl: ctl, reg: reg, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- ctl.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-r.done:
			if err != nil {
				t.Errorf("Run returned %v on shutdown", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("the controller did not stop within 15s")
		}
	})
	return r
}

// ns makes a namespace name unique to the test.
func ns(t *testing.T, base string) string {
	return fmt.Sprintf("%s-%d", base, time.Now().UnixNano()%1_000_000)
}
