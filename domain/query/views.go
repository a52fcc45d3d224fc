package query

import (
	"time"

	"github.com/runwatch/runwatch/domain/inventory"
	"github.com/runwatch/runwatch/domain/risk"
	"github.com/runwatch/runwatch/domain/runtime"
)

// The read models the query API serves: inventory and runtime records
// joined by container id, with counts.

// NodeCounts counts nodes by effective sensor status.
type NodeCounts struct {
	Total, Running, Degraded, Failed, Disabled, Restricted, NotInstalled, Stopped int64
}

// Add counts one node of a status.
func (c *NodeCounts) Add(s inventory.SensorStatus) {
	c.Total++
	switch s {
	case inventory.SensorRunning:
		c.Running++
	case inventory.SensorDegraded:
		c.Degraded++
	case inventory.SensorFailed:
		c.Failed++
	case inventory.SensorDisabled:
		c.Disabled++
	case inventory.SensorRestricted:
		c.Restricted++
	case inventory.SensorStopped:
		c.Stopped++
	default:
		c.NotInstalled++
	}
}

// Overview is the platform at a glance.
type Overview struct {
	Clusters           int64
	Nodes              NodeCounts
	Workloads          int64
	Images             int64
	Containers         int64
	Processes          int64
	LoadedFiles        int64
	DriftedExecutables int64
	// Risks are the open risks per kind over the images in scope.
	Risks []RiskTotal
}

// RiskTotal counts the open risks of one kind.
type RiskTotal struct {
	Kind risk.Kind
	// Images with at least one open risk of the kind.
	Images int64
	// Risks of the kind open on those images.
	Risks int64
}

// RiskTotals lists every kind of risk once, most severe first, with the
// counts found (kinds found none of are zero), so a reader sees that a
// kind was counted and is clear rather than wonder whether it was.
func RiskTotals(found []RiskTotal) []RiskTotal {
	out := make([]RiskTotal, len(risk.Kinds))
	for i, k := range risk.Kinds {
		out[i].Kind = k
		for _, f := range found {
			if f.Kind == k {
				out[i].Images += f.Images
				out[i].Risks += f.Risks
			}
		}
	}
	return out
}

// ClusterView is a cluster with its controller and counts.
type ClusterView struct {
	ID                string
	Name              string
	UID               string
	KubernetesVersion string
	Provider          string
	Controller        inventory.ControllerState
	Nodes             NodeCounts
	Workloads         int64
	CreatedAt         time.Time
}

// SensorView is a node's sensor as last heard.
type SensorView struct {
	Reported          inventory.SensorStatus
	Mode              string
	HookMode          string
	Version           string
	Message           string
	LastHeartbeat     time.Time
	Drops             runtime.Drops
	EventsReceived    uint64
	SpooledRecords    uint64
	Restricted        bool
	RestrictionReason string
}

// NodeView is a node with its sensor.
type NodeView struct {
	ClusterID   string
	ClusterName string
	inventory.Node
	Sensor     SensorView
	Pods       int64
	FirstSeen  time.Time
	LastSeen   time.Time
	GoneAt     time.Time
	SensorOnly bool
}

// WorkloadView is a workload with what runs it.
type WorkloadView struct {
	ClusterID   string
	ClusterName string
	inventory.Workload
	Pods       int64
	Containers int64
	Images     []string
	Nodes      []string
	Processes  int64
	FirstSeen  time.Time
	LastSeen   time.Time
	GoneAt     time.Time
}

// ContainerView is a container with its pod and workload.
type ContainerView struct {
	ClusterID   string
	ClusterName string
	NodeName    string
	Namespace   string
	PodName     string
	PodUID      string
	Workload    inventory.WorkloadRef
	inventory.Container
	FirstSeen time.Time
	GoneAt    time.Time
}

// ImageView is an image digest and what runs it.
type ImageView struct {
	Digest            string
	References        []string
	Repository        string
	Containers        int64
	RunningContainers int64
	Workloads         int64
	Clusters          int64
	Processes         int64
	LoadedFiles       int64
	FirstSeen         time.Time
	LastSeen          time.Time
}

// Attribution is what a runtime record's container belongs to, when the
// controller reported it.
type Attribution struct {
	Namespace     string
	PodName       string
	ContainerName string
	Workload      inventory.WorkloadRef
	Image         string
	ImageDigest   string
}

// ProcessView is a process record with its attribution.
type ProcessView struct {
	ID          int64
	ClusterID   string
	ClusterName string
	NodeName    string
	runtime.Process
	Attribution
}

// FileView is a file-load record with its attribution.
type FileView struct {
	ID          int64
	ClusterID   string
	ClusterName string
	NodeName    string
	runtime.FileLoad
	Attribution
}

// ImageDetail is an image with the first page of everything that runs it.
type ImageDetail struct {
	Image      ImageView
	Containers []ContainerView
	Workloads  []WorkloadView
	Processes  []ProcessView
	Files      []FileView
	Truncated  bool
}

// ProcessFilter narrows ListProcesses beyond the common filter.
type ProcessFilter struct {
	Filter
	SHA256    string
	DriftOnly bool
}

// FileFilter narrows ListLoadedFiles beyond the common filter.
type FileFilter struct {
	Filter
	SHA256     string
	Kind       runtime.FileKind
	PURLPrefix string
}

// Page is one page of a list and the cursor after its last row; Next is
// nil on the last page.
type Page[T any] struct {
	Items []T
	Next  Cursor
}
