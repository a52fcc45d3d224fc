package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runwatch/runwatch/domain"
	"github.com/runwatch/runwatch/domain/access"
	"github.com/runwatch/runwatch/domain/inventory"
	"github.com/runwatch/runwatch/domain/query"
	"github.com/runwatch/runwatch/domain/runtime"
	"github.com/runwatch/runwatch/ports"
)

// Run runs the store contract against an adapter. open must return a
// store over a new, empty database each time it is called.
func Run(t *testing.T, open func(t *testing.T) ports.Store) {
	tests := []contractTest{
		{"RegistrationTokens", testRegistrationTokens},
		{"BindCluster", testBindCluster},
		{"InventorySnapshotAndQueries", testInventorySnapshot},
		{"InventoryDuplicateBatch", testInventoryDuplicate},
		{"InventoryContainerRestart", testContainerRestart},
		{"InventoryDeletes", testInventoryDeletes},
		{"InventoryReconcileKeepsDeltasDuringSnapshot", testReconcileKeepsDeltas},
		{"RuntimeAggregation", testRuntimeAggregation},
		{"RuntimeMatchesDomainMerge", testRuntimeMatchesDomain},
		{"RuntimeDuplicateBatchConcurrent", testRuntimeDuplicateConcurrent},
		{"RuntimeAttributionAndFilters", testRuntimeAttribution},
		{"Pagination", testPagination},
		{"SensorsAndNodes", testSensors},
		{"Overview", testOverview},
		{"Prune", testPrune},
	}
	tests = append(tests, accessTests...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tt.fn(t, s)
		})
	}
}

type contractTest struct {
	name string
	fn   func(t *testing.T, s ports.Store)
}

var (
	t0  = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	ctx = context.Background()
)

func hex64(seed string) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for i := 0; b.Len() < 64; i++ {
		b.WriteByte(digits[(int(seed[i%len(seed)])+i*7)%16])
	}
	return b.String()
}

func digest(seed string) string { return "sha256:" + hex64("img"+seed) }
func cid(seed string) string    { return hex64("ctr" + seed) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func cluster(t *testing.T, s ports.Store, name string) string {
	t.Helper()
	ref, err := s.EnsureCluster(ctx, "cl_"+name, name, t0)
	must(t, err)
	return ref.ID
}

func pod(ns, name, node, workload string, containers ...inventory.Container) inventory.Pod {
	return inventory.Pod{UID: "uid-" + ns + "-" + name, Namespace: ns, Name: name, NodeName: node, Phase: "Running",
		Workload:   inventory.WorkloadRef{UID: "wl-" + ns + "-" + workload, Kind: "Deployment", Name: workload},
		Labels:     map[string]string{"app": workload},
		Containers: containers}
}

func ctr(name, image, seed string) inventory.Container {
	return inventory.Container{Name: name, Kind: inventory.ContainerRegular, Image: image, ImageDigest: digest(image),
		ContainerID: cid(seed), Runtime: "containerd", State: inventory.StateRunning}
}

func apply(t *testing.T, s ports.Store, clusterID string, b inventory.Batch, now time.Time) inventory.ApplyResult {
	t.Helper()
	rejected, err := b.Validate(inventory.DefaultLimits)
	must(t, err)
	if len(rejected) > 0 {
		t.Fatalf("test batch has rejected objects: %+v", rejected)
	}
	res, err := s.ApplyInventory(ctx, clusterID, &b, now)
	must(t, err)
	return res
}

func testRegistrationTokens(t *testing.T, s ports.Store) {
	a, err := s.EnsureCluster(ctx, "cl_a", "prod", t0)
	must(t, err)
	again, err := s.EnsureCluster(ctx, "cl_other", "prod", t0.Add(time.Hour))
	must(t, err)
	if again.ID != a.ID {
		t.Fatalf("EnsureCluster made a second cluster for the same name: %s and %s", a.ID, again.ID)
	}
	text, rec, err := access.NewRegistrationToken(strings.NewReader(strings.Repeat("x", 64)), a.ID, "prod", "ci", 0, t0)
	must(t, err)
	must(t, s.CreateRegistrationToken(ctx, rec))
	got, err := s.GetRegistrationToken(ctx, rec.ID)
	must(t, err)
	if got.ClusterName != "prod" || got.SecretHash != access.HashToken(text) || !got.ExpiresAt.Equal(rec.ExpiresAt) || got.Description != "ci" {
		t.Fatalf("stored token = %+v", got)
	}
	if _, err := s.GetRegistrationToken(ctx, "nope"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown token: %v, want ErrNotFound", err)
	}
	_, second, err := access.NewRegistrationToken(strings.NewReader(strings.Repeat("y", 64)), a.ID, "prod", "", 0, t0.Add(time.Minute))
	must(t, err)
	must(t, s.CreateRegistrationToken(ctx, second))
	list, err := s.ListRegistrationTokens(ctx, "prod")
	must(t, err)
	if len(list) != 2 || list[0].ID != second.ID {
		t.Fatalf("list = %+v, want the newest first", list)
	}
	if list, _ := s.ListRegistrationTokens(ctx, "staging"); len(list) != 0 {
		t.Errorf("another cluster's list holds %d tokens", len(list))
	}
	rev, err := s.RevokeRegistrationToken(ctx, rec.ID, t0.Add(time.Hour))
	must(t, err)
	if rev.State(t0.Add(time.Hour)) != access.TokenRevoked {
		t.Errorf("revoked token state = %s", rev.State(t0.Add(time.Hour)))
	}
	rev2, err := s.RevokeRegistrationToken(ctx, rec.ID, t0.Add(2*time.Hour))
	must(t, err)
	if !rev2.RevokedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("revoking twice moved revoked_at to %v", rev2.RevokedAt)
	}
	must(t, s.TouchRegistrationTokens(ctx, map[string]time.Time{second.ID: t0.Add(3 * time.Hour)}))
	must(t, s.TouchRegistrationTokens(ctx, map[string]time.Time{second.ID: t0.Add(2 * time.Hour)}))
	got, _ = s.GetRegistrationToken(ctx, second.ID)
	if !got.LastUsedAt.Equal(t0.Add(3 * time.Hour)) {
		t.Errorf("LastUsedAt = %v, want the latest use", got.LastUsedAt)
	}
}

func testBindCluster(t *testing.T, s ports.Store) {
	a := cluster(t, s, "alpha")
	b := cluster(t, s, "beta")
	ref, err := s.BindCluster(ctx, a, inventory.Registration{ClusterUID: "uid-a", KubernetesVersion: "v1.37.2"}, t0)
	must(t, err)
	if ref.UID != "uid-a" || ref.Name != "alpha" {
		t.Fatalf("bound = %+v", ref)
	}
	if _, err := s.BindCluster(ctx, a, inventory.Registration{ClusterUID: "uid-a", KubernetesVersion: "v1.37.3"}, t0); err != nil {
		t.Errorf("re-registering the same cluster: %v", err)
	}
	if _, err := s.BindCluster(ctx, a, inventory.Registration{ClusterUID: "uid-z"}, t0); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("binding another uid: %v, want ErrConflict", err)
	}
	if _, err := s.BindCluster(ctx, b, inventory.Registration{ClusterUID: "uid-a"}, t0); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("binding a uid another cluster holds: %v, want ErrConflict", err)
	}
	page, err := s.ListClusters(ctx, query.Filter{Cluster: "alpha"}, 10, nil, t0)
	must(t, err)
	if len(page.Items) != 1 || page.Items[0].UID != "uid-a" || page.Items[0].KubernetesVersion != "v1.37.3" {
		t.Errorf("cluster = %+v", page.Items)
	}
}

func snapshot(id, snap string, complete bool) inventory.Batch {
	return inventory.Batch{ID: id, SnapshotID: snap, SnapshotComplete: complete,
		Nodes:      []inventory.Node{{Name: "node-1", KernelVersion: "6.18", Ready: true}, {Name: "node-2", KernelVersion: "6.18"}},
		Namespaces: []inventory.Namespace{{Name: "shop"}, {Name: "kube-system"}},
		Workloads: []inventory.Workload{{UID: "wl-shop-web", Kind: "Deployment", Namespace: "shop", Name: "web", DesiredReplicas: 2},
			{UID: "wl-shop-db", Kind: "StatefulSet", Namespace: "shop", Name: "db", DesiredReplicas: 1}},
		Pods: []inventory.Pod{
			pod("shop", "web-1", "node-1", "web", ctr("nginx", "nginx:1.27", "w1"), ctr("envoy", "envoy:1.30", "w1e")),
			pod("shop", "web-2", "node-2", "web", ctr("nginx", "nginx:1.27", "w2")),
			pod("shop", "db-0", "node-1", "db", ctr("postgres", "postgres:16", "d0")),
		},
	}
}

func testInventorySnapshot(t *testing.T, s ports.Store) {
	c := cluster(t, s, "prod")
	res := apply(t, s, c, snapshot("batch-0001", "snap-0001", true), t0)
	if res.Duplicate || res.Applied != 2+2+2+3 {
		t.Fatalf("result = %+v", res)
	}
	wl, err := s.ListWorkloads(ctx, query.Filter{Cluster: "prod"}, 10, nil, t0)
	must(t, err)
	if len(wl.Items) != 2 {
		t.Fatalf("workloads = %+v", wl.Items)
	}
	web := wl.Items[1]
	if web.Name != "web" || web.Pods != 2 || web.Containers != 3 || web.DesiredReplicas != 2 || web.ClusterName != "prod" {
		t.Errorf("web = %+v", web)
	}
	if want := []string{digest("envoy:1.30"), digest("nginx:1.27")}; !reflect.DeepEqual(web.Images, sorted(want)) {
		t.Errorf("web images = %v, want %v", web.Images, sorted(want))
	}
	if !reflect.DeepEqual(web.Nodes, []string{"node-1", "node-2"}) {
		t.Errorf("web nodes = %v", web.Nodes)
	}
	imgs, err := s.ListImages(ctx, query.Filter{}, 10, nil, t0)
	must(t, err)
	if len(imgs.Items) != 3 {
		t.Fatalf("images = %+v", imgs.Items)
	}
	var nginx query.ImageView
	for _, i := range imgs.Items {
		if i.Digest == digest("nginx:1.27") {
			nginx = i
		}
	}
	if nginx.Repository != "docker.io/library/nginx" || nginx.Containers != 2 || nginx.RunningContainers != 2 ||
		nginx.Workloads != 1 || nginx.Clusters != 1 || !reflect.DeepEqual(nginx.References, []string{"nginx:1.27"}) {
		t.Errorf("nginx image = %+v", nginx)
	}
	byRef, err := s.ListImages(ctx, query.Filter{Image: "postgres:16"}, 10, nil, t0)
	must(t, err)
	if len(byRef.Items) != 1 || byRef.Items[0].Digest != digest("postgres:16") {
		t.Errorf("image by reference = %+v", byRef.Items)
	}
	ctrs, err := s.ListContainers(ctx, query.Filter{Workload: "web", Node: "node-1"}, 10, nil, t0)
	must(t, err)
	if len(ctrs.Items) != 2 || ctrs.Items[0].Name != "envoy" || ctrs.Items[0].Workload.Name != "web" || ctrs.Items[0].ContainerID != cid("w1e") {
		t.Errorf("containers = %+v", ctrs.Items)
	}
	nodes, err := s.ListNodes(ctx, query.Filter{}, 10, nil, t0)
	must(t, err)
	if len(nodes.Items) != 2 || nodes.Items[0].Pods != 2 || nodes.Items[1].Pods != 1 || nodes.Items[0].SensorOnly || nodes.Items[0].KernelVersion != "6.18" {
		t.Errorf("nodes = %+v", nodes.Items)
	}
	text, err := s.ListWorkloads(ctx, query.Filter{Text: "STATEFUL"}, 10, nil, t0)
	must(t, err)
	if len(text.Items) != 1 || text.Items[0].Name != "db" {
		t.Errorf("text search = %+v", text.Items)
	}
	// A pod whose owner the controller did not report still has a workload.
	apply(t, s, c, inventory.Batch{ID: "batch-0002", Pods: []inventory.Pod{{UID: "bare", Namespace: "shop", Name: "debug",
		Workload: inventory.WorkloadRef{UID: "bare", Kind: "Pod", Name: "debug"}}}}, t0.Add(time.Minute))
	bare, err := s.ListWorkloads(ctx, query.Filter{Workload: "debug"}, 10, nil, t0.Add(time.Minute))
	must(t, err)
	if len(bare.Items) != 1 || bare.Items[0].Kind != "Pod" || bare.Items[0].Pods != 1 {
		t.Errorf("bare pod workload = %+v", bare.Items)
	}
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func testInventoryDuplicate(t *testing.T, s ports.Store) {
	c := cluster(t, s, "prod")
	apply(t, s, c, snapshot("batch-0001", "snap-0001", true), t0)
	changed := snapshot("batch-0001", "snap-0001", true)
	changed.Pods = changed.Pods[:1]
	changed.Workloads[0].DesiredReplicas = 9
	res := apply(t, s, c, changed, t0.Add(time.Minute))
	if !res.Duplicate || res.Applied != 0 {
		t.Fatalf("replayed batch = %+v, want Duplicate", res)
	}
	wl, err := s.ListWorkloads(ctx, query.Filter{Workload: "web", Window: query.WindowNow}, 10, nil, t0.Add(time.Minute))
	must(t, err)
	if len(wl.Items) != 1 || wl.Items[0].DesiredReplicas != 2 || wl.Items[0].Pods != 2 {
		t.Errorf("a replayed batch changed the inventory: %+v", wl.Items)
	}
	// The same batch id in another cluster is another batch.
	other := cluster(t, s, "staging")
	if res := apply(t, s, other, snapshot("batch-0001", "snap-0001", true), t0); res.Duplicate {
		t.Error("a batch id of one cluster blocked another cluster's batch")
	}
}

func testContainerRestart(t *testing.T, s ports.Store) {
	c := cluster(t, s, "prod")
	waiting := ctr("app", "app:1", "")
	waiting.ContainerID, waiting.ImageDigest, waiting.State = "", "", inventory.StateWaiting
	apply(t, s, c, inventory.Batch{ID: "batch-0001", Pods: []inventory.Pod{pod("ns", "p", "n", "w", waiting)}}, t0)
	live := func(at time.Time) []query.ContainerView {
		page, err := s.ListContainers(ctx, query.Filter{Window: query.WindowNow}, 10, nil, at)
		must(t, err)
		return page.Items
	}
	if got := live(t0); len(got) != 1 || got[0].ContainerID != "" || got[0].State != inventory.StateWaiting {
		t.Fatalf("waiting container = %+v", got)
	}
	apply(t, s, c, inventory.Batch{ID: "batch-0002", Pods: []inventory.Pod{pod("ns", "p", "n", "w", ctr("app", "app:1", "first"))}}, t0.Add(time.Minute))
	if got := live(t0.Add(time.Minute)); len(got) != 1 || got[0].ContainerID != cid("first") {
		t.Fatalf("after start = %+v (the placeholder must be replaced)", got)
	}
	restarted := ctr("app", "app:1", "second")
	restarted.RestartCount = 1
	apply(t, s, c, inventory.Batch{ID: "batch-0003", Pods: []inventory.Pod{pod("ns", "p", "n", "w", restarted)}}, t0.Add(2*time.Minute))
	if got := live(t0.Add(2 * time.Minute)); len(got) != 1 || got[0].ContainerID != cid("second") || got[0].RestartCount != 1 {
		t.Fatalf("after restart = %+v", got)
	}
	all, err := s.ListContainers(ctx, query.Filter{}, 10, nil, t0.Add(2*time.Minute))
	must(t, err)
	if len(all.Items) != 2 {
		t.Fatalf("history = %+v, want the old container kept as gone", all.Items)
	}
	for _, k := range all.Items {
		if k.ContainerID == cid("first") && k.GoneAt.IsZero() {
			t.Error("the replaced container is not gone")
		}
	}
}

func testInventoryDeletes(t *testing.T, s ports.Store) {
	c := cluster(t, s, "prod")
	apply(t, s, c, snapshot("batch-0001", "snap-0001", true), t0)
	res := apply(t, s, c, inventory.Batch{ID: "batch-0002", Deleted: []inventory.ObjectRef{
		{Kind: inventory.KindPod, UID: "uid-shop-web-2"}, {Kind: inventory.KindNode, Name: "node-2"}, {Kind: inventory.KindWorkload, UID: "wl-shop-db"}}}, t0.Add(time.Minute))
	if res.MarkedGone != 4 { // pod, its container, node, workload
		t.Errorf("MarkedGone = %d, want 4", res.MarkedGone)
	}
	now := t0.Add(time.Minute)
	wl, _ := s.ListWorkloads(ctx, query.Filter{Window: query.WindowNow}, 10, nil, now)
	if len(wl.Items) != 1 || wl.Items[0].Name != "web" || wl.Items[0].Pods != 1 {
		t.Errorf("live workloads = %+v", wl.Items)
	}
	past, _ := s.ListWorkloads(ctx, query.Filter{Window: query.Window1h}, 10, nil, now)
	if len(past.Items) != 2 {
		t.Errorf("workloads of the last hour = %d, want the deleted one too", len(past.Items))
	}
	nodes, _ := s.ListNodes(ctx, query.Filter{Window: query.WindowNow}, 10, nil, now)
	if len(nodes.Items) != 1 {
		t.Errorf("live nodes = %+v", nodes.Items)
	}
	// A later report of a deleted object brings it back.
	apply(t, s, c, inventory.Batch{ID: "batch-0003", Nodes: []inventory.Node{{Name: "node-2"}}}, t0.Add(2*time.Minute))
	nodes, _ = s.ListNodes(ctx, query.Filter{Window: query.WindowNow}, 10, nil, t0.Add(2*time.Minute))
	if len(nodes.Items) != 2 {
		t.Errorf("a re-reported node is still gone: %+v", nodes.Items)
	}
}

func testReconcileKeepsDeltas(t *testing.T, s ports.Store) {
	c := cluster(t, s, "prod")
	apply(t, s, c, snapshot("batch-0001", "snap-0001", true), t0)
	// A second snapshot in two chunks, with a delta between them: web-2 and
	// db-0 are not in the new snapshot, but db-0 was touched by the delta
	// while the snapshot was being sent.
	first := inventory.Batch{ID: "batch-0002", SnapshotID: "snap-0002", Pods: snapshot("", "", false).Pods[:1]}
	apply(t, s, c, first, t0.Add(time.Minute))
	delta := inventory.Batch{ID: "batch-0003", Pods: []inventory.Pod{snapshot("", "", false).Pods[2]}}
	apply(t, s, c, delta, t0.Add(2*time.Minute))
	last := inventory.Batch{ID: "batch-0004", SnapshotID: "snap-0002", SnapshotComplete: true,
		Nodes: snapshot("", "", false).Nodes, Namespaces: snapshot("", "", false).Namespaces, Workloads: snapshot("", "", false).Workloads}
	res := apply(t, s, c, last, t0.Add(3*time.Minute))
	if res.MarkedGone != 2 { // web-2 and its container
		t.Errorf("MarkedGone = %d, want 2", res.MarkedGone)
	}
	live, err := s.ListContainers(ctx, query.Filter{Window: query.WindowNow}, 10, nil, t0.Add(3*time.Minute))
	must(t, err)
	var names []string
	for _, k := range live.Items {
		names = append(names, k.PodName+"/"+k.Name)
	}
	if want := []string{"db-0/postgres", "web-1/envoy", "web-1/nginx"}; !reflect.DeepEqual(names, want) {
		t.Errorf("live containers = %v, want %v", names, want)
	}
}

func proc(container, path string, count uint64, first, last time.Time) runtime.Process {
	rt := runtime.RuntimeContainerd
	if container == "" {
		rt = runtime.RuntimeHost
	}
	return runtime.Process{Container: runtime.ContainerRef{ContainerID: container, Runtime: rt}, ExecutablePath: path,
		SHA256: hex64(path), Count: count, FirstSeen: first, LastSeen: last}
}

func report(t *testing.T, s ports.Store, clusterID, id, node string, procs []runtime.Process, files []runtime.FileLoad, now time.Time) runtime.ApplyResult {
	t.Helper()
	b := runtime.Batch{ID: id, NodeName: node, Processes: procs, Files: files}
	rejected, err := b.Normalize(runtime.DefaultLimits, now)
	must(t, err)
	if len(rejected) > 0 {
		t.Fatalf("test batch has rejected records: %+v", rejected)
	}
	res, err := s.ApplyRuntime(ctx, clusterID, &b, now)
	must(t, err)
	return res
}

func testRuntimeAggregation(t *testing.T, s ports.Store) {
	c := cluster(t, s, "prod")
	full := proc(cid("a"), "/usr/bin/curl", 2, t0, t0.Add(time.Second))
	full.Argv, full.UID, full.PID, full.Comm, full.PackagePURLs = []string{"curl", "-s", "http://x"}, 0, 42, "curl", []string{"pkg:deb/debian/curl@7.88.1"}
	res := report(t, s, c, "rt-000001", "node-1", []runtime.Process{full}, nil, t0.Add(time.Minute))
	if res.Processes != 1 {
		t.Fatalf("result = %+v", res)
	}
	// Later: counters only, and a different sighting's details that must
	// not replace the first's.
	later := proc(cid("a"), "/usr/bin/curl", 5, t0.Add(time.Hour), t0.Add(2*time.Hour))
	other := later
	other.Argv, other.UID, other.PID, other.Comm, other.Count = []string{"curl", "--other"}, 1000, 99, "curl", 1
	report(t, s, c, "rt-000002", "node-1", []runtime.Process{later, other}, nil, t0.Add(3*time.Hour))
	page, err := s.ListProcesses(ctx, query.ProcessFilter{}, 10, nil, t0.Add(3*time.Hour))
	must(t, err)
	if len(page.Items) != 1 {
		t.Fatalf("processes = %+v", page.Items)
	}
	p := page.Items[0]
	if p.Count != 8 || !p.FirstSeen.Equal(t0) || !p.LastSeen.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("counters: count %d, seen %v..%v", p.Count, p.FirstSeen, p.LastSeen)
	}
	if !reflect.DeepEqual(p.Argv, full.Argv) || p.UID != 0 || p.PID != 42 || !reflect.DeepEqual(p.PackagePURLs, full.PackagePURLs) {
		t.Errorf("details: argv %q uid %d pid %d purls %v; want the first sighting's", p.Argv, p.UID, p.PID, p.PackagePURLs)
	}
	// Same path on the host and on another node are other records.
	report(t, s, c, "rt-000003", "node-1", []runtime.Process{proc("", "/usr/bin/curl", 1, t0, t0)}, nil, t0.Add(3*time.Hour))
	report(t, s, c, "rt-000004", "node-2", []runtime.Process{proc(cid("a"), "/usr/bin/curl", 1, t0, t0)}, nil, t0.Add(3*time.Hour))
	page, _ = s.ListProcesses(ctx, query.ProcessFilter{}, 10, nil, t0.Add(3*time.Hour))
	if len(page.Items) != 3 {
		t.Errorf("records = %d, want 3 (container, host, other node)", len(page.Items))
	}
}

// testRuntimeMatchesDomain applies random reports to the store and folds
// the same reports with runtime.MergeProcess: both must agree.
func testRuntimeMatchesDomain(t *testing.T, s ports.Store) {
	c := cluster(t, s, "prod")
	rng := rand.New(rand.NewPCG(1, 2))
	paths := []string{"/bin/a", "/bin/b", "/bin/c"}
	want := map[string]runtime.Process{}
	for batch := range 12 {
		var procs []runtime.Process
		for range 1 + rng.IntN(6) {
			path := paths[rng.IntN(len(paths))]
			first := t0.Add(time.Duration(rng.IntN(1000)) * time.Second)
			p := proc(cid("x"), path, uint64(1+rng.IntN(5)), first, first.Add(time.Duration(rng.IntN(100))*time.Second))
			if rng.IntN(3) == 0 {
				p.Argv, p.Comm, p.PID, p.UID = []string{path, fmt.Sprint(batch)}, "c"+fmt.Sprint(batch), uint32(batch+1), uint32(rng.IntN(2))
			}
			p.Drift = rng.IntN(5) == 0
			if rng.IntN(4) == 0 {
				p.PackagePURLs = []string{"pkg:generic/x@" + fmt.Sprint(batch)}
			}
			procs = append(procs, p)
			if old, ok := want[path]; ok {
				want[path] = runtime.MergeProcess(old, p)
			} else {
				want[path] = p
			}
		}
		report(t, s, c, fmt.Sprintf("rt-%06d", batch), "node-1", procs, nil, t0.Add(time.Hour))
	}
	page, err := s.ListProcesses(ctx, query.ProcessFilter{}, 10, nil, t0.Add(time.Hour))
	must(t, err)
	if len(page.Items) != len(want) {
		t.Fatalf("%d records, want %d", len(page.Items), len(want))
	}
	for _, got := range page.Items {
		w := want[got.ExecutablePath]
		g := got.Process
		if g.Count != w.Count || !g.FirstSeen.Equal(w.FirstSeen) || !g.LastSeen.Equal(w.LastSeen) || g.Drift != w.Drift ||
			g.Comm != w.Comm || g.PID != w.PID || g.UID != w.UID || !slices.Equal(g.Argv, w.Argv) || !slices.Equal(g.PackagePURLs, w.PackagePURLs) {
			t.Errorf("%s:\n store  %+v\n domain %+v", got.ExecutablePath, g, w)
		}
	}
}

func testRuntimeDuplicateConcurrent(t *testing.T, s ports.Store) {
	c := cluster(t, s, "prod")
	var wg sync.WaitGroup
	results := make([]runtime.ApplyResult, 6)
	errs := make([]error, 6)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := runtime.Batch{ID: "rt-same-batch", NodeName: "node-1", Processes: []runtime.Process{proc(cid("a"), "/bin/sh", 3, t0, t0)}}
			_, errs[i] = b.Normalize(runtime.DefaultLimits, t0)
			if errs[i] == nil {
				results[i], errs[i] = s.ApplyRuntime(ctx, c, &b, t0)
			}
		}()
	}
	wg.Wait()
	applied := 0
	for i, r := range results {
		must(t, errs[i])
		if !r.Duplicate {
			applied++
		}
	}
	if applied != 1 {
		t.Errorf("%d of 6 concurrent sends of one batch applied, want 1", applied)
	}
	page, _ := s.ListProcesses(ctx, query.ProcessFilter{}, 10, nil, t0)
	if len(page.Items) != 1 || page.Items[0].Count != 3 {
		t.Errorf("after concurrent retries: %+v, want count 3", page.Items)
	}
}

func testRuntimeAttribution(t *testing.T, s ports.Store) {
	c := cluster(t, s, "prod")
	apply(t, s, c, snapshot("batch-0001", "snap-0001", true), t0)
	now := t0.Add(time.Hour)
	sh := proc(cid("w1"), "/bin/sh", 1, now.Add(-30*time.Minute), now.Add(-30*time.Minute))
	drift := proc(cid("d0"), "/tmp/miner", 1, now.Add(-2*time.Minute), now.Add(-2*time.Minute))
	drift.Drift = true
	old := proc(cid("w2"), "/usr/sbin/nginx", 1, t0.Add(-48*time.Hour), t0.Add(-47*time.Hour))
	host := proc("", "/usr/lib/systemd/systemd", 1, now.Add(-time.Minute), now.Add(-time.Minute))
	unknown := proc(cid("not-reported"), "/bin/true", 1, now.Add(-time.Minute), now.Add(-time.Minute))
	libc := runtime.FileLoad{Container: runtime.ContainerRef{ContainerID: cid("w1"), Runtime: runtime.RuntimeContainerd}, Path: "/usr/lib/libssl.so.3",
		SHA256: hex64("ssl"), Kind: runtime.FileSharedLibrary, PackagePURLs: []string{"pkg:deb/debian/libssl3@3.0.15", "pkg:golang/golang.org/x/text@v0.3.5"}, Count: 1}
	jar := runtime.FileLoad{Container: runtime.ContainerRef{ContainerID: cid("d0"), Runtime: runtime.RuntimeContainerd}, Path: "/app/lib/log4j-core.jar",
		Kind: runtime.FileJar, Count: 1}
	report(t, s, c, "rt-000001", "node-1", []runtime.Process{sh, drift, old, host, unknown}, []runtime.FileLoad{libc, jar}, now)

	list := func(f query.ProcessFilter) []string {
		t.Helper()
		page, err := s.ListProcesses(ctx, f, 20, nil, now)
		must(t, err)
		var out []string
		for _, p := range page.Items {
			out = append(out, p.ExecutablePath)
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		name string
		f    query.ProcessFilter
		want []string
	}{
		{"all", query.ProcessFilter{}, []string{"/bin/sh", "/bin/true", "/tmp/miner", "/usr/lib/systemd/systemd", "/usr/sbin/nginx"}},
		{"last hour", query.ProcessFilter{Filter: query.Filter{Window: query.Window1h}}, []string{"/bin/sh", "/bin/true", "/tmp/miner", "/usr/lib/systemd/systemd"}},
		{"now", query.ProcessFilter{Filter: query.Filter{Window: query.WindowNow}}, []string{"/bin/true", "/tmp/miner", "/usr/lib/systemd/systemd"}},
		{"workload by name", query.ProcessFilter{Filter: query.Filter{Workload: "web"}}, []string{"/bin/sh", "/usr/sbin/nginx"}},
		{"workload by uid", query.ProcessFilter{Filter: query.Filter{Workload: "wl-shop-db"}}, []string{"/tmp/miner"}},
		{"image by digest", query.ProcessFilter{Filter: query.Filter{Image: digest("postgres:16")}}, []string{"/tmp/miner"}},
		{"image by reference", query.ProcessFilter{Filter: query.Filter{Image: "nginx:1.27"}}, []string{"/bin/sh", "/usr/sbin/nginx"}},
		{"namespace", query.ProcessFilter{Filter: query.Filter{Namespace: "shop"}}, []string{"/bin/sh", "/tmp/miner", "/usr/sbin/nginx"}},
		{"text in path", query.ProcessFilter{Filter: query.Filter{Text: "SYSTEMD"}}, []string{"/usr/lib/systemd/systemd"}},
		{"text in pod", query.ProcessFilter{Filter: query.Filter{Text: "db-0"}}, []string{"/tmp/miner"}},
		{"text with a LIKE wildcard is literal", query.ProcessFilter{Filter: query.Filter{Text: "%"}}, nil},
		{"sha256", query.ProcessFilter{SHA256: hex64("/bin/sh")}, []string{"/bin/sh"}},
		{"drift only", query.ProcessFilter{DriftOnly: true}, []string{"/tmp/miner"}},
		{"cluster by name", query.ProcessFilter{Filter: query.Filter{Cluster: "prod"}}, []string{"/bin/sh", "/bin/true", "/tmp/miner", "/usr/lib/systemd/systemd", "/usr/sbin/nginx"}},
		{"another cluster", query.ProcessFilter{Filter: query.Filter{Cluster: "staging"}}, nil},
		{"node", query.ProcessFilter{Filter: query.Filter{Node: "node-9"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := list(tt.f); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	page, err := s.ListProcesses(ctx, query.ProcessFilter{SHA256: hex64("/bin/sh")}, 10, nil, now)
	must(t, err)
	p := page.Items[0]
	if p.Namespace != "shop" || p.PodName != "web-1" || p.ContainerName != "nginx" || p.Workload.Name != "web" ||
		p.Workload.Kind != "Deployment" || p.ImageDigest != digest("nginx:1.27") || p.Image != "nginx:1.27" || p.ClusterName != "prod" {
		t.Errorf("attribution = %+v", p.Attribution)
	}
	files, err := s.ListFiles(ctx, query.FileFilter{PURLPrefix: "pkg:golang/golang.org/x/text"}, 10, nil, now)
	must(t, err)
	if len(files.Items) != 1 || files.Items[0].Path != "/usr/lib/libssl.so.3" || files.Items[0].Workload.Name != "web" || len(files.Items[0].PackagePURLs) != 2 {
		t.Errorf("files by purl = %+v", files.Items)
	}
	files, _ = s.ListFiles(ctx, query.FileFilter{Kind: runtime.FileJar}, 10, nil, now)
	if len(files.Items) != 1 || files.Items[0].Workload.Name != "db" {
		t.Errorf("jar files = %+v", files.Items)
	}
	imgs, _ := s.ListImages(ctx, query.Filter{Image: "nginx:1.27"}, 10, nil, now)
	if len(imgs.Items) != 1 || imgs.Items[0].Processes != 2 || imgs.Items[0].LoadedFiles != 1 {
		t.Errorf("nginx image counts = %+v", imgs.Items)
	}
}

func testPagination(t *testing.T, s ports.Store) {
	c := cluster(t, s, "prod")
	var pods []inventory.Pod
	for i := range 23 {
		pods = append(pods, pod("ns"+fmt.Sprint(i%3), fmt.Sprintf("p-%02d", i), "n", fmt.Sprintf("w%d", i%7), ctr("c", "img:1", fmt.Sprint(i))))
	}
	apply(t, s, c, inventory.Batch{ID: "batch-0001", Pods: pods}, t0)
	var procs []runtime.Process
	for i := range 37 {
		at := t0.Add(time.Duration(i%5) * time.Minute) // ties on last_seen
		procs = append(procs, proc(cid(fmt.Sprint(i%23)), fmt.Sprintf("/bin/p%02d", i), 1, at, at))
	}
	report(t, s, c, "rt-000001", "n", procs, nil, t0.Add(time.Hour))

	checkPages(t, "containers", 23, query.ContainerOrder, func(after query.Cursor) (query.Page[query.ContainerView], error) {
		return s.ListContainers(ctx, query.Filter{}, 4, after, t0)
	}, func(v query.ContainerView) query.Cursor {
		return query.Cursor{v.Namespace, v.PodName, v.Name, v.ClusterID, v.PodUID, v.ContainerID}
	})
	checkPages(t, "workloads", 7*3, query.WorkloadOrder, func(after query.Cursor) (query.Page[query.WorkloadView], error) {
		return s.ListWorkloads(ctx, query.Filter{}, 5, after, t0)
	}, func(v query.WorkloadView) query.Cursor { return query.Cursor{v.Namespace, v.Name, v.ClusterID, v.UID} })
	// Every order a list offers pages without gaps or repeats.
	for name, order := range query.ProcessSorts {
		checkPages(t, "processes by "+name, 37, order, func(after query.Cursor) (query.Page[query.ProcessView], error) {
			return s.ListProcesses(ctx, query.ProcessFilter{Filter: query.Filter{OrderBy: name}}, 6, after, t0.Add(time.Hour))
		}, func(v query.ProcessView) query.Cursor {
			return keyOf(order, map[string]string{"last_seen": fmt.Sprint(v.LastSeen.UnixMicro()), "first_seen": fmt.Sprint(v.FirstSeen.UnixMicro()),
				"count": fmt.Sprint(v.Count), "path": v.ExecutablePath, "id": fmt.Sprint(v.ID)})
		})
	}
	for name, order := range query.WorkloadSorts {
		checkPages(t, "workloads by "+name, 7*3, order, func(after query.Cursor) (query.Page[query.WorkloadView], error) {
			return s.ListWorkloads(ctx, query.Filter{OrderBy: name}, 4, after, t0)
		}, func(v query.WorkloadView) query.Cursor {
			return keyOf(order, map[string]string{"namespace": v.Namespace, "name": v.Name, "kind": v.Kind, "cluster_name": v.ClusterName,
				"cluster_id": v.ClusterID, "uid": v.UID, "first_seen": fmt.Sprint(v.FirstSeen.UnixMicro()), "last_seen": fmt.Sprint(v.LastSeen.UnixMicro())})
		})
	}
	for name, order := range query.ContainerSorts {
		checkPages(t, "containers by "+name, 23, order, func(after query.Cursor) (query.Page[query.ContainerView], error) {
			return s.ListContainers(ctx, query.Filter{OrderBy: name}, 5, after, t0)
		}, func(v query.ContainerView) query.Cursor {
			return keyOf(order, map[string]string{"namespace": v.Namespace, "pod_name": v.PodName, "name": v.Name, "cluster_id": v.ClusterID,
				"pod_uid": v.PodUID, "container_id": v.ContainerID, "image": v.Image, "started_at": fmt.Sprint(v.StartedAt.UnixMicro())})
		})
	}
}

// keyOf is a row's cursor for an order, from its values by column name.
func keyOf(o query.Order, values map[string]string) query.Cursor {
	c := make(query.Cursor, len(o))
	for i, col := range o {
		c[i] = values[col.Name]
	}
	return c
}

// checkPages pages through a list and checks every row comes once, in the
// domain's order.
func checkPages[T any](t *testing.T, name string, total int, order query.Order, list func(query.Cursor) (query.Page[T], error), key func(T) query.Cursor) {
	t.Helper()
	var all []query.Cursor
	var after query.Cursor
	for pages := 0; ; pages++ {
		if pages > total+1 {
			t.Fatalf("%s: pagination does not end", name)
		}
		p, err := list(after)
		must(t, err)
		for _, it := range p.Items {
			all = append(all, key(it))
		}
		if p.Next == nil {
			break
		}
		after = p.Next
	}
	// A row may be keyed twice when a workload has rows in several
	// namespaces only if the list is wrong; total counts distinct rows.
	seen := map[string]bool{}
	for i, k := range all {
		if seen[k.String()] {
			t.Errorf("%s: row %v came twice", name, k)
		}
		seen[k.String()] = true
		if i > 0 && !order.Less(all[i-1], k) {
			t.Errorf("%s: row %v after %v breaks the order", name, k, all[i-1])
		}
	}
	if len(all) != total {
		t.Errorf("%s: paged through %d rows, want %d", name, len(all), total)
	}
}

func testSensors(t *testing.T, s ports.Store) {
	c := cluster(t, s, "prod")
	apply(t, s, c, inventory.Batch{ID: "batch-0001", Nodes: []inventory.Node{{Name: "node-1", KernelVersion: "6.18-k8s"}, {Name: "node-3", SensorDisabled: true}}}, t0)
	must(t, s.RegisterSensor(ctx, c, runtime.SensorInfo{NodeName: "node-1", KernelVersion: "6.18-sensor", Version: "0.1.0",
		Mode: runtime.ModeKubernetes, HookMode: runtime.HookTracepoint}, t0))
	must(t, s.RegisterSensor(ctx, c, runtime.SensorInfo{NodeName: "laptop", KernelVersion: "6.1", Mode: runtime.ModeHost}, t0))
	must(t, s.SensorHeartbeat(ctx, c, runtime.Heartbeat{NodeName: "node-1", Status: inventory.SensorDegraded, Message: "ring buffer drops",
		Drops: runtime.Drops{RingBuffer: 12, SpoolFull: 3, RejectedByPlatform: 2}, EventsReceived: 1000}, t0.Add(time.Minute)))
	nodes, err := s.ListNodes(ctx, query.Filter{}, 10, nil, t0.Add(time.Minute))
	must(t, err)
	if len(nodes.Items) != 3 {
		t.Fatalf("nodes = %+v", nodes.Items)
	}
	byName := map[string]query.NodeView{}
	for _, n := range nodes.Items {
		byName[n.Name] = n
	}
	n1 := byName["node-1"]
	if n1.KernelVersion != "6.18-k8s" || n1.SensorOnly || n1.Sensor.Reported != inventory.SensorDegraded || n1.Sensor.Drops.RingBuffer != 12 ||
		n1.Sensor.Drops.SpoolFull != 3 || n1.Sensor.Drops.RejectedByPlatform != 2 || n1.Sensor.EventsReceived != 1000 || n1.Sensor.HookMode != "tracepoint" || n1.Sensor.Version != "0.1.0" ||
		!n1.Sensor.LastHeartbeat.Equal(t0.Add(time.Minute)) {
		t.Errorf("node-1 = %+v", n1)
	}
	if l := byName["laptop"]; !l.SensorOnly || l.KernelVersion != "6.1" || l.Sensor.Mode != "host" {
		t.Errorf("laptop = %+v", l)
	}
	clusters, err := s.ListClusters(ctx, query.Filter{}, 10, nil, t0.Add(time.Minute))
	must(t, err)
	want := query.NodeCounts{Total: 3, Degraded: 1, Running: 1, Disabled: 1}
	if clusters.Items[0].Nodes != want {
		t.Errorf("node counts = %+v, want %+v", clusters.Items[0].Nodes, want)
	}
	// Silence turns into failure.
	clusters, _ = s.ListClusters(ctx, query.Filter{}, 10, nil, t0.Add(time.Hour))
	if got := clusters.Items[0].Nodes; got.Failed != 2 || got.Disabled != 1 {
		t.Errorf("an hour later = %+v, want 2 failed", got)
	}
}

func testOverview(t *testing.T, s ports.Store) {
	c := cluster(t, s, "prod")
	cluster(t, s, "empty")
	apply(t, s, c, snapshot("batch-0001", "snap-0001", true), t0)
	drift := proc(cid("d0"), "/tmp/x", 1, t0, t0)
	drift.Drift = true
	report(t, s, c, "rt-000001", "node-1", []runtime.Process{proc(cid("w1"), "/bin/sh", 1, t0, t0), drift},
		[]runtime.FileLoad{{Container: runtime.ContainerRef{Runtime: runtime.RuntimeHost}, Path: "/lib/x.so", Kind: runtime.FileSharedLibrary, Count: 1}}, t0)
	o, err := s.Overview(ctx, query.Filter{}, t0)
	must(t, err)
	want := query.Overview{Clusters: 2, Nodes: query.NodeCounts{Total: 2, NotInstalled: 2}, Workloads: 2, Images: 3, Containers: 4,
		Processes: 2, LoadedFiles: 1, DriftedExecutables: 1}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("overview =\n %+v\nwant\n %+v", o, want)
	}
	o, err = s.Overview(ctx, query.Filter{Workload: "db"}, t0)
	must(t, err)
	if o.Workloads != 1 || o.Containers != 1 || o.Images != 1 || o.Processes != 1 || o.DriftedExecutables != 1 {
		t.Errorf("overview of db = %+v", o)
	}
}

func testPrune(t *testing.T, s ports.Store) {
	c := cluster(t, s, "prod")
	apply(t, s, c, snapshot("batch-0001", "snap-0001", true), t0)
	report(t, s, c, "rt-000001", "node-1", []runtime.Process{proc(cid("w1"), "/old", 1, t0, t0), proc(cid("w1"), "/new", 1, t0, t0.Add(20*24*time.Hour))},
		[]runtime.FileLoad{{Container: runtime.ContainerRef{Runtime: runtime.RuntimeHost}, Path: "/lib/old.so", Kind: runtime.FileSharedLibrary, FirstSeen: t0, LastSeen: t0}}, t0.Add(20*24*time.Hour))
	apply(t, s, c, inventory.Batch{ID: "batch-0002", Deleted: []inventory.ObjectRef{{Kind: inventory.KindPod, UID: "uid-shop-db-0"}}}, t0.Add(time.Hour))
	res, err := s.Prune(ctx, t0.Add(10*24*time.Hour))
	must(t, err)
	if res.Processes != 1 || res.Files != 1 || res.Batches != 2 || res.Inventory != 2 {
		t.Errorf("prune = %+v, want 1 process, 1 file, 2 batch ids, a pod and its container", res)
	}
	page, _ := s.ListProcesses(ctx, query.ProcessFilter{}, 10, nil, t0.Add(20*24*time.Hour))
	if len(page.Items) != 1 || page.Items[0].ExecutablePath != "/new" {
		t.Errorf("after prune = %+v", page.Items)
	}
	imgs, _ := s.ListImages(ctx, query.Filter{}, 10, nil, t0)
	if len(imgs.Items) != 2 {
		t.Errorf("images after prune = %d, want the postgres image gone with its only container", len(imgs.Items))
	}
	// Pruned batch ids are forgotten: the batch applies again.
	if res := apply(t, s, c, inventory.Batch{ID: "batch-0001", Nodes: []inventory.Node{{Name: "node-1"}}}, t0.Add(20*24*time.Hour)); res.Duplicate {
		t.Error("a pruned batch id is still remembered")
	}
	// A batch id applied after the cutoff is kept.
	if res := report(t, s, c, "rt-000001", "node-1", nil, nil, t0.Add(20*24*time.Hour)); !res.Duplicate {
		t.Error("a recent batch id was pruned")
	}
}
