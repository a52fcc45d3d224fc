package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	runwatchv1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/runwatch/runwatch/agents/internal/kubetest"
)

const (
	digestA = "sha256:4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac"
	digestB = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	digestC = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
)

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// eventually polls f until it returns nil.
func eventually(tb testing.TB, timeout time.Duration, what string, f func() error) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: still %v after %s", what, err, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestInventoryThroughThePlatform: the controller binary reports a cluster
// to the platform binary, and the platform's query API shows every
// container with its workload and digest; a rollout, a delete and a
// platform restart (with changes while it is down) show too.
func TestInventoryThroughThePlatform(t *testing.T) {
	c := need(t)
	kube := c.Client()
	ctx := context.Background()
	space := "e2e"
	node := "e2e-node"
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: space}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().Nodes().Create(ctx, kubetest.FakeNode(node), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().Nodes().Create(ctx, kubetest.FakeNode("e2e-spare"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.AppsV1().Deployments(space).Create(ctx,
		kubetest.Deployment(space, "worker", 1, node, map[string]string{"worker": "ghcr.io/shop/worker@" + digestB}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dep, err := kube.AppsV1().Deployments(space).Create(ctx,
		kubetest.Deployment(space, "web", 3, node, map[string]string{"web": "docker.io/library/nginx@" + digestA}), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A bare pod whose kubelet (the test) reports Docker's image id form for
	// one container and nonsense for the other.
	bare, err := kube.CoreV1().Pods(space).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "tool"},
		Spec: corev1.PodSpec{NodeName: "node-not-registered", TerminationGracePeriodSeconds: new(int64), Containers: []corev1.Container{
			{Name: "tool", Image: "ghcr.io/shop/tool:3"}, {Name: "odd", Image: "ghcr.io/shop/odd:1"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bare.Status = corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{
		{Name: "tool", ImageID: "docker-pullable://ghcr.io/shop/tool@" + digestB, ContainerID: "docker://" + strings.Repeat("d", 64),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}},
		{Name: "odd", ImageID: "this is not an image id", ContainerID: "containerd://" + strings.Repeat("e", 64),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}},
	}}
	if _, err := kube.CoreV1().Pods(space).UpdateStatus(ctx, bare, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	kubetest.WaitPodsRunning(t, kube, space, "app=web", 3)
	kubetest.WaitPodsRunning(t, kube, space, "app=worker", 1)

	dir := t.TempDir()
	pl := startPlatform(t, dir, "")
	token := pl.CreateToken(t, "e2e")
	ctl := startController(t, dir, pl.URL, token, "e2e-cluster")
	ctl.WaitReady(t, ctl.health+"/readyz", 60*time.Second)
	inv := pl.Inventory()
	now := &runwatchv1.Filter{Namespace: space, Window: runwatchv1.TimeWindow_TIME_WINDOW_NOW}

	eventually(t, 30*time.Second, "all containers with workloads and digests", func() error {
		got, err := containers(ctx, inv, now)
		if err != nil {
			return err
		}
		var web int
		var tool, odd *runwatchv1.Container
		for _, ctr := range got {
			switch {
			case ctr.GetWorkload().GetName() == "web":
				if ctr.Workload.Kind != "Deployment" || ctr.Workload.Uid != string(dep.UID) || ctr.ImageDigest != digestA || ctr.NodeName != node ||
					ctr.ContainerId == "" || ctr.State != runwatchv1.ContainerState_CONTAINER_STATE_RUNNING || ctr.ClusterName != "e2e" {
					return fmt.Errorf("web container %v", ctr)
				}
				web++
			case ctr.Name == "tool":
				tool = ctr
			case ctr.Name == "odd":
				odd = ctr
			case ctr.Name == "worker":
			default:
				return fmt.Errorf("unexpected container %v", ctr)
			}
		}
		if web != 3 || tool == nil || odd == nil {
			return fmt.Errorf("%d web containers, tool %v, odd %v (of %d)", web, tool, odd, len(got))
		}
		if tool.Workload.GetKind() != "Pod" || tool.Workload.GetUid() != string(bare.UID) || tool.ImageDigest != digestB || tool.NodeName != "node-not-registered" {
			return fmt.Errorf("tool container %v", tool)
		}
		// A malformed image id yields no digest, never a guessed one.
		if odd.ImageDigest != "" || odd.ContainerId != strings.Repeat("e", 64) {
			return fmt.Errorf("odd container %v", odd)
		}
		return nil
	})

	kubeSystem, err := kube.CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the cluster with its connected controller", func() error {
		res, err := inv.ListClusters(ctx, connect.NewRequest(&runwatchv1.ListClustersRequest{Filter: &runwatchv1.Filter{Cluster: "e2e"}}))
		if err != nil {
			return err
		}
		if len(res.Msg.Clusters) != 1 {
			return fmt.Errorf("clusters %v", res.Msg.Clusters)
		}
		cl := res.Msg.Clusters[0]
		if cl.Uid != string(kubeSystem.UID) || cl.KubernetesVersion != kubetest.Version || cl.Provider != "kwok" ||
			cl.Controller.GetStatus() != runwatchv1.ControllerStatus_CONTROLLER_STATUS_CONNECTED || cl.Controller.GetVersion() != "dev" ||
			cl.Controller.GetLastHeartbeat() == nil || cl.Controller.GetLastReport() == nil {
			return fmt.Errorf("cluster %v", cl)
		}
		return nil
	})
	nodes, err := inv.ListNodes(ctx, connect.NewRequest(&runwatchv1.ListNodesRequest{Filter: &runwatchv1.Filter{Cluster: "e2e", Node: node}}))
	if err != nil || len(nodes.Msg.Nodes) != 1 || nodes.Msg.Nodes[0].KernelVersion != "6.1.0-kwok" || nodes.Msg.Nodes[0].Provider != "kwok" || !nodes.Msg.Nodes[0].Ready {
		t.Errorf("ListNodes = %v, %v", nodes, err)
	}
	// A node labelled runwatch.io/sensor=disabled shows so.
	nodeObj, err := kube.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nodeObj.Labels["runwatch.io/sensor"] = "disabled"
	if _, err := kube.CoreV1().Nodes().Update(ctx, nodeObj, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the node's sensor disabled", func() error {
		res, err := inv.ListNodes(ctx, connect.NewRequest(&runwatchv1.ListNodesRequest{Filter: &runwatchv1.Filter{Cluster: "e2e", Node: node}}))
		if err != nil || len(res.Msg.Nodes) != 1 {
			return fmt.Errorf("%v, %v", res, err)
		}
		if st := res.Msg.Nodes[0].GetSensor().GetStatus(); st != runwatchv1.SensorStatus_SENSOR_STATUS_DISABLED {
			return fmt.Errorf("sensor status %v", st)
		}
		return nil
	})
	workloads, err := inv.ListWorkloads(ctx, connect.NewRequest(&runwatchv1.ListWorkloadsRequest{Filter: now}))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, w := range workloads.Msg.Workloads {
		names = append(names, w.Kind+"/"+w.Name)
		if w.Name == "web" && (w.Pods != 3 || w.DesiredReplicas != 3 || len(w.Images) != 1 || w.Images[0] != digestA) {
			t.Errorf("Deployment workload = %v", w)
		}
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "Deployment/web,Deployment/worker,Pod/tool" {
		t.Errorf("workloads = %v", names)
	}

	// A deleted node and a deleted Deployment are gone from what runs now.
	eventually(t, 10*time.Second, "the spare node listed", func() error {
		nodes, err := inv.ListNodes(ctx, connect.NewRequest(&runwatchv1.ListNodesRequest{Filter: &runwatchv1.Filter{Cluster: "e2e", Node: "e2e-spare", Window: runwatchv1.TimeWindow_TIME_WINDOW_NOW}}))
		if err != nil || len(nodes.Msg.Nodes) != 1 {
			return fmt.Errorf("%v, %v", nodes, err)
		}
		return nil
	})
	if err := kube.CoreV1().Nodes().Delete(ctx, "e2e-spare", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	background := metav1.DeletePropagationBackground
	if err := kube.AppsV1().Deployments(space).Delete(ctx, "worker", metav1.DeleteOptions{PropagationPolicy: &background}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the deleted node and Deployment gone", func() error {
		nodes, err := inv.ListNodes(ctx, connect.NewRequest(&runwatchv1.ListNodesRequest{Filter: &runwatchv1.Filter{Cluster: "e2e", Window: runwatchv1.TimeWindow_TIME_WINDOW_NOW}}))
		if err != nil {
			return err
		}
		for _, n := range nodes.Msg.Nodes {
			if n.Name == "e2e-spare" {
				return fmt.Errorf("node e2e-spare still listed as running: %v", n)
			}
		}
		ws, err := inv.ListWorkloads(ctx, connect.NewRequest(&runwatchv1.ListWorkloadsRequest{Filter: now}))
		if err != nil {
			return err
		}
		for _, w := range ws.Msg.Workloads {
			if w.Name == "worker" {
				return fmt.Errorf("workload worker still listed as running: %v", w)
			}
		}
		got, err := containers(ctx, inv, &runwatchv1.Filter{Namespace: space, Workload: "worker", Window: runwatchv1.TimeWindow_TIME_WINDOW_NOW})
		if err != nil {
			return err
		}
		if len(got) != 0 {
			return fmt.Errorf("%d worker containers still running", len(got))
		}
		return nil
	})

	// A rollout to a new digest shows, and the old pods are gone.
	dep, err = kube.AppsV1().Deployments(space).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dep.Spec.Template.Annotations[kubetest.KwokImageIDAnnotation+"web"] = "docker.io/library/nginx@" + digestC
	if _, err := kube.AppsV1().Deployments(space).Update(ctx, dep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := kube.CoreV1().Pods(space).Delete(ctx, "tool", metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "the rollout and the delete", func() error {
		got, err := containers(ctx, inv, now)
		if err != nil {
			return err
		}
		web := 0
		for _, ctr := range got {
			if ctr.Name == "tool" || ctr.Name == "odd" {
				return fmt.Errorf("deleted pod's container %s still running", ctr.Name)
			}
			if ctr.ImageDigest != digestC {
				return fmt.Errorf("container %s/%s runs %s", ctr.PodName, ctr.Name, ctr.ImageDigest)
			}
			web++
		}
		if web != 3 {
			return fmt.Errorf("%d web containers", web)
		}
		return nil
	})

	// The platform goes away; the cluster changes (a pod it knew is
	// deleted, a Deployment scales up); the platform comes back on the same
	// address and data, and the controller's new snapshot repairs the gap.
	ghost, err := kube.CoreV1().Pods(space).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "ghost"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "ghost", Image: "busybox"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the ghost pod", func() error {
		got, err := containers(ctx, inv, &runwatchv1.Filter{Namespace: space, Workload: "ghost", Window: runwatchv1.TimeWindow_TIME_WINDOW_NOW})
		if err != nil || len(got) != 1 {
			return fmt.Errorf("%d containers, %v", len(got), err)
		}
		return nil
	})
	if err := pl.Stop(); err != nil {
		t.Fatalf("platform stop: %v", err)
	}
	if err := kube.CoreV1().Pods(space).Delete(ctx, ghost.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
		t.Fatal(err)
	}
	five := int32(5)
	dep, err = kube.AppsV1().Deployments(space).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dep.Spec.Replicas = &five
	if _, err := kube.AppsV1().Deployments(space).Update(ctx, dep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	kubetest.WaitPodsRunning(t, kube, space, "app=web", 5)
	time.Sleep(2 * time.Second) // the controller notices the outage
	pl2 := startPlatform(t, dir, pl.Addr)
	inv = pl2.Inventory()
	eventually(t, 90*time.Second, "the changes made while the platform was down", func() error {
		got, err := containers(ctx, inv, now)
		if err != nil {
			return err
		}
		if len(got) != 5 {
			return fmt.Errorf("%d containers, want the 5 of web (the ghost pod is gone)", len(got))
		}
		for _, ctr := range got {
			if ctr.Name == "ghost" {
				return fmt.Errorf("the deleted ghost pod is still running")
			}
		}
		return nil
	})

	// The metrics say what the controller watches and sent.
	metrics := httpGet(t, ctl.health+"/metrics")
	for _, want := range []string{`runwatch_controller_watched_objects{kind="pods"}`, `runwatch_controller_batches_sent_total{type="snapshot"}`,
		`runwatch_controller_batches_sent_total{type="delta"}`, `runwatch_controller_send_errors_total{code="unavailable",rpc="ReportInventory"}`,
		"runwatch_controller_pending_changes ", "runwatch_controller_connected 1", "runwatch_controller_snapshots_total "} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if got := httpGet(t, ctl.health+"/healthz"); got != "ok\n" {
		t.Errorf("/healthz = %q", got)
	}

	// The controller stops cleanly on SIGTERM, and says so: the platform
	// shows it disconnected at once, not when its heartbeats go stale.
	if err := ctl.Stop(); err != nil {
		t.Errorf("controller exit on SIGTERM: %v\n%s", err, ctl.Tail())
	}
	res, err := inv.ListClusters(ctx, connect.NewRequest(&runwatchv1.ListClustersRequest{Filter: &runwatchv1.Filter{Cluster: "e2e"}}))
	if err != nil {
		t.Fatal(err)
	}
	if cl := res.Msg.GetClusters(); len(cl) != 1 || cl[0].GetController().GetStatus() != runwatchv1.ControllerStatus_CONTROLLER_STATUS_DISCONNECTED {
		t.Errorf("controller after SIGTERM: %v", cl)
	}

	// What changes while no controller runs reaches the platform only
	// through the next controller's snapshot: the platform must mark gone
	// what that snapshot no longer holds.
	dep, err = kube.AppsV1().Deployments(space).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	two := int32(2)
	dep.Spec.Replicas = &two
	if _, err := kube.AppsV1().Deployments(space).Update(ctx, dep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	kubetest.WaitPodsRunning(t, kube, space, "app=web", 2)
	dir2 := t.TempDir()
	ctl2 := startController(t, dir2, pl2.URL, token, "e2e-cluster")
	ctl2.WaitReady(t, ctl2.health+"/readyz", 60*time.Second)
	eventually(t, 30*time.Second, "the snapshot of a new controller reconciled", func() error {
		got, err := containers(ctx, inv, now)
		if err != nil {
			return err
		}
		if len(got) != 2 {
			return fmt.Errorf("%d containers run, want 2", len(got))
		}
		return nil
	})
	if err := ctl2.Stop(); err != nil {
		t.Errorf("controller exit on SIGTERM: %v", err)
	}
}
