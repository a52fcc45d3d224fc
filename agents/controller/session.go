package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	runwatchv1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/runwatch/runwatch/agents/controller/provider"
	"github.com/runwatch/runwatch/agents/transport"
)

// defaultHeartbeat is used when the platform names no interval.
const defaultHeartbeat = 30 * time.Second

// attemptsPerBatch is how often one batch is tried (with the same batch id,
// so the platform applies it once) before the session is given up and
// started over with a snapshot.
const attemptsPerBatch = 3

// session registers, sends a snapshot, then deltas and heartbeats until a
// call fails or ctx ends. established says whether the snapshot got
// through; the error says why the session ended.
func (c *Controller) session(ctx context.Context) (established bool, err error) {
	reg, err := c.register(ctx)
	if err != nil {
		return false, err
	}
	max := c.cfg.MaxBatchObjects
	if p := int(reg.GetMaxBatchObjects()); p > 0 && p < max {
		max = p
	}
	interval := reg.GetHeartbeatInterval().AsDuration()
	if interval <= 0 {
		interval = defaultHeartbeat
	}
	c.log.Info("registered with the platform", "cluster_id", reg.GetClusterId(), "cluster_name", reg.GetClusterName(),
		"heartbeat_interval", interval, "max_batch_objects", max)

	rep := newReporter(c.w, c.log, c.pending.Add)
	if err := c.sendSnapshot(ctx, rep, max); err != nil {
		return false, err
	}
	c.setConnected(true)
	defer c.setConnected(false)
	if interval, err = c.heartbeat(ctx, interval); err != nil {
		return true, err
	}

	hb := time.NewTicker(interval)
	defer hb.Stop()
	var resnap <-chan time.Time
	if c.cfg.ResnapshotInterval > 0 {
		t := time.NewTicker(c.cfg.ResnapshotInterval)
		defer t.Stop()
		resnap = t.C
	}
	var batchTimer *time.Timer
	var batchDue <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			c.drain(rep, max)
			return true, ctx.Err()
		case <-hb.C:
			next, err := c.heartbeat(ctx, interval)
			if err != nil {
				return true, err
			}
			if next != interval {
				interval = next
				hb.Reset(interval)
			}
		case <-resnap:
			if err := c.sendSnapshot(ctx, rep, max); err != nil {
				return true, err
			}
		case <-c.pending.Notify():
			// Let changes gather for BatchDelay, unless a full batch is
			// already waiting.
			if c.pending.Len() >= max || c.pending.Overflowed() {
				if err := c.flush(ctx, rep, max); err != nil {
					return true, err
				}
				continue
			}
			if batchTimer == nil {
				batchTimer = time.NewTimer(c.cfg.BatchDelay)
				batchDue = batchTimer.C
			}
		case <-batchDue:
			batchTimer, batchDue = nil, nil
			if err := c.flush(ctx, rep, max); err != nil {
				return true, err
			}
		}
	}
}

// register binds the token's cluster to this cluster's identity.
func (c *Controller) register(ctx context.Context) (*runwatchv1.RegisterClusterResponse, error) {
	uid, err := c.clusterUID()
	if err != nil {
		return nil, err
	}
	version := ""
	if v, err := c.kube.Discovery().ServerVersion(); err != nil {
		c.log.Warn("cannot read the Kubernetes version; registering without it", "err", err)
	} else {
		version = v.GitVersion
	}
	var nodes []provider.Node
	for _, obj := range c.w.nodes.informer.GetIndexer().List() {
		n := obj.(*corev1.Node)
		nodes = append(nodes, provider.Node{ProviderID: n.Spec.ProviderID, Labels: n.Labels})
	}
	req := &runwatchv1.RegisterClusterRequest{
		ClusterUid:        uid,
		ClusterName:       c.cfg.ClusterName,
		KubernetesVersion: version,
		Provider:          provider.ForCluster(version, nodes),
		ControllerVersion: c.cfg.Version,
	}
	return call(ctx, c, "RegisterCluster", c.platform.RegisterCluster, req)
}

// clusterUID is the configured identity, or the kube-system namespace UID.
func (c *Controller) clusterUID() (string, error) {
	if c.cfg.ClusterUID != "" {
		return c.cfg.ClusterUID, nil
	}
	obj, ok := c.w.get(c.w.nss, "", "kube-system")
	if !ok {
		return "", errors.New("the cluster has no kube-system namespace to take its identity from; set --cluster-id")
	}
	return string(obj.(*corev1.Namespace).UID), nil
}

// sendSnapshot sends the caches in full, in chunks sharing one snapshot
// id; the last says the snapshot is complete. Pending changes are dropped
// first: the snapshot is newer than all of them.
func (c *Controller) sendSnapshot(ctx context.Context, rep *reporter, max int) error {
	start := time.Now()
	c.pending.Reset()
	id := transport.NewBatchID()
	chunks := 0
	objects, err := rep.snapshot(max, func(req *runwatchv1.ReportInventoryRequest, last bool) error {
		chunks++
		req.BatchId = transport.NewBatchID()
		req.SnapshotId = id
		req.SnapshotComplete = last
		if _, err := call(ctx, c, "ReportInventory", c.platform.ReportInventory, req); err != nil {
			return fmt.Errorf("snapshot chunk %d: %w", chunks, err)
		}
		c.m.batches.WithLabelValues("snapshot").Inc()
		c.m.objects.WithLabelValues("snapshot").Add(float64(batchSize(req)))
		return nil
	})
	if err != nil {
		return err
	}
	c.m.snapshots.Inc()
	c.m.lastSnapshot.SetToCurrentTime()
	c.log.Info("snapshot sent", "snapshot_id", id, "objects", objects, "chunks", chunks, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// flush sends every pending change, in batches; an overflow of the pending
// set turns into a snapshot.
func (c *Controller) flush(ctx context.Context, rep *reporter, max int) error {
	if c.pending.Overflowed() {
		c.m.overflows.Inc()
		c.log.Warn("more objects changed than the pending bound holds; sending a full snapshot instead", "max_pending", c.cfg.MaxPending)
		return c.sendSnapshot(ctx, rep, max)
	}
	for c.pending.Len() > 0 {
		req := rep.delta(c.pending.Take, max)
		if batchSize(req) == 0 {
			continue // nothing changed in what is reported
		}
		req.BatchId = transport.NewBatchID()
		if _, err := call(ctx, c, "ReportInventory", c.platform.ReportInventory, req); err != nil {
			return fmt.Errorf("delta: %w", err)
		}
		c.m.batches.WithLabelValues("delta").Inc()
		c.m.objects.WithLabelValues("delta").Add(float64(batchSize(req)))
		c.log.Debug("delta sent", "nodes", len(req.Nodes), "namespaces", len(req.Namespaces),
			"workloads", len(req.Workloads), "pods", len(req.Pods), "deleted", len(req.Deleted))
	}
	return nil
}

// heartbeat tells the platform how the controller is, and returns the
// interval the platform asks for.
func (c *Controller) heartbeat(ctx context.Context, interval time.Duration) (time.Duration, error) {
	req := &runwatchv1.HeartbeatRequest{
		ControllerVersion: c.cfg.Version,
		Status:            runwatchv1.ControllerStatus_CONTROLLER_STATUS_CONNECTED,
		WatchedObjects:    c.w.counts(),
		PendingChanges:    int64(c.pending.Len()),
	}
	if msg := c.degradedMessage(); msg != "" {
		req.Status = runwatchv1.ControllerStatus_CONTROLLER_STATUS_DEGRADED
		req.Message = msg
	}
	resp, err := call(ctx, c, "Heartbeat", c.platform.Heartbeat, req)
	if err != nil {
		return interval, err
	}
	c.m.heartbeats.Inc()
	if d := resp.GetHeartbeatInterval().AsDuration(); d > 0 {
		return d, nil
	}
	return interval, nil
}

// drain sends what is pending on shutdown, within a few seconds (what
// does not make it is repaired by the next start's snapshot), then tells
// the platform the controller stopped, so it shows disconnected at once
// rather than when its heartbeats go stale.
func (c *Controller) drain(rep *reporter, max int) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.flush(ctx, rep, max); err != nil {
		c.log.Warn("could not send the last changes before stopping; the next start's snapshot will", "err", err)
	}
	req := &runwatchv1.HeartbeatRequest{ControllerVersion: c.cfg.Version, Status: runwatchv1.ControllerStatus_CONTROLLER_STATUS_DISCONNECTED,
		Message: "the controller stopped", PendingChanges: int64(c.pending.Len())}
	cctx, ccancel := context.WithTimeout(ctx, c.cfg.RPCTimeout)
	defer ccancel()
	if _, err := c.platform.Heartbeat(cctx, connect.NewRequest(req)); err != nil {
		c.log.Warn("could not tell the platform the controller stopped", "err", err)
	}
}

// call makes one RPC, retrying a retryable failure with the same request
// (so the same batch id) a few times.
func call[Req, Resp any](ctx context.Context, c *Controller, rpc string,
	fn func(context.Context, *connect.Request[Req]) (*connect.Response[Resp], error), req *Req) (*Resp, error) {
	backoff := transport.Backoff{Min: 200 * time.Millisecond, Max: 2 * time.Second}
	for attempt := 1; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, c.cfg.RPCTimeout)
		start := time.Now()
		resp, err := fn(cctx, connect.NewRequest(req))
		cancel()
		c.m.rpcDuration.WithLabelValues(rpc).Observe(time.Since(start).Seconds())
		if err == nil {
			return resp.Msg, nil
		}
		c.m.sendErrors.WithLabelValues(rpc, connect.CodeOf(err).String()).Inc()
		if ctx.Err() != nil || !transport.Retryable(err) || attempt >= attemptsPerBatch {
			return nil, fmt.Errorf("%s: %w", rpc, err)
		}
		wait := backoff.Next()
		c.log.Warn("platform call failed; retrying", "rpc", rpc, "attempt", attempt, "err", err, "retry_in", wait.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: %w", rpc, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// hint tells a person what to check for errors that retrying will not fix.
func hint(err error) string {
	switch connect.CodeOf(err) {
	case connect.CodeUnauthenticated:
		return "the platform rejected the registration token: check --token / RUNWATCH_TOKEN (or the Secret), and that the token is not revoked or expired"
	case connect.CodePermissionDenied:
		return "the token may not report for this cluster: is it another cluster's token?"
	case connect.CodeFailedPrecondition:
		return "the platform refused this cluster's registration; see the error"
	case connect.CodeInvalidArgument:
		return "the platform rejected the data sent; this is a bug, please report it with this log"
	case connect.CodeUnavailable, connect.CodeDeadlineExceeded:
		return "the platform is unreachable or slow; check --platform / RUNWATCH_PLATFORM and the network"
	case connect.CodeUnimplemented:
		return "the URL does not serve the Runwatch platform's API, or the platform is too old"
	}
	return ""
}
