//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/runwatch/runwatch/agents/internal/sensortest/fixture"
	"github.com/runwatch/runwatch/agents/internal/sensortest/privtest"
	"github.com/runwatch/runwatch/agents/sensor/cgroup"
	runwatchv1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

func TestMain(m *testing.M) {
	fixture.MaybeRunInit()
	os.Exit(m.Run())
}

func repoRoot(t *testing.T) string {
	_, self, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(self), "..", "..", "..")
}

func build(t *testing.T, dir, pkg, out string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// platform is a real runwatch-platform process.
type platform struct {
	bin, dataDir, admin string
	port                int
	cmd                 *exec.Cmd
	log                 *bytes.Buffer
}

func (p *platform) url() string { return "http://127.0.0.1:" + strconv.Itoa(p.port) }

func (p *platform) start(t *testing.T) {
	t.Helper()
	p.log = &bytes.Buffer{}
	p.cmd = exec.Command(p.bin, "--listen", "127.0.0.1:"+strconv.Itoa(p.port), "--data-dir", p.dataDir)
	p.cmd.Env = append(os.Environ(), "RUNWATCH_ADMIN_TOKEN="+p.admin)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(p.url() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("platform not ready within 60s:\n%s", p.log)
}

func (p *platform) stop() {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.cmd.Wait()
		p.cmd = nil
	}
}

func (p *platform) registrationToken(t *testing.T) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.url()+"/runwatch.v1.AdminService/CreateRegistrationToken", strings.NewReader(`{"clusterName":"sensor-e2e"}`))
	req.Header.Set("Authorization", "Bearer "+p.admin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out struct {
		Token string `json:"token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil || out.Token == "" {
		t.Fatalf("create registration token: %s: %s", resp.Status, body)
	}
	return out.Token
}

func (p *platform) inventory() runwatchv1connect.InventoryServiceClient {
	return runwatchv1connect.NewInventoryServiceClient(http.DefaultClient, p.url(), connect.WithInterceptors(adminAuth(p.admin)))
}

type adminAuth string

func (a adminAuth) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		req.Header().Set("Authorization", "Bearer "+string(a))
		return next(ctx, req)
	}
}
func (a adminAuth) WrapStreamingClient(n connect.StreamingClientFunc) connect.StreamingClientFunc {
	return n
}
func (a adminAuth) WrapStreamingHandler(n connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return n
}

func (p *platform) processes(t *testing.T, node string) []*runwatchv1.Process {
	t.Helper()
	var out []*runwatchv1.Process
	token := ""
	for {
		resp, err := p.inventory().ListProcesses(context.Background(), connect.NewRequest(&runwatchv1.ListProcessesRequest{
			Filter: &runwatchv1.Filter{Node: node}, Page: &runwatchv1.Page{Size: 1000, Token: token},
		}))
		if err != nil {
			t.Logf("ListProcesses: %v", err)
			return out
		}
		out = append(out, resp.Msg.Processes...)
		if token = resp.Msg.NextPageToken; token == "" {
			return out
		}
	}
}

func (p *platform) loadedFiles(t *testing.T, node string) []*runwatchv1.LoadedFile {
	t.Helper()
	resp, err := p.inventory().ListLoadedFiles(context.Background(), connect.NewRequest(&runwatchv1.ListLoadedFilesRequest{
		Filter: &runwatchv1.Filter{Node: node}, Page: &runwatchv1.Page{Size: 1000}, Kind: runwatchv1.FileKind_FILE_KIND_JAR,
	}))
	if err != nil {
		t.Logf("ListLoadedFiles: %v", err)
		return nil
	}
	return resp.Msg.LoadedFiles
}

func (p *platform) node(t *testing.T, name string) *runwatchv1.Node {
	t.Helper()
	resp, err := p.inventory().ListNodes(context.Background(), connect.NewRequest(&runwatchv1.ListNodesRequest{Page: &runwatchv1.Page{Size: 1000}}))
	if err != nil {
		t.Logf("ListNodes: %v", err)
		return nil
	}
	for _, n := range resp.Msg.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", timeout, what)
}

// metric reads one value from the sensor's /metrics.
func metric(t *testing.T, addr, name string) float64 {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return -1
}

func findProcess(ps []*runwatchv1.Process, container, path string) *runwatchv1.Process {
	for _, p := range ps {
		if p.GetContainer().GetContainerId() == container && p.ExecutablePath == path {
			return p
		}
	}
	return nil
}

// The sensor binary against the real platform: records of a simulated
// container arrive attributed, hashed and identified; heartbeats carry the
// hook mode and the drop counters; while the platform is down batches wait
// in the spool and arrive, once, when it is back.
func TestSensorAgainstPlatform(t *testing.T) {
	privtest.RequireBPF(t)
	root := repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "platform", "cmd", "runwatch-platform")); err != nil {
		t.Skip("runwatch-platform is not in this tree yet (platform/cmd/runwatch-platform); the sensor's own tests cover everything short of the platform")
	}
	tmp := t.TempDir()
	p := &platform{bin: filepath.Join(tmp, "runwatch-platform"), dataDir: filepath.Join(tmp, "data"), admin: fixture.RandomHex(16), port: freePort(t)}
	build(t, root, "./platform/cmd/runwatch-platform", p.bin)
	sensorBin := filepath.Join(tmp, "runwatch-sensor")
	build(t, filepath.Join(root, "agents"), "./cmd/runwatch-sensor", sensorBin)
	p.start(t)
	defer p.stop()
	token := p.registrationToken(t)

	node := "e2e-" + fixture.RandomHex(4)
	metricsAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	var sensorLog bytes.Buffer
	sensor := exec.Command(sensorBin, "--host", "--node-name", node, "--listen", metricsAddr,
		"--spool-dir", filepath.Join(tmp, "spool"), "--flush-interval", "200ms")
	sensor.Env = append(os.Environ(), "RUNWATCH_PLATFORM="+p.url(), "RUNWATCH_TOKEN="+token)
	sensor.Stdout, sensor.Stderr = &sensorLog, &sensorLog
	if err := sensor.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		sensor.Process.Signal(syscall.SIGTERM)
		sensor.Wait()
		if t.Failed() {
			t.Logf("sensor log:\n%s\nplatform log:\n%s", sensorLog.String(), p.log.String())
		}
	}()
	waitFor(t, "the sensor to be ready", 30*time.Second, func() bool {
		resp, err := http.Get("http://" + metricsAddr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	mounts, err := cgroup.DiscoverMounts("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	img := fixture.BuildImage(t, filepath.Join(tmp, "image"))
	c := fixture.NewContainer(t, img, mounts.V2, false)
	if b, err := c.Command(t, "/usr/bin/knownbin", "open", "/app/app.jar",
		"--", "copy", "/usr/bin/knownbin", "/tmp/dropped", "--", "run", "/tmp/dropped", "sleep", "1ms").CombinedOutput(); err != nil {
		t.Fatalf("container: %v\n%s", err, b)
	}

	var ex, dropped *runwatchv1.Process
	waitFor(t, "the container's processes in the platform", 60*time.Second, func() bool {
		ps := p.processes(t, node)
		ex, dropped = findProcess(ps, c.ID, "/usr/bin/knownbin"), findProcess(ps, c.ID, "/tmp/dropped")
		return ex != nil && dropped != nil
	})
	if ex.Sha256 != img.BinSHA || ex.Container.PodUid != c.PodUID || ex.Drift || ex.Count != 1 {
		t.Errorf("knownbin in the platform: %+v", ex)
	}
	if len(ex.Argv) < 3 || ex.Argv[0] != "/usr/bin/knownbin" || ex.Argv[2] != "/app/app.jar" {
		t.Errorf("argv %q", ex.Argv)
	}
	if !fixture.HasKnownModules(ex.PackagePurls) || !slices.Contains(ex.PackagePurls, fixture.DebPackagePURL) {
		t.Errorf("purls %v", ex.PackagePurls)
	}
	if !dropped.Drift {
		t.Errorf("dropped binary not flagged as drift: %+v", dropped)
	}
	waitFor(t, "the jar in the platform", 30*time.Second, func() bool {
		for _, f := range p.loadedFiles(t, node) {
			if f.GetContainer().GetContainerId() == c.ID && f.Path == "/app/app.jar" {
				if !slices.Contains(f.PackagePurls, fixture.JarPURL) || f.Sha256 == "" {
					t.Errorf("jar %+v", f)
				}
				return true
			}
		}
		return false
	})
	waitFor(t, "a heartbeat with the hook mode and drop counters", 60*time.Second, func() bool {
		n := p.node(t, node)
		return n != nil && n.Sensor != nil && n.Sensor.Drops != nil && n.Sensor.EventsReceived > 0 &&
			n.Sensor.HookMode != runwatchv1.HookMode_HOOK_MODE_UNSPECIFIED &&
			(n.Sensor.Status == runwatchv1.SensorStatus_SENSOR_STATUS_RUNNING || n.Sensor.Status == runwatchv1.SensorStatus_SENSOR_STATUS_DEGRADED)
	})

	// The platform goes away: new records wait in the spool.
	p.stop()
	c2 := fixture.NewContainer(t, img, mounts.V2, false)
	if b, err := c2.Command(t, "/usr/bin/knownbin", "sleep", "1ms").CombinedOutput(); err != nil {
		t.Fatalf("second container: %v\n%s", err, b)
	}
	waitFor(t, "records in the spool while the platform is down", 30*time.Second, func() bool {
		return metric(t, metricsAddr, "runwatch_sensor_spooled_records") > 0
	})
	p.start(t)
	waitFor(t, "the spool to drain", 90*time.Second, func() bool {
		return metric(t, metricsAddr, "runwatch_sensor_spooled_records") == 0
	})
	waitFor(t, "the spooled records in the platform", 30*time.Second, func() bool {
		return findProcess(p.processes(t, node), c2.ID, "/usr/bin/knownbin") != nil
	})
	// Retries never double count.
	if again := findProcess(p.processes(t, node), c.ID, "/usr/bin/knownbin"); again == nil || again.Count != 1 {
		t.Errorf("after the outage the first container's knownbin is %+v, want count 1", again)
	}
	if d := metric(t, metricsAddr, "runwatch_sensor_spool_full_drops_total"); d != 0 {
		t.Errorf("spool-full drops %v", d)
	}
}
