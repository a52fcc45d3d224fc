package storetest

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/runwatch/runwatch/domain"
	"github.com/runwatch/runwatch/domain/inventory"
	"github.com/runwatch/runwatch/domain/query"
	"github.com/runwatch/runwatch/domain/risk"
	"github.com/runwatch/runwatch/domain/runtime"
	"github.com/runwatch/runwatch/domain/vuln"
	"github.com/runwatch/runwatch/ports"
)

// EnrichingStore is a store that also keeps enrichment.
type EnrichingStore interface {
	ports.Store
	ports.EnrichmentStore
}

// RunEnrichment runs the enrichment contract against an adapter.
func RunEnrichment(t *testing.T, open func(t *testing.T) EnrichingStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s EnrichingStore)
	}{
		{"Integrations", testIntegrations},
		{"EnrichmentQueueAndRuntime", testEnrichmentQueue},
		{"AssessmentRisksAndVulnerabilities", testAssessment},
		{"RiskTotalsAndApplicableOfAnySeverity", testRiskTotals},
		{"WebhookDeliveriesDeduplicated", testDeliveries},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tt.fn(t, s)
		})
	}
}

func testIntegrations(t *testing.T, s EnrichingStore) {
	in, err := s.PutIntegration(ctx, ports.Integration{ID: "int-1", Name: "corp", Kind: ports.IntegrationOCI, URL: "https://r.example",
		Username: "robot", Secret: "s3cret", Trusted: true, CreatedAt: t0, UpdatedAt: t0})
	must(t, err)
	if in.ID != "int-1" || in.Secret != "s3cret" || !in.Trusted {
		t.Fatalf("stored %+v", in)
	}
	// Replacing without a secret keeps the secret and the id.
	in, err = s.PutIntegration(ctx, ports.Integration{ID: "int-2", Name: "corp", Kind: ports.IntegrationOCI, URL: "https://r2.example",
		CreatedAt: t0.Add(time.Hour), UpdatedAt: t0.Add(time.Hour)})
	must(t, err)
	if in.ID != "int-1" || in.Secret != "s3cret" || in.URL != "https://r2.example" || in.Trusted || !in.CreatedAt.Equal(t0) {
		t.Fatalf("replaced %+v", in)
	}
	_, err = s.PutIntegration(ctx, ports.Integration{ID: "int-3", Name: "xray", Kind: ports.IntegrationXray, URL: "https://x.example", CreatedAt: t0, UpdatedAt: t0})
	must(t, err)
	all, err := s.ListIntegrations(ctx)
	must(t, err)
	if len(all) != 2 || all[0].Name != "corp" || all[1].Kind != ports.IntegrationXray {
		t.Fatalf("list %+v", all)
	}
	must(t, s.DeleteIntegration(ctx, "xray"))
	if err := s.DeleteIntegration(ctx, "xray"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("deleting twice: %v", err)
	}
}

// seedImage makes cluster "prod" run image "app:1" in workload web, and
// returns the cluster id and image digest.
func seedImage(t *testing.T, s EnrichingStore) (string, string) {
	c := cluster(t, s, "prod")
	apply(t, s, c, snapshot("batch-0001", "snap-0001", true), t0)
	return c, digest("nginx:1.27")
}

func testEnrichmentQueue(t *testing.T, s EnrichingStore) {
	c, d := seedImage(t, s)
	due, err := s.DueImages(ctx, t0, 10)
	must(t, err)
	if len(due) != 3 {
		t.Fatalf("%d images due, want the 3 running", len(due))
	}
	var work ports.ImageWork
	for _, w := range due {
		if w.Digest == d {
			work = w
		}
	}
	if work.Known || !slices.Equal(work.References, []string{"nginx:1.27"}) || work.Enrichment.Trust.Trust != risk.TrustUnknown {
		t.Fatalf("work %+v", work)
	}
	comps := []risk.Component{ // in purl order, as Components returns them
		{PURL: "pkg:deb/debian/libssl3@3.0.11-1?distro=debian-12&upstream=openssl", Files: []risk.ComponentFile{{Path: "/usr/lib/libssl.so.3"}}},
		{PURL: "pkg:golang/golang.org/x/text@v0.3.5", Files: []risk.ComponentFile{{Path: "/app/server", SHA256: hex64("srv")}}},
	}
	e := ports.ImageEnrichment{Digest: d, Status: ports.EnrichmentDone,
		Trust:      risk.TrustVerdict{Trust: risk.TrustTrusted, Reason: "found", Where: &risk.RegistryCheck{Registry: "corp", Status: risk.CheckFound, Repository: "shop/web", Path: "r/shop/web@" + d}},
		Checks:     []risk.RegistryCheck{{Registry: "corp", Status: risk.CheckFound, Repository: "shop/web"}},
		Tags:       []risk.TagCheck{{Reference: "nginx:1.27", Status: risk.CheckFound, Digest: d, At: t0}},
		Catalogued: t0, Distro: "debian-12", CheckedAt: t0, ExpiresAt: t0.Add(24 * time.Hour),
		ArtifactFindings: map[string][]vuln.Finding{"pkg:golang/golang.org/x/text@v0.3.5": {{ID: "XRAY-1", Aliases: []string{"CVE-2022-32149"},
			Severity: vuln.SeverityHigh, Score: 7.5, FixedVersions: []string{"0.3.8"}, Source: "xray"}}}}
	must(t, s.SaveEnrichment(ctx, e, comps))
	// A pending image of another digest waits for its next try.
	other := digest("postgres:16")
	must(t, s.SaveEnrichment(ctx, ports.ImageEnrichment{Digest: other, Status: ports.EnrichmentPending, Trust: risk.TrustVerdict{Trust: risk.TrustUnknown},
		Attempts: 1, NextTry: t0.Add(time.Minute), LastError: "registry down"}, nil))
	due, err = s.DueImages(ctx, t0.Add(time.Second), 10)
	must(t, err)
	if len(due) != 1 || due[0].Digest != digest("envoy:1.30") {
		t.Fatalf("due after saving: %+v", due)
	}
	due, _ = s.DueImages(ctx, t0.Add(2*time.Minute), 10)
	if len(due) != 2 || !due[0].Known && due[0].Digest == other {
		t.Fatalf("due after the retry time: %+v", due)
	}
	due, _ = s.DueImages(ctx, t0.Add(25*time.Hour), 10)
	if len(due) != 3 {
		t.Fatalf("due after expiry: %d", len(due))
	}
	got, ok, err := s.GetEnrichment(ctx, d)
	must(t, err)
	if xf := got.ArtifactFindings["pkg:golang/golang.org/x/text@v0.3.5"]; len(xf) != 1 || xf[0].Score != 7.5 || xf[0].Severity != vuln.SeverityHigh {
		t.Fatalf("artifact findings %+v", got.ArtifactFindings)
	}
	if !ok || got.Trust.Where == nil || got.Trust.Where.Repository != "shop/web" || len(got.Tags) != 1 || got.Tags[0].Digest != d || got.Distro != "debian-12" {
		t.Fatalf("read back %+v", got)
	}
	if _, ok, _ := s.GetEnrichment(ctx, digest("never")); ok {
		t.Fatal("an unknown image has an enrichment")
	}
	back, err := s.Components(ctx, d)
	must(t, err)
	if !slices.EqualFunc(back, comps, func(a, b risk.Component) bool { return a.PURL == b.PURL && slices.Equal(a.Files, b.Files) }) {
		t.Fatalf("components %+v", back)
	}

	// Runtime of the image: loads of its containers only, drift, watermark.
	mark, err := s.RuntimeWatermark(ctx)
	must(t, err)
	load := runtime.FileLoad{Container: runtime.ContainerRef{ContainerID: cid("w1"), Runtime: runtime.RuntimeContainerd},
		Path: "/app/server", SHA256: hex64("srv"), Kind: runtime.FileExecutable, Count: 1, FirstSeen: t0, LastSeen: t0.Add(time.Minute),
		PackagePURLs: []string{"pkg:golang/golang.org/x/text@v0.3.5"}}
	elsewhere := load
	elsewhere.Container.ContainerID = cid("d0") // postgres
	elsewhere.Path = "/usr/bin/postgres"
	drifted := proc(cid("w2"), "/tmp/miner", 1, t0.Add(time.Second), t0.Add(time.Second))
	drifted.Drift = true
	report(t, s, c, "rt-enrich-1", "node-1", []runtime.Process{drifted}, []runtime.FileLoad{load, elsewhere}, t0.Add(2*time.Minute))
	rt, err := s.ImageRuntime(ctx, d)
	must(t, err)
	paths := []string{}
	for _, l := range rt.Loads {
		paths = append(paths, l.Path)
	}
	slices.Sort(paths)
	if !slices.Equal(paths, []string{"/app/server", "/tmp/miner"}) || len(rt.Drift) != 1 || rt.Drift[0].Path != "/tmp/miner" || !rt.Window.From.Equal(t0) {
		t.Fatalf("runtime %+v", rt)
	}
	since, err := s.DigestsSince(ctx, mark)
	must(t, err)
	if !slices.Contains(since, d) || !slices.Contains(since, digest("postgres:16")) {
		t.Fatalf("digests since the mark: %v", since)
	}
	mark2, _ := s.RuntimeWatermark(ctx)
	if since, _ := s.DigestsSince(ctx, mark2); len(since) != 0 {
		t.Fatalf("nothing new, yet %v", since)
	}
	stale, err := s.StaleDigests(ctx, "rev-1", 10)
	must(t, err)
	if !slices.Equal(stale, []string{d}) {
		t.Fatalf("stale %v", stale)
	}
}

func testAssessment(t *testing.T, s EnrichingStore) {
	_, d := seedImage(t, s)
	must(t, s.SaveEnrichment(ctx, ports.ImageEnrichment{Digest: d, Status: ports.EnrichmentDone, Catalogued: t0}, []risk.Component{}))
	facts := []risk.VulnFact{
		{Component: "pkg:golang/golang.org/x/text@v0.3.5", Applicability: risk.Applicable,
			Evidence: &risk.Evidence{By: "sha256", Path: "/app/server", SHA256: hex64("srv"), FirstSeen: t0, LastSeen: t0.Add(time.Minute)},
			Finding:  vuln.Finding{ID: "GO-2022-1059", Aliases: []string{"CVE-2022-32149"}, Severity: vuln.SeverityHigh, Score: 7.5, FixedVersions: []string{"0.3.8"}, Source: "go-vulndb"}},
		{Component: "pkg:deb/debian/libssl3@3.0.11-1", Applicability: risk.NotApplicable,
			Finding: vuln.Finding{ID: "CVE-2023-5363", Severity: vuln.SeverityCritical, FixedVersions: []string{"3.0.11-1~deb12u2"}}},
		{Component: "pkg:npm/left-padd@1.0.0", Applicability: risk.NotApplicable,
			Finding: vuln.Finding{ID: "MAL-2025-1", Severity: vuln.SeverityCritical, Malicious: true}},
	}
	risks := []risk.Risk{{Kind: risk.KindMaliciousPackage, Key: "mal|" + d, Subject: "pkg:npm/left-padd@1.0.0"},
		{Kind: risk.KindUntrustedImage, Key: "untrusted|" + d, Subject: d}}
	fresh, err := s.SaveAssessment(ctx, d, "rev-1", facts, risks, risk.CountFunnel(facts), t0)
	must(t, err)
	if len(fresh) != 2 {
		t.Fatalf("fresh %v", fresh)
	}
	// Evaluated again with the same risks: nothing new.
	if fresh, _ := s.SaveAssessment(ctx, d, "rev-1", facts, risks, risk.CountFunnel(facts), t0.Add(time.Minute)); len(fresh) != 0 {
		t.Fatalf("repeated risks reported new: %v", fresh)
	}
	// One risk resolved, then back: new again.
	must2(s.SaveAssessment(ctx, d, "rev-1", facts, risks[:1], risk.CountFunnel(facts), t0.Add(2*time.Minute)))
	open, err := s.ImageRisks(ctx, []string{d})
	must(t, err)
	if len(open[d]) != 1 || open[d][0].Kind != risk.KindMaliciousPackage || !open[d][0].FirstSeen.Equal(t0) {
		t.Fatalf("open risks %+v", open[d])
	}
	if fresh, _ := s.SaveAssessment(ctx, d, "rev-2", facts, risks, risk.CountFunnel(facts), t0.Add(3*time.Minute)); len(fresh) != 1 || fresh[0].Kind != risk.KindUntrustedImage {
		t.Fatalf("a risk back after resolution: %v", fresh)
	}
	e, _, _ := s.GetEnrichment(ctx, d)
	if e.Revision != "rev-2" || e.Funnel != (risk.Funnel{All: 3, CriticalHigh: 3, WithFix: 2, Applicable: 1, ApplicableAny: 1}) {
		t.Fatalf("enrichment after assessment %+v", e)
	}

	list := func(f ports.VulnFilter) []string {
		rows, total, err := s.ListVulnerabilities(ctx, f, 10, 0)
		must(t, err)
		if total != len(rows) {
			t.Fatalf("total %d for %d rows", total, len(rows))
		}
		var ids []string
		for _, r := range rows {
			ids = append(ids, r.Finding.ID)
		}
		return ids
	}
	if got := list(ports.VulnFilter{}); !slices.Equal(got, []string{"CVE-2023-5363", "MAL-2025-1", "GO-2022-1059"}) {
		t.Fatalf("all: %v", got)
	}
	tests := []struct {
		name string
		f    ports.VulnFilter
		want []string
	}{
		{"by CVE alias", ports.VulnFilter{ID: "CVE-2022-32149"}, []string{"GO-2022-1059"}},
		{"by id", ports.VulnFilter{ID: "MAL-2025-1"}, []string{"MAL-2025-1"}},
		{"applicable", ports.VulnFilter{Applicability: risk.Applicable}, []string{"GO-2022-1059"}},
		{"critical", ports.VulnFilter{MinSeverity: vuln.SeverityCritical}, []string{"CVE-2023-5363", "MAL-2025-1"}},
		{"with fix", ports.VulnFilter{OnlyWithFix: true, MinSeverity: vuln.SeverityHigh}, []string{"CVE-2023-5363", "GO-2022-1059"}},
		{"component prefix", ports.VulnFilter{Component: "pkg:golang/"}, []string{"GO-2022-1059"}},
		{"cluster", ports.VulnFilter{Cluster: "prod", Applicability: risk.Applicable}, []string{"GO-2022-1059"}},
		{"other cluster", ports.VulnFilter{Cluster: "staging"}, nil},
		{"workload", ports.VulnFilter{Workload: "web", ID: "GO-2022-1059"}, []string{"GO-2022-1059"}},
		{"workload not running it", ports.VulnFilter{Workload: "db"}, nil},
		{"image", ports.VulnFilter{Image: digest("postgres:16")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := list(tt.f); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	rows, _, _ := s.ListVulnerabilities(ctx, ports.VulnFilter{Applicability: risk.Applicable}, 10, 0)
	if ev := rows[0].Evidence; ev == nil || ev.Path != "/app/server" || !ev.FirstSeen.Equal(t0) || rows[0].Finding.FixedVersions[0] != "0.3.8" || rows[0].Finding.Score != 7.5 {
		t.Fatalf("row %+v", rows[0])
	}
	wd, err := s.WorkloadDigests(ctx, "prod", "web")
	must(t, err)
	if len(wd) != 2 || !slices.Contains(wd, d) {
		t.Fatalf("workload digests %v", wd)
	}
}

func must2[T any](_ T, err error) {
	if err != nil {
		panic(err)
	}
}

func testDeliveries(t *testing.T, s EnrichingStore) {
	w, err := s.PutWebhook(ctx, ports.Webhook{ID: "wh-1", Name: "ops", URL: "https://hooks.example/x", Format: "slack", Secret: "k",
		Kinds: []risk.Kind{risk.KindDrift}, CreatedAt: t0})
	must(t, err)
	if w.ID != "wh-1" || w.Secret != "k" || !slices.Equal(w.Kinds, []risk.Kind{risk.KindDrift}) {
		t.Fatalf("webhook %+v", w)
	}
	d := ports.Delivery{WebhookID: w.ID, RiskKey: "drift|x", Digest: "sha256:x", Payload: []byte(`{"a":1}`), NextTry: t0}
	n, err := s.EnqueueDeliveries(ctx, []ports.Delivery{d, d})
	must(t, err)
	if n != 1 {
		t.Fatalf("queued %d, want the duplicate dropped", n)
	}
	if n, _ := s.EnqueueDeliveries(ctx, []ports.Delivery{d}); n != 0 {
		t.Fatal("queued the same risk twice")
	}
	due, err := s.DueDeliveries(ctx, t0, 10)
	must(t, err)
	if len(due) != 1 || string(due[0].Payload) != `{"a":1}` {
		t.Fatalf("due %+v", due)
	}
	due[0].Attempts, due[0].NextTry, due[0].LastError = 1, t0.Add(time.Minute), "HTTP 500"
	must(t, s.UpdateDelivery(ctx, due[0]))
	if due, _ := s.DueDeliveries(ctx, t0.Add(time.Second), 10); len(due) != 0 {
		t.Fatal("a delivery due before its retry time")
	}
	due, _ = s.DueDeliveries(ctx, t0.Add(time.Minute), 10)
	if len(due) != 1 || due[0].Attempts != 1 || due[0].LastError != "HTTP 500" {
		t.Fatalf("retry %+v", due)
	}
	due[0].Delivered = t0.Add(time.Minute)
	must(t, s.UpdateDelivery(ctx, due[0]))
	if due, _ := s.DueDeliveries(ctx, t0.Add(time.Hour), 10); len(due) != 0 {
		t.Fatal("a delivered delivery is due")
	}
	must(t, s.DeleteWebhook(ctx, "ops"))
	if ws, _ := s.ListWebhooks(ctx); len(ws) != 0 {
		t.Fatal("webhook not deleted")
	}
}

// testRiskTotals: the overview counts open risks per kind over the images
// its filter selects (cluster, workload, window), and an image's funnel
// says how many of its vulnerabilities of any severity were loaded.
func testRiskTotals(t *testing.T, s EnrichingStore) {
	prod, nginx := seedImage(t, s)
	postgres, envoy := digest("postgres:16"), digest("envoy:1.30")
	staging := cluster(t, s, "staging")
	apply(t, s, staging, inventory.Batch{ID: "batch-st01", Nodes: []inventory.Node{{Name: "node-9"}},
		Pods: []inventory.Pod{pod("cache", "redis-0", "node-9", "redis", ctr("redis", "redis:7", "r0"))}}, t0)
	redis := digest("redis:7")

	text := "pkg:golang/golang.org/x/text@v0.3.5"
	nginxFacts := []risk.VulnFact{
		{Component: text, Applicability: risk.Applicable, Finding: vuln.Finding{ID: "GO-HIGH-FIXED", Severity: vuln.SeverityHigh, FixedVersions: []string{"0.3.8"}}},
		{Component: text, Applicability: risk.Applicable, Finding: vuln.Finding{ID: "GO-LOW", Severity: vuln.SeverityLow}},
		{Component: "pkg:deb/debian/zlib@1.2", Applicability: risk.NotApplicable, Finding: vuln.Finding{ID: "GO-LOW", Severity: vuln.SeverityLow}},
		{Component: "pkg:deb/debian/zlib@1.2", Applicability: risk.NotApplicable, Finding: vuln.Finding{ID: "CVE-CRIT", Severity: vuln.SeverityCritical}},
	}
	assess := func(d string, facts []risk.VulnFact, at time.Time, risks ...risk.Risk) {
		t.Helper()
		// The funnel as a platform stored it before it counted what was
		// loaded at any severity: the count must not depend on it.
		f := risk.CountFunnel(facts)
		f.ApplicableAny = 0
		must2(s.SaveAssessment(ctx, d, "rev-1", facts, risks, f, at))
	}
	untrusted := func(d string) risk.Risk {
		return risk.Risk{Kind: risk.KindUntrustedImage, Key: "untrusted|" + d, Subject: d}
	}
	for _, d := range []string{nginx, postgres, envoy, redis} {
		must(t, s.SaveEnrichment(ctx, ports.ImageEnrichment{Digest: d, Status: ports.EnrichmentDone, Catalogued: t0}, []risk.Component{}))
	}
	assess(nginx, nginxFacts, t0, untrusted(nginx),
		risk.Risk{Kind: risk.KindCriticalApplicableCVE, Key: "cve|GO-A|" + nginx, Subject: "GO-A"},
		risk.Risk{Kind: risk.KindCriticalApplicableCVE, Key: "cve|GO-B|" + nginx, Subject: "GO-B"},
		risk.Risk{Kind: risk.KindDrift, Key: "drift|/tmp/x|" + nginx, Subject: "/tmp/x"})
	assess(postgres, nil, t0, untrusted(postgres), risk.Risk{Kind: risk.KindMaliciousPackage, Key: "mal|" + postgres, Subject: "pkg:npm/x@1"})
	assess(redis, nil, t0, untrusted(redis))
	// A risk that was resolved is not open: envoy counts for nothing.
	assess(envoy, nil, t0, untrusted(envoy))
	assess(envoy, nil, t0.Add(time.Minute))

	e, _, err := s.GetEnrichment(ctx, nginx)
	must(t, err)
	if want := (risk.Funnel{All: 3, CriticalHigh: 2, WithFix: 1, Applicable: 1, ApplicableAny: 2}); e.Funnel != want {
		t.Fatalf("nginx funnel %+v, want %+v (GO-HIGH-FIXED and GO-LOW loaded)", e.Funnel, want)
	}
	if e, _, _ := s.GetEnrichment(ctx, postgres); e.Funnel.ApplicableAny != 0 {
		t.Fatalf("postgres loaded nothing, yet %+v", e.Funnel)
	}

	type counts map[risk.Kind][2]int64
	totals := func(f query.Filter, now time.Time) counts {
		t.Helper()
		o, err := s.Overview(ctx, f, now)
		must(t, err)
		got := counts{}
		for _, r := range o.Risks {
			if _, dup := got[r.Kind]; dup {
				t.Fatalf("kind %s counted twice: %+v", r.Kind, o.Risks)
			}
			got[r.Kind] = [2]int64{r.Images, r.Risks}
		}
		return got
	}
	tests := []struct {
		name string
		f    query.Filter
		now  time.Time
		want counts
	}{
		{"everything", query.Filter{}, t0, counts{risk.KindUntrustedImage: {3, 3}, risk.KindCriticalApplicableCVE: {1, 2},
			risk.KindDrift: {1, 1}, risk.KindMaliciousPackage: {1, 1}}},
		{"a cluster by name", query.Filter{Cluster: "prod"}, t0, counts{risk.KindUntrustedImage: {2, 2}, risk.KindCriticalApplicableCVE: {1, 2},
			risk.KindDrift: {1, 1}, risk.KindMaliciousPackage: {1, 1}}},
		{"a cluster by id", query.Filter{Cluster: staging}, t0, counts{risk.KindUntrustedImage: {1, 1}}},
		{"a workload", query.Filter{Workload: "db"}, t0, counts{risk.KindUntrustedImage: {1, 1}, risk.KindMaliciousPackage: {1, 1}}},
		{"a namespace", query.Filter{Namespace: "cache"}, t0, counts{risk.KindUntrustedImage: {1, 1}}},
		{"an image", query.Filter{Image: "nginx:1.27"}, t0, counts{risk.KindUntrustedImage: {1, 1}, risk.KindCriticalApplicableCVE: {1, 2}, risk.KindDrift: {1, 1}}},
		{"nothing in scope", query.Filter{Namespace: "none"}, t0, counts{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := totals(tt.f, tt.now); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("risk totals %v, want %v", got, tt.want)
			}
		})
	}
	// The window: once postgres's pod is gone, what runs now no longer
	// has its malicious package; a window reaching back still does.
	apply(t, s, prod, inventory.Batch{ID: "batch-0002", Deleted: []inventory.ObjectRef{{Kind: inventory.KindPod, UID: "uid-shop-db-0"}}}, t0.Add(time.Hour))
	if got := totals(query.Filter{Cluster: "prod", Window: query.WindowNow}, t0.Add(2*time.Hour)); got[risk.KindMaliciousPackage] != [2]int64{} || got[risk.KindUntrustedImage] != [2]int64{1, 1} {
		t.Fatalf("running now: %v", got)
	}
	if got := totals(query.Filter{Cluster: "prod", Window: query.Window24h}, t0.Add(2*time.Hour)); got[risk.KindMaliciousPackage] != [2]int64{1, 1} {
		t.Fatalf("the last day: %v", got)
	}
}
