package platform_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/runwatch/runwatch/adapters/catalog/catalogtest"
	"github.com/runwatch/runwatch/adapters/oci/ocitest"
	"github.com/runwatch/runwatch/adapters/webhook"
	"github.com/runwatch/runwatch/platform"
	"github.com/runwatch/runwatch/platform/platformtest"
	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

// OSV records in the shape GitHub's advisory database publishes them
// (the Maven ecosystem is not in the Go data the platform ships).
const (
	log4shell = `{"id":"GHSA-jfh8-c2jp-5v3q","modified":"2025-01-01T00:00:00Z","aliases":["CVE-2021-44228"],
"summary":"Remote code injection in Log4j","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}],
"affected":[{"package":{"ecosystem":"Maven","name":"org.apache.logging.log4j:log4j-core"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.13.0"},{"fixed":"2.15.0"}]}]}],
"database_specific":{"severity":"CRITICAL"}}`
	text4shell = `{"id":"GHSA-599f-7c49-w659","modified":"2025-01-01T00:00:00Z","aliases":["CVE-2022-42889"],
"summary":"Arbitrary code execution in Apache Commons Text","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
"affected":[{"package":{"ecosystem":"Maven","name":"org.apache.commons:commons-text"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1.5"},{"fixed":"1.10.0"}]}]}]}`
)

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

type receiver struct {
	mu     sync.Mutex
	bodies []string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if !webhook.Verify("hook-secret", req.Header.Get("X-Runwatch-Timestamp"), req.Header.Get("X-Runwatch-Signature"), body, time.Now(), time.Minute) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	r.mu.Lock()
	r.bodies = append(r.bodies, string(body))
	r.mu.Unlock()
}

func (r *receiver) all() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.bodies, "\n")
}

type enrichEnv struct {
	in        *platformtest.Instance
	reg       *ocitest.Registry
	inventory runwatchv1connect.InventoryServiceClient
	admin     runwatchv1connect.AdminServiceClient
	ctrl      runwatchv1connect.ControllerServiceClient
	sensor    runwatchv1connect.SensorServiceClient
	binData   []byte
	bin       string
}

func newEnrichEnv(t testing.TB, dialect string, poll time.Duration) *enrichEnv {
	dir := t.TempDir()
	osvDir := filepath.Join(dir, "osv")
	os.MkdirAll(osvDir, 0o755)
	os.WriteFile(filepath.Join(osvDir, "GHSA-jfh8-c2jp-5v3q.json"), []byte(log4shell), 0o644)
	os.WriteFile(filepath.Join(osvDir, "GHSA-599f-7c49-w659.json"), []byte(text4shell), 0o644)
	in := platformtest.StartWith(t, dialect, func(c *platform.Config) {
		c.Enrichment.VulnData = osvDir
		c.Enrichment.Poll = poll
	})
	e := &enrichEnv{in: in, reg: ocitest.Start(t, nil)}
	e.bin = catalogtest.GoBinary(t, dir)
	e.binData, _ = os.ReadFile(e.bin)
	opts := []connect.ClientOption{connect.WithInterceptors(bearerAuth(platformtest.AdminToken))}
	e.inventory = runwatchv1connect.NewInventoryServiceClient(platformtest.H2C(), in.URL, opts...)
	e.admin = runwatchv1connect.NewAdminServiceClient(platformtest.H2C(), in.URL, opts...)
	e.ctrl, e.sensor = platformtest.Agents(in.URL, in.CreateToken(t, "prod"))
	ctx := context.Background()
	if _, err := e.ctrl.RegisterCluster(ctx, connect.NewRequest(&v1.RegisterClusterRequest{ClusterUid: "uid-prod", ClusterName: "prod"})); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sensor.RegisterNode(ctx, connect.NewRequest(&v1.RegisterNodeRequest{NodeName: "node-1", Mode: v1.SensorMode_SENSOR_MODE_KUBERNETES})); err != nil {
		t.Fatal(err)
	}
	return e
}

type bearerAuth string

func (b bearerAuth) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		req.Header().Set("Authorization", "Bearer "+string(b))
		return next(ctx, req)
	}
}
func (b bearerAuth) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}
func (b bearerAuth) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

// pushApp pushes an image: the Go binary built against x/text v0.3.5, a
// log4j-core 2.14.1 jar and a commons-text 1.9 jar; tagged 1.<n>.
func (e *enrichEnv) pushApp(t testing.TB, n int) (ocitest.Image, string) {
	log4j := catalogtest.Jar(t, "org.apache.logging.log4j", "log4j-core", "2.14.1", nil)
	ctext := catalogtest.Jar(t, "org.apache.commons", "commons-text", "1.9", nil)
	img := e.reg.Push(t, "shop/lang", fmt.Sprintf("1.%d", n),
		catalogtest.Layer(t, catalogtest.File{Name: "etc/os-release", Data: []byte("ID=debian\nVERSION_ID=12\n")},
			catalogtest.File{Name: "etc/build", Data: []byte(fmt.Sprint(n))}),
		catalogtest.Layer(t, catalogtest.File{Name: "app/langserver", Data: e.binData, Mode: 0o755},
			catalogtest.File{Name: "app/lib/log4j-core-2.14.1.jar", Data: log4j},
			catalogtest.File{Name: "app/lib/commons-text-1.9.jar", Data: ctext}))
	return img, e.reg.Host + fmt.Sprintf("/shop/lang:1.%d", n)
}

func (e *enrichEnv) runPod(t testing.TB, n int, ref, digest string) string {
	cid := fmt.Sprintf("%064x", n+1)
	pod := fmt.Sprintf("pod-%d", n)
	_, err := e.ctrl.ReportInventory(context.Background(), connect.NewRequest(&v1.ReportInventoryRequest{BatchId: fmt.Sprintf("inventory-%04d", n),
		Workloads: []*v1.WorkloadInfo{{Uid: "dep-lang", Kind: "Deployment", Namespace: "shop", Name: "lang"}},
		Pods: []*v1.PodInfo{{Uid: pod, Namespace: "shop", Name: "lang-" + pod, NodeName: "node-1", WorkloadUid: "dep-lang", WorkloadKind: "Deployment",
			WorkloadName: "lang", Phase: "Running", Containers: []*v1.ContainerInfo{{Name: "lang", Kind: v1.ContainerKind_CONTAINER_KIND_REGULAR,
				Image: ref, ImageDigest: digest, ContainerId: cid, Runtime: "containerd", State: v1.ContainerState_CONTAINER_STATE_RUNNING}}}}}))
	if err != nil {
		t.Fatal(err)
	}
	return cid
}

func (e *enrichEnv) reportLoads(t testing.TB, batch, cid string, files map[string][]byte) {
	now := timestamppb.Now()
	req := &v1.ReportRuntimeRequest{BatchId: batch, NodeName: "node-1"}
	for path, data := range files {
		kind := v1.FileKind_FILE_KIND_EXECUTABLE
		if strings.HasSuffix(path, ".jar") {
			kind = v1.FileKind_FILE_KIND_JAR
		}
		req.FileLoads = append(req.FileLoads, &v1.FileLoad{Container: &v1.ContainerRef{ContainerId: cid, Runtime: v1.ContainerRuntime_CONTAINER_RUNTIME_CONTAINERD},
			Path: path, Sha256: sha256hex(data), Kind: kind, FirstSeen: now, LastSeen: now, Count: 1})
	}
	if _, err := e.sensor.ReportRuntime(context.Background(), connect.NewRequest(req)); err != nil {
		t.Fatal(err)
	}
}

func (e *enrichEnv) waitFor(t testing.TB, what string, limit time.Duration, cond func() bool) {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *enrichEnv) vulns(t testing.TB, f *v1.VulnerabilityFilter) *v1.ListVulnerabilitiesResponse {
	res, err := e.inventory.ListVulnerabilities(context.Background(), connect.NewRequest(&v1.ListVulnerabilitiesRequest{Filter: f, Page: &v1.Page{Size: 500}}))
	if err != nil {
		t.Fatal(err)
	}
	return res.Msg
}

// TestEnrichmentEndToEnd drives enrichment through the API of a running
// platform: an in-process registry holds an image built from real files
// (a Go binary compiled now against golang.org/x/text v0.3.5 and two
// jars); the controller reports a pod running it; the sensor reports what
// was loaded; the API answers with trust, vulnerabilities, applicability,
// the funnel, risks, SBOM and VEX, and a webhook receives the risk.
func TestEnrichmentEndToEnd(t *testing.T) {
	for _, dialect := range platformtest.Dialects {
		t.Run(dialect, func(t *testing.T) { testEnrichmentEndToEnd(t, dialect) })
	}
}

func testEnrichmentEndToEnd(t *testing.T, dialect string) {
	ctx := context.Background()
	e := newEnrichEnv(t, dialect, 50*time.Millisecond)
	recv := &receiver{}
	hooks := httptest.NewServer(recv)
	defer hooks.Close()

	in, err := e.admin.PutIntegration(ctx, connect.NewRequest(&v1.PutIntegrationRequest{Name: "corp", Kind: v1.IntegrationKind_INTEGRATION_KIND_OCI,
		Url: e.reg.URL, Username: "robot", Secret: "registry-s3cret", Trusted: true}))
	if err != nil {
		t.Fatal(err)
	}
	if !in.Msg.Integration.HasSecret || !in.Msg.Integration.Trusted {
		t.Fatalf("integration %v", in.Msg.Integration)
	}
	if _, err := e.admin.PutWebhook(ctx, connect.NewRequest(&v1.PutWebhookRequest{Name: "ops", Url: hooks.URL, Format: v1.WebhookFormat_WEBHOOK_FORMAT_SLACK,
		Secret: "hook-secret", Kinds: []v1.RiskKind{v1.RiskKind_RISK_KIND_CRITICAL_APPLICABLE_CVE}})); err != nil {
		t.Fatal(err)
	}
	// Secrets never come back.
	status, body := e.in.PostJSON(t, "/runwatch.v1.AdminService/ListIntegrations", platformtest.AdminToken, `{}`)
	if status != 200 || strings.Contains(string(body), "s3cret") || !strings.Contains(string(body), `"hasSecret":true`) {
		t.Fatalf("ListIntegrations: %d %s", status, body)
	}
	if _, err := e.admin.PutIntegration(ctx, connect.NewRequest(&v1.PutIntegrationRequest{Name: "Bad Name", Kind: v1.IntegrationKind_INTEGRATION_KIND_OCI, Url: e.reg.URL})); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("bad name: %v", err)
	}
	if _, err := e.admin.PutIntegration(ctx, connect.NewRequest(&v1.PutIntegrationRequest{Name: "x", Kind: v1.IntegrationKind_INTEGRATION_KIND_OCI, Url: "http://u:p@host"})); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("credentials in a URL: %v", err)
	}

	img, ref := e.pushApp(t, 0)
	cid := e.runPod(t, 0, ref, img.Digest)

	// Enriched: trusted, located, catalogued; vulnerabilities known but
	// not applicable before any runtime report.
	e.waitFor(t, "enrichment", 30*time.Second, func() bool {
		r, err := e.inventory.GetImageRisk(ctx, connect.NewRequest(&v1.GetImageRiskRequest{Digest: img.Digest}))
		return err == nil && r.Msg.Enrichment.GetStatus() == v1.EnrichmentStatus_ENRICHMENT_STATUS_DONE && r.Msg.Enrichment.Components > 0
	})
	r, _ := e.inventory.GetImageRisk(ctx, connect.NewRequest(&v1.GetImageRiskRequest{Digest: img.Digest}))
	en := r.Msg.Enrichment
	if en.Trust != v1.Trust_TRUST_TRUSTED || en.Registry.GetRepository() != "shop/lang" || en.Distro != "debian-12" {
		t.Fatalf("enrichment %v", en)
	}
	before := e.vulns(t, &v1.VulnerabilityFilter{Image: img.Digest})
	if before.Funnel.All < 4 || before.Funnel.Applicable != 0 {
		t.Fatalf("funnel before runtime: %v", before.Funnel)
	}

	// The sensor reports the binary and log4j loaded (not commons-text).
	log4j := catalogtest.Jar(t, "org.apache.logging.log4j", "log4j-core", "2.14.1", nil)
	e.reportLoads(t, "runtime-0001", cid, map[string][]byte{"/app/langserver": e.binData, "/app/lib/log4j-core-2.14.1.jar": log4j})
	e.waitFor(t, "applicability", 30*time.Second, func() bool {
		v := e.vulns(t, &v1.VulnerabilityFilter{Id: "CVE-2022-32149", Applicability: v1.Applicability_APPLICABILITY_APPLICABLE})
		return len(v.Vulnerabilities) == 1
	})
	all := e.vulns(t, &v1.VulnerabilityFilter{Cluster: "prod", Workload: "lang"})
	state := map[string]v1.Applicability{}
	for _, v := range all.Vulnerabilities {
		state[v.Id] = v.Applicability
	}
	if state["GO-2022-1059"] != v1.Applicability_APPLICABILITY_APPLICABLE || state["GHSA-jfh8-c2jp-5v3q"] != v1.Applicability_APPLICABILITY_APPLICABLE ||
		state["GHSA-599f-7c49-w659"] != v1.Applicability_APPLICABILITY_NOT_APPLICABLE {
		t.Fatalf("applicability %v", state)
	}
	// Critical & high: log4shell (10.0), text4shell (9.8); both have a fix;
	// only log4shell was loaded. The Go records carry no severity.
	if f := all.Funnel; f.CriticalHigh != 2 || f.WithFix != 2 || f.Applicable != 1 || f.All != all.Total {
		t.Fatalf("funnel %v (total %d)", f, all.Total)
	}
	if !slices.ContainsFunc(all.Sources, func(s *v1.VulnerabilitySource) bool { return strings.Contains(s.Attribution, "CC-BY-4.0") }) {
		t.Fatalf("no attribution of the Go data: %v", all.Sources)
	}
	// Loaded at any severity: every distinct vulnerability applicable in
	// the image, the Go records without a severity among them.
	loaded := map[string]bool{}
	for _, v := range e.vulns(t, &v1.VulnerabilityFilter{Image: img.Digest, Applicability: v1.Applicability_APPLICABILITY_APPLICABLE}).Vulnerabilities {
		loaded[v.Id] = true
	}
	e.waitFor(t, "the image's funnel", 30*time.Second, func() bool {
		r, err := e.inventory.GetImageRisk(ctx, connect.NewRequest(&v1.GetImageRiskRequest{Digest: img.Digest}))
		return err == nil && r.Msg.Enrichment.GetFunnel().GetApplicable() == 1
	})
	ir := must(e.inventory.GetImageRisk(ctx, connect.NewRequest(&v1.GetImageRiskRequest{Digest: img.Digest})))
	if f := ir.Msg.Enrichment.Funnel; f.ApplicableAny != int64(len(loaded)) || f.ApplicableAny <= f.Applicable || all.Funnel.ApplicableAny != f.ApplicableAny {
		t.Fatalf("applicable of any severity: image %v, scope %v; %d loaded: %v", f, all.Funnel, len(loaded), loaded)
	}
	crit := e.vulns(t, &v1.VulnerabilityFilter{MinSeverity: v1.Severity_SEVERITY_CRITICAL, WithFixOnly: true, Component: "pkg:maven/"})
	if len(crit.Vulnerabilities) != 2 || crit.Vulnerabilities[0].Severity != v1.Severity_SEVERITY_CRITICAL || crit.Vulnerabilities[0].CvssScore != 10 {
		t.Fatalf("critical maven: %v", crit.Vulnerabilities)
	}

	// Risks on the image and the workload; the webhook got the critical
	// applicable CVE, signed, in Slack's shape.
	e.waitFor(t, "webhook", 30*time.Second, func() bool { return strings.Contains(recv.all(), "GHSA-jfh8-c2jp-5v3q") })
	if !strings.Contains(recv.all(), `"blocks"`) || strings.Count(recv.all(), "GHSA-jfh8-c2jp-5v3q") < 1 {
		t.Fatalf("webhook body %s", recv.all())
	}
	imgs, err := e.inventory.ListImages(ctx, connect.NewRequest(&v1.ListImagesRequest{}))
	if err != nil || len(imgs.Msg.Images) != 1 || imgs.Msg.Images[0].Enrichment.GetTrust() != v1.Trust_TRUST_TRUSTED ||
		len(imgs.Msg.Images[0].Enrichment.GetRisks()) != 1 || imgs.Msg.Images[0].Enrichment.Risks[0].Kind != v1.RiskKind_RISK_KIND_CRITICAL_APPLICABLE_CVE {
		t.Fatalf("images %v %v", imgs.Msg, err)
	}
	wls, err := e.inventory.ListWorkloads(ctx, connect.NewRequest(&v1.ListWorkloadsRequest{}))
	if err != nil || len(wls.Msg.Workloads) != 1 || wls.Msg.Workloads[0].Trust != v1.Trust_TRUST_TRUSTED || len(wls.Msg.Workloads[0].Risks) != 1 {
		t.Fatalf("workloads %v %v", wls.Msg, err)
	}
	wr, err := e.inventory.GetWorkloadRisk(ctx, connect.NewRequest(&v1.GetWorkloadRiskRequest{Cluster: "prod", Workload: "lang"}))
	if err != nil || wr.Msg.Funnel.Applicable != 1 || wr.Msg.Trust != v1.Trust_TRUST_TRUSTED {
		t.Fatalf("workload risk %v %v", wr.Msg, err)
	}

	// Metrics of the worker and the deliveries.
	resp, err := http.Get(e.in.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{`runwatch_enrichment_images_total{status="done"}`, `runwatch_webhook_deliveries_total{result="delivered"}`,
		"runwatch_enrichment_evaluation_seconds_count", "runwatch_vulnerability_records"} {
		if !strings.Contains(string(metrics), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}

	// Exports.
	sb, err := e.inventory.ExportSBOM(ctx, connect.NewRequest(&v1.ExportSBOMRequest{Scope: &v1.ExportScope{Workload: "lang", Cluster: "prod"}}))
	if err != nil {
		t.Fatal(err)
	}
	var bom struct {
		BOMFormat, SpecVersion string
		Components             []struct{ PURL string }
	}
	json.Unmarshal(sb.Msg.Document, &bom)
	var purls []string
	for _, c := range bom.Components {
		purls = append(purls, c.PURL)
	}
	if bom.BOMFormat != "CycloneDX" || bom.SpecVersion != "1.6" || !slices.Contains(purls, "pkg:golang/golang.org/x/text@v0.3.5") ||
		!slices.Contains(purls, "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1") || slices.Contains(purls, "pkg:maven/org.apache.commons/commons-text@1.9") {
		t.Fatalf("SBOM components %v", purls)
	}
	vx, err := e.inventory.ExportVEX(ctx, connect.NewRequest(&v1.ExportVEXRequest{Scope: &v1.ExportScope{Image: img.Digest}}))
	if err != nil {
		t.Fatal(err)
	}
	var vex struct {
		Context    string `json:"@context"`
		Statements []struct {
			Vulnerability struct{ Name string }
			Status        string
			Justification string
		}
	}
	json.Unmarshal(vx.Msg.Document, &vex)
	status2 := map[string]string{}
	for _, s := range vex.Statements {
		status2[s.Vulnerability.Name] = s.Status + " " + s.Justification
	}
	if vex.Context != "https://openvex.dev/ns/v0.2.0" || status2["GO-2022-1059"] != "affected " ||
		status2["GHSA-599f-7c49-w659"] != "not_affected vulnerable_code_not_in_execute_path" {
		t.Fatalf("VEX %v", status2)
	}
	if _, err := e.inventory.ExportVEX(ctx, connect.NewRequest(&v1.ExportVEXRequest{})); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("empty scope: %v", err)
	}
	if _, err := e.inventory.ExportSBOM(ctx, connect.NewRequest(&v1.ExportSBOMRequest{Scope: &v1.ExportScope{Image: "sha256:" + strings.Repeat("0", 64)}})); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("unknown image: %v", err)
	}

	// Drift: the sensor reports an executable that is not in the image.
	now := timestamppb.Now()
	if _, err := e.sensor.ReportRuntime(ctx, connect.NewRequest(&v1.ReportRuntimeRequest{BatchId: "runtime-0002", NodeName: "node-1",
		Executions: []*v1.ProcessExecution{{Container: &v1.ContainerRef{ContainerId: cid, Runtime: v1.ContainerRuntime_CONTAINER_RUNTIME_CONTAINERD},
			ExecutablePath: "/tmp/miner", Sha256: strings.Repeat("d", 64), Comm: "miner", FirstSeen: now, LastSeen: now, Count: 1, Drift: true}}})); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, "drift", 30*time.Second, func() bool {
		r, err := e.inventory.GetImageRisk(ctx, connect.NewRequest(&v1.GetImageRiskRequest{Digest: img.Digest}))
		if err != nil {
			return false
		}
		kinds := map[v1.RiskKind]bool{}
		for _, rk := range r.Msg.Enrichment.Risks {
			kinds[rk.Kind] = true
		}
		v := r.Msg.Enrichment.IntegrityViolations
		return kinds[v1.RiskKind_RISK_KIND_DRIFT] && len(v) == 1 && v[0].Kind == "drift" && v[0].Reference == "/tmp/miner" && v[0].Actual == strings.Repeat("d", 64)
	})

	// An image no trusted registry holds is untrusted.
	other := "sha256:" + strings.Repeat("7", 64)
	e.runPod(t, 1, "ghcr.io/acme/other:1", other)
	e.waitFor(t, "untrusted", 30*time.Second, func() bool {
		r, err := e.inventory.GetImageRisk(ctx, connect.NewRequest(&v1.GetImageRiskRequest{Digest: other}))
		return err == nil && r.Msg.Enrichment.Trust == v1.Trust_TRUST_UNTRUSTED && len(r.Msg.Enrichment.Risks) == 1 &&
			r.Msg.Enrichment.Risks[0].Kind == v1.RiskKind_RISK_KIND_UNTRUSTED_IMAGE
	})
	wls, err = e.inventory.ListWorkloads(ctx, connect.NewRequest(&v1.ListWorkloadsRequest{}))
	if err != nil || len(wls.Msg.Workloads) != 1 || wls.Msg.Workloads[0].Trust != v1.Trust_TRUST_UNTRUSTED {
		t.Fatalf("a workload running an untrusted image: %v %v", wls.Msg, err)
	}

	// The overview totals open risks per kind over the images its filter
	// selects, every kind listed, most severe first.
	totals := func(f *v1.Filter) map[v1.RiskKind][2]int64 {
		t.Helper()
		o := must(e.inventory.GetOverview(ctx, connect.NewRequest(&v1.GetOverviewRequest{Filter: f})))
		kinds := []v1.RiskKind{}
		out := map[v1.RiskKind][2]int64{}
		for _, r := range o.Msg.Risks {
			kinds = append(kinds, r.Kind)
			if r.Images > 0 {
				out[r.Kind] = [2]int64{r.Images, r.Risks}
			}
		}
		if want := []v1.RiskKind{v1.RiskKind_RISK_KIND_MALICIOUS_PACKAGE, v1.RiskKind_RISK_KIND_CRITICAL_APPLICABLE_CVE, v1.RiskKind_RISK_KIND_INTEGRITY_VIOLATION,
			v1.RiskKind_RISK_KIND_UNTRUSTED_IMAGE, v1.RiskKind_RISK_KIND_DRIFT}; !slices.Equal(kinds, want) {
			t.Fatalf("risk kinds %v, want %v", kinds, want)
		}
		return out
	}
	cves := int64(0)
	for _, rk := range must(e.inventory.GetImageRisk(ctx, connect.NewRequest(&v1.GetImageRiskRequest{Digest: img.Digest}))).Msg.Enrichment.Risks {
		if rk.Kind == v1.RiskKind_RISK_KIND_CRITICAL_APPLICABLE_CVE {
			cves++
		}
	}
	for _, tt := range []struct {
		name string
		f    *v1.Filter
		want map[v1.RiskKind][2]int64
	}{
		{"all", nil, map[v1.RiskKind][2]int64{v1.RiskKind_RISK_KIND_CRITICAL_APPLICABLE_CVE: {1, cves}, v1.RiskKind_RISK_KIND_DRIFT: {1, 1},
			v1.RiskKind_RISK_KIND_UNTRUSTED_IMAGE: {1, 1}}},
		{"the cluster, running now", &v1.Filter{Cluster: "prod", Window: v1.TimeWindow_TIME_WINDOW_NOW}, map[v1.RiskKind][2]int64{
			v1.RiskKind_RISK_KIND_CRITICAL_APPLICABLE_CVE: {1, cves}, v1.RiskKind_RISK_KIND_DRIFT: {1, 1}, v1.RiskKind_RISK_KIND_UNTRUSTED_IMAGE: {1, 1}}},
		{"the untrusted image", &v1.Filter{Image: other}, map[v1.RiskKind][2]int64{v1.RiskKind_RISK_KIND_UNTRUSTED_IMAGE: {1, 1}}},
		{"the trusted image", &v1.Filter{Image: img.Digest}, map[v1.RiskKind][2]int64{v1.RiskKind_RISK_KIND_CRITICAL_APPLICABLE_CVE: {1, cves},
			v1.RiskKind_RISK_KIND_DRIFT: {1, 1}}},
		{"another namespace", &v1.Filter{Namespace: "nothing-here"}, map[v1.RiskKind][2]int64{}},
	} {
		if got := totals(tt.f); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("overview risks of %s: %v, want %v", tt.name, got, tt.want)
		}
	}

	// The tag moves: after the cache expires... (covered by the worker
	// test with a moving clock); here the paging contract of the list.
	page1 := must(e.inventory.ListVulnerabilities(ctx, connect.NewRequest(&v1.ListVulnerabilitiesRequest{Page: &v1.Page{Size: 2}})))
	if len(page1.Msg.Vulnerabilities) != 2 || page1.Msg.NextPageToken == "" {
		t.Fatalf("page 1: %v", page1.Msg)
	}
	page2 := must(e.inventory.ListVulnerabilities(ctx, connect.NewRequest(&v1.ListVulnerabilitiesRequest{Page: &v1.Page{Size: 2, Token: page1.Msg.NextPageToken}})))
	if len(page2.Msg.Vulnerabilities) == 0 || page2.Msg.Vulnerabilities[0].Id == page1.Msg.Vulnerabilities[0].Id && page2.Msg.Vulnerabilities[0].Component == page1.Msg.Vulnerabilities[0].Component {
		t.Fatalf("page 2 repeats page 1")
	}
	if _, err := e.inventory.ListVulnerabilities(ctx, connect.NewRequest(&v1.ListVulnerabilitiesRequest{Filter: &v1.VulnerabilityFilter{Id: "X"},
		Page: &v1.Page{Token: page1.Msg.NextPageToken}})); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("a token with another filter: %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// BenchmarkLoadToApplicableCVE measures the time from a sensor's first
// report of a loaded vulnerable binary to the applicable CVE in the API:
// each iteration runs a new image (already enriched), reports the Go
// binary loaded in it, and polls ListVulnerabilities until CVE-2022-32149
// is applicable there. New reports wake the worker (at most every
// MinInterval, 100 ms by default), so the poll interval does not bound
// it; it is measured at the default poll (1 s) and at 100 ms.
func BenchmarkLoadToApplicableCVE(b *testing.B) {
	for _, poll := range []time.Duration{time.Second, 100 * time.Millisecond} {
		b.Run("poll="+poll.String(), func(b *testing.B) { benchLoadToApplicable(b, poll) })
	}
}

func benchLoadToApplicable(b *testing.B, poll time.Duration) {
	e := newEnrichEnv(b, "sqlite", poll)
	ctx := context.Background()
	if _, err := e.admin.PutIntegration(ctx, connect.NewRequest(&v1.PutIntegrationRequest{Name: "corp", Kind: v1.IntegrationKind_INTEGRATION_KIND_OCI, Url: e.reg.URL, Trusted: true})); err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		n++
		img, ref := e.pushApp(b, n)
		cid := e.runPod(b, n, ref, img.Digest)
		e.waitFor(b, "enrichment", time.Minute, func() bool {
			r, err := e.inventory.GetImageRisk(ctx, connect.NewRequest(&v1.GetImageRiskRequest{Digest: img.Digest}))
			return err == nil && r.Msg.Enrichment.GetComponents() > 0
		})
		b.StartTimer()
		start := time.Now()
		e.reportLoads(b, fmt.Sprintf("runtime-bench-%04d", n), cid, map[string][]byte{"/app/langserver": e.binData})
		e.waitFor(b, "applicable CVE", time.Minute, func() bool {
			v := e.vulns(b, &v1.VulnerabilityFilter{Image: img.Digest, Id: "CVE-2022-32149", Applicability: v1.Applicability_APPLICABILITY_APPLICABLE})
			return len(v.Vulnerabilities) == 1
		})
		total += time.Since(start)
	}
	b.ReportMetric(total.Seconds()/float64(n), "s/report-to-applicable")
}
