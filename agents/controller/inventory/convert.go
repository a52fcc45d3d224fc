// Package inventory turns Kubernetes objects into the inventory messages
// the controller reports (NodeInfo, NamespaceInfo, WorkloadInfo, PodInfo).
// It is pure: no API calls, no caches; what it needs of other objects (a
// pod's resolved workload) is passed in.
package inventory

import (
	"fmt"
	"maps"
	"strings"

	runwatchv1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/runwatch/runwatch/agents/controller/image"
	"github.com/runwatch/runwatch/agents/controller/owner"
	"github.com/runwatch/runwatch/agents/controller/provider"
	"github.com/runwatch/runwatch/agents/sensor/nodelabel"
	"github.com/runwatch/runwatch/domain"
	rules "github.com/runwatch/runwatch/domain/inventory"
)

// Node converts a node. A node is reported with sensor_disabled by the
// sensor's own rule (nodelabel.Disabled), the rule by which the sensor stands
// down and the DaemonSet's node affinity keeps its pod off the node: the
// platform must not show a node as disabled while a sensor runs on it.
func Node(n *corev1.Node) *runwatchv1.NodeInfo {
	info := n.Status.NodeInfo
	ready := false
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			ready = c.Status == corev1.ConditionTrue
		}
	}
	return &runwatchv1.NodeInfo{
		Name:                    n.Name,
		Uid:                     string(n.UID),
		KernelVersion:           info.KernelVersion,
		OsImage:                 info.OSImage,
		Architecture:            info.Architecture,
		ContainerRuntimeVersion: info.ContainerRuntimeVersion,
		KubeletVersion:          info.KubeletVersion,
		ProviderId:              n.Spec.ProviderID,
		Provider:                provider.FromProviderID(n.Spec.ProviderID),
		Labels:                  copyLabels(n.Labels),
		SensorDisabled:          nodelabel.Disabled(n.Labels),
		Ready:                   ready,
		CreatedAt:               timestamp(n.CreationTimestamp),
	}
}

// Namespace converts a namespace.
func Namespace(ns *corev1.Namespace) *runwatchv1.NamespaceInfo {
	return &runwatchv1.NamespaceInfo{
		Name:      ns.Name,
		Uid:       string(ns.UID),
		Labels:    copyLabels(ns.Labels),
		CreatedAt: timestamp(ns.CreationTimestamp),
	}
}

// Workload converts a workload object of a watched kind. It returns an error
// for any other type.
func Workload(obj any) (*runwatchv1.WorkloadInfo, error) {
	var (
		meta     metav1.Object
		kind     string
		api      string
		replicas int32
	)
	switch o := obj.(type) {
	case *appsv1.Deployment:
		meta, kind, api, replicas = o, "Deployment", "apps/v1", replicasOr1(o.Spec.Replicas)
	case *appsv1.StatefulSet:
		meta, kind, api, replicas = o, "StatefulSet", "apps/v1", replicasOr1(o.Spec.Replicas)
	case *appsv1.ReplicaSet:
		meta, kind, api, replicas = o, "ReplicaSet", "apps/v1", replicasOr1(o.Spec.Replicas)
	case *appsv1.DaemonSet:
		// A DaemonSet has no replica count; how many pods it wants is what its
		// controller computed from the nodes.
		meta, kind, api, replicas = o, "DaemonSet", "apps/v1", o.Status.DesiredNumberScheduled
	case *batchv1.Job:
		meta, kind, api = o, "Job", "batch/v1"
	case *batchv1.CronJob:
		meta, kind, api = o, "CronJob", "batch/v1"
	default:
		return nil, fmt.Errorf("not a workload kind: %T", obj)
	}
	return &runwatchv1.WorkloadInfo{
		Uid:             string(meta.GetUID()),
		Kind:            kind,
		ApiVersion:      api,
		Namespace:       meta.GetNamespace(),
		Name:            meta.GetName(),
		Labels:          copyLabels(meta.GetLabels()),
		DesiredReplicas: replicas,
		CreatedAt:       timestamp(meta.GetCreationTimestamp()),
	}, nil
}

// WorkloadFromRef is the workload for an owner known only by reference (a
// custom resource, or a watched owner not in the cache), or for a bare pod
// (then pod is that pod, for its labels and creation time).
func WorkloadFromRef(w owner.Workload, pod *corev1.Pod) *runwatchv1.WorkloadInfo {
	info := &runwatchv1.WorkloadInfo{
		Uid:        string(w.UID),
		Kind:       w.Kind,
		ApiVersion: w.APIVersion,
		Namespace:  w.Namespace,
		Name:       w.Name,
	}
	if pod != nil && pod.UID == w.UID {
		info.Labels = copyLabels(pod.Labels)
		info.DesiredReplicas = 1
		info.CreatedAt = timestamp(pod.CreationTimestamp)
	}
	return info
}

// Warning is something about a pod worth a log line: its data could not be
// fully used, and the report says so rather than guessing.
type Warning struct {
	Container string
	Message   string
}

// Pod converts a pod with its resolved workload. Warnings name what could not
// be parsed (a malformed image id or container id); those fields are left
// empty, never filled with a guess.
func Pod(p *corev1.Pod, w owner.Result) (*runwatchv1.PodInfo, []Warning) {
	info := &runwatchv1.PodInfo{
		Uid:                 string(p.UID),
		Namespace:           p.Namespace,
		Name:                p.Name,
		NodeName:            p.Spec.NodeName,
		WorkloadUid:         string(w.Workload.UID),
		WorkloadKind:        w.Workload.Kind,
		WorkloadName:        w.Workload.Name,
		Labels:              copyLabels(p.Labels),
		Phase:               string(p.Status.Phase),
		CreatedAt:           timestamp(p.CreationTimestamp),
		OwnerResolutionNote: w.Note,
	}
	var warnings []Warning
	add := func(kind runwatchv1.ContainerKind, name, specImage string, statuses []corev1.ContainerStatus) {
		c, warn := container(kind, name, specImage, findStatus(statuses, name))
		info.Containers = append(info.Containers, c)
		warnings = append(warnings, warn...)
	}
	for _, c := range p.Spec.InitContainers {
		add(runwatchv1.ContainerKind_CONTAINER_KIND_INIT, c.Name, c.Image, p.Status.InitContainerStatuses)
	}
	for _, c := range p.Spec.Containers {
		add(runwatchv1.ContainerKind_CONTAINER_KIND_REGULAR, c.Name, c.Image, p.Status.ContainerStatuses)
	}
	for _, c := range p.Spec.EphemeralContainers {
		add(runwatchv1.ContainerKind_CONTAINER_KIND_EPHEMERAL, c.Name, c.Image, p.Status.EphemeralContainerStatuses)
	}
	return info, warnings
}

func findStatus(statuses []corev1.ContainerStatus, name string) *corev1.ContainerStatus {
	for i := range statuses {
		if statuses[i].Name == name {
			return &statuses[i]
		}
	}
	return nil
}

func container(kind runwatchv1.ContainerKind, name, specImage string, st *corev1.ContainerStatus) (*runwatchv1.ContainerInfo, []Warning) {
	c := &runwatchv1.ContainerInfo{Name: name, Kind: kind, Image: specImage}
	if st == nil {
		// No status yet: the pod is not scheduled, or the kubelet has not
		// reported. Nothing more is known, and nothing is wrong.
		return c, nil
	}
	if c.Image == "" {
		c.Image = st.Image
	}
	var warnings []Warning
	c.ImageId = st.ImageID
	running := image.ResolveRunning(specImage, st.ImageID)
	c.ImageDigest = string(running.Digest)
	if running.Err != nil {
		warnings = append(warnings, Warning{Container: name, Message: running.Err.Error()})
	}
	if st.ContainerID != "" {
		runtime, id, err := ParseContainerID(st.ContainerID)
		if err != nil {
			warnings = append(warnings, Warning{Container: name, Message: err.Error()})
		} else {
			c.Runtime, c.ContainerId = runtime, id
		}
	}
	c.RestartCount = st.RestartCount
	switch {
	case st.State.Running != nil:
		c.State = runwatchv1.ContainerState_CONTAINER_STATE_RUNNING
		c.StartedAt = timestamp(st.State.Running.StartedAt)
	case st.State.Terminated != nil:
		c.State = runwatchv1.ContainerState_CONTAINER_STATE_TERMINATED
		c.StartedAt = timestamp(st.State.Terminated.StartedAt)
	case st.State.Waiting != nil:
		c.State = runwatchv1.ContainerState_CONTAINER_STATE_WAITING
	}
	return c, warnings
}

// ParseContainerID splits a status containerID, "<runtime>://<id>", e.g.
// "containerd://4f1c…". The id must pass the platform's own rule
// (domain/inventory.ValidateContainerID: letters, digits, "-", "_", ".",
// at most 128 characters), so the controller never sends an id the
// platform refuses, and it can be joined with what the sensor reads from
// cgroup paths.
func ParseContainerID(s string) (runtime, id string, err error) {
	runtime, id, ok := strings.Cut(s, "://")
	if !ok {
		return "", "", fmt.Errorf("container id %q: no <runtime>:// prefix", domain.Clip(s))
	}
	if runtime == "" || len(runtime) > 32 {
		return "", "", fmt.Errorf("container id %q: invalid runtime", domain.Clip(s))
	}
	for i := 0; i < len(runtime); i++ {
		if c := runtime[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return "", "", fmt.Errorf("container id %q: invalid runtime %q", domain.Clip(s), domain.Clip(runtime))
		}
	}
	if id == "" {
		return "", "", fmt.Errorf("container id %q: empty id", domain.Clip(s))
	}
	if err := rules.ValidateContainerID(id); err != nil {
		return "", "", fmt.Errorf("status containerID %q: %w", domain.Clip(s), err)
	}
	return runtime, id, nil
}

func replicasOr1(r *int32) int32 {
	// The API server defaults an unset replica count to 1.
	if r == nil {
		return 1
	}
	return *r
}

func copyLabels(l map[string]string) map[string]string {
	if len(l) == 0 {
		return nil
	}
	return maps.Clone(l)
}

func timestamp(t metav1.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t.Time)
}
