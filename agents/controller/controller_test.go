package controller

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/prometheus/client_golang/prometheus/testutil"
	runwatchv1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/runwatch/runwatch/agents/internal/kubetest"
)

const (
	digestA = "sha256:4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac"
	digestB = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	digestC = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
)

// eventually polls f until it returns nil.
func eventually(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %v after %s", what, err, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return c
}

func mustCreateNamespace(t *testing.T, kube kubernetes.Interface, name string) {
	t.Helper()
	if _, err := kube.CoreV1().Namespaces().Create(ctx(t), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name,
		Labels: map[string]string{"team": "shop"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func mustCreateNode(t *testing.T, kube kubernetes.Interface, name string) {
	t.Helper()
	if _, err := kube.CoreV1().Nodes().Create(ctx(t), kubetest.FakeNode(name), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func controllerRef(apiVersion, kind, name string, uid types.UID) metav1.OwnerReference {
	yes := true
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: uid, Controller: &yes, BlockOwnerDeletion: &yes}
}

// TestSnapshotAndDeltas runs a controller against a cluster holding every
// kind of workload, and checks what it reports: a snapshot that attributes
// every container to its top-level workload and image digest, then deltas
// for a rollout, deletes and a node label, without another snapshot.
func TestSnapshotAndDeltas(t *testing.T) {
	c := needCluster(t)
	kube := c.Client()
	space := ns(t, "shop")
	node := space + "-node"
	mustCreateNamespace(t, kube, space)
	mustCreateNode(t, kube, node)

	// A Deployment (through its ReplicaSet), on a kwok node.
	dep := kubetest.Deployment(space, "web", 2, node, map[string]string{"web": "docker.io/library/nginx@" + digestA})
	dep, err := kube.AppsV1().Deployments(space).Create(ctx(t), dep, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A StatefulSet.
	ssTemplate := kubetest.Deployment(space, "db", 1, node, map[string]string{"db": "docker.io/library/postgres@" + digestB}).Spec.Template
	replicas := int32(1)
	ss, err := kube.AppsV1().StatefulSets(space).Create(ctx(t), &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "db"},
		Spec:       appsv1.StatefulSetSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}, Template: ssTemplate},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A Job of a CronJob (made the way the CronJob controller makes them;
	// the CronJob is suspended so it makes no others).
	suspend := true
	jobTemplate := kubetest.Deployment(space, "report", 1, node, map[string]string{"report": "ghcr.io/shop/report@" + digestC}).Spec.Template
	jobTemplate.Spec.RestartPolicy = corev1.RestartPolicyNever
	cj, err := kube.BatchV1().CronJobs(space).Create(ctx(t), &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "nightly"},
		Spec: batchv1.CronJobSpec{Schedule: "0 3 * * *", Suspend: &suspend, JobTemplate: batchv1.JobTemplateSpec{
			Spec: batchv1.JobSpec{Template: jobTemplate}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kube.BatchV1().Jobs(space).Create(ctx(t), &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "nightly-1", OwnerReferences: []metav1.OwnerReference{controllerRef("batch/v1", "CronJob", "nightly", cj.UID)}},
		Spec:       batchv1.JobSpec{Template: jobTemplate},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A bare pod on a node nobody knows, with init, regular and ephemeral
	// containers; the test plays its kubelet, reporting the image id forms
	// of Docker and of containerd for an image without a registry digest.
	bare, err := kube.CoreV1().Pods(space).Create(ctx(t), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "debug-me", Labels: map[string]string{"app": "debug"}},
		Spec: corev1.PodSpec{NodeName: "node-not-registered", TerminationGracePeriodSeconds: new(int64),
			InitContainers: []corev1.Container{{Name: "init", Image: "ghcr.io/shop/init:2"}},
			Containers:     []corev1.Container{{Name: "main", Image: "shop/local:dev"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bare.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name: "debugger", Image: "busybox:1.36", TerminationMessagePolicy: corev1.TerminationMessageReadFile, ImagePullPolicy: corev1.PullIfNotPresent}}}
	if bare, err = kube.CoreV1().Pods(space).UpdateEphemeralContainers(ctx(t), "debug-me", bare, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	now := metav1.Now()
	bare.Status = corev1.PodStatus{Phase: corev1.PodRunning,
		InitContainerStatuses: []corev1.ContainerStatus{{Name: "init", Image: "ghcr.io/shop/init:2",
			ImageID: "docker-pullable://ghcr.io/shop/init@" + digestB, ContainerID: "docker://" + strings.Repeat("a", 64),
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, StartedAt: now, FinishedAt: now}}}},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "main", Image: "shop/local:dev",
			ImageID: "sha256:" + strings.Repeat("b", 64), ContainerID: "cri-o://" + strings.Repeat("c", 64), RestartCount: 3,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}}},
		EphemeralContainerStatuses: []corev1.ContainerStatus{{Name: "debugger", Image: "busybox:1.36",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}},
	}
	if _, err := kube.CoreV1().Pods(space).UpdateStatus(ctx(t), bare, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A pod of a custom workload kind (an Argo Rollout's would look so).
	if _, err := kube.CoreV1().Pods(space).Create(ctx(t), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "canary-1", OwnerReferences: []metav1.OwnerReference{
			controllerRef("rollouts.example.com/v1", "Rollout", "canary", "0b5e4a7e-0000-4000-8000-00000000c0de")}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "ghcr.io/shop/app:1"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	webPods := kubetest.WaitPodsRunning(t, kube, space, "app=web", 2)
	kubetest.WaitPodsRunning(t, kube, space, "app=db", 1)
	kubetest.WaitPodsRunning(t, kube, space, "app=report", 1)

	rec := newRecorder(t, "token-1")
	run := startController(t, rec, "token-1", Config{ClusterName: "dev", BatchDelay: 100 * time.Millisecond}, nil)

	rec.waitFor(t, 30*time.Second, "a snapshot with the test's pods", func() bool {
		return rec.snapshots() >= 1 && len(rec.view.podsIn(space)) == 6
	})
	eventually(t, 5*time.Second, "ready after the snapshot", func() error { return run.ctl.Ready() })

	rec.mu.Lock()
	kubeSystem, err := kube.CoreV1().Namespaces().Get(ctx(t), "kube-system", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reg := rec.registers[0]
	if reg.ClusterUid != string(kubeSystem.UID) || reg.ClusterName != "dev" || reg.KubernetesVersion != kubetest.Version ||
		reg.Provider != "kwok" || reg.ControllerVersion != "v0.0.0-test" {
		t.Errorf("registration = %v", reg)
	}
	// Snapshot chunks: at most the platform's bound, one snapshot id, only
	// the last complete.
	var chunks []*runwatchv1.ReportInventoryRequest
	for _, b := range rec.accepted {
		if b.SnapshotId != "" {
			chunks = append(chunks, b)
		}
	}
	for i, b := range chunks {
		if b.SnapshotId != chunks[0].SnapshotId || b.SnapshotComplete != (i == len(chunks)-1) || batchSize(b) > int(rec.maxBatch) || b.BatchId == "" {
			t.Errorf("snapshot chunk %d of %d: id %s complete %v size %d", i, len(chunks), b.SnapshotId, b.SnapshotComplete, batchSize(b))
		}
	}

	workloads := rec.view.workloadsIn(space)
	var kinds []string
	for k := range workloads {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	if want := []string{"CronJob/nightly", "Deployment/web", "Pod/debug-me", "Rollout/canary", "StatefulSet/db"}; !slices.Equal(kinds, want) {
		t.Errorf("workloads = %v, want %v (no ReplicaSet or Job: they are not top-level)", kinds, want)
	}
	if w := workloads["Deployment/web"]; w == nil || w.Uid != string(dep.UID) || w.DesiredReplicas != 2 || w.Labels["app"] != "web" {
		t.Errorf("Deployment workload = %v", w)
	}
	if w := workloads["Rollout/canary"]; w == nil || w.ApiVersion != "rollouts.example.com/v1" || w.Uid != "0b5e4a7e-0000-4000-8000-00000000c0de" {
		t.Errorf("custom workload = %v", w)
	}

	byName := map[string]*runwatchv1.PodInfo{}
	for _, p := range rec.view.podsIn(space) {
		byName[p.Name] = p
	}
	for _, wp := range webPods {
		p := byName[wp.Name]
		if p == nil {
			t.Errorf("pod %s not reported", wp.Name)
			continue
		}
		if p.WorkloadKind != "Deployment" || p.WorkloadName != "web" || p.WorkloadUid != string(dep.UID) || p.NodeName != node || p.Phase != "Running" {
			t.Errorf("web pod = %v", p)
		}
		if len(p.Containers) != 1 || p.Containers[0].ImageDigest != digestA || p.Containers[0].Image != "docker.io/library/nginx:1.0" ||
			p.Containers[0].Runtime != "containerd" || p.Containers[0].ContainerId == "" || p.Containers[0].State != runwatchv1.ContainerState_CONTAINER_STATE_RUNNING {
			t.Errorf("web container = %v", p.Containers)
		}
	}
	if p := byName["db-0"]; p == nil || p.WorkloadKind != "StatefulSet" || p.WorkloadUid != string(ss.UID) || p.Containers[0].ImageDigest != digestB {
		t.Errorf("statefulset pod = %v", p)
	}
	for name, p := range byName {
		if strings.HasPrefix(name, "nightly-1-") && (p.WorkloadKind != "CronJob" || p.WorkloadUid != string(cj.UID) || p.Containers[0].ImageDigest != digestC) {
			t.Errorf("job pod = %v", p)
		}
	}
	if p := byName["canary-1"]; p == nil || p.WorkloadKind != "Rollout" || p.WorkloadName != "canary" || p.OwnerResolutionNote != "" {
		t.Errorf("custom-owned pod = %v", p)
	}
	p := byName["debug-me"]
	if p == nil || p.WorkloadKind != "Pod" || p.WorkloadUid != string(bare.UID) || p.NodeName != "node-not-registered" || len(p.Containers) != 3 {
		t.Fatalf("bare pod = %v", p)
	}
	initC, mainC, debugC := p.Containers[0], p.Containers[1], p.Containers[2]
	if initC.Kind != runwatchv1.ContainerKind_CONTAINER_KIND_INIT || initC.ImageDigest != digestB || initC.Runtime != "docker" ||
		initC.State != runwatchv1.ContainerState_CONTAINER_STATE_TERMINATED {
		t.Errorf("init container = %v", initC)
	}
	// A local image id is kept as written, and is not taken for a digest.
	if mainC.Kind != runwatchv1.ContainerKind_CONTAINER_KIND_REGULAR || mainC.ImageDigest != "" || mainC.ImageId != "sha256:"+strings.Repeat("b", 64) ||
		mainC.Runtime != "cri-o" || mainC.RestartCount != 3 {
		t.Errorf("main container = %v", mainC)
	}
	if debugC.Kind != runwatchv1.ContainerKind_CONTAINER_KIND_EPHEMERAL || debugC.Image != "busybox:1.36" || debugC.State != runwatchv1.ContainerState_CONTAINER_STATE_WAITING {
		t.Errorf("ephemeral container = %v", debugC)
	}
	if n := rec.view.nodes[node]; n == nil || n.Provider != "kwok" || n.KernelVersion != "6.1.0-kwok" || !n.Ready || n.SensorDisabled ||
		n.ContainerRuntimeVersion != "containerd://2.1.4" || n.KubeletVersion != "v1.37.2" {
		t.Errorf("node = %v", rec.view.nodes[node])
	}
	if n := rec.view.namespaces[space]; n == nil || n.Labels["team"] != "shop" {
		t.Errorf("namespace = %v", n)
	}
	snapshotsBefore := rec.snapshots()
	rec.mu.Unlock()

	// Heartbeats carry the version, the status and the cache sizes.
	rec.waitFor(t, 10*time.Second, "a heartbeat", func() bool { return len(rec.heartbeats) > 0 })
	rec.mu.Lock()
	hb := rec.heartbeats[len(rec.heartbeats)-1]
	if hb.ControllerVersion != "v0.0.0-test" || hb.Status != runwatchv1.ControllerStatus_CONTROLLER_STATUS_CONNECTED || hb.WatchedObjects["pods"] < 6 || hb.WatchedObjects["deployments"] < 1 {
		t.Errorf("heartbeat = %v", hb)
	}
	rec.mu.Unlock()

	// Deltas. A rollout: new pods with the new digest, the old ones gone.
	dep, err = kube.AppsV1().Deployments(space).Get(ctx(t), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dep.Spec.Template.Annotations[kubetest.KwokImageIDAnnotation+"web"] = "docker.io/library/nginx@" + digestC
	if _, err := kube.AppsV1().Deployments(space).Update(ctx(t), dep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The bare pod goes, and with it its workload.
	if err := kube.CoreV1().Pods(space).Delete(ctx(t), "debug-me", metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
		t.Fatal(err)
	}
	// The node is opted out of the sensor.
	nodeObj, err := kube.CoreV1().Nodes().Get(ctx(t), node, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nodeObj.Labels["runwatch.io/sensor"] = "disabled"
	if _, err := kube.CoreV1().Nodes().Update(ctx(t), nodeObj, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The CronJob goes, with its Job and pod (background cascade).
	background := metav1.DeletePropagationBackground
	if err := kube.BatchV1().CronJobs(space).Delete(ctx(t), "nightly", metav1.DeleteOptions{PropagationPolicy: &background}); err != nil {
		t.Fatal(err)
	}

	rec.waitFor(t, 60*time.Second, "the deltas", func() bool {
		web := 0
		for _, p := range rec.view.podsIn(space) {
			if p.WorkloadName == "web" {
				if p.Containers[0].ImageDigest != digestC || p.Containers[0].State != runwatchv1.ContainerState_CONTAINER_STATE_RUNNING {
					return false
				}
				web++
			}
			if p.Name == "debug-me" || strings.HasPrefix(p.Name, "nightly-") {
				return false
			}
		}
		w := rec.view.workloadsIn(space)
		n := rec.view.nodes[node]
		return web == 2 && w["Pod/debug-me"] == nil && w["CronJob/nightly"] == nil && n != nil && n.SensorDisabled
	})
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if got := rec.snapshots(); got != snapshotsBefore {
		t.Errorf("%d snapshots after the deltas, want %d: changes must go as deltas", got, snapshotsBefore)
	}
	ids := map[string]bool{}
	for _, b := range rec.accepted {
		if ids[b.BatchId] {
			t.Errorf("batch id %s used twice", b.BatchId)
		}
		ids[b.BatchId] = true
	}
	if got := rec.view.workloadsIn(space); got["ReplicaSet/"+dep.Name] != nil {
		t.Errorf("a ReplicaSet reported as a workload: %v", got)
	}
	eventually(t, 5*time.Second, "deltas counted in the metrics", func() error {
		if testutil.ToFloat64(run.ctl.m.batches.WithLabelValues("delta")) < 1 {
			return errors.New("no delta counted")
		}
		return nil
	})
}

// TestOutageLosesNothing fails every call for a while, changes the cluster
// meanwhile, and checks that once the platform is back the controller
// registers again and sends a snapshot holding the changes.
func TestOutageLosesNothing(t *testing.T) {
	c := needCluster(t)
	kube := c.Client()
	space := ns(t, "outage")
	node := space + "-node"
	mustCreateNamespace(t, kube, space)
	mustCreateNode(t, kube, node)
	if _, err := kube.AppsV1().Deployments(space).Create(ctx(t),
		kubetest.Deployment(space, "api", 1, node, map[string]string{"api": "ghcr.io/shop/api@" + digestA}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kubetest.WaitPodsRunning(t, kube, space, "app=api", 1)

	rec := newRecorder(t, "tok")
	run := startController(t, rec, "tok", Config{BatchDelay: 50 * time.Millisecond}, nil)
	rec.waitFor(t, 30*time.Second, "the first snapshot", func() bool { return rec.snapshots() == 1 && len(rec.view.podsIn(space)) == 1 })

	rec.setFail(func(rpc string) error {
		if rpc == "ReportInventory" {
			return connect.NewError(connect.CodeUnavailable, nil)
		}
		return nil
	})
	rec.mu.Lock()
	callsAtOutage := len(rec.attempts)
	rec.mu.Unlock()

	dep, err := kube.AppsV1().Deployments(space).Get(ctx(t), "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	three := int32(3)
	dep.Spec.Replicas = &three
	if _, err := kube.AppsV1().Deployments(space).Update(ctx(t), dep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	kubetest.WaitPodsRunning(t, kube, space, "app=api", 3)
	// The failed delta is retried with the same batch id before the session
	// is given up.
	rec.waitFor(t, 20*time.Second, "retries of the failed delta", func() bool {
		seen := map[string]int{}
		for _, b := range rec.attempts[callsAtOutage:] {
			seen[b.BatchId]++
			if seen[b.BatchId] >= attemptsPerBatch {
				return true
			}
		}
		return false
	})
	eventually(t, 5*time.Second, "unready while the platform is down", func() error {
		if run.ctl.Ready() == nil {
			return errors.New("ready")
		}
		return nil
	})

	rec.setFail(nil)
	rec.waitFor(t, 90*time.Second, "a new snapshot with the scaled deployment", func() bool {
		return rec.snapshots() == 2 && len(rec.view.podsIn(space)) == 3
	})
	rec.mu.Lock()
	if len(rec.registers) < 2 {
		t.Errorf("%d registrations: the controller must register again after an outage", len(rec.registers))
	}
	rec.mu.Unlock()
	eventually(t, 5*time.Second, "ready after the outage", func() error { return run.ctl.Ready() })
	if testutil.ToFloat64(run.ctl.m.sendErrors.WithLabelValues("ReportInventory", connect.CodeUnavailable.String())) < 1 {
		t.Error("send errors not counted")
	}
}

// TestRejectedTokenAndSlowPlatform: the controller keeps running while the
// platform rejects its token or answers too slowly, is not ready meanwhile,
// and connects as soon as the platform lets it.
func TestRejectedTokenAndSlowPlatform(t *testing.T) {
	needCluster(t)
	rec := newRecorder(t, "the-right-token")
	run := startController(t, rec, "a-wrong-token", Config{RPCTimeout: 300 * time.Millisecond}, nil)
	rec.waitFor(t, 30*time.Second, "rejected calls", func() bool { return rec.calls >= 2 })
	err := run.ctl.Ready()
	if err == nil || connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Errorf("Ready() = %v, want the platform's rejection", err)
	}
	rec.mu.Lock()
	if len(rec.accepted) != 0 || len(rec.registers) != 0 {
		t.Error("data accepted with a wrong token")
	}
	// The platform now answers slower than the controller waits.
	rec.token = "a-wrong-token"
	rec.mu.Unlock()
	rec.setDelay(time.Second)
	rec.waitFor(t, 30*time.Second, "timed out calls", func() bool {
		return testutil.ToFloat64(run.ctl.m.sendErrors.WithLabelValues("RegisterCluster", connect.CodeDeadlineExceeded.String())) >= 2
	})
	eventually(t, 5*time.Second, "unready while every call times out", func() error {
		if run.ctl.Ready() == nil {
			return errors.New("ready")
		}
		return nil
	})
	rec.setDelay(0)
	rec.waitFor(t, 90*time.Second, "a snapshot once the platform answers in time", func() bool { return rec.snapshots() == 1 })
}

// TestChangesCoalesce: many changes of one object between two batches are
// reported once; more changed objects than the pending bound holds turn
// into one snapshot.
func TestChangesCoalesce(t *testing.T) {
	c := needCluster(t)
	kube := c.Client()
	space := ns(t, "churn")
	mustCreateNamespace(t, kube, space)
	pod, err := kube.CoreV1().Pods(space).Create(ctx(t), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "busy"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder(t, "tok")
	run := startController(t, rec, "tok", Config{BatchDelay: 3 * time.Second, MaxPending: 5}, nil)
	rec.waitFor(t, 30*time.Second, "the first snapshot", func() bool { return rec.snapshots() == 1 })

	for i := range 20 {
		pod.Labels = map[string]string{"generation": string(rune('a' + i))}
		if pod, err = kube.CoreV1().Pods(space).Update(ctx(t), pod, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	rec.waitFor(t, 20*time.Second, "the pod's last labels", func() bool {
		p := rec.view.pods[string(pod.UID)]
		return p != nil && p.Labels["generation"] == "t"
	})
	rec.mu.Lock()
	upserts := 0
	for _, b := range rec.accepted {
		for _, p := range b.Pods {
			if p.Uid == string(pod.UID) && b.SnapshotId == "" {
				upserts++
			}
		}
	}
	rec.mu.Unlock()
	// One delta, or two when a batch window opened by an unrelated change
	// closed while the updates were still arriving.
	if upserts < 1 || upserts > 2 {
		t.Errorf("20 changes reported in %d deltas, want them coalesced into 1 (at most 2)", upserts)
	}

	// Seven new pods: more than the five pending changes the controller may
	// hold, so it drops them and sends a snapshot instead.
	for i := range 7 {
		if _, err := kube.CoreV1().Pods(space).Create(ctx(t), &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "extra-" + string(rune('a'+i))},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	rec.waitFor(t, 20*time.Second, "a snapshot with the new pods", func() bool {
		return rec.snapshots() == 2 && len(rec.view.podsIn(space)) == 8
	})
	if got := testutil.ToFloat64(run.ctl.m.overflows); got < 1 {
		t.Errorf("overflows = %v, want at least 1", got)
	}
}
