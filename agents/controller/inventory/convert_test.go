package inventory

import (
	"strings"
	"testing"
	"time"

	runwatchv1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/runwatch/runwatch/agents/controller/owner"
	"github.com/runwatch/runwatch/agents/sensor/nodelabel"
)

const digestA = "sha256:4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac"
const cid = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestNode(t *testing.T) {
	created := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "n1", UID: "u1", CreationTimestamp: created,
			Labels: map[string]string{"runwatch.io/sensor": "disabled", "zone": "a"}},
		Spec: corev1.NodeSpec{ProviderID: "aws:///eu-west-1a/i-1"},
		Status: corev1.NodeStatus{
			NodeInfo: corev1.NodeSystemInfo{KernelVersion: "6.1.0", OSImage: "Debian 12", Architecture: "amd64",
				ContainerRuntimeVersion: "containerd://2.1.4", KubeletVersion: "v1.37.2"},
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse}, {Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
		},
	}
	got := Node(n)
	if got.Name != "n1" || got.Uid != "u1" || got.KernelVersion != "6.1.0" || got.OsImage != "Debian 12" ||
		got.Architecture != "amd64" || got.ContainerRuntimeVersion != "containerd://2.1.4" || got.KubeletVersion != "v1.37.2" ||
		got.ProviderId != "aws:///eu-west-1a/i-1" || got.Provider != "aws" || !got.SensorDisabled || !got.Ready ||
		got.Labels["zone"] != "a" || !got.CreatedAt.AsTime().Equal(created.Time) {
		t.Fatalf("Node() = %v", got)
	}
	// The labels are copied, not shared with the cache.
	got.Labels["zone"] = "b"
	if n.Labels["zone"] != "a" {
		t.Fatal("Node() shares its labels map with the object")
	}

	n.Labels = map[string]string{"runwatch.io/sensor": "enabled"}
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionUnknown}}
	if got := Node(n); got.SensorDisabled || got.Ready {
		t.Fatalf("Node() = %v, want sensor enabled and not ready", got)
	}
	if got := Node(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "bare"}}); got.Ready || got.Provider != "" || got.CreatedAt != nil {
		t.Fatalf("Node() of an empty node = %v", got)
	}
}

// TestNodeSensorDisabledMatchesTheSensor: sensor_disabled follows the
// rule the sensor and its DaemonSet's node affinity apply (label values
// are case-sensitive), so a node is never shown disabled while a sensor
// runs on it.
func TestNodeSensorDisabledMatchesTheSensor(t *testing.T) {
	for _, v := range []string{"disabled", "Disabled", "DISABLED", "enabled", ""} {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: map[string]string{nodelabel.DisabledLabel: v}}}
		if got, want := Node(n).SensorDisabled, nodelabel.Disabled(n.Labels); got != want {
			t.Errorf("label %q: sensor_disabled %v, but the sensor stands down: %v", v, got, want)
		}
	}
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: map[string]string{nodelabel.DisabledLabel: "Disabled"}}}
	if Node(n).SensorDisabled {
		t.Error(`runwatch.io/sensor=Disabled reported as sensor_disabled; the DaemonSet's affinity (NotIn ["disabled"]) still runs a sensor there`)
	}
}

func TestWorkload(t *testing.T) {
	three := int32(3)
	tests := []struct {
		obj      any
		kind     string
		api      string
		replicas int32
	}{
		{&appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: &three}}, "Deployment", "apps/v1", 3},
		{&appsv1.Deployment{}, "Deployment", "apps/v1", 1},
		{&appsv1.StatefulSet{Spec: appsv1.StatefulSetSpec{Replicas: &three}}, "StatefulSet", "apps/v1", 3},
		{&appsv1.ReplicaSet{Spec: appsv1.ReplicaSetSpec{Replicas: &three}}, "ReplicaSet", "apps/v1", 3},
		{&appsv1.DaemonSet{Status: appsv1.DaemonSetStatus{DesiredNumberScheduled: 7}}, "DaemonSet", "apps/v1", 7},
		{&batchv1.Job{}, "Job", "batch/v1", 0},
		{&batchv1.CronJob{}, "CronJob", "batch/v1", 0},
	}
	for _, tt := range tests {
		got, err := Workload(tt.obj)
		if err != nil {
			t.Fatalf("Workload(%T): %v", tt.obj, err)
		}
		if got.Kind != tt.kind || got.ApiVersion != tt.api || got.DesiredReplicas != tt.replicas {
			t.Errorf("Workload(%T) = %v, want %s %s %d", tt.obj, got, tt.kind, tt.api, tt.replicas)
		}
	}
	if _, err := Workload(&corev1.Pod{}); err == nil {
		t.Error("Workload(*Pod) did not fail")
	}
}

func TestWorkloadFromRef(t *testing.T) {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{UID: "p1", Labels: map[string]string{"a": "b"}}}
	bare := WorkloadFromRef(owner.Workload{APIVersion: "v1", Kind: "Pod", Namespace: "ns", Name: "p", UID: "p1"}, p)
	if bare.Kind != "Pod" || bare.Labels["a"] != "b" || bare.DesiredReplicas != 1 {
		t.Errorf("bare pod workload = %v", bare)
	}
	custom := WorkloadFromRef(owner.Workload{APIVersion: "argoproj.io/v1alpha1", Kind: "Rollout", Namespace: "ns", Name: "r", UID: "r1"}, p)
	if custom.Kind != "Rollout" || custom.ApiVersion != "argoproj.io/v1alpha1" || custom.Labels != nil || custom.Uid != "r1" {
		t.Errorf("custom workload = %v", custom)
	}
}

func TestPod(t *testing.T) {
	started := metav1.NewTime(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1", UID: "pod-1", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{
			NodeName:       "n1",
			InitContainers: []corev1.Container{{Name: "migrate", Image: "ghcr.io/shop/migrate:1"}},
			Containers: []corev1.Container{
				{Name: "web", Image: "nginx:1.27"},
				{Name: "sidecar", Image: "busybox"},
				{Name: "local", Image: "app:dev"},
				{Name: "broken", Image: "nginx:1.27"},
			},
			EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Image: "busybox:1.36"}}},
		},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning,
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "migrate", ImageID: "ghcr.io/shop/migrate@" + digestA,
				ContainerID: "containerd://" + cid, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{StartedAt: started}}}},
			ContainerStatuses: []corev1.ContainerStatus{
				// Statuses come in any order; they are matched by name.
				{Name: "sidecar", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}},
				{Name: "web", ImageID: "docker-pullable://nginx@" + digestA, ContainerID: "docker://" + cid, RestartCount: 2,
					State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}}},
				{Name: "local", ImageID: "sha256:" + cid, ContainerID: "cri-o://" + cid, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
				{Name: "broken", ImageID: "garbage!", ContainerID: "no-prefix", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
			},
		},
	}
	w := owner.Result{Workload: owner.Workload{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web", UID: "dep-1"}, Known: true}
	got, warnings := Pod(p, w)
	if got.Uid != "pod-1" || got.Namespace != "shop" || got.Name != "web-1" || got.NodeName != "n1" || got.Phase != "Running" ||
		got.WorkloadUid != "dep-1" || got.WorkloadKind != "Deployment" || got.WorkloadName != "web" || got.Labels["app"] != "web" {
		t.Fatalf("Pod() = %v", got)
	}
	byName := map[string]*runwatchv1.ContainerInfo{}
	var order []string
	for _, c := range got.Containers {
		byName[c.Name] = c
		order = append(order, c.Name)
	}
	if strings.Join(order, ",") != "migrate,web,sidecar,local,broken,debug" {
		t.Errorf("containers in order %v", order)
	}
	type want struct {
		kind     runwatchv1.ContainerKind
		digest   string
		runtime  string
		id       string
		state    runwatchv1.ContainerState
		restarts int32
	}
	for name, w := range map[string]want{
		"migrate": {runwatchv1.ContainerKind_CONTAINER_KIND_INIT, digestA, "containerd", cid, runwatchv1.ContainerState_CONTAINER_STATE_TERMINATED, 0},
		"web":     {runwatchv1.ContainerKind_CONTAINER_KIND_REGULAR, digestA, "docker", cid, runwatchv1.ContainerState_CONTAINER_STATE_RUNNING, 2},
		"sidecar": {runwatchv1.ContainerKind_CONTAINER_KIND_REGULAR, "", "", "", runwatchv1.ContainerState_CONTAINER_STATE_WAITING, 0},
		// A local image id is not a registry digest: reported as written, no digest.
		"local":  {runwatchv1.ContainerKind_CONTAINER_KIND_REGULAR, "", "cri-o", cid, runwatchv1.ContainerState_CONTAINER_STATE_RUNNING, 0},
		"broken": {runwatchv1.ContainerKind_CONTAINER_KIND_REGULAR, "", "", "", runwatchv1.ContainerState_CONTAINER_STATE_RUNNING, 0},
		"debug":  {runwatchv1.ContainerKind_CONTAINER_KIND_EPHEMERAL, "", "", "", runwatchv1.ContainerState_CONTAINER_STATE_UNSPECIFIED, 0},
	} {
		c := byName[name]
		if c == nil {
			t.Errorf("no container %q", name)
			continue
		}
		if c.Kind != w.kind || c.ImageDigest != w.digest || c.Runtime != w.runtime || c.ContainerId != w.id || c.State != w.state || c.RestartCount != w.restarts {
			t.Errorf("container %s = %v, want %+v", name, c, w)
		}
	}
	if byName["web"].Image != "nginx:1.27" || byName["web"].ImageId != "docker-pullable://nginx@"+digestA || !byName["web"].StartedAt.AsTime().Equal(started.Time) {
		t.Errorf("web = %v", byName["web"])
	}
	if byName["local"].ImageId != "sha256:"+cid {
		t.Errorf("local image id not kept as written: %v", byName["local"])
	}
	// The broken container's image id and container id are both warned about.
	if len(warnings) != 2 || warnings[0].Container != "broken" || warnings[1].Container != "broken" {
		t.Errorf("warnings = %+v, want two for the broken container", warnings)
	}
}

func TestPodWithoutStatus(t *testing.T) {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p", UID: "u"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}
	got, warnings := Pod(p, owner.Result{Workload: owner.Workload{Kind: "Pod", UID: "u", Name: "p"}, Note: ""})
	if len(warnings) != 0 || len(got.Containers) != 1 || got.Containers[0].State != runwatchv1.ContainerState_CONTAINER_STATE_UNSPECIFIED || got.NodeName != "" || got.Phase != "" {
		t.Fatalf("Pod() without status = %v, %v", got, warnings)
	}
	got, _ = Pod(p, owner.Result{Workload: owner.Workload{Kind: "ReplicaSet", UID: "rs"}, Note: "not in the cache"})
	if got.OwnerResolutionNote != "not in the cache" {
		t.Fatalf("note not carried: %v", got)
	}
}

func TestParseContainerID(t *testing.T) {
	for in, want := range map[string][2]string{
		"containerd://" + cid: {"containerd", cid},
		"cri-o://" + cid:      {"cri-o", cid},
		"docker://" + cid:     {"docker", cid},
		"kwok://pod-1_c.x":    {"kwok", "pod-1_c.x"},
	} {
		r, id, err := ParseContainerID(in)
		if err != nil || r != want[0] || id != want[1] {
			t.Errorf("ParseContainerID(%q) = %q, %q, %v", in, r, id, err)
		}
	}
	for _, in := range []string{"", cid, "containerd://", "://" + cid, "Containerd://" + cid, "containerd://a/b", "containerd://" + strings.Repeat("a", 129), "containerd://a b"} {
		if r, id, err := ParseContainerID(in); err == nil {
			t.Errorf("ParseContainerID(%q) = %q, %q, want an error", in, r, id)
		}
	}
}

// maxContainerIDLength is the platform's bound on a container id
// (domain/inventory.ValidateContainerID).
const maxContainerIDLength = 128

func FuzzParseContainerID(f *testing.F) {
	for _, s := range []string{"containerd://" + cid, "docker://x", "", "://", "a://b://c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, id, err := ParseContainerID(s)
		if err != nil {
			return
		}
		if r+"://"+id != s || r == "" || id == "" || strings.Contains(id, "/") || len(id) > maxContainerIDLength {
			t.Fatalf("ParseContainerID(%q) = %q, %q", s, r, id)
		}
	})
}
