package app

import (
	"context"
	"errors"
	"time"

	"github.com/runwatch/runwatch/domain"
	"github.com/runwatch/runwatch/domain/access"
	"github.com/runwatch/runwatch/domain/inventory"
	"github.com/runwatch/runwatch/domain/runtime"
	"github.com/runwatch/runwatch/ports"
)

// IngestLimits bound what agents may send.
type IngestLimits struct {
	Inventory inventory.Limits
	Runtime   runtime.Limits
}

// DefaultIngestLimits are the platform's defaults.
var DefaultIngestLimits = IngestLimits{Inventory: inventory.DefaultLimits, Runtime: runtime.DefaultLimits}

// Ingest implements ports.Ingestion: it checks what agents send and hands
// it to the store, always into the cluster of the agent's token.
type Ingest struct {
	store   ports.Store
	clock   ports.Clock
	limits  IngestLimits
	limiter *IngestLimiter
	ent     *Entitlements
	changes *Changes // notified of applied batches; may be nil
}

var _ ports.Ingestion = (*Ingest)(nil)

// NewIngest makes an Ingest.
func NewIngest(store ports.Store, clock ports.Clock, limits IngestLimits, rates RateLimits, ent *Entitlements) *Ingest {
	burst := max(limits.Inventory.MaxObjects, limits.Runtime.MaxRecords)
	return &Ingest{store: store, clock: clock, limits: limits, limiter: NewIngestLimiter(rates, burst), ent: ent}
}

func agentOnly(p access.Principal) error {
	if !p.Allows(access.PermIngest) || p.ClusterID == "" {
		return domain.PermissionDeniedf("only a cluster's registration token may report")
	}
	return nil
}

func (s *Ingest) session(ref ports.ClusterRef, maxBatch int) ports.AgentSession {
	return ports.AgentSession{Cluster: ref, HeartbeatInterval: inventory.HeartbeatInterval, MaxBatch: maxBatch}
}

// RegisterCluster implements ports.Ingestion.
func (s *Ingest) RegisterCluster(ctx context.Context, p access.Principal, r inventory.Registration) (ports.AgentSession, error) {
	if err := agentOnly(p); err != nil {
		return ports.AgentSession{}, err
	}
	if err := inventory.ValidateRegistration(r); err != nil {
		return ports.AgentSession{}, err
	}
	ref, err := s.store.BindCluster(ctx, p.ClusterID, r, s.clock.Now())
	if errors.Is(err, domain.ErrConflict) {
		// The token names one cluster and the controller runs in another:
		// it may not write there, whatever it calls itself.
		return ports.AgentSession{}, domain.PermissionDeniedf("%v", err)
	}
	if err != nil {
		return ports.AgentSession{}, err
	}
	return s.session(ref, s.limits.Inventory.MaxObjects), nil
}

// ReportInventory implements ports.Ingestion.
func (s *Ingest) ReportInventory(ctx context.Context, p access.Principal, b *inventory.Batch) (inventory.ApplyResult, error) {
	if err := agentOnly(p); err != nil {
		return inventory.ApplyResult{}, err
	}
	rejected, err := b.Validate(s.limits.Inventory)
	if err != nil {
		return inventory.ApplyResult{}, err
	}
	now := s.clock.Now()
	// Controllers are never restricted by the entitlement, but a runaway
	// one is still rate-limited with its cluster.
	if err := s.limiter.Allow(p.ClusterID, "", b.Objects(), now); err != nil {
		return inventory.ApplyResult{}, err
	}
	res, err := s.store.ApplyInventory(ctx, p.ClusterID, b, now)
	if !res.Duplicate {
		res.Rejected = rejected
	}
	if err == nil && !res.Duplicate {
		s.changes.Notify()
	}
	return res, err
}

// ControllerHeartbeat implements ports.Ingestion.
func (s *Ingest) ControllerHeartbeat(ctx context.Context, p access.Principal, st inventory.ControllerState) (time.Duration, error) {
	if err := agentOnly(p); err != nil {
		return 0, err
	}
	switch st.Reported {
	case "", inventory.ControllerConnected, inventory.ControllerDegraded, inventory.ControllerDisconnected:
		// Disconnected is a controller saying it stops cleanly.
	default:
		return 0, domain.Invalidf("a controller cannot report status %q", st.Reported)
	}
	if len(st.Message) > 4096 || len(st.Version) > 256 || st.Pending < 0 {
		return 0, domain.Invalidf("heartbeat message or version too long, or negative pending count")
	}
	if st.Reported == "" {
		st.Reported = inventory.ControllerConnected
	}
	st.LastHeartbeat = s.clock.Now()
	return inventory.HeartbeatInterval, s.store.ControllerHeartbeat(ctx, p.ClusterID, st)
}

// RegisterNode implements ports.Ingestion.
func (s *Ingest) RegisterNode(ctx context.Context, p access.Principal, si runtime.SensorInfo) (ports.AgentSession, error) {
	if err := agentOnly(p); err != nil {
		return ports.AgentSession{}, err
	}
	if err := runtime.ValidateSensorInfo(si); err != nil {
		return ports.AgentSession{}, err
	}
	if err := s.store.RegisterSensor(ctx, p.ClusterID, si, s.clock.Now()); err != nil {
		return ports.AgentSession{}, err
	}
	if err := s.ent.Seen(ctx, p.ClusterID, si.NodeName, false); err != nil {
		return ports.AgentSession{}, err
	}
	sess := s.session(ports.ClusterRef{ID: p.ClusterID, Name: p.ClusterName}, s.limits.Runtime.MaxRecords)
	sess.Restricted, sess.RestrictionReason = s.ent.Status(p.ClusterID, si.NodeName)
	return sess, nil
}

// ReportRuntime implements ports.Ingestion.
func (s *Ingest) ReportRuntime(ctx context.Context, p access.Principal, b *runtime.Batch) (runtime.ApplyResult, error) {
	if err := agentOnly(p); err != nil {
		return runtime.ApplyResult{}, err
	}
	now := s.clock.Now()
	rejected, err := b.Normalize(s.limits.Runtime, now)
	if err != nil {
		return runtime.ApplyResult{}, err
	}
	if err := s.limiter.Allow(p.ClusterID, b.NodeName, b.Records(), now); err != nil {
		return runtime.ApplyResult{}, err
	}
	if err := s.ent.Admit(ctx, p.ClusterID, b.NodeName); err != nil {
		return runtime.ApplyResult{}, err
	}
	res, err := s.store.ApplyRuntime(ctx, p.ClusterID, b, now)
	if !res.Duplicate {
		res.Rejected = rejected
	}
	if err == nil && !res.Duplicate {
		s.changes.Notify()
	}
	return res, err
}

// NodeHeartbeat implements ports.Ingestion.
func (s *Ingest) NodeHeartbeat(ctx context.Context, p access.Principal, h runtime.Heartbeat) (ports.HeartbeatReply, error) {
	if err := agentOnly(p); err != nil {
		return ports.HeartbeatReply{}, err
	}
	if err := runtime.ValidateHeartbeat(h); err != nil {
		return ports.HeartbeatReply{}, err
	}
	if err := s.store.SensorHeartbeat(ctx, p.ClusterID, h, s.clock.Now()); err != nil {
		return ports.HeartbeatReply{}, err
	}
	if err := s.ent.Seen(ctx, p.ClusterID, h.NodeName, h.Status == inventory.SensorStopped); err != nil {
		return ports.HeartbeatReply{}, err
	}
	r := ports.HeartbeatReply{Interval: inventory.HeartbeatInterval}
	r.Restricted, r.RestrictionReason = s.ent.Status(p.ClusterID, h.NodeName)
	return r, nil
}
