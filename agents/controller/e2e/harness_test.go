// Package e2e runs the runwatch-controller binary against a real API server
// (with kube-controller-manager and kwok) and the real runwatch-platform
// binary, both built in TestMain, and checks the inventory through the
// platform's query API.
package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	runwatchv1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"

	"github.com/runwatch/runwatch/agents/internal/kubetest"
	"github.com/runwatch/runwatch/agents/internal/testenv"
)

const adminToken = "e2e-admin-token-0123456789abcdef"

var (
	cluster     *kubetest.Cluster
	platformBin string
	ctlBin      string
	setupErr    error
)

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	// Listing tests (go test -list) needs no control plane.
	flag.Parse()
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		return m.Run()
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		log.Print(err)
		return 1
	}
	if _, err := os.Stat(filepath.Join(root, "platform/cmd/runwatch-platform")); err != nil {
		setupErr = fmt.Errorf("the platform is not in this tree: %w", err)
		return m.Run()
	}
	if _, err := kubetest.BinDir(); err != nil {
		setupErr = err
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "runwatch-e2e-")
	if err != nil {
		log.Print(err)
		return 1
	}
	defer os.RemoveAll(dir)
	platformBin, ctlBin = filepath.Join(dir, "runwatch-platform"), filepath.Join(dir, "runwatch-controller")
	for _, b := range []struct{ dir, out, pkg string }{
		{root, platformBin, "./platform/cmd/runwatch-platform"},
		{filepath.Join(root, "agents"), ctlBin, "./cmd/runwatch-controller"},
	} {
		cmd := exec.Command("go", "build", "-o", b.out, b.pkg)
		cmd.Dir, cmd.Stdout, cmd.Stderr = b.dir, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			log.Printf("build %s: %v", b.pkg, err)
			return 1
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := kubetest.Start(ctx, filepath.Join(dir, "k8s"), kubetest.Options{ControllerManager: true, Kwok: true, Logf: log.Printf})
	if err != nil {
		log.Printf("start the test control plane: %v", err)
		return 1
	}
	defer c.Stop()
	cluster = c
	return m.Run()
}

func need(tb testing.TB) *kubetest.Cluster {
	tb.Helper()
	if cluster == nil {
		testenv.Missing(tb, setupErr)
	}
	return cluster
}

// proc is a binary the test started.
type proc struct {
	cmd  *exec.Cmd
	log  string
	done chan error
}

func start(tb testing.TB, logPath string, env []string, bin string, args ...string) *proc {
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
		tb.Fatal(err)
	}
	p := &proc{cmd: cmd, log: logPath, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); f.Close() }()
	return p
}

// stop sends SIGTERM and waits; it returns the exit error (nil on exit 0).
func (p *proc) stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		return fmt.Errorf("%s did not stop within 20s", filepath.Base(p.cmd.Path))
	}
}

// peakRSS is the process's high-water resident set size, in bytes.
func (p *proc) peakRSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", p.cmd.Process.Pid)
}

func freeAddr(tb testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitReady(tb testing.TB, p *proc, url string, timeout time.Duration) {
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
			tb.Fatalf("%s exited (%v):\n%s", filepath.Base(p.cmd.Path), err, tailFile(p.log))
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s not ready after %s:\n%s", url, timeout, tailFile(p.log))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tailFile(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

// platform is a runwatch-platform process on SQLite.
type platform struct {
	*proc
	url, addr, dataDir string
}

func startPlatform(tb testing.TB, dataDir, addr string) *platform {
	tb.Helper()
	if addr == "" {
		addr = freeAddr(tb)
	}
	p := start(tb, filepath.Join(dataDir, "platform.log"), []string{"RUNWATCH_ADMIN_TOKEN=" + adminToken},
		platformBin, "--listen", addr, "--data-dir", dataDir, "--log-level", "info")
	pl := &platform{proc: p, url: "http://" + addr, addr: addr, dataDir: dataDir}
	tb.Cleanup(func() { _ = p.stop() })
	waitReady(tb, p, pl.url+"/readyz", 30*time.Second)
	return pl
}

// rpcSeconds sums the platform's runwatch_rpc_duration_seconds for a
// procedure, from its /metrics.
func (p *platform) rpcSeconds(procedure string) (float64, error) {
	resp, err := http.Get(p.url + "/metrics")
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

func h2c() *http.Client {
	tr := &http.Transport{}
	tr.Protocols = new(http.Protocols)
	tr.Protocols.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

func adminOpts() []connect.ClientOption {
	return []connect.ClientOption{connect.WithGRPC(), connect.WithInterceptors(connect.UnaryInterceptorFunc(
		func(next connect.UnaryFunc) connect.UnaryFunc {
			return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
				req.Header().Set("Authorization", "Bearer "+adminToken)
				return next(ctx, req)
			}
		}))}
}

func (p *platform) inventory() runwatchv1connect.InventoryServiceClient {
	return runwatchv1connect.NewInventoryServiceClient(h2c(), p.url, adminOpts()...)
}

func (p *platform) createToken(tb testing.TB, clusterName string) string {
	tb.Helper()
	admin := runwatchv1connect.NewAdminServiceClient(h2c(), p.url, adminOpts()...)
	res, err := admin.CreateRegistrationToken(context.Background(), connect.NewRequest(&runwatchv1.CreateRegistrationTokenRequest{ClusterName: clusterName}))
	if err != nil {
		tb.Fatalf("create registration token: %v", err)
	}
	return res.Msg.Token
}

// containers lists every container the filter matches, all pages.
func containers(ctx context.Context, inv runwatchv1connect.InventoryServiceClient, f *runwatchv1.Filter) ([]*runwatchv1.Container, error) {
	var out []*runwatchv1.Container
	page := &runwatchv1.Page{Size: 1000}
	for {
		res, err := inv.ListContainers(ctx, connect.NewRequest(&runwatchv1.ListContainersRequest{Filter: f, Page: page}))
		if err != nil {
			return nil, err
		}
		out = append(out, res.Msg.Containers...)
		if res.Msg.NextPageToken == "" {
			return out, nil
		}
		page = &runwatchv1.Page{Size: 1000, Token: res.Msg.NextPageToken}
	}
}

// controllerProc is a runwatch-controller process.
type controllerProc struct {
	*proc
	health string
}

func startController(tb testing.TB, dir, platformURL, token, clusterName string, extra ...string) *controllerProc {
	tb.Helper()
	c := need(tb)
	kubeconfig := filepath.Join(dir, "controller.kubeconfig")
	if err := c.WriteKubeconfig(kubeconfig, c.AdminToken); err != nil {
		tb.Fatal(err)
	}
	listen := freeAddr(tb)
	args := append([]string{"--platform", platformURL, "--kubeconfig", kubeconfig, "--listen", listen, "--log-format", "json"}, extra...)
	p := start(tb, filepath.Join(dir, "controller.log"),
		[]string{"RUNWATCH_TOKEN=" + token, "RUNWATCH_CLUSTER_NAME=" + clusterName}, ctlBin, args...)
	tb.Cleanup(func() { _ = p.stop() })
	return &controllerProc{proc: p, health: "http://" + listen}
}

// snapshotTook reads the duration of the controller's last snapshot from
// its log ("snapshot sent" ... "took").
func (c *controllerProc) snapshotTook() (time.Duration, error) {
	f, err := os.Open(c.log)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var took time.Duration
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		// slog writes a duration as nanoseconds in JSON.
		var rec struct {
			Msg  string `json:"msg"`
			Took int64  `json:"took"`
		}
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "snapshot sent" {
			took = time.Duration(rec.Took)
		}
	}
	if took == 0 {
		return 0, fmt.Errorf("no snapshot in %s", c.log)
	}
	return took, nil
}
