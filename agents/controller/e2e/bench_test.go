package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	runwatchv1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/runwatch/runwatch/agents/internal/kubetest"
)

const (
	benchNodes    = 50
	benchReplicas = 100 // per Deployment, one Deployment per node
	benchNS       = "scale"
)

func digestOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// BenchmarkInventory measures the controller's figures on 5,000 pods (50
// Deployments of 100 on 50 kwok nodes), with the real platform on SQLite:
//
//   - s/inventory: from the controller's start until the platform's query
//     API returns all 5,000 containers with their workloads and digests;
//   - s/snapshot: the snapshot as the controller timed it (building it and
//     the platform committing every chunk), and s/platform-ingest: the time
//     the platform spent serving those ReportInventory calls (its
//     runwatch_rpc_duration_seconds);
//   - MiB/peak-rss: the controller process's peak resident memory;
//   - s/rollout: from a Deployment's update until the query API shows its
//     100 new containers (and only those), and s/rollout-after-running: the
//     part after the last new pod ran in Kubernetes (what the controller and
//     the platform add to kwok's simulated kubelet).
//
// Run it with ./task bench:controller.
func BenchmarkInventory(b *testing.B) {
	c := need(b)
	kube := c.Client()
	ctx := context.Background()
	b.StopTimer()

	setupStart := time.Now()
	if _, err := kube.CoreV1().Namespaces().Get(ctx, benchNS, metav1.GetOptions{}); err != nil {
		if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: benchNS}}, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		for i := range benchNodes {
			node := fmt.Sprintf("scale-node-%02d", i)
			if _, err := kube.CoreV1().Nodes().Create(ctx, kubetest.FakeNode(node), metav1.CreateOptions{}); err != nil {
				b.Fatal(err)
			}
			name := fmt.Sprintf("app-%02d", i)
			dep := kubetest.Deployment(benchNS, name, benchReplicas, node,
				map[string]string{"app": "registry.example.com/shop/" + name + "@" + digestOf(name)})
			if _, err := kube.AppsV1().Deployments(benchNS).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	total := benchNodes * benchReplicas
	lastLog := time.Now()
	err := wait.PollUntilContextTimeout(ctx, time.Second, 10*time.Minute, true, func(ctx context.Context) (bool, error) {
		list, err := kube.CoreV1().Pods(benchNS).List(ctx, metav1.ListOptions{ResourceVersion: "0"})
		if err != nil {
			return false, nil
		}
		running := 0
		for _, p := range list.Items {
			if p.Status.Phase == corev1.PodRunning {
				running++
			}
		}
		if time.Since(lastLog) > 10*time.Second {
			b.Logf("setup: %d of %d pods running after %s", running, total, time.Since(setupStart).Round(time.Second))
			lastLog = time.Now()
		}
		return running == total && len(list.Items) == total, nil
	})
	if err != nil {
		b.Fatalf("setup: pods not running: %v", err)
	}
	b.Logf("setup: %d pods on %d nodes running after %s", total, benchNodes, time.Since(setupStart).Round(time.Second))

	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		pl := startPlatform(b, dir, "")
		token := pl.CreateToken(b, fmt.Sprintf("scale-%d", i))
		inv := pl.Inventory()
		filter := &runwatchv1.Filter{Namespace: benchNS, Window: runwatchv1.TimeWindow_TIME_WINDOW_NOW}

		b.StartTimer()
		start := time.Now()
		ctl := startController(b, dir, pl.URL, token, "scale")
		var complete time.Duration
		for {
			got, err := containers(ctx, inv, filter)
			if err == nil && allAttributed(got, total) {
				complete = time.Since(start)
				break
			}
			if time.Since(start) > 3*time.Minute {
				b.Fatalf("the inventory is not complete after 3 minutes (%v; %s):\n%s", err, describe(got), ctl.Tail())
			}
			time.Sleep(100 * time.Millisecond)
		}
		b.StopTimer()
		snapshot, err := ctl.snapshotTook()
		if err != nil {
			b.Fatal(err)
		}
		ingest, err := pl.RPCSeconds("/runwatch.v1.ControllerService/ReportInventory")
		if err != nil {
			b.Fatal(err)
		}

		// A rollout of one Deployment to a new digest.
		name := fmt.Sprintf("app-%02d", (i*7+3)%benchNodes)
		dep, err := kube.AppsV1().Deployments(benchNS).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			b.Fatal(err)
		}
		newDigest := digestOf(fmt.Sprintf("%s-rollout-%d-%d", name, i, time.Now().UnixNano()))
		dep.Spec.Template.Annotations[kubetest.KwokImageIDAnnotation+"app"] = "registry.example.com/shop/" + name + "@" + newDigest
		rolloutStart := time.Now()
		if _, err := kube.AppsV1().Deployments(benchNS).Update(ctx, dep, metav1.UpdateOptions{}); err != nil {
			b.Fatal(err)
		}
		var ranAt, visibleAt time.Time
		wf := &runwatchv1.Filter{Namespace: benchNS, Workload: string(dep.UID), Window: runwatchv1.TimeWindow_TIME_WINDOW_NOW}
		for visibleAt.IsZero() {
			if ranAt.IsZero() && rolledOut(ctx, b, name, newDigest) {
				ranAt = time.Now()
			}
			got, err := containers(ctx, inv, wf)
			if err == nil && len(got) == benchReplicas && allDigest(got, newDigest) {
				visibleAt = time.Now()
			}
			if time.Since(rolloutStart) > 3*time.Minute {
				b.Fatalf("rollout not visible after 3 minutes (pods ran: %v; %s):\n%s", !ranAt.IsZero(), describe(got), ctl.Tail())
			}
			time.Sleep(50 * time.Millisecond)
		}
		if ranAt.IsZero() {
			ranAt = visibleAt
		}
		rss, err := ctl.PeakRSS()
		if err != nil {
			b.Fatal(err)
		}
		if err := ctl.Stop(); err != nil {
			b.Errorf("controller stop: %v", err)
		}
		b.ReportMetric(complete.Seconds(), "s/inventory")
		b.ReportMetric(snapshot.Seconds(), "s/snapshot")
		b.ReportMetric(ingest, "s/platform-ingest")
		b.ReportMetric(float64(rss)/(1<<20), "MiB/peak-rss")
		b.ReportMetric(visibleAt.Sub(rolloutStart).Seconds(), "s/rollout")
		b.ReportMetric(visibleAt.Sub(ranAt).Seconds(), "s/rollout-after-running")
		b.Logf("inventory of %d containers complete after %s (snapshot %s, of which the platform served ReportInventory for %.3fs); controller peak RSS %.1f MiB; rollout of %s visible after %s (%s after its pods ran)",
			total, complete.Round(time.Millisecond), snapshot.Round(time.Millisecond), ingest, float64(rss)/(1<<20), name,
			visibleAt.Sub(rolloutStart).Round(time.Millisecond), visibleAt.Sub(ranAt).Round(time.Millisecond))
	}
}

// allAttributed: n containers, each with a Deployment and a digest.
func allAttributed(cs []*runwatchv1.Container, n int) bool {
	if len(cs) != n {
		return false
	}
	for _, c := range cs {
		if c.GetWorkload().GetKind() != "Deployment" || c.ImageDigest == "" {
			return false
		}
	}
	return true
}

// describe summarises a list of containers for a failure message.
func describe(cs []*runwatchv1.Container) string {
	kinds, digests := map[string]int{}, map[string]int{}
	for _, c := range cs {
		kinds[c.GetWorkload().GetKind()]++
		digests[c.ImageDigest]++
	}
	sample := ""
	if len(cs) > 0 {
		sample = cs[0].String()
	}
	return fmt.Sprintf("%d containers, workload kinds %v, %d distinct digests (%d empty); first: %s", len(cs), kinds, len(digests), digests[""], sample)
}

func allDigest(cs []*runwatchv1.Container, d string) bool {
	for _, c := range cs {
		if c.ImageDigest != d {
			return false
		}
	}
	return true
}

// rolledOut: the Deployment's pods all run the new image id in Kubernetes.
func rolledOut(ctx context.Context, b *testing.B, app, digest string) bool {
	list, err := cluster.Client().CoreV1().Pods(benchNS).List(ctx, metav1.ListOptions{LabelSelector: "app=" + app, ResourceVersion: "0"})
	if err != nil {
		return false
	}
	n := 0
	for _, p := range list.Items {
		if p.Status.Phase != corev1.PodRunning || len(p.Status.ContainerStatuses) != 1 {
			return false
		}
		if p.Status.ContainerStatuses[0].ImageID != "registry.example.com/shop/"+app+"@"+digest {
			return false
		}
		n++
	}
	return n == benchReplicas
}
