//go:build linux

package sensor

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runwatch/runwatch/agents/internal/sensortest/fixture"
	"github.com/runwatch/runwatch/agents/internal/sensortest/privtest"
	"github.com/runwatch/runwatch/agents/internal/testenv"
	"github.com/runwatch/runwatch/agents/sensor/cgroup"
	"github.com/runwatch/runwatch/agents/sensor/kernel"
	runwatchv1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
)

func TestMain(m *testing.M) {
	fixture.MaybeRunInit()
	os.Exit(m.Run())
}

// capture is an Output that keeps every record.
type capture struct {
	mu      sync.Mutex
	batches []*runwatchv1.ReportRuntimeRequest
}

func (c *capture) Deliver(r *runwatchv1.ReportRuntimeRequest) {
	if r.NodeName != "test-node" || r.BatchId == "" {
		panic(fmt.Sprintf("batch without node name or batch id: %q %q", r.NodeName, r.BatchId))
	}
	for _, f := range r.FileLoads {
		if f.Kind == runwatchv1.FileKind_FILE_KIND_UNSPECIFIED || f.Count == 0 || f.LastSeen == nil {
			panic(fmt.Sprintf("file load without kind, count or last_seen: %v", f))
		}
	}
	for _, e := range r.Executions {
		if e.ExecutablePath == "" || e.Count == 0 || e.LastSeen == nil {
			panic(fmt.Sprintf("execution without path, count or last_seen: %v", e))
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches = append(c.batches, r)
}

func (c *capture) execs() []*runwatchv1.ProcessExecution {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*runwatchv1.ProcessExecution
	for _, b := range c.batches {
		out = append(out, b.Executions...)
	}
	return out
}

func (c *capture) files() []*runwatchv1.FileLoad {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*runwatchv1.FileLoad
	for _, b := range c.batches {
		out = append(out, b.FileLoads...)
	}
	return out
}

// startSensor runs a sensor until the test ends.
func startSensor(t *testing.T, cfg Config) (*Sensor, *capture) {
	t.Helper()
	privtest.RequireBPF(t)
	if cfg.Cgroups == (cgroup.Mounts{}) {
		m, err := cgroup.DiscoverMounts("/proc/self/mountinfo")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Cgroups = m
	}
	if cfg.FlushInterval == 0 {
		cfg.FlushInterval = 100 * time.Millisecond
	}
	cfg.HostRoot = "/"
	cfg.NodeName = "test-node"
	s := New(cfg, testenv.Logger(t))
	out := &capture{}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan kernel.HookMode, 1)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, out, func(m kernel.HookMode) { started <- m }) }()
	select {
	case m := <-started:
		t.Logf("sensor running in hook mode %s", m)
	case err := <-done:
		cancel()
		t.Fatalf("sensor did not start: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("sensor did not start within 30s")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("sensor stopped with %v", err)
		}
	})
	return s, out
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func findExec(recs []*runwatchv1.ProcessExecution, container, path string) *runwatchv1.ProcessExecution {
	for _, r := range recs {
		if r.GetContainer().GetContainerId() == container && r.ExecutablePath == path && r.FirstSeen != nil {
			return r
		}
	}
	return nil
}

func findFile(recs []*runwatchv1.FileLoad, container, path string) *runwatchv1.FileLoad {
	for _, r := range recs {
		if r.GetContainer().GetContainerId() == container && r.Path == path && r.FirstSeen != nil {
			return r
		}
	}
	return nil
}

// A process in a simulated Kubernetes container (containerd shape, cgroup
// v2, overlay root): its exec, the jar it opens, and a binary it writes
// and runs are reported attributed, hashed, identified and with drift.
func TestContainerEndToEnd(t *testing.T) {
	s, out := startSensor(t, Config{})
	img := fixture.BuildImage(t, t.TempDir())
	c := fixture.NewContainer(t, img, s.cfg.Cgroups.V2, false)

	cmd := c.Command(t, "/usr/bin/knownbin", "open", "/app/app.jar",
		"--", "copy", "/usr/bin/knownbin", "/tmp/dropped",
		"--", "run", "/tmp/dropped", "sleep", "10ms")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("container: %v\n%s", err, b)
	}

	var ex, dropped *runwatchv1.ProcessExecution
	var jar *runwatchv1.FileLoad
	eventually(t, "the container's exec, jar and dropped binary", func() bool {
		ex = findExec(out.execs(), c.ID, "/usr/bin/knownbin")
		dropped = findExec(out.execs(), c.ID, "/tmp/dropped")
		jar = findFile(out.files(), c.ID, "/app/app.jar")
		return ex != nil && dropped != nil && jar != nil
	})

	if ex.Container.PodUid != c.PodUID || ex.Container.Runtime != runwatchv1.ContainerRuntime_CONTAINER_RUNTIME_CONTAINERD {
		t.Errorf("attribution %+v, want pod %s containerd", ex.Container, c.PodUID)
	}
	if ex.Sha256 != img.BinSHA {
		t.Errorf("sha256 %q, want %q (reason %q)", ex.Sha256, img.BinSHA, ex.UnresolvedReason)
	}
	if want := []string{"/usr/bin/knownbin", "open", "/app/app.jar", "--", "copy"}; !slices.Equal(ex.Argv[:5], want) {
		t.Errorf("argv %q", ex.Argv)
	}
	if !fixture.HasKnownModules(ex.PackagePurls) || !slices.Contains(ex.PackagePurls, fixture.DebPackagePURL) {
		t.Errorf("purls %v: want the Go modules and %s", ex.PackagePurls, fixture.DebPackagePURL)
	}
	if ex.Drift {
		t.Error("an image binary is flagged as drift")
	}
	if jar.Kind != runwatchv1.FileKind_FILE_KIND_JAR || !slices.Contains(jar.PackagePurls, fixture.JarPURL) ||
		jar.LoadedByPath != "/usr/bin/knownbin" || jar.Sha256 == "" {
		t.Errorf("jar %+v", jar)
	}
	if !dropped.Drift {
		t.Errorf("a binary written in the container is not drift: %+v", dropped)
	}
	if dropped.Sha256 != img.BinSHA || dropped.ParentExecutablePath != "/usr/bin/knownbin" {
		t.Errorf("dropped %+v", dropped)
	}
	if slices.Contains(dropped.PackagePurls, fixture.DebPackagePURL) {
		t.Error("the dropped binary is attributed to the package of the image's binary")
	}

	// Exits empty the process table.
	eventually(t, "the container's processes to leave the process table", func() bool {
		_, a := s.procs.Get(ex.Pid)
		_, b := s.procs.Get(dropped.Pid)
		return !a && !b
	})
	st := s.Status()
	if st.RingBufferDrops != 0 || st.DecodeErrors != 0 {
		t.Errorf("losses: %+v", st)
	}
}

// Running the same binary again in the same container sends only counts.
func TestRepeatsAreCounted(t *testing.T) {
	_, out := startSensor(t, Config{})
	img := fixture.BuildImage(t, t.TempDir())
	m, _ := cgroup.DiscoverMounts("/proc/self/mountinfo")
	c := fixture.NewContainer(t, img, m.V2, false)
	args := []string{"/usr/bin/knownbin"}
	for range 5 {
		args = append(args, "run", "/usr/bin/knownbin", "sleep", "1ms", "--")
	}
	if b, err := c.Command(t, args...).CombinedOutput(); err != nil {
		t.Fatalf("container: %v\n%s", err, b)
	}
	var total uint64
	eventually(t, "6 executions of knownbin", func() bool {
		total = 0
		firsts := 0
		for _, r := range out.execs() {
			if r.GetContainer().GetContainerId() == c.ID && r.ExecutablePath == "/usr/bin/knownbin" {
				total += r.Count
				if r.FirstSeen != nil {
					firsts++
				}
			}
		}
		return total == 6 && firsts == 1
	})
}

// On a v1 or hybrid host, a container known only by its v1 memory cgroup
// (Docker with the cgroupfs driver) is attributed from the kernel's v1 id.
func TestContainerCgroupV1(t *testing.T) {
	privtest.RequireBPF(t)
	m, err := cgroup.DiscoverMounts("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if m.V1Memory == "" {
		t.Skip("no cgroup v1 memory hierarchy on this host (pure cgroup v2)")
	}
	_, out := startSensor(t, Config{Cgroups: m})
	img := fixture.BuildImage(t, t.TempDir())
	c := fixture.NewContainer(t, img, m.V1Memory, true)
	if b, err := c.Command(t, "/usr/bin/knownbin", "sleep", "1ms").CombinedOutput(); err != nil {
		t.Fatalf("container: %v\n%s", err, b)
	}
	var ex *runwatchv1.ProcessExecution
	eventually(t, "the v1 container's exec", func() bool {
		ex = findExec(out.execs(), c.ID, "/usr/bin/knownbin")
		return ex != nil
	})
	if ex.Container.Runtime != runwatchv1.ContainerRuntime_CONTAINER_RUNTIME_DOCKER || ex.Sha256 != img.BinSHA {
		t.Errorf("v1 container exec %+v", ex)
	}
}

// Host processes are attributed to the host, with their packages.
func TestHostProcess(t *testing.T) {
	_, out := startSensor(t, Config{})
	bin := t.TempDir() + "/host-knownbin"
	fixture.BuildKnownBin(t, bin)
	cmd := []string{bin, "sleep", "1ms"}
	if b, err := execCommand(cmd...); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	eventually(t, "the host exec", func() bool {
		for _, r := range out.execs() {
			if r.ExecutablePath == bin && r.FirstSeen != nil {
				if r.Container.Runtime != runwatchv1.ContainerRuntime_CONTAINER_RUNTIME_HOST || r.Container.ContainerId != "" || r.Drift {
					t.Errorf("host exec attributed %+v drift %v", r.Container, r.Drift)
				}
				if !fixture.HasKnownModules(r.PackagePurls) {
					t.Errorf("purls %v", r.PackagePurls)
				}
				return true
			}
		}
		return false
	})
}

func TestUTF8Sanitised(t *testing.T) {
	if got := utf8("a\xffb"); got != "a\uFFFDb" || !strings.Contains(got, "b") {
		t.Errorf("utf8 = %q", got)
	}
}
