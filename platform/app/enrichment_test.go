package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runwatch/runwatch/adapters/catalog"
	"github.com/runwatch/runwatch/adapters/catalog/catalogtest"
	"github.com/runwatch/runwatch/adapters/oci"
	"github.com/runwatch/runwatch/adapters/oci/ocitest"
	"github.com/runwatch/runwatch/adapters/osv"
	"github.com/runwatch/runwatch/adapters/osv/govulndb"
	"github.com/runwatch/runwatch/adapters/secrets"
	"github.com/runwatch/runwatch/adapters/store"
	"github.com/runwatch/runwatch/adapters/webhook"
	"github.com/runwatch/runwatch/adapters/xray"
	"github.com/runwatch/runwatch/domain/inventory"
	"github.com/runwatch/runwatch/domain/risk"
	"github.com/runwatch/runwatch/domain/runtime"
	"github.com/runwatch/runwatch/platform/app"
	"github.com/runwatch/runwatch/ports"
)

type movingClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *movingClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *movingClock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// ociConnectors connects OCI integrations (the platform's own connectors
// add Artifactory).
type ociConnectors struct{ timeout time.Duration }

func (c ociConnectors) Registry(in ports.Integration) (app.RegistryConn, error) {
	cl, err := oci.New(oci.Config{Name: in.Name, URL: in.URL, Username: in.Username, Password: in.Secret, Timeout: c.timeout})
	if err != nil {
		return app.RegistryConn{}, err
	}
	return app.RegistryConn{Integration: in, Locator: cl, Tags: cl, Source: cl, Serves: cl.Serves}, nil
}

func (c ociConnectors) Scanner(in ports.Integration) (ports.ArtifactScanner, error) {
	return nil, fmt.Errorf("no scanner in this test")
}

type hookReceiver struct {
	mu     sync.Mutex
	bodies [][]byte
	fail   int // fail the first n requests
	secret string
	t      *testing.T
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if !webhook.Verify(h.secret, r.Header.Get("X-Runwatch-Timestamp"), r.Header.Get("X-Runwatch-Signature"), body, time.Now(), time.Hour) {
		h.t.Errorf("bad signature on %s", body)
	}
	if h.fail > 0 {
		h.fail--
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	h.bodies = append(h.bodies, body)
}

func (h *hookReceiver) kinds() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, b := range h.bodies {
		var ev webhook.Event
		json.Unmarshal(b, &ev)
		out = append(out, ev.Risk.Kind)
	}
	slices.Sort(out)
	return out
}

// The worker against real parts: a registry holding an image with a Go
// binary built now against golang.org/x/text v0.3.5, the Go vulnerability
// database, SQLite, and a webhook receiver.
func TestEnricherEndToEnd(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rw.db"), log, store.WithSecrets(testSealer(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	scanner := osv.NewScanner(log, govulndb.Source())
	if err := scanner.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	reg := ocitest.Start(t, nil)
	bin := catalogtest.GoBinary(t, t.TempDir())
	binData, _ := os.ReadFile(bin)
	binFile := catalogtest.File{Name: "app/langserver", Data: binData, Mode: 0o755}
	img := reg.Push(t, "shop/lang", "1.0", catalogtest.Layer(t, catalogtest.File{Name: "etc/os-release", Data: []byte("ID=debian\nVERSION_ID=12\n")}), catalogtest.Layer(t, binFile))
	ref := reg.Host + "/shop/lang:1.0"

	clk := &movingClock{now: time.Now().UTC().Truncate(time.Second)}
	cl, err := st.EnsureCluster(ctx, "cl_prod", "prod", clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	ctrID := strings.Repeat("c1", 32)
	batch := inventory.Batch{ID: "inventory-0001", SnapshotID: "snapshot-0001", SnapshotComplete: true,
		Nodes:      []inventory.Node{{Name: "node-1"}},
		Namespaces: []inventory.Namespace{{Name: "shop"}},
		Workloads:  []inventory.Workload{{UID: "wl-1", Kind: "Deployment", Namespace: "shop", Name: "lang"}},
		Pods: []inventory.Pod{{UID: "pod-1", Namespace: "shop", Name: "lang-1", NodeName: "node-1", Phase: "Running",
			Workload: inventory.WorkloadRef{UID: "wl-1", Kind: "Deployment", Name: "lang"},
			Containers: []inventory.Container{{Name: "lang", Kind: inventory.ContainerRegular, Image: ref, ImageDigest: img.Digest,
				ContainerID: ctrID, Runtime: "containerd", State: inventory.StateRunning}}}}}
	if _, err := batch.Validate(inventory.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ApplyInventory(ctx, cl.ID, &batch, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutIntegration(ctx, ports.Integration{ID: "i1", Name: "corp", Kind: ports.IntegrationOCI, URL: reg.URL, Trusted: true, CreatedAt: clk.Now(), UpdatedAt: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	recv := &hookReceiver{secret: "hook-secret", fail: 1, t: t}
	hookSrv := httptest.NewServer(recv)
	defer hookSrv.Close()
	if _, err := st.PutWebhook(ctx, ports.Webhook{ID: "w1", Name: "ops", URL: hookSrv.URL, Format: "generic", Secret: "hook-secret", CreatedAt: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	notifier := app.NewNotifier(st, webhook.New(), clk, log)
	notifier.RetryBase = time.Second
	cfg := app.DefaultEnrichmentConfig
	e := app.NewEnricher(st, scanner, catalog.New(), ociConnectors{timeout: 2 * time.Second}, notifier, clk, log, cfg)

	step := func() {
		t.Helper()
		if err := e.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	vulns := func(f ports.VulnFilter) map[string]risk.Applicability {
		rows, _, err := st.ListVulnerabilities(ctx, f, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]risk.Applicability{}
		for _, r := range rows {
			out[r.Finding.ID] = r.Applicability
		}
		return out
	}

	// 1. Enriched: trusted, catalogued, x/text's vulnerabilities known but
	// not yet applicable (no runtime observed).
	step()
	enr, _, _ := st.GetEnrichment(ctx, img.Digest)
	if enr.Status != ports.EnrichmentDone || enr.Trust.Trust != risk.TrustTrusted || enr.Catalogued.IsZero() || enr.Distro != "debian-12" {
		t.Fatalf("after enrichment: %+v", enr)
	}
	if got := vulns(ports.VulnFilter{Image: img.Digest})["GO-2022-1059"]; got != risk.ApplicabilityUnknown {
		t.Fatalf("GO-2022-1059 before runtime: %q", got)
	}

	// 2. The sensor reports the binary loaded: applicable, with evidence.
	rb := runtime.Batch{ID: "runtime-0001", NodeName: "node-1", Files: []runtime.FileLoad{{
		Container: runtime.ContainerRef{ContainerID: ctrID, Runtime: runtime.RuntimeContainerd}, Path: "/app/langserver",
		SHA256: sha(binData), Kind: runtime.FileExecutable, Count: 1, FirstSeen: clk.Now(), LastSeen: clk.Now()}}}
	if _, err := rb.Normalize(runtime.DefaultLimits, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ApplyRuntime(ctx, cl.ID, &rb, clk.Now()); err != nil {
		t.Fatal(err)
	}
	step()
	v := vulns(ports.VulnFilter{Cluster: "prod", Workload: "lang"})
	if v["GO-2022-1059"] != risk.Applicable || v["GO-2021-0113"] != risk.Applicable {
		t.Fatalf("after the load: %v", v)
	}
	rows, _, _ := st.ListVulnerabilities(ctx, ports.VulnFilter{ID: "CVE-2022-32149"}, 10, 0)
	if len(rows) != 1 || rows[0].Evidence == nil || rows[0].Evidence.Path != "/app/langserver" || rows[0].Evidence.By != "sha256" {
		t.Fatalf("evidence: %+v", rows)
	}

	// 3. The tag is overwritten: after expiry the integrity violation
	// shows and is notified (once, after a failed first delivery).
	reg.Push(t, "shop/lang", "1.0", catalogtest.Layer(t, catalogtest.File{Name: "etc/motd", Data: []byte("new")}))
	clk.Add(cfg.TTL + time.Minute)
	step()
	open, _ := st.ImageRisks(ctx, []string{img.Digest})
	if len(open[img.Digest]) != 1 || open[img.Digest][0].Kind != risk.KindIntegrityViolation || !strings.Contains(open[img.Digest][0].Subject, "tag_moved") {
		t.Fatalf("risks after the tag moved: %+v", open[img.Digest])
	}
	if n, _ := notifier.DeliverDue(ctx); n != 0 {
		t.Fatal("the first delivery should have failed")
	}
	clk.Add(2 * time.Second)
	if n, err := notifier.DeliverDue(ctx); n != 1 || err != nil {
		t.Fatalf("retry delivered %d: %v", n, err)
	}
	clk.Add(cfg.TTL + time.Minute)
	step() // same risk again: no new notification
	clk.Add(time.Minute)
	notifier.DeliverDue(ctx)
	if got := recv.kinds(); !slices.Equal(got, []string{"integrity_violation"}) {
		t.Fatalf("notified %v", got)
	}

	// 4. The registry goes down: the image stays trusted (pending), never
	// turns untrusted for want of an answer.
	if _, err := st.PutIntegration(ctx, ports.Integration{ID: "i1", Name: "corp", Kind: ports.IntegrationOCI, URL: "http://127.0.0.1:1", Trusted: true, CreatedAt: clk.Now(), UpdatedAt: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	clk.Add(cfg.TTL + time.Minute)
	step()
	enr, _, _ = st.GetEnrichment(ctx, img.Digest)
	if enr.Status != ports.EnrichmentPending || enr.Trust.Trust != risk.TrustTrusted || enr.Attempts != 1 || enr.LastError == "" || !enr.NextTry.After(clk.Now()) {
		t.Fatalf("with the registry down: %+v", enr)
	}
	if v := vulns(ports.VulnFilter{Image: img.Digest}); v["GO-2022-1059"] != risk.Applicable {
		t.Fatalf("vulnerabilities lost while the registry is down: %v", v)
	}
}

func sha(b []byte) string {
	return sha256Hex(b)
}

// xrayConnectors adds an Xray at a URL to the OCI connectors.
type xrayConnectors struct{ ociConnectors }

func (xrayConnectors) Scanner(in ports.Integration) (ports.ArtifactScanner, error) {
	return xray.New(xray.Config{Name: in.Name, URL: in.URL, Token: in.Secret, Timeout: time.Second})
}

// Xray's findings (a recorded summary response of the documented shape)
// join the OSV findings: a CVE both report is counted once; components
// only Xray names are added; Xray down leaves the image pending and keeps
// its last report.
func TestEnricherMergesXrayRecordedResponse(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rw.db"), log, store.WithSecrets(testSealer(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	scanner := osv.NewScanner(log, govulndb.Source())
	if err := scanner.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	summary, err := os.ReadFile("../../adapters/xray/testdata/summary-artifact.json")
	if err != nil {
		t.Fatal(err)
	}
	var down sync.Mutex
	xrayDown := false
	xs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		down.Lock()
		defer down.Unlock()
		if xrayDown {
			http.Error(w, `{"error":"service unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		w.Write(summary)
	}))
	defer xs.Close()
	reg := ocitest.Start(t, nil)
	bin := catalogtest.GoBinary(t, t.TempDir())
	binData, _ := os.ReadFile(bin)
	img := reg.Push(t, "shop/web", "1.2.0", catalogtest.Layer(t, catalogtest.File{Name: "app/langserver", Data: binData, Mode: 0o755}))
	clk := &movingClock{now: time.Now().UTC().Truncate(time.Second)}
	cl, _ := st.EnsureCluster(ctx, "cl_prod", "prod", clk.Now())
	batch := inventory.Batch{ID: "inventory-0001", SnapshotID: "snapshot-0001", SnapshotComplete: true,
		Nodes: []inventory.Node{{Name: "node-1"}}, Namespaces: []inventory.Namespace{{Name: "shop"}},
		Workloads: []inventory.Workload{{UID: "wl-1", Kind: "Deployment", Namespace: "shop", Name: "web"}},
		Pods: []inventory.Pod{{UID: "pod-1", Namespace: "shop", Name: "web-1", NodeName: "node-1", Phase: "Running",
			Workload: inventory.WorkloadRef{UID: "wl-1", Kind: "Deployment", Name: "web"},
			Containers: []inventory.Container{{Name: "web", Kind: inventory.ContainerRegular, Image: reg.Host + "/shop/web:1.2.0", ImageDigest: img.Digest,
				ContainerID: strings.Repeat("ab", 32), Runtime: "containerd", State: inventory.StateRunning}}}}}
	if _, err := st.ApplyInventory(ctx, cl.ID, &batch, clk.Now()); err != nil {
		t.Fatal(err)
	}
	for _, in := range []ports.Integration{
		{ID: "i1", Name: "corp", Kind: ports.IntegrationOCI, URL: reg.URL, Trusted: true},
		{ID: "i2", Name: "xray", Kind: ports.IntegrationXray, URL: xs.URL, Secret: "t"},
	} {
		in.CreatedAt, in.UpdatedAt = clk.Now(), clk.Now()
		if _, err := st.PutIntegration(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	e := app.NewEnricher(st, scanner, catalog.New(), xrayConnectors{ociConnectors{timeout: time.Second}}, nil, clk, log, app.DefaultEnrichmentConfig)
	if err := e.Step(ctx); err != nil {
		t.Fatal(err)
	}
	ids := func() map[string]string {
		rows, _, err := st.ListVulnerabilities(ctx, ports.VulnFilter{Image: img.Digest}, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, r := range rows {
			out[r.Finding.ID] = r.Component + " " + r.Finding.Source
		}
		return out
	}
	got := ids()
	if got["GO-2022-1059"] == "" || got["XRAY-256211"] != "" {
		t.Fatalf("CVE-2022-32149 from both sources must be one finding: %v", got)
	}
	if got["XRAY-191832"] != "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1 xray" || got["XRAY-300001"] == "" || got["XRAY-LIC-1"] != "" {
		t.Fatalf("Xray findings: %v", got)
	}
	down.Lock()
	xrayDown = true
	down.Unlock()
	clk.Add(app.DefaultEnrichmentConfig.TTL + time.Minute)
	if err := e.Step(ctx); err != nil {
		t.Fatal(err)
	}
	enr, _, _ := st.GetEnrichment(ctx, img.Digest)
	if enr.Status != ports.EnrichmentPending || !strings.Contains(enr.LastError, "service unavailable") {
		t.Fatalf("Xray down: %+v", enr)
	}
	if got := ids(); got["XRAY-191832"] == "" {
		t.Fatalf("Xray's findings lost while it is down: %v", got)
	}
}

// New vulnerability data re-evaluates every enriched image, with no other
// change: a record added to an imported OSV directory shows up once the
// data is reloaded.
func TestEnricherReevaluatesOnNewData(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rw.db"), log, store.WithSecrets(testSealer(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	osvDir := t.TempDir()
	scanner := osv.NewScanner(log, govulndb.Source(), osv.DirSource(osvDir, osv.DefaultLimits))
	if err := scanner.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	reg := ocitest.Start(t, nil)
	bin := catalogtest.GoBinary(t, t.TempDir())
	binData, _ := os.ReadFile(bin)
	img := reg.Push(t, "shop/lang", "1.0", catalogtest.Layer(t, catalogtest.File{Name: "app/langserver", Data: binData, Mode: 0o755}))
	clk := &movingClock{now: time.Now().UTC().Truncate(time.Second)}
	cl, _ := st.EnsureCluster(ctx, "cl_prod", "prod", clk.Now())
	batch := inventory.Batch{ID: "inventory-0001", SnapshotID: "snapshot-0001", SnapshotComplete: true,
		Nodes: []inventory.Node{{Name: "node-1"}}, Namespaces: []inventory.Namespace{{Name: "shop"}},
		Workloads: []inventory.Workload{{UID: "wl-1", Kind: "Deployment", Namespace: "shop", Name: "lang"}},
		Pods: []inventory.Pod{{UID: "pod-1", Namespace: "shop", Name: "lang-1", NodeName: "node-1", Phase: "Running",
			Workload: inventory.WorkloadRef{UID: "wl-1", Kind: "Deployment", Name: "lang"},
			Containers: []inventory.Container{{Name: "lang", Kind: inventory.ContainerRegular, Image: reg.Host + "/shop/lang:1.0", ImageDigest: img.Digest,
				ContainerID: strings.Repeat("cd", 32), Runtime: "containerd", State: inventory.StateRunning}}}}}
	if _, err := st.ApplyInventory(ctx, cl.ID, &batch, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutIntegration(ctx, ports.Integration{ID: "i1", Name: "corp", Kind: ports.IntegrationOCI, URL: reg.URL, Trusted: true, CreatedAt: clk.Now(), UpdatedAt: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	e := app.NewEnricher(st, scanner, catalog.New(), ociConnectors{timeout: time.Second}, nil, clk, log, app.DefaultEnrichmentConfig)
	has := func(id string) bool {
		rows, _, err := st.ListVulnerabilities(ctx, ports.VulnFilter{Image: img.Digest, ID: id}, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(rows) == 1
	}
	if err := e.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if !has("GO-2022-1059") || has("TEST-2026-0001") {
		t.Fatal("before the new data")
	}
	rec := `{"id":"TEST-2026-0001","modified":"2026-11-01T00:00:00Z","summary":"new advisory",
"affected":[{"package":{"ecosystem":"Go","name":"golang.org/x/text"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0.3.0"},{"fixed":"0.3.6"}]}]}]}`
	if err := os.WriteFile(filepath.Join(osvDir, "TEST-2026-0001.json"), []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := scanner.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if !has("TEST-2026-0001") {
		t.Fatal("new data did not re-evaluate the image")
	}
	enr, _, _ := st.GetEnrichment(ctx, img.Digest)
	if enr.Revision != scanner.Revision() {
		t.Fatalf("evaluated against %s, data is %s", enr.Revision, scanner.Revision())
	}
}

// An image no integration serves cannot be catalogued; it is still judged
// from the packages the sensor named for what it loaded, and stays
// pending-free (no registry was asked, so none failed).
func TestEnricherJudgesFromSensorPackages(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rw.db"), log, store.WithSecrets(testSealer(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	scanner := osv.NewScanner(log, govulndb.Source())
	if err := scanner.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	clk := &movingClock{now: time.Now().UTC().Truncate(time.Second)}
	cl, _ := st.EnsureCluster(ctx, "cl_prod", "prod", clk.Now())
	digest := "sha256:" + strings.Repeat("e", 64)
	cid := strings.Repeat("ef", 32)
	batch := inventory.Batch{ID: "inventory-0001", SnapshotID: "snapshot-0001", SnapshotComplete: true,
		Nodes: []inventory.Node{{Name: "node-1"}}, Namespaces: []inventory.Namespace{{Name: "shop"}},
		Workloads: []inventory.Workload{{UID: "wl-1", Kind: "Deployment", Namespace: "shop", Name: "api"}},
		Pods: []inventory.Pod{{UID: "pod-1", Namespace: "shop", Name: "api-1", NodeName: "node-1", Phase: "Running",
			Workload: inventory.WorkloadRef{UID: "wl-1", Kind: "Deployment", Name: "api"},
			Containers: []inventory.Container{{Name: "api", Kind: inventory.ContainerRegular, Image: "ghcr.io/acme/api:2", ImageDigest: digest,
				ContainerID: cid, Runtime: "containerd", State: inventory.StateRunning}}}}}
	if _, err := st.ApplyInventory(ctx, cl.ID, &batch, clk.Now()); err != nil {
		t.Fatal(err)
	}
	rb := runtime.Batch{ID: "runtime-0001", NodeName: "node-1", Files: []runtime.FileLoad{{
		Container: runtime.ContainerRef{ContainerID: cid, Runtime: runtime.RuntimeContainerd}, Path: "/usr/local/bin/api",
		SHA256: strings.Repeat("1", 64), Kind: runtime.FileExecutable, Count: 1, FirstSeen: clk.Now(), LastSeen: clk.Now(),
		PackagePURLs: []string{"pkg:golang/golang.org/x/text@v0.3.5", "pkg:golang/stdlib@1.26.0"}}}}
	if _, err := rb.Normalize(runtime.DefaultLimits, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ApplyRuntime(ctx, cl.ID, &rb, clk.Now()); err != nil {
		t.Fatal(err)
	}
	e := app.NewEnricher(st, scanner, catalog.New(), ociConnectors{timeout: time.Second}, nil, clk, log, app.DefaultEnrichmentConfig)
	if err := e.Step(ctx); err != nil {
		t.Fatal(err)
	}
	rows, _, err := st.ListVulnerabilities(ctx, ports.VulnFilter{Image: digest, ID: "CVE-2022-32149"}, 10, 0)
	if err != nil || len(rows) != 1 || rows[0].Applicability != risk.Applicable || rows[0].Evidence.By != "purl" {
		t.Fatalf("from the sensor's packages: %+v %v", rows, err)
	}
	enr, _, _ := st.GetEnrichment(ctx, digest)
	if enr.Status != ports.EnrichmentDone || enr.Trust.Trust != risk.TrustUnknown || !enr.Catalogued.IsZero() {
		t.Fatalf("enrichment %+v", enr)
	}
}

// A report wakes the worker long before its poll is due.
func TestEnricherWokenByChanges(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rw.db"), log, store.WithSecrets(testSealer(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	scanner := osv.NewScanner(log, govulndb.Source())
	if err := scanner.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := app.DefaultEnrichmentConfig
	cfg.Poll, cfg.MinInterval = time.Hour, 10*time.Millisecond
	e := app.NewEnricher(st, scanner, catalog.New(), ociConnectors{timeout: time.Second}, nil, app.SystemClock{}, log, cfg)
	changes := app.NewChanges()
	e.WakeOn(changes)
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	now := time.Now().UTC()
	cl, _ := st.EnsureCluster(ctx, "cl_prod", "prod", now)
	digest := "sha256:" + strings.Repeat("a", 64)
	cid := strings.Repeat("0a", 32)
	batch := inventory.Batch{ID: "inventory-0001", Nodes: []inventory.Node{{Name: "node-1"}},
		Pods: []inventory.Pod{{UID: "pod-1", Namespace: "shop", Name: "api-1", NodeName: "node-1", Phase: "Running",
			Workload: inventory.WorkloadRef{UID: "pod-1", Kind: "Pod", Name: "api-1"},
			Containers: []inventory.Container{{Name: "api", Kind: inventory.ContainerRegular, Image: "ghcr.io/acme/api:2", ImageDigest: digest,
				ContainerID: cid, Runtime: "containerd", State: inventory.StateRunning}}}}}
	if _, err := st.ApplyInventory(ctx, cl.ID, &batch, now); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the first step has run and the worker waits for its (hour-long) poll
	rb := runtime.Batch{ID: "runtime-0001", NodeName: "node-1", Files: []runtime.FileLoad{{
		Container: runtime.ContainerRef{ContainerID: cid, Runtime: runtime.RuntimeContainerd}, Path: "/api", SHA256: strings.Repeat("2", 64),
		Kind: runtime.FileExecutable, Count: 1, FirstSeen: now, LastSeen: now, PackagePURLs: []string{"pkg:golang/golang.org/x/text@v0.3.5"}}}}
	if _, err := rb.Normalize(runtime.DefaultLimits, now); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ApplyRuntime(ctx, cl.ID, &rb, now); err != nil {
		t.Fatal(err)
	}
	changes.Notify()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rows, _, _ := st.ListVulnerabilities(ctx, ports.VulnFilter{Image: digest, ID: "GO-2022-1059", Applicability: risk.Applicable}, 10, 0)
		if len(rows) == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker was not woken by the report")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// testSealer seals the credentials a test stores under a random key.
func testSealer(t testing.TB) *secrets.AESGCM {
	t.Helper()
	s, err := secrets.NewRandom("a test key")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A trusted registry whose secret was sealed under another key cannot be
// asked: the image waits (pending, trust unknown, the integration named in
// its last error) instead of being judged untrusted without it, and is
// judged once the secret is put again.
func TestEnricherWaitsForAnIntegrationItCannotOpen(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	path := filepath.Join(t.TempDir(), "rw.db")
	reg := ocitest.Start(t, nil)
	img := reg.Push(t, "shop/web", "1.0", catalogtest.Layer(t, catalogtest.File{Name: "app/run.sh", Data: []byte("#!/bin/sh\n"), Mode: 0o755}))
	clk := &movingClock{now: time.Now().UTC().Truncate(time.Second)}

	before, err := store.OpenSQLite(ctx, path, log, store.WithSecrets(testSealer(t)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := before.PutIntegration(ctx, ports.Integration{ID: "i1", Name: "corp", Kind: ports.IntegrationOCI, URL: reg.URL, Username: "robot",
		Secret: "robot-pass", Trusted: true, CreatedAt: clk.Now(), UpdatedAt: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	before.Close()

	st, err := store.OpenSQLite(ctx, path, log, store.WithSecrets(testSealer(t))) // another key
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cl, _ := st.EnsureCluster(ctx, "cl_prod", "prod", clk.Now())
	batch := inventory.Batch{ID: "inventory-0001", SnapshotID: "snapshot-0001", SnapshotComplete: true,
		Nodes: []inventory.Node{{Name: "node-1"}}, Namespaces: []inventory.Namespace{{Name: "shop"}},
		Pods: []inventory.Pod{{UID: "pod-1", Namespace: "shop", Name: "web-1", NodeName: "node-1", Phase: "Running",
			Containers: []inventory.Container{{Name: "web", Kind: inventory.ContainerRegular, Image: reg.Host + "/shop/web:1.0", ImageDigest: img.Digest,
				ContainerID: strings.Repeat("cd", 32), Runtime: "containerd", State: inventory.StateRunning}}}}}
	if _, err := st.ApplyInventory(ctx, cl.ID, &batch, clk.Now()); err != nil {
		t.Fatal(err)
	}
	scanner := osv.NewScanner(log, govulndb.Source())
	if err := scanner.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	e := app.NewEnricher(st, scanner, catalog.New(), ociConnectors{timeout: time.Second}, nil, clk, log, app.DefaultEnrichmentConfig)
	if err := e.Step(ctx); err != nil {
		t.Fatal(err)
	}
	enr, _, _ := st.GetEnrichment(ctx, img.Digest)
	if enr.Status != ports.EnrichmentPending || enr.Trust.Trust != risk.TrustUnknown || !strings.Contains(enr.LastError, "integration/corp cannot be opened") {
		t.Fatalf("with the integration locked: status %s, trust %s, last error %q", enr.Status, enr.Trust.Trust, enr.LastError)
	}

	if _, err := st.PutIntegration(ctx, ports.Integration{ID: "i2", Name: "corp", Kind: ports.IntegrationOCI, URL: reg.URL, Username: "robot",
		Secret: "robot-pass", Trusted: true, CreatedAt: clk.Now(), UpdatedAt: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour)
	if err := e.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if enr, _, _ := st.GetEnrichment(ctx, img.Digest); enr.Trust.Trust != risk.TrustTrusted {
		t.Fatalf("after the secret was put again: trust %s, last error %q", enr.Trust.Trust, enr.LastError)
	}
}

// A webhook whose secret was sealed under another key is not sent to
// unsigned: the delivery waits with the reason, and goes out signed once
// the secret is put again.
func TestNotifierSendsNothingUnsigned(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	path := filepath.Join(t.TempDir(), "rw.db")
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if webhook.Verify("hook-s3cret", r.Header.Get("X-Runwatch-Timestamp"), r.Header.Get("X-Runwatch-Signature"), body, time.Now(), time.Hour) {
			got = append(got, "signed")
		} else {
			got = append(got, "unsigned")
		}
	}))
	defer srv.Close()
	clk := &movingClock{now: time.Now().UTC().Truncate(time.Second)}
	before, err := store.OpenSQLite(ctx, path, log, store.WithSecrets(testSealer(t)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := before.PutWebhook(ctx, ports.Webhook{ID: "w1", Name: "ops", URL: srv.URL, Format: "generic", Secret: "hook-s3cret", CreatedAt: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := before.EnqueueDeliveries(ctx, []ports.Delivery{{WebhookID: "w1", RiskKey: "untrusted|x", Payload: []byte(`{}`), NextTry: clk.Now()}}); err != nil {
		t.Fatal(err)
	}
	before.Close()

	st, err := store.OpenSQLite(ctx, path, log, store.WithSecrets(testSealer(t))) // another key
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := app.NewNotifier(st, webhook.New(), clk, log)
	if sent, err := n.DeliverDue(ctx); err != nil || sent != 0 {
		t.Fatalf("delivered %d, %v", sent, err)
	}
	clk.Add(time.Hour)
	due, _ := st.DueDeliveries(ctx, clk.Now(), 10)
	if len(due) != 1 || !strings.Contains(due[0].LastError, "webhook/ops cannot be opened") {
		t.Fatalf("the delivery: %+v", due)
	}
	if _, err := st.PutWebhook(ctx, ports.Webhook{ID: "w2", Name: "ops", URL: srv.URL, Format: "generic", Secret: "hook-s3cret", CreatedAt: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	if sent, err := n.DeliverDue(ctx); err != nil || sent != 1 {
		t.Fatalf("after the secret was put again: delivered %d, %v", sent, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, []string{"signed"}) {
		t.Fatalf("the receiver got %v", got)
	}
}
