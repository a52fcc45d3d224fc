package controller

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	runwatchv1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

// recorder is the test's window on the wire: a ControllerService endpoint
// that records every call the controller makes, can fail or delay calls on
// demand, and folds the accepted batches into the inventory they describe
// (the view), by the contract's rules. It is not the platform; the
// end-to-end tests run against the real one.
type recorder struct {
	t     testing.TB
	token string
	url   string

	mu         sync.Mutex
	registers  []*runwatchv1.RegisterClusterRequest
	attempts   []*runwatchv1.ReportInventoryRequest // every call, accepted or not
	accepted   []*runwatchv1.ReportInventoryRequest
	heartbeats []*runwatchv1.HeartbeatRequest
	applied    map[string]bool // batch ids
	calls      int             // every call, whatever its outcome
	fail       func(rpc string) error
	delay      time.Duration
	maxBatch   int32
	heartbeat  time.Duration
	changed    chan struct{}

	view *view
}

func newRecorder(t testing.TB, token string) *recorder {
	r := &recorder{t: t, token: token, applied: map[string]bool{}, view: newView(), maxBatch: 100,
		heartbeat: time.Second, changed: make(chan struct{}, 1)}
	mux := http.NewServeMux()
	mux.Handle(runwatchv1connect.NewControllerServiceHandler(r))
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	r.url = srv.URL
	return r
}

// setFail makes calls fail with what f returns (nil lets a call through).
func (r *recorder) setFail(f func(rpc string) error) {
	r.mu.Lock()
	r.fail = f
	r.mu.Unlock()
}

func (r *recorder) setDelay(d time.Duration) {
	r.mu.Lock()
	r.delay = d
	r.mu.Unlock()
}

func (r *recorder) gate(ctx context.Context, rpc string, h http.Header) error {
	r.mu.Lock()
	fail, delay, token := r.fail, r.delay, r.token
	r.calls++
	r.mu.Unlock()
	if h.Get("Authorization") != "Bearer "+token {
		return connect.NewError(connect.CodeUnauthenticated, nil)
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if fail != nil {
		return fail(rpc)
	}
	return nil
}

func (r *recorder) notify() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

func (r *recorder) RegisterCluster(ctx context.Context, req *connect.Request[runwatchv1.RegisterClusterRequest]) (*connect.Response[runwatchv1.RegisterClusterResponse], error) {
	if err := r.gate(ctx, "RegisterCluster", req.Header()); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.registers = append(r.registers, proto.Clone(req.Msg).(*runwatchv1.RegisterClusterRequest))
	r.notify()
	return connect.NewResponse(&runwatchv1.RegisterClusterResponse{ClusterId: "c-1", ClusterName: req.Msg.ClusterName,
		HeartbeatInterval: durationpb.New(r.heartbeat), MaxBatchObjects: r.maxBatch}), nil
}

func (r *recorder) ReportInventory(ctx context.Context, req *connect.Request[runwatchv1.ReportInventoryRequest]) (*connect.Response[runwatchv1.ReportInventoryResponse], error) {
	msg := proto.Clone(req.Msg).(*runwatchv1.ReportInventoryRequest)
	r.mu.Lock()
	r.attempts = append(r.attempts, msg)
	r.mu.Unlock()
	if err := r.gate(ctx, "ReportInventory", req.Header()); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.applied[msg.BatchId] {
		return connect.NewResponse(&runwatchv1.ReportInventoryResponse{Duplicate: true}), nil
	}
	r.applied[msg.BatchId] = true
	r.accepted = append(r.accepted, msg)
	gone := r.view.apply(msg)
	r.notify()
	return connect.NewResponse(&runwatchv1.ReportInventoryResponse{Applied: int32(batchSize(msg) - len(msg.Deleted)), MarkedGone: int32(gone)}), nil
}

func (r *recorder) Heartbeat(ctx context.Context, req *connect.Request[runwatchv1.HeartbeatRequest]) (*connect.Response[runwatchv1.HeartbeatResponse], error) {
	if err := r.gate(ctx, "Heartbeat", req.Header()); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.heartbeats = append(r.heartbeats, proto.Clone(req.Msg).(*runwatchv1.HeartbeatRequest))
	r.notify()
	return connect.NewResponse(&runwatchv1.HeartbeatResponse{}), nil
}

// waitFor polls cond (under the recorder's lock) until it holds.
func (r *recorder) waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("timed out after %s waiting for %s; %d batches accepted, %d attempts, %d heartbeats; view: %s",
				timeout, what, len(r.accepted), len(r.attempts), len(r.heartbeats), r.view.summary())
		}
	}
}

// snapshots counts the complete snapshots accepted.
func (r *recorder) snapshots() int {
	n := 0
	for _, b := range r.accepted {
		if b.SnapshotComplete {
			n++
		}
	}
	return n
}

// view is the inventory the accepted batches describe: a snapshot's objects
// replace everything when it completes; deltas upsert and delete.
type view struct {
	nodes      map[string]*runwatchv1.NodeInfo
	namespaces map[string]*runwatchv1.NamespaceInfo
	workloads  map[string]*runwatchv1.WorkloadInfo
	pods       map[string]*runwatchv1.PodInfo
	// the snapshot being received: its id and the keys it held so far
	snapshotID string
	seen       map[string]bool
}

func newView() *view {
	return &view{nodes: map[string]*runwatchv1.NodeInfo{}, namespaces: map[string]*runwatchv1.NamespaceInfo{},
		workloads: map[string]*runwatchv1.WorkloadInfo{}, pods: map[string]*runwatchv1.PodInfo{}}
}

func (v *view) apply(b *runwatchv1.ReportInventoryRequest) (gone int) {
	if b.SnapshotId != "" && b.SnapshotId != v.snapshotID {
		v.snapshotID, v.seen = b.SnapshotId, map[string]bool{}
	}
	for _, n := range b.Nodes {
		v.nodes[n.Name] = n
		v.mark("node/" + n.Name)
	}
	for _, n := range b.Namespaces {
		v.namespaces[n.Name] = n
		v.mark("ns/" + n.Name)
	}
	for _, w := range b.Workloads {
		v.workloads[w.Uid] = w
		v.mark("workload/" + w.Uid)
	}
	for _, p := range b.Pods {
		v.pods[p.Uid] = p
		v.mark("pod/" + p.Uid)
	}
	for _, d := range b.Deleted {
		switch d.Kind {
		case runwatchv1.ObjectKind_OBJECT_KIND_NODE:
			delete(v.nodes, d.Name)
		case runwatchv1.ObjectKind_OBJECT_KIND_NAMESPACE:
			delete(v.namespaces, d.Name)
		case runwatchv1.ObjectKind_OBJECT_KIND_WORKLOAD:
			delete(v.workloads, d.Uid)
		case runwatchv1.ObjectKind_OBJECT_KIND_POD:
			delete(v.pods, d.Uid)
		}
		gone++
	}
	if b.SnapshotComplete {
		gone += reconcile(v.nodes, "node/", v.seen) + reconcile(v.namespaces, "ns/", v.seen) +
			reconcile(v.workloads, "workload/", v.seen) + reconcile(v.pods, "pod/", v.seen)
		v.snapshotID, v.seen = "", nil
	}
	return gone
}

func (v *view) mark(k string) {
	if v.seen != nil {
		v.seen[k] = true
	}
}

func reconcile[T any](m map[string]T, prefix string, seen map[string]bool) int {
	n := 0
	for k := range m {
		if !seen[prefix+k] {
			delete(m, k)
			n++
		}
	}
	return n
}

func (v *view) summary() string {
	return fmt.Sprintf("nodes=%d namespaces=%d workloads=%d pods=%d", len(v.nodes), len(v.namespaces), len(v.workloads), len(v.pods))
}

// podsIn lists the view's pods of a namespace.
func (v *view) podsIn(ns string) []*runwatchv1.PodInfo {
	var out []*runwatchv1.PodInfo
	for _, p := range v.pods {
		if p.Namespace == ns {
			out = append(out, p)
		}
	}
	return out
}

func (v *view) workloadsIn(ns string) map[string]*runwatchv1.WorkloadInfo {
	out := map[string]*runwatchv1.WorkloadInfo{}
	for _, w := range v.workloads {
		if w.Namespace == ns {
			out[w.Kind+"/"+w.Name] = w
		}
	}
	return out
}
