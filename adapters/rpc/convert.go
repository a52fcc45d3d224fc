package rpc

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/runwatch/runwatch/domain/access"
	"github.com/runwatch/runwatch/domain/inventory"
	"github.com/runwatch/runwatch/domain/query"
	"github.com/runwatch/runwatch/domain/runtime"
	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
)

// enum maps a protobuf enum to a domain string type and back. Unspecified
// maps to "" (the domain decides whether that is allowed); a number the
// map does not know maps to a value no validation accepts, so unknown enum
// values are refused with a clear message instead of being guessed.
type enum[P ~int32, D ~string] struct {
	toDomain map[P]D
	toProto  map[D]P
}

func newEnum[P ~int32, D ~string](pairs map[P]D) enum[P, D] {
	e := enum[P, D]{toDomain: pairs, toProto: make(map[D]P, len(pairs))}
	for p, d := range pairs {
		e.toProto[d] = p
	}
	return e
}

func (e enum[P, D]) domain(p P) D {
	if p == 0 {
		return ""
	}
	if d, ok := e.toDomain[p]; ok {
		return d
	}
	return D(fmt.Sprintf("unknown enum value %d", int32(p)))
}

func (e enum[P, D]) proto(d D) P { return e.toProto[d] }

var (
	containerKinds = newEnum(map[v1.ContainerKind]inventory.ContainerKind{
		v1.ContainerKind_CONTAINER_KIND_REGULAR: inventory.ContainerRegular, v1.ContainerKind_CONTAINER_KIND_INIT: inventory.ContainerInit,
		v1.ContainerKind_CONTAINER_KIND_EPHEMERAL: inventory.ContainerEphemeral})
	containerStates = newEnum(map[v1.ContainerState]inventory.ContainerState{
		v1.ContainerState_CONTAINER_STATE_WAITING: inventory.StateWaiting, v1.ContainerState_CONTAINER_STATE_RUNNING: inventory.StateRunning,
		v1.ContainerState_CONTAINER_STATE_TERMINATED: inventory.StateTerminated})
	objectKinds = newEnum(map[v1.ObjectKind]inventory.ObjectKind{
		v1.ObjectKind_OBJECT_KIND_NODE: inventory.KindNode, v1.ObjectKind_OBJECT_KIND_NAMESPACE: inventory.KindNamespace,
		v1.ObjectKind_OBJECT_KIND_WORKLOAD: inventory.KindWorkload, v1.ObjectKind_OBJECT_KIND_POD: inventory.KindPod})
	runtimes = newEnum(map[v1.ContainerRuntime]runtime.Runtime{
		v1.ContainerRuntime_CONTAINER_RUNTIME_HOST: runtime.RuntimeHost, v1.ContainerRuntime_CONTAINER_RUNTIME_CONTAINERD: runtime.RuntimeContainerd,
		v1.ContainerRuntime_CONTAINER_RUNTIME_CRIO: runtime.RuntimeCRIO, v1.ContainerRuntime_CONTAINER_RUNTIME_DOCKER: runtime.RuntimeDocker,
		v1.ContainerRuntime_CONTAINER_RUNTIME_PODMAN: runtime.RuntimePodman, v1.ContainerRuntime_CONTAINER_RUNTIME_UNKNOWN: runtime.RuntimeUnknown})
	fileKinds = newEnum(map[v1.FileKind]runtime.FileKind{
		v1.FileKind_FILE_KIND_EXECUTABLE: runtime.FileExecutable, v1.FileKind_FILE_KIND_SHARED_LIBRARY: runtime.FileSharedLibrary,
		v1.FileKind_FILE_KIND_JAR: runtime.FileJar, v1.FileKind_FILE_KIND_SCRIPT: runtime.FileScript,
		v1.FileKind_FILE_KIND_INTERPRETED_MODULE: runtime.FileInterpretedModule})
	sensorModes = newEnum(map[v1.SensorMode]runtime.SensorMode{
		v1.SensorMode_SENSOR_MODE_KUBERNETES: runtime.ModeKubernetes, v1.SensorMode_SENSOR_MODE_HOST: runtime.ModeHost})
	hookModes = newEnum(map[v1.HookMode]runtime.HookMode{
		v1.HookMode_HOOK_MODE_LSM: runtime.HookLSM, v1.HookMode_HOOK_MODE_FENTRY: runtime.HookFentry,
		v1.HookMode_HOOK_MODE_TRACEPOINT: runtime.HookTracepoint})
	sensorStatuses = newEnum(map[v1.SensorStatus]inventory.SensorStatus{
		v1.SensorStatus_SENSOR_STATUS_NOT_INSTALLED: inventory.SensorNotInstalled, v1.SensorStatus_SENSOR_STATUS_RUNNING: inventory.SensorRunning,
		v1.SensorStatus_SENSOR_STATUS_DEGRADED: inventory.SensorDegraded, v1.SensorStatus_SENSOR_STATUS_FAILED: inventory.SensorFailed,
		v1.SensorStatus_SENSOR_STATUS_DISABLED: inventory.SensorDisabled, v1.SensorStatus_SENSOR_STATUS_RESTRICTED: inventory.SensorRestricted,
		v1.SensorStatus_SENSOR_STATUS_STOPPED: inventory.SensorStopped})
	controllerStatuses = newEnum(map[v1.ControllerStatus]inventory.ControllerStatus{
		v1.ControllerStatus_CONTROLLER_STATUS_NOT_CONNECTED: inventory.ControllerNotConnected,
		v1.ControllerStatus_CONTROLLER_STATUS_CONNECTED:     inventory.ControllerConnected,
		v1.ControllerStatus_CONTROLLER_STATUS_DEGRADED:      inventory.ControllerDegraded,
		v1.ControllerStatus_CONTROLLER_STATUS_DISCONNECTED:  inventory.ControllerDisconnected})
	tokenStates = newEnum(map[v1.RegistrationTokenState]access.TokenState{
		v1.RegistrationTokenState_REGISTRATION_TOKEN_STATE_ACTIVE:  access.TokenActive,
		v1.RegistrationTokenState_REGISTRATION_TOKEN_STATE_EXPIRED: access.TokenExpired,
		v1.RegistrationTokenState_REGISTRATION_TOKEN_STATE_REVOKED: access.TokenRevoked})
)

var windows = map[v1.TimeWindow]query.Window{
	v1.TimeWindow_TIME_WINDOW_UNSPECIFIED: query.WindowAll, v1.TimeWindow_TIME_WINDOW_NOW: query.WindowNow,
	v1.TimeWindow_TIME_WINDOW_1H: query.Window1h, v1.TimeWindow_TIME_WINDOW_24H: query.Window24h,
	v1.TimeWindow_TIME_WINDOW_3D: query.Window3d, v1.TimeWindow_TIME_WINDOW_7D: query.Window7d,
	v1.TimeWindow_TIME_WINDOW_10D: query.Window10d,
}

func window(w v1.TimeWindow) query.Window {
	if d, ok := windows[w]; ok {
		return d
	}
	return query.Window(-1) // invalid: Filter.Validate refuses it
}

// ts converts a time; the zero time is absent.
func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// fromTS converts a timestamp; absent is the zero time.
func fromTS(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

func dur(d time.Duration) *durationpb.Duration { return durationpb.New(d) }

// ---- ingest: proto to domain ----

func inventoryBatch(r *v1.ReportInventoryRequest) inventory.Batch {
	b := inventory.Batch{ID: r.GetBatchId(), SnapshotID: r.GetSnapshotId(), SnapshotComplete: r.GetSnapshotComplete(),
		Nodes: make([]inventory.Node, len(r.GetNodes())), Namespaces: make([]inventory.Namespace, len(r.GetNamespaces())),
		Workloads: make([]inventory.Workload, len(r.GetWorkloads())), Pods: make([]inventory.Pod, len(r.GetPods())),
		Deleted: make([]inventory.ObjectRef, len(r.GetDeleted()))}
	for i, n := range r.GetNodes() {
		b.Nodes[i] = inventory.Node{Name: n.GetName(), UID: n.GetUid(), KernelVersion: n.GetKernelVersion(), OSImage: n.GetOsImage(),
			Architecture: n.GetArchitecture(), ContainerRuntimeVersion: n.GetContainerRuntimeVersion(), KubeletVersion: n.GetKubeletVersion(),
			ProviderID: n.GetProviderId(), Provider: n.GetProvider(), Labels: n.GetLabels(), SensorDisabled: n.GetSensorDisabled(),
			Ready: n.GetReady(), CreatedAt: fromTS(n.GetCreatedAt())}
	}
	for i, n := range r.GetNamespaces() {
		b.Namespaces[i] = inventory.Namespace{Name: n.GetName(), UID: n.GetUid(), Labels: n.GetLabels(), CreatedAt: fromTS(n.GetCreatedAt())}
	}
	for i, w := range r.GetWorkloads() {
		b.Workloads[i] = inventory.Workload{UID: w.GetUid(), Kind: w.GetKind(), APIVersion: w.GetApiVersion(), Namespace: w.GetNamespace(),
			Name: w.GetName(), Labels: w.GetLabels(), DesiredReplicas: w.GetDesiredReplicas(), CreatedAt: fromTS(w.GetCreatedAt())}
	}
	for i, p := range r.GetPods() {
		pod := inventory.Pod{UID: p.GetUid(), Namespace: p.GetNamespace(), Name: p.GetName(), NodeName: p.GetNodeName(),
			Workload: inventory.WorkloadRef{UID: p.GetWorkloadUid(), Kind: p.GetWorkloadKind(), Name: p.GetWorkloadName()},
			Labels:   p.GetLabels(), Phase: p.GetPhase(), CreatedAt: fromTS(p.GetCreatedAt()), OwnerNote: p.GetOwnerResolutionNote(),
			Containers: make([]inventory.Container, len(p.GetContainers()))}
		for j, c := range p.GetContainers() {
			pod.Containers[j] = inventory.Container{Name: c.GetName(), Kind: containerKinds.domain(c.GetKind()), Image: c.GetImage(),
				ImageDigest: c.GetImageDigest(), ImageID: c.GetImageId(), ContainerID: c.GetContainerId(), Runtime: c.GetRuntime(),
				State: containerStates.domain(c.GetState()), RestartCount: c.GetRestartCount(), StartedAt: fromTS(c.GetStartedAt())}
		}
		b.Pods[i] = pod
	}
	for i, d := range r.GetDeleted() {
		b.Deleted[i] = inventory.ObjectRef{Kind: objectKinds.domain(d.GetKind()), UID: d.GetUid(), Name: d.GetName()}
	}
	return b
}

func containerRef(c *v1.ContainerRef) runtime.ContainerRef {
	return runtime.ContainerRef{ContainerID: c.GetContainerId(), PodUID: c.GetPodUid(), Runtime: runtimes.domain(c.GetRuntime()), CgroupPath: c.GetCgroupPath()}
}

// RuntimeBatch converts a ReportRuntime request to the domain batch it
// carries (exported for benchmarks that replay requests).
func RuntimeBatch(r *v1.ReportRuntimeRequest) runtime.Batch {
	b := runtime.Batch{ID: r.GetBatchId(), NodeName: r.GetNodeName(),
		Processes: make([]runtime.Process, len(r.GetExecutions())), Files: make([]runtime.FileLoad, len(r.GetFileLoads()))}
	for i, e := range r.GetExecutions() {
		b.Processes[i] = runtime.Process{Container: containerRef(e.GetContainer()), ExecutablePath: e.GetExecutablePath(), SHA256: e.GetSha256(),
			Argv: e.GetArgv(), ArgvTruncated: e.GetArgvTruncated(), UID: e.GetUid(), PID: e.GetPid(), ParentPID: e.GetParentPid(),
			ParentExecutablePath: e.GetParentExecutablePath(), Comm: e.GetComm(), FirstSeen: fromTS(e.GetFirstSeen()),
			LastSeen: fromTS(e.GetLastSeen()), Count: e.GetCount(), Drift: e.GetDrift(), PackagePURLs: e.GetPackagePurls(),
			UnresolvedReason: e.GetUnresolvedReason()}
	}
	for i, f := range r.GetFileLoads() {
		b.Files[i] = runtime.FileLoad{Container: containerRef(f.GetContainer()), Path: f.GetPath(), SHA256: f.GetSha256(),
			Kind: fileKinds.domain(f.GetKind()), PackagePURLs: f.GetPackagePurls(), LoadedByPath: f.GetLoadedByPath(),
			FirstSeen: fromTS(f.GetFirstSeen()), LastSeen: fromTS(f.GetLastSeen()), Count: f.GetCount(), Drift: f.GetDrift(),
			UnresolvedReason: f.GetUnresolvedReason()}
	}
	return b
}

func drops(d *v1.DropCounters) runtime.Drops {
	return runtime.Drops{RingBuffer: d.GetRingBuffer(), SpoolFull: d.GetSpoolFull(), DecodeErrors: d.GetDecodeErrors(),
		DedupOverflow: d.GetDedupOverflow(), FilteredInKernel: d.GetFilteredInKernel(), RejectedByPlatform: d.GetRejectedByPlatform()}
}

// ---- query: domain to proto ----

func filter(f *v1.Filter) query.Filter {
	return query.Filter{Cluster: f.GetCluster(), Namespace: f.GetNamespace(), Workload: f.GetWorkload(), Image: f.GetImage(),
		Node: f.GetNode(), Text: f.GetText(), Window: window(f.GetWindow())}
}

func nodeCountsPB(c query.NodeCounts) *v1.NodeCounts {
	return &v1.NodeCounts{Total: c.Total, Running: c.Running, Degraded: c.Degraded, Failed: c.Failed, Disabled: c.Disabled,
		Restricted: c.Restricted, NotInstalled: c.NotInstalled, Stopped: c.Stopped}
}

func clusterPB(c query.ClusterView, now time.Time) *v1.Cluster {
	return &v1.Cluster{Id: c.ID, Name: c.Name, Uid: c.UID, KubernetesVersion: c.KubernetesVersion, Provider: c.Provider,
		Controller: &v1.ControllerState{Status: controllerStatuses.proto(inventory.EffectiveControllerStatus(c.Controller, now)),
			Version: c.Controller.Version, Message: c.Controller.Message, LastHeartbeat: ts(c.Controller.LastHeartbeat),
			LastReport: ts(c.Controller.LastReport), PendingChanges: c.Controller.Pending},
		Nodes: nodeCountsPB(c.Nodes), Workloads: c.Workloads, CreatedAt: ts(c.CreatedAt)}
}

func dropsPB(d runtime.Drops) *v1.DropCounters {
	return &v1.DropCounters{RingBuffer: d.RingBuffer, SpoolFull: d.SpoolFull, DecodeErrors: d.DecodeErrors, DedupOverflow: d.DedupOverflow,
		FilteredInKernel: d.FilteredInKernel, RejectedByPlatform: d.RejectedByPlatform}
}

func nodePB(n query.NodeView, now time.Time) *v1.Node {
	status := inventory.EffectiveSensorStatus(n.SensorDisabled, inventory.SensorState{Reported: n.Sensor.Reported,
		LastHeartbeat: n.Sensor.LastHeartbeat, Restricted: n.Sensor.Restricted}, now)
	return &v1.Node{ClusterId: n.ClusterID, ClusterName: n.ClusterName, Name: n.Name, KernelVersion: n.KernelVersion, OsImage: n.OSImage,
		Architecture: n.Architecture, ContainerRuntimeVersion: n.ContainerRuntimeVersion, KubeletVersion: n.KubeletVersion,
		Provider: n.Provider, Ready: n.Ready, Pods: n.Pods, FirstSeen: ts(n.FirstSeen), LastSeen: ts(n.LastSeen), GoneAt: ts(n.GoneAt),
		SensorOnly: n.SensorOnly,
		Sensor: &v1.SensorState{Status: sensorStatuses.proto(status), Mode: sensorModes.proto(runtime.SensorMode(n.Sensor.Mode)),
			HookMode: hookModes.proto(runtime.HookMode(n.Sensor.HookMode)), Version: n.Sensor.Version, Message: n.Sensor.Message,
			LastHeartbeat: ts(n.Sensor.LastHeartbeat), Drops: dropsPB(n.Sensor.Drops), EventsReceived: n.Sensor.EventsReceived,
			SpooledRecords: n.Sensor.SpooledRecords, RestrictionReason: n.Sensor.RestrictionReason}}
}

func workloadRefPB(w inventory.WorkloadRef) *v1.WorkloadRef {
	if w.UID == "" {
		return nil
	}
	return &v1.WorkloadRef{Uid: w.UID, Kind: w.Kind, Name: w.Name}
}

func workloadPB(w query.WorkloadView) *v1.Workload {
	return &v1.Workload{ClusterId: w.ClusterID, ClusterName: w.ClusterName, Uid: w.UID, Kind: w.Kind, Namespace: w.Namespace, Name: w.Name,
		Labels: w.Labels, DesiredReplicas: w.DesiredReplicas, Pods: w.Pods, Containers: w.Containers, Images: w.Images, Nodes: w.Nodes,
		Processes: w.Processes, FirstSeen: ts(w.FirstSeen), LastSeen: ts(w.LastSeen), GoneAt: ts(w.GoneAt)}
}

func containerPB(c query.ContainerView) *v1.Container {
	return &v1.Container{ClusterId: c.ClusterID, ClusterName: c.ClusterName, NodeName: c.NodeName, Namespace: c.Namespace,
		PodName: c.PodName, PodUid: c.PodUID, Workload: workloadRefPB(c.Workload), Name: c.Name, Kind: containerKinds.proto(c.Kind),
		ContainerId: c.ContainerID, Image: c.Image, ImageDigest: c.ImageDigest, State: containerStates.proto(c.State),
		RestartCount: c.RestartCount, StartedAt: ts(c.StartedAt), FirstSeen: ts(c.FirstSeen), GoneAt: ts(c.GoneAt)}
}

func imagePB(i query.ImageView) *v1.Image {
	return &v1.Image{Digest: i.Digest, References: i.References, Repository: i.Repository, Containers: i.Containers,
		RunningContainers: i.RunningContainers, Workloads: i.Workloads, Clusters: i.Clusters, Processes: i.Processes,
		LoadedFiles: i.LoadedFiles, FirstSeen: ts(i.FirstSeen), LastSeen: ts(i.LastSeen)}
}

func containerRefPB(c runtime.ContainerRef) *v1.ContainerRef {
	return &v1.ContainerRef{ContainerId: c.ContainerID, PodUid: c.PodUID, Runtime: runtimes.proto(c.Runtime), CgroupPath: c.CgroupPath}
}

func processPB(p query.ProcessView) *v1.Process {
	return &v1.Process{ClusterId: p.ClusterID, ClusterName: p.ClusterName, NodeName: p.NodeName, Container: containerRefPB(p.Container),
		Namespace: p.Namespace, PodName: p.PodName, ContainerName: p.ContainerName, Workload: workloadRefPB(p.Workload), Image: p.Image,
		ImageDigest: p.ImageDigest, ExecutablePath: p.ExecutablePath, Sha256: p.SHA256, Argv: p.Argv, Uid: p.UID,
		ParentExecutablePath: p.ParentExecutablePath, Comm: p.Comm, FirstSeen: ts(p.FirstSeen), LastSeen: ts(p.LastSeen), Count: p.Count,
		Drift: p.Drift, PackagePurls: p.PackagePURLs, UnresolvedReason: p.UnresolvedReason}
}

func filePB(f query.FileView) *v1.LoadedFile {
	return &v1.LoadedFile{ClusterId: f.ClusterID, ClusterName: f.ClusterName, NodeName: f.NodeName, Container: containerRefPB(f.Container),
		Namespace: f.Namespace, PodName: f.PodName, ContainerName: f.ContainerName, Workload: workloadRefPB(f.Workload), Image: f.Image,
		ImageDigest: f.ImageDigest, Path: f.Path, Sha256: f.SHA256, Kind: fileKinds.proto(f.Kind), PackagePurls: f.PackagePURLs,
		LoadedByPath: f.LoadedByPath, FirstSeen: ts(f.FirstSeen), LastSeen: ts(f.LastSeen), Count: f.Count, Drift: f.Drift,
		UnresolvedReason: f.UnresolvedReason}
}

func tokenPB(t access.RegistrationToken, now time.Time) *v1.RegistrationToken {
	return &v1.RegistrationToken{Id: t.ID, ClusterId: t.ClusterID, ClusterName: t.ClusterName, Description: t.Description,
		State: tokenStates.proto(t.State(now)), CreatedAt: ts(t.CreatedAt), ExpiresAt: ts(t.ExpiresAt), RevokedAt: ts(t.RevokedAt),
		LastUsedAt: ts(t.LastUsedAt)}
}

func mapSlice[A, B any](in []A, f func(A) B) []B {
	out := make([]B, len(in))
	for i, a := range in {
		out[i] = f(a)
	}
	return out
}
