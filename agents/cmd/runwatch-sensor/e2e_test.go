//go:build linux

package main

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/runwatch/runwatch/agents/internal/proctest"
	"github.com/runwatch/runwatch/agents/internal/sensortest/fixture"
	"github.com/runwatch/runwatch/agents/internal/sensortest/privtest"
	"github.com/runwatch/runwatch/agents/sensor/cgroup"
	runwatchv1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
)

func TestMain(m *testing.M) {
	fixture.MaybeRunInit()
	os.Exit(m.Run())
}

// platform is the real runwatch-platform, run by the test.
type platform struct{ *proctest.Platform }

func (p *platform) processes(t *testing.T, node string) []*runwatchv1.Process {
	t.Helper()
	var out []*runwatchv1.Process
	token := ""
	for {
		resp, err := p.Inventory().ListProcesses(context.Background(), connect.NewRequest(&runwatchv1.ListProcessesRequest{
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
	resp, err := p.Inventory().ListLoadedFiles(context.Background(), connect.NewRequest(&runwatchv1.ListLoadedFilesRequest{
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
	resp, err := p.Inventory().ListNodes(context.Background(), connect.NewRequest(&runwatchv1.ListNodesRequest{Page: &runwatchv1.Page{Size: 1000}}))
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
	root := proctest.RepoRoot()
	if _, err := os.Stat(filepath.Join(root, "platform", "cmd", "runwatch-platform")); err != nil {
		t.Skip("runwatch-platform is not in this tree yet (platform/cmd/runwatch-platform); the sensor's own tests cover everything short of the platform")
	}
	tmp := t.TempDir()
	platformBin, sensorBin := filepath.Join(tmp, "runwatch-platform"), filepath.Join(tmp, "runwatch-sensor")
	for _, b := range []struct{ dir, pkg, out string }{
		{root, "./platform/cmd/runwatch-platform", platformBin},
		{filepath.Join(root, "agents"), "./cmd/runwatch-sensor", sensorBin},
	} {
		if err := proctest.Build(b.dir, b.pkg, b.out); err != nil {
			t.Fatal(err)
		}
	}
	dataDir, admin := filepath.Join(tmp, "data"), fixture.RandomHex(16)
	p := &platform{proctest.StartPlatform(t, platformBin, dataDir, "", admin)}
	token := p.CreateToken(t, "sensor-e2e")

	node := "e2e-" + fixture.RandomHex(4)
	metricsAddr := proctest.FreeAddr(t)
	sensor := proctest.Start(t, filepath.Join(tmp, "sensor.log"), []string{"RUNWATCH_PLATFORM=" + p.URL, "RUNWATCH_TOKEN=" + token},
		sensorBin, "--host", "--node-name", node, "--listen", metricsAddr,
		"--spool-dir", filepath.Join(tmp, "spool"), "--flush-interval", "200ms")
	defer func() {
		sensor.Stop()
		if t.Failed() {
			t.Logf("sensor log:\n%s\nplatform log:\n%s", sensor.Tail(), p.Tail())
		}
	}()
	sensor.WaitReady(t, "http://"+metricsAddr+"/readyz", 30*time.Second)

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
	p.Stop()
	c2 := fixture.NewContainer(t, img, mounts.V2, false)
	if b, err := c2.Command(t, "/usr/bin/knownbin", "sleep", "1ms").CombinedOutput(); err != nil {
		t.Fatalf("second container: %v\n%s", err, b)
	}
	waitFor(t, "records in the spool while the platform is down", 30*time.Second, func() bool {
		return metric(t, metricsAddr, "runwatch_sensor_spooled_records") > 0
	})
	p = &platform{proctest.StartPlatform(t, platformBin, dataDir, p.Addr, admin)}
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
