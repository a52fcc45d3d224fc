// Package inventory holds what a cluster is made of, as its controller
// reports it: nodes, namespaces, top-level workloads, pods and their
// containers, and the rules that decide whether a report is acceptable.
package inventory

import (
	"time"

	"github.com/runwatch/runwatch/domain"
)

// ContainerKind says which list of the pod spec a container is in.
type ContainerKind string

const (
	ContainerRegular   ContainerKind = "regular"
	ContainerInit      ContainerKind = "init"
	ContainerEphemeral ContainerKind = "ephemeral"
)

// ContainerState is the state in the pod status.
type ContainerState string

const (
	StateWaiting    ContainerState = "waiting"
	StateRunning    ContainerState = "running"
	StateTerminated ContainerState = "terminated"
)

// Node is a Kubernetes node.
type Node struct {
	Name                    string
	UID                     string
	KernelVersion           string
	OSImage                 string
	Architecture            string
	ContainerRuntimeVersion string
	KubeletVersion          string
	ProviderID              string
	Provider                string
	Labels                  map[string]string
	SensorDisabled          bool
	Ready                   bool
	CreatedAt               time.Time
}

// Namespace is a Kubernetes namespace.
type Namespace struct {
	Name      string
	UID       string
	Labels    map[string]string
	CreatedAt time.Time
}

// Workload is a top-level owner of pods.
type Workload struct {
	UID             string
	Kind            string
	APIVersion      string
	Namespace       string
	Name            string
	Labels          map[string]string
	DesiredReplicas int32
	CreatedAt       time.Time
}

// WorkloadRef names a pod's top-level owner.
type WorkloadRef struct {
	UID  string
	Kind string
	Name string
}

// Pod is a pod with its containers.
type Pod struct {
	UID        string
	Namespace  string
	Name       string
	NodeName   string
	Workload   WorkloadRef
	Labels     map[string]string
	Phase      string
	CreatedAt  time.Time
	Containers []Container
	// OwnerNote says why the owner chain stopped short of its top, if it did.
	OwnerNote string
}

// Container is one container of a pod.
type Container struct {
	Name         string
	Kind         ContainerKind
	Image        string
	ImageDigest  string
	ImageID      string
	ContainerID  string
	Runtime      string
	State        ContainerState
	RestartCount int32
	StartedAt    time.Time
}

// ObjectKind names what a delete refers to.
type ObjectKind string

const (
	KindNode      ObjectKind = "node"
	KindNamespace ObjectKind = "namespace"
	KindWorkload  ObjectKind = "workload"
	KindPod       ObjectKind = "pod"
)

// ObjectRef names an object to delete: nodes and namespaces by name,
// workloads and pods by uid.
type ObjectRef struct {
	Kind ObjectKind
	UID  string
	Name string
}

// Batch is one ReportInventory call: a chunk of a snapshot, or a delta.
type Batch struct {
	ID               string
	SnapshotID       string
	SnapshotComplete bool
	Nodes            []Node
	Namespaces       []Namespace
	Workloads        []Workload
	Pods             []Pod
	Deleted          []ObjectRef
}

// Objects counts the objects the batch carries.
func (b *Batch) Objects() int {
	return len(b.Nodes) + len(b.Namespaces) + len(b.Workloads) + len(b.Pods) + len(b.Deleted)
}

// IsSnapshot says whether the batch is a chunk of a full snapshot.
func (b *Batch) IsSnapshot() bool { return b.SnapshotID != "" }

// ApplyResult is what applying a batch did.
type ApplyResult struct {
	// Duplicate is true when the batch id had been applied before; nothing
	// changed this time.
	Duplicate  bool
	Applied    int
	MarkedGone int
	// Rejected are the objects Validate took out.
	Rejected []domain.Rejection
}

// Registration is what a controller says about its cluster when it starts.
type Registration struct {
	ClusterUID        string
	ClusterName       string
	KubernetesVersion string
	Provider          string
	ControllerVersion string
}
