package app

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/runwatch/runwatch/domain/access"
	"github.com/runwatch/runwatch/domain/inventory"
	"github.com/runwatch/runwatch/ports"
)

// LicenseKey is the ed25519 public key licences are verified with; empty
// means no licence can be applied and the default entitlement holds.
type LicenseKey ed25519.PublicKey

const licenseSetting = "license"

// EntitlementGauges is told the counts after each evaluation (metrics).
type EntitlementGauges func(inOperation, entitled, restricted int)

// Entitlements implements ports.Licensing and enforces the node
// entitlement: it decides, from the nodes whose sensors heartbeat, which
// are over the licence, writes that to the store for the API and the UI,
// and refuses the restricted nodes' reports.
//
// Every replica decides from the same stored state with the same rule
// (access.Restrict), so replicas agree without talking to each other.
type Entitlements struct {
	store  ports.Store
	clock  ports.Clock
	key    ed25519.PublicKey
	log    *slog.Logger
	gauges EntitlementGauges

	mu        sync.Mutex
	decisions map[string]access.Decision // by cluster id + "/" + node
	ordered   []access.Decision          // as access.Restrict orders them
	license   access.License
	source    access.LicenseSource
	evaluated time.Time
}

var _ ports.Licensing = (*Entitlements)(nil)

// NewEntitlements makes Entitlements.
func NewEntitlements(store ports.Store, clock ports.Clock, key LicenseKey, gauges EntitlementGauges, log *slog.Logger) *Entitlements {
	return &Entitlements{store: store, clock: clock, key: ed25519.PublicKey(key), log: log, gauges: gauges,
		decisions: map[string]access.Decision{}, license: access.DefaultEntitlement, source: access.SourceDefault}
}

func nodeKey(clusterID, node string) string { return clusterID + "/" + node }

// current reads the applied licence. A stored licence that no longer
// verifies (the key changed) is ignored, loudly: the default holds.
func (e *Entitlements) current(ctx context.Context, now time.Time) (access.License, access.LicenseSource, error) {
	text, found, err := e.store.GetSetting(ctx, licenseSetting)
	if err != nil || !found {
		return access.DefaultEntitlement, access.SourceDefault, err
	}
	l, err := access.VerifyLicense(text, e.key)
	if err != nil {
		e.log.Error("the applied licence does not verify with the configured key; the default entitlement holds", "err", err)
		return access.DefaultEntitlement, access.SourceDefault, nil
	}
	lic, src := access.InForce(&l, now)
	if src == access.SourceExpired {
		// Show the expired licence, enforce the default.
		return l, src, nil
	}
	return lic, src, nil
}

// Evaluate decides which nodes are restricted now and records it.
func (e *Entitlements) Evaluate(ctx context.Context) error {
	now := e.clock.Now()
	lic, src, err := e.current(ctx, now)
	if err != nil {
		return err
	}
	enforced := lic
	if src == access.SourceExpired {
		enforced = access.DefaultEntitlement
	}
	nodes, err := e.store.NodesInOperation(ctx, now.Add(-inventory.StaleAfter))
	if err != nil {
		return err
	}
	decisions := access.Restrict(nodes, enforced)
	m := make(map[string]access.Decision, len(decisions))
	restricted := 0
	for _, d := range decisions {
		m[nodeKey(d.ClusterID, d.Node)] = d
		if d.Restricted {
			restricted++
		}
	}
	e.mu.Lock()
	changed := e.evaluated.IsZero() || !sameRestrictions(e.decisions, m)
	e.mu.Unlock()
	// The periodic evaluation mostly finds nothing new: write only what
	// changed (and everything on the first evaluation of this process).
	if changed {
		if err := e.store.SetRestrictions(ctx, decisions); err != nil {
			return err
		}
	}
	e.mu.Lock()
	before := e.countRestricted()
	e.decisions, e.ordered, e.license, e.source, e.evaluated = m, decisions, lic, src, now
	e.mu.Unlock()
	if restricted != before {
		e.log.Warn("sensor entitlement", "nodes_in_operation", len(decisions), "licensed", enforced.SensorNodes,
			"sensors_licensed", enforced.SensorsLicensed, "restricted", restricted)
	}
	if e.gauges != nil {
		e.gauges(len(decisions), int(min(enforced.SensorNodes, int64(len(decisions)))), restricted)
	}
	return nil
}

// sameRestrictions says whether two decisions restrict the same nodes for
// the same reasons.
func sameRestrictions(a, b map[string]access.Decision) bool {
	count := func(m map[string]access.Decision) int {
		n := 0
		for _, d := range m {
			if d.Restricted {
				n++
			}
		}
		return n
	}
	if count(a) != count(b) {
		return false
	}
	for k, d := range b {
		if d.Restricted && (!a[k].Restricted || a[k].Reason != d.Reason) {
			return false
		}
	}
	return true
}

// countRestricted counts the restricted nodes of the last decision; it
// holds e.mu.
func (e *Entitlements) countRestricted() int {
	n := 0
	for _, d := range e.decisions {
		if d.Restricted {
			n++
		}
	}
	return n
}

// Status says whether a node is restricted, from the last evaluation.
func (e *Entitlements) Status(clusterID, node string) (bool, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d := e.decisions[nodeKey(clusterID, node)]
	return d.Restricted, d.Reason
}

// known says whether the last evaluation counted the node in operation.
func (e *Entitlements) known(clusterID, node string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.decisions[nodeKey(clusterID, node)]
	return ok
}

// Admit lets a node's runtime report through, or refuses it if the node
// is restricted. A node that reports before it was counted (no heartbeat
// yet, or before the last evaluation) counts from now: reporting is
// operating, so a sensor cannot escape the entitlement by not
// heartbeating.
func (e *Entitlements) Admit(ctx context.Context, clusterID, node string) error {
	if !e.known(clusterID, node) {
		if err := e.store.TouchSensor(ctx, clusterID, node, e.clock.Now()); err != nil {
			return err
		}
		if err := e.Evaluate(ctx); err != nil {
			return err
		}
	}
	if restricted, reason := e.Status(clusterID, node); restricted {
		return &access.RestrictedError{Reason: reason, RetryAfter: inventory.HeartbeatInterval}
	}
	return nil
}

// Seen re-evaluates after a sensor's registration or heartbeat when it may
// change the outcome: a node new to operation, or one that stopped.
func (e *Entitlements) Seen(ctx context.Context, clusterID, node string, stopped bool) error {
	if stopped || !e.known(clusterID, node) {
		return e.Evaluate(ctx)
	}
	return nil
}

// Run re-evaluates every interval, so nodes that fell silent leave
// operation and restrictions lift without waiting for a heartbeat.
func (e *Entitlements) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := e.Evaluate(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("evaluate sensor entitlement", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ApplyLicense implements ports.Licensing.
func (e *Entitlements) ApplyLicense(ctx context.Context, text string) (ports.LicenseView, error) {
	now := e.clock.Now()
	l, err := access.ParseLicense(text, e.key, now)
	if err != nil {
		return ports.LicenseView{}, err
	}
	if err := e.store.PutSetting(ctx, licenseSetting, text, now); err != nil {
		return ports.LicenseView{}, err
	}
	e.log.Info("licence applied", "id", l.ID, "organization", l.Organization, "sensor_nodes", l.SensorNodes,
		"sensors_licensed", l.SensorsLicensed, "expires_at", l.ExpiresAt)
	if err := e.Evaluate(ctx); err != nil {
		return ports.LicenseView{}, err
	}
	return e.GetLicense(ctx)
}

// GetLicense implements ports.Licensing. The view is the last
// evaluation's when it is recent (the loop keeps it so), so reading the
// licence costs no database work of its own.
func (e *Entitlements) GetLicense(ctx context.Context) (ports.LicenseView, error) {
	e.mu.Lock()
	fresh := !e.evaluated.IsZero() && e.clock.Now().Sub(e.evaluated) < 2*time.Second
	e.mu.Unlock()
	if !fresh {
		if err := e.Evaluate(ctx); err != nil && !errors.Is(err, context.Canceled) {
			return ports.LicenseView{}, err
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return ports.LicenseView{License: e.license, Source: e.source, Nodes: append([]access.Decision(nil), e.ordered...)}, nil
}
