// Command testenv runs a real runwatch-platform for the web UI's
// end-to-end tests and fills it the way agents do: registration tokens
// from the admin API, then controllers and sensors speaking gRPC to the
// ingest API (RegisterCluster, ReportInventory, Heartbeat, RegisterNode,
// ReportRuntime, NodeHeartbeat). It prints one JSON line describing the
// platform on stdout and keeps it running until stdin closes or it is
// signalled, then stops it.
//
//	testenv --platform-bin bin/runwatch-platform --records 50000
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

// Env is what the tests learn about the platform.
type Env struct {
	URL        string `json:"url"`
	AdminToken string `json:"adminToken"`
	// The "admin" account's password, and a viewer's.
	AdminPassword  string `json:"adminPassword"`
	Viewer         string `json:"viewer"`
	ViewerPassword string `json:"viewerPassword"`
	Records        int    `json:"records"`
	// Seeded describes the data, for assertions; empty for --empty.
	Seeded *Summary `json:"seeded,omitempty"`
}

func main() {
	var (
		bin     = flag.String("platform-bin", "runwatch-platform", "the runwatch-platform binary")
		dataDir = flag.String("data-dir", "", "the platform's data directory (default: a new temporary one)")
		records = flag.Int("records", 50000, "process records to store")
		empty   = flag.Bool("empty", false, "start an empty platform: no clusters, no data")
		verbose = flag.Bool("v", false, "show the platform's logs")
		pg      = flag.String("postgres", "", "a postgres:// URL of a user with CREATEDB: store in a new database there (dropped at the end) instead of SQLite")
	)
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := run(log, *bin, *dataDir, *pg, *records, *empty, *verbose); err != nil {
		log.Error("testenv failed", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, bin, dataDir, pg string, records int, empty, verbose bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if dataDir == "" {
		dir, err := os.MkdirTemp("", "runwatch-ui-e2e-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dataDir = dir
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	admin, password := randomToken(), "e2e-password-"+randomToken()[10:26]
	args := []string{"--listen", addr, "--data-dir", dataDir, "--log-level", "warn"}
	if pg != "" {
		db, drop, err := freshDatabase(pg)
		if err != nil {
			return err
		}
		defer drop()
		args = append(args, "--database", db)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "RUNWATCH_ADMIN_TOKEN="+admin, "RUNWATCH_ADMIN_PASSWORD="+password)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if verbose {
		cmd.Stdout = os.Stderr
	}
	// The platform dies with this process, however it ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(25 * time.Second):
			_ = cmd.Process.Kill()
		}
	}()

	url := "http://" + addr
	if err := waitReady(ctx, url, exited); err != nil {
		return err
	}
	env := Env{URL: url, AdminToken: admin, AdminPassword: password, Viewer: "val", ViewerPassword: "viewer-password-" + randomToken()[10:22]}
	if err := createViewer(ctx, newAdmin(url, admin), env.Viewer, env.ViewerPassword); err != nil {
		return err
	}
	if !empty {
		start := time.Now()
		reg := startRegistry()
		defer reg.Close()
		images, err := prepareRegistry(ctx, log, reg, dataDir)
		if err != nil {
			return err
		}
		sum, fleet, err := Seed(ctx, log, url, admin, records, images)
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		// Agents keep heartbeating while they run, so nodes stay in
		// operation and controllers connected for as long as the tests take.
		go fleet.heartbeat(ctx, log, 10*time.Second)
		if err := waitEnriched(ctx, log, url, admin, images, 2*time.Minute); err != nil {
			return err
		}
		sum.Registry, sum.MovedImage, sum.CanaryImage = reg.Host, images.moved, images.canary
		env.Seeded, env.Records = sum, sum.Processes
		log.Info("seeded", "processes", sum.Processes, "file_loads", sum.FileLoads, "workloads", sum.Workloads, "took", time.Since(start).Round(time.Millisecond))
	}
	out, _ := json.Marshal(env)
	fmt.Println(string(out))

	// Run until stdin closes (the test ended), a signal, or the platform dies.
	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
		close(stdinClosed)
	}()
	select {
	case <-ctx.Done():
	case <-stdinClosed:
	case err := <-exited:
		return fmt.Errorf("the platform exited: %v", err)
	}
	return nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "e2e-admin-" + hex.EncodeToString(b)
}

func waitReady(ctx context.Context, url string, exited <-chan error) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("the platform exited before it was ready: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		res, err := http.Get(url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return errors.New("the platform was not ready within 60s")
}

// h2c is an HTTP/2 client without TLS, as agents use against http://.
func h2c() *http.Client {
	tr := &http.Transport{}
	tr.Protocols = new(http.Protocols)
	tr.Protocols.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: tr, Timeout: 2 * time.Minute}
}

func bearer(token string) connect.Option {
	return connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Bearer "+token)
			return next(ctx, req)
		}
	}))
}

// agents are one cluster's controller and sensor clients, speaking gRPC.
type agents struct {
	controller runwatchv1connect.ControllerServiceClient
	sensor     runwatchv1connect.SensorServiceClient
}

func newAgents(url, token string) agents {
	opts := []connect.ClientOption{connect.WithGRPC(), bearer(token)}
	return agents{
		controller: runwatchv1connect.NewControllerServiceClient(h2c(), url, opts...),
		sensor:     runwatchv1connect.NewSensorServiceClient(h2c(), url, opts...),
	}
}

func newAdmin(url, token string) runwatchv1connect.AdminServiceClient {
	return runwatchv1connect.NewAdminServiceClient(http.DefaultClient, url, bearer(token))
}

func createViewer(ctx context.Context, admin runwatchv1connect.AdminServiceClient, name, password string) error {
	_, err := admin.CreateUser(ctx, connect.NewRequest(&v1.CreateUserRequest{Username: name, Password: password, Role: v1.Role_ROLE_VIEWER}))
	if err != nil {
		return fmt.Errorf("create viewer %s: %w", name, err)
	}
	return nil
}

func createToken(ctx context.Context, admin runwatchv1connect.AdminServiceClient, cluster, description string) (string, error) {
	res, err := admin.CreateRegistrationToken(ctx, connect.NewRequest(&v1.CreateRegistrationTokenRequest{ClusterName: cluster, Description: description}))
	if err != nil {
		return "", fmt.Errorf("create token for %s: %w", cluster, err)
	}
	return res.Msg.Token, nil
}
