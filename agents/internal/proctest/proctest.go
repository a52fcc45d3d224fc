// Package proctest runs binaries as processes for the agents' end-to-end
// tests: it builds them, starts them with their output in a log file, waits
// until they answer, and stops them. Platform is the real runwatch-platform
// run that way (never a fake of it), with what the tests ask of it: a
// registration token and the query API.
package proctest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	runwatchv1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

// RepoRoot is the repository's root directory (the root module's).
func RepoRoot() string {
	_, self, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(self), "..", "..", "..")
}

// Build builds the Go package pkg of the module in dir into out.
func Build(dir, pkg, out string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// FreeAddr returns a loopback address with a port free at the time.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Proc is a binary a test started.
type Proc struct {
	Cmd *exec.Cmd
	// Log is the file its standard output and error go to.
	Log  string
	done chan error
}

// Start starts bin with args and env (added to this process's), writing its
// output to logPath. It is killed if the test binary dies; stop it with
// Stop.
func Start(tb testing.TB, logPath string, env []string, bin string, args ...string) *Proc {
	tb.Helper()
	f, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		tb.Fatal(err)
	}
	p := &Proc{Cmd: cmd, Log: logPath, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); f.Close() }()
	return p
}

// Stop sends SIGTERM and waits; it returns the exit error (nil on exit 0).
// Stopping a stopped process returns how it ended.
func (p *Proc) Stop() error {
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(20 * time.Second):
		_ = p.Cmd.Process.Kill()
		return fmt.Errorf("%s did not stop within 20s", filepath.Base(p.Cmd.Path))
	}
}

// WaitReady waits until url answers 200 OK, failing the test with the end
// of the log if the process exits or the timeout passes first.
func (p *Proc) WaitReady(tb testing.TB, url string, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-p.done:
			p.done <- err
			tb.Fatalf("%s exited (%v):\n%s", filepath.Base(p.Cmd.Path), err, p.Tail())
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s not ready after %s:\n%s", url, timeout, p.Tail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Tail is the end of the log, for failure messages.
func (p *Proc) Tail() string {
	b, _ := os.ReadFile(p.Log)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

// PeakRSS is the process's high-water resident set size, in bytes.
func (p *Proc) PeakRSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", p.Cmd.Process.Pid)
}

// Platform is a runwatch-platform process on SQLite.
type Platform struct {
	*Proc
	URL, Addr, DataDir, AdminToken string
}

// StartPlatform starts the platform binary bin with its data in dataDir,
// listening on addr (a free port when empty), and waits until it is ready.
// It stops when the test ends. Starting it again on the same data dir and
// address is a restart.
func StartPlatform(tb testing.TB, bin, dataDir, addr, adminToken string) *Platform {
	tb.Helper()
	if addr == "" {
		addr = FreeAddr(tb)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		tb.Fatal(err)
	}
	p := Start(tb, filepath.Join(dataDir, "platform.log"), []string{"RUNWATCH_ADMIN_TOKEN=" + adminToken},
		bin, "--listen", addr, "--data-dir", dataDir, "--log-level", "info")
	pl := &Platform{Proc: p, URL: "http://" + addr, Addr: addr, DataDir: dataDir, AdminToken: adminToken}
	tb.Cleanup(func() { _ = p.Stop() })
	p.WaitReady(tb, pl.URL+"/readyz", 60*time.Second)
	return pl
}

// h2c is a client for the platform's plain-HTTP/2 listener.
func h2c() *http.Client {
	tr := &http.Transport{}
	tr.Protocols = new(http.Protocols)
	tr.Protocols.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

func (p *Platform) adminOpts() []connect.ClientOption {
	return []connect.ClientOption{connect.WithGRPC(), connect.WithInterceptors(connect.UnaryInterceptorFunc(
		func(next connect.UnaryFunc) connect.UnaryFunc {
			return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
				req.Header().Set("Authorization", "Bearer "+p.AdminToken)
				return next(ctx, req)
			}
		}))}
}

// Inventory is a client of the platform's query API, as the admin.
func (p *Platform) Inventory() runwatchv1connect.InventoryServiceClient {
	return runwatchv1connect.NewInventoryServiceClient(h2c(), p.URL, p.adminOpts()...)
}

// CreateToken makes a registration token for a cluster.
func (p *Platform) CreateToken(tb testing.TB, clusterName string) string {
	tb.Helper()
	admin := runwatchv1connect.NewAdminServiceClient(h2c(), p.URL, p.adminOpts()...)
	res, err := admin.CreateRegistrationToken(context.Background(), connect.NewRequest(&runwatchv1.CreateRegistrationTokenRequest{ClusterName: clusterName}))
	if err != nil {
		tb.Fatalf("create registration token: %v", err)
	}
	return res.Msg.Token
}

// RPCSeconds sums the platform's runwatch_rpc_duration_seconds for a
// procedure, from its /metrics.
func (p *Platform) RPCSeconds(procedure string) (float64, error) {
	resp, err := http.Get(p.URL + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	prefix := `runwatch_rpc_duration_seconds_sum{procedure="` + procedure + `"}`
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, prefix) {
			return strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, prefix)), 64)
		}
	}
	return 0, fmt.Errorf("no %s in the platform's metrics", prefix)
}
