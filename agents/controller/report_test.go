package controller

import (
	"fmt"
	"io"
	"log/slog"
	"testing"

	runwatchv1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/runwatch/runwatch/agents/controller/owner"
	"github.com/runwatch/runwatch/agents/controller/pending"
)

// offlineReporter is a reporter over caches the test fills by hand (the
// informers are never started), for the reporter's own rules.
func offlineReporter(t testing.TB) (*reporter, *watcher, *pending.Set[key]) {
	t.Helper()
	kube := kubernetes.NewForConfigOrDie(&rest.Config{Host: "http://127.0.0.1:1"})
	p := pending.New[key](1 << 20)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w, err := newWatcher(kube, log, p.Add)
	if err != nil {
		t.Fatal(err)
	}
	return newReporter(w, log, p.Add), w, p
}

func put(t testing.TB, w *watcher, k *watchedKind, obj any) {
	t.Helper()
	if err := k.informer.GetIndexer().Add(obj); err != nil {
		t.Fatal(err)
	}
}

func del(t testing.TB, k *watchedKind, obj any) {
	t.Helper()
	if err := k.informer.GetIndexer().Delete(obj); err != nil {
		t.Fatal(err)
	}
}

func barePod(name string, owners ...metav1.OwnerReference) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID("uid-" + name), OwnerReferences: owners},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}
}

// drain builds deltas until nothing is pending.
func drain(r *reporter, p *pending.Set[key]) *runwatchv1.ReportInventoryRequest {
	all := &runwatchv1.ReportInventoryRequest{}
	for p.Len() > 0 {
		d := r.delta(p.Take, 100)
		all.Workloads = append(all.Workloads, d.Workloads...)
		all.Pods = append(all.Pods, d.Pods...)
		all.Deleted = append(all.Deleted, d.Deleted...)
		all.Nodes = append(all.Nodes, d.Nodes...)
	}
	return all
}

// A workload known only from its pods (a custom owner, a bare pod) is
// reported while a pod names it and deleted after the last one goes.
func TestDerivedWorkloadsFollowTheirPods(t *testing.T) {
	r, w, p := offlineReporter(t)
	rollout := controllerRef("rollouts.example.com/v1", "Rollout", "canary", "ro-1")
	a, b, bare := barePod("a", rollout), barePod("b", rollout), barePod("bare")
	for _, pod := range []*corev1.Pod{a, b, bare} {
		put(t, w, w.pods, pod)
		p.Add(podKey(pod))
	}
	got := drain(r, p)
	if len(got.Pods) != 3 || len(got.Workloads) != 2 {
		t.Fatalf("first delta: %d pods, %d workloads; want 3 and 2 (the Rollout, the bare pod)", len(got.Pods), len(got.Workloads))
	}

	del(t, w.pods, a)
	p.Add(podKey(a))
	got = drain(r, p)
	if len(got.Deleted) != 1 || got.Deleted[0].Kind != runwatchv1.ObjectKind_OBJECT_KIND_POD || len(got.Workloads) != 0 {
		t.Fatalf("after one of two pods went: %v; want only the pod deleted", got)
	}

	del(t, w.pods, b)
	del(t, w.pods, bare)
	p.Add(podKey(b))
	p.Add(podKey(bare))
	got = drain(r, p)
	kinds := map[runwatchv1.ObjectKind]int{}
	for _, d := range got.Deleted {
		kinds[d.Kind]++
	}
	if kinds[runwatchv1.ObjectKind_OBJECT_KIND_POD] != 2 || kinds[runwatchv1.ObjectKind_OBJECT_KIND_WORKLOAD] != 2 {
		t.Fatalf("after the last pods went: %v; want 2 pods and 2 workloads deleted", got.Deleted)
	}
}

// An object whose reported fields did not change is not sent again, and
// an object never reported is not deleted.
func TestUnchangedObjectsAreNotResent(t *testing.T) {
	r, w, p := offlineReporter(t)
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", UID: "n-1", ResourceVersion: "1"}}
	put(t, w, w.nodes, node)
	p.Add(key{kind: kindNode, name: "n1"})
	if got := drain(r, p); len(got.Nodes) != 1 {
		t.Fatalf("first: %v", got)
	}
	// A new resource version with the same reported fields (a heartbeat).
	hb := node.DeepCopy()
	hb.ResourceVersion = "2"
	put(t, w, w.nodes, hb)
	p.Add(key{kind: kindNode, name: "n1"})
	if got := drain(r, p); len(got.Nodes) != 0 {
		t.Fatalf("a heartbeat was resent: %v", got)
	}
	// A pod created and deleted between two batches is never mentioned.
	ghost := barePod("ghost")
	p.Add(podKey(ghost))
	if got := drain(r, p); len(got.Deleted) != 0 || len(got.Pods) != 0 {
		t.Fatalf("an unreported pod was deleted: %v", got)
	}
}

// The snapshot holds every object once, in chunks of at most max, the
// workloads before the pods, and leaves nothing pending.
func TestSnapshotChunks(t *testing.T) {
	r, w, p := offlineReporter(t)
	fillCluster(t, w, 3, 40)
	put(t, w, w.pods, barePod("bare"))
	put(t, w, w.pods, barePod("canary-1", controllerRef("rollouts.example.com/v1", "Rollout", "canary", "ro-1")))
	var chunks []*runwatchv1.ReportInventoryRequest
	lasts := 0
	n, err := r.snapshot(25, func(req *runwatchv1.ReportInventoryRequest, last bool) error {
		if last {
			lasts++
		}
		chunks = append(chunks, req)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	total, podsSeen := 0, false
	for _, c := range chunks {
		if batchSize(c) > 25 {
			t.Errorf("chunk of %d objects", batchSize(c))
		}
		if podsSeen && len(c.Workloads) > 0 {
			t.Error("a workload in a chunk after the pods began")
		}
		podsSeen = podsSeen || len(c.Pods) > 0
		total += batchSize(c)
	}
	// 3 nodes, 1 namespace, 3 Deployments (ReplicaSets are not top-level),
	// the bare pod's and the Rollout's workloads, 122 pods.
	if want := 3 + 1 + 3 + 2 + 122; total != want || n != want || lasts != 1 {
		t.Fatalf("snapshot of %d objects (reported %d, %d last chunks), want %d", total, n, lasts, want)
	}
	if p.Len() != 0 {
		t.Fatalf("the snapshot left %d keys pending", p.Len())
	}
}

// fillCluster puts nodes × perNode pods, one Deployment (and ReplicaSet)
// per node, into the caches.
func fillCluster(t testing.TB, w *watcher, nodes, perNode int) {
	put(t, w, w.nss, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns", UID: "ns-1"}})
	for i := range nodes {
		node := fmt.Sprintf("node-%02d", i)
		put(t, w, w.nodes, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: node, UID: types.UID(node)},
			Spec: corev1.NodeSpec{ProviderID: "kwok://" + node}})
		dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: fmt.Sprintf("app-%02d", i), UID: types.UID(fmt.Sprintf("dep-%02d", i))}}
		put(t, w, w.byGK[owner.Deployment], dep)
		rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: dep.Name + "-abc", UID: types.UID("rs-" + dep.Name),
			OwnerReferences: []metav1.OwnerReference{controllerRef("apps/v1", "Deployment", dep.Name, dep.UID)}}}
		put(t, w, w.byGK[owner.ReplicaSet], rs)
		for j := range perNode {
			name := fmt.Sprintf("%s-%03d", rs.Name, j)
			put(t, w, w.pods, &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID("pod-" + name), Labels: map[string]string{"app": dep.Name},
					OwnerReferences: []metav1.OwnerReference{controllerRef("apps/v1", "ReplicaSet", rs.Name, rs.UID)}},
				Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "app", Image: "registry.example.com/" + dep.Name + ":1.0"}}},
				Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "app",
					ImageID:     "registry.example.com/" + dep.Name + "@sha256:4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac",
					ContainerID: "containerd://0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
					State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}},
			})
		}
	}
}

// BenchmarkSnapshot5000Pods builds (and hashes, but does not send) the
// snapshot of 5,000 pods of 50 Deployments on 50 nodes.
func BenchmarkSnapshot5000Pods(b *testing.B) {
	r, w, _ := offlineReporter(b)
	fillCluster(b, w, 50, 100)
	b.ReportAllocs()
	for b.Loop() {
		objects, err := r.snapshot(500, func(*runwatchv1.ReportInventoryRequest, bool) error { return nil })
		if err != nil || objects != 50+1+50+5000 {
			b.Fatalf("%d objects, %v", objects, err)
		}
	}
}
