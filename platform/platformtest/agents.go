package platformtest

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

// H2C is an HTTP/2 client without TLS, as agents use against a plain
// http:// platform.
func H2C() *http.Client {
	tr := &http.Transport{}
	tr.Protocols = new(http.Protocols)
	tr.Protocols.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

type bearer string

func (b bearer) intercept() connect.Option {
	return connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			if b != "" {
				req.Header().Set("Authorization", "Bearer "+string(b))
			}
			if req.Peer().Protocol != connect.ProtocolGRPC {
				return nil, fmt.Errorf("client speaks %s, want gRPC", req.Peer().Protocol)
			}
			return next(ctx, req)
		}
	}))
}

// Agents are a controller and a sensor client speaking gRPC with a token.
func Agents(url, token string) (runwatchv1connect.ControllerServiceClient, runwatchv1connect.SensorServiceClient) {
	opts := []connect.ClientOption{connect.WithGRPC(), bearer(token).intercept()}
	return runwatchv1connect.NewControllerServiceClient(H2C(), url, opts...), runwatchv1connect.NewSensorServiceClient(H2C(), url, opts...)
}

// Identities of the sample cluster.
const (
	NginxDigest = "sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1"
	cid1        = "1111111111111111111111111111111111111111111111111111111111111111"
	cid2        = "2222222222222222222222222222222222222222222222222222222222222222"
	shaSh       = "5555555555555555555555555555555555555555555555555555555555555555"
)

// SampleSnapshot is a complete snapshot of a small cluster: one node, a
// Deployment "web" in namespace "shop" with two nginx pods.
func SampleSnapshot() *v1.ReportInventoryRequest {
	ctr := func(name, id string) *v1.ContainerInfo {
		return &v1.ContainerInfo{Name: name, Kind: v1.ContainerKind_CONTAINER_KIND_REGULAR, Image: "nginx:1.27", ImageDigest: NginxDigest,
			ImageId: "docker.io/library/nginx@" + NginxDigest, ContainerId: id, Runtime: "containerd", State: v1.ContainerState_CONTAINER_STATE_RUNNING}
	}
	return &v1.ReportInventoryRequest{BatchId: "snap-0001-a", SnapshotId: "snap-0001", SnapshotComplete: true,
		Nodes:      []*v1.NodeInfo{{Name: "node-1", KernelVersion: "6.18.0", OsImage: "Debian GNU/Linux 12", Ready: true}},
		Namespaces: []*v1.NamespaceInfo{{Name: "shop"}},
		Workloads:  []*v1.WorkloadInfo{{Uid: "dep-web", Kind: "Deployment", Namespace: "shop", Name: "web", DesiredReplicas: 2}},
		Pods: []*v1.PodInfo{
			{Uid: "pod-1", Namespace: "shop", Name: "web-1", NodeName: "node-1", WorkloadUid: "dep-web", WorkloadKind: "Deployment", WorkloadName: "web", Phase: "Running", Containers: []*v1.ContainerInfo{ctr("nginx", cid1)}},
			{Uid: "pod-2", Namespace: "shop", Name: "web-2", NodeName: "node-1", WorkloadUid: "dep-web", WorkloadKind: "Deployment", WorkloadName: "web", Phase: "Running", Containers: []*v1.ContainerInfo{ctr("nginx", cid2)}},
		}}
}

// SampleRuntime is a runtime batch of n executions in web-1 and one
// shared library load.
func SampleRuntime(batch string, n int) *v1.ReportRuntimeRequest {
	now := timestamppb.Now()
	req := &v1.ReportRuntimeRequest{BatchId: batch, NodeName: "node-1"}
	for i := range n {
		req.Executions = append(req.Executions, &v1.ProcessExecution{
			Container:      &v1.ContainerRef{ContainerId: cid1, PodUid: "pod-1", Runtime: v1.ContainerRuntime_CONTAINER_RUNTIME_CONTAINERD},
			ExecutablePath: fmt.Sprintf("/usr/bin/tool-%03d", i), Sha256: shaSh, Argv: []string{"tool", "--flag"}, Comm: "tool",
			Pid: uint32(100 + i), FirstSeen: now, LastSeen: now, Count: 1})
	}
	req.FileLoads = []*v1.FileLoad{{Container: &v1.ContainerRef{ContainerId: cid1, Runtime: v1.ContainerRuntime_CONTAINER_RUNTIME_CONTAINERD},
		Path: "/usr/lib/x86_64-linux-gnu/libssl.so.3", Kind: v1.FileKind_FILE_KIND_SHARED_LIBRARY, PackagePurls: []string{"pkg:deb/debian/libssl3@3.0.15"},
		FirstSeen: now, LastSeen: now, Count: 1}}
	return req
}

// Seed fills a cluster through the ingest API the way its agents would: a
// controller registers and sends SampleSnapshot, a sensor registers,
// sends SampleRuntime(n) and a heartbeat.
func (in *Instance) Seed(tb testing.TB, cluster string, n int) {
	tb.Helper()
	ctx := context.Background()
	controller, sensor := Agents(in.URL, in.CreateToken(tb, cluster))
	steps := []func() error{
		func() error {
			_, err := controller.RegisterCluster(ctx, connect.NewRequest(&v1.RegisterClusterRequest{ClusterUid: "uid-" + cluster, ClusterName: cluster, KubernetesVersion: "v1.37.2"}))
			return err
		},
		func() error {
			_, err := controller.ReportInventory(ctx, connect.NewRequest(SampleSnapshot()))
			return err
		},
		func() error {
			_, err := sensor.RegisterNode(ctx, connect.NewRequest(&v1.RegisterNodeRequest{NodeName: "node-1", Mode: v1.SensorMode_SENSOR_MODE_KUBERNETES, HookMode: v1.HookMode_HOOK_MODE_TRACEPOINT}))
			return err
		},
		func() error {
			_, err := sensor.ReportRuntime(ctx, connect.NewRequest(SampleRuntime("seed-"+cluster+"-rt", n)))
			return err
		},
		func() error {
			_, err := sensor.NodeHeartbeat(ctx, connect.NewRequest(&v1.NodeHeartbeatRequest{NodeName: "node-1", Status: v1.SensorStatus_SENSOR_STATUS_RUNNING}))
			return err
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			tb.Fatalf("seed %s, step %d: %v", cluster, i, err)
		}
	}
}
