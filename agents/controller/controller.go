// Package controller is the cluster inventory agent: client-go informers on
// nodes, namespaces, pods and workloads, and a session with the platform's
// ControllerService that registers the cluster, sends a full snapshot, then
// deltas of what changed, and heartbeats.
//
// Changes are not queued as events: an informer event marks the object's
// key pending (coalesced, bounded), and a batch reports each pending
// object's state as the cache holds it when the batch is built. However
// long the platform is away, memory stays bounded by the number of objects,
// and after any failure the session starts over with a full snapshot, which
// the platform reconciles (whatever it no longer holds is marked gone).
package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/runwatch/runwatch/agents/controller/pending"
	"github.com/runwatch/runwatch/agents/transport"
)

// Config tunes the controller. Zero values take the defaults.
type Config struct {
	// ClusterName is reported at registration (informational: the token's
	// cluster keeps the name it was created with).
	ClusterName string
	// ClusterUID overrides the cluster identity, which is otherwise the UID
	// of the kube-system namespace.
	ClusterUID string
	// Version is the controller's version, reported at registration and in
	// heartbeats.
	Version string
	// BatchDelay is how long changes gather before a delta is sent
	// (default 250ms): longer coalesces more, shorter shows changes sooner.
	BatchDelay time.Duration
	// MaxBatchObjects bounds the objects in one batch (default 500); the
	// platform's own bound wins when it is smaller.
	MaxBatchObjects int
	// MaxPending bounds the objects with unreported changes (default
	// 200,000). Past it the changes are dropped and a full snapshot is sent
	// instead.
	MaxPending int
	// RPCTimeout bounds each call to the platform (default 30s).
	RPCTimeout time.Duration
	// ResnapshotInterval sends a full snapshot this often even without a
	// reconnect, repairing anything the platform lost (default 1h; negative
	// disables).
	ResnapshotInterval time.Duration
	// SyncTimeout is how long to wait for optional kinds (workloads) to be
	// listed before reporting without them, DEGRADED (default 60s). Pods,
	// nodes and namespaces are always waited for.
	SyncTimeout time.Duration
}

func (c *Config) defaults() {
	if c.BatchDelay <= 0 {
		c.BatchDelay = 250 * time.Millisecond
	}
	if c.MaxBatchObjects <= 0 {
		c.MaxBatchObjects = 500
	}
	if c.MaxPending <= 0 {
		c.MaxPending = 200_000
	}
	if c.RPCTimeout <= 0 {
		c.RPCTimeout = 30 * time.Second
	}
	if c.ResnapshotInterval == 0 {
		c.ResnapshotInterval = time.Hour
	}
	if c.SyncTimeout <= 0 {
		c.SyncTimeout = 60 * time.Second
	}
	if c.Version == "" {
		c.Version = "dev"
	}
}

// Controller is one cluster's inventory agent.
type Controller struct {
	cfg      Config
	kube     kubernetes.Interface
	platform runwatchv1connect.ControllerServiceClient
	log      *slog.Logger
	w        *watcher
	pending  *pending.Set[key]
	m        *metrics

	mu        sync.Mutex
	synced    bool  // required caches filled
	connected bool  // a session is established (registered, snapshot sent)
	lastErr   error // why the last session ended
}

// New builds a controller. It watches nothing until Run.
func New(cfg Config, kube kubernetes.Interface, platform runwatchv1connect.ControllerServiceClient, log *slog.Logger, reg prometheus.Registerer) (*Controller, error) {
	cfg.defaults()
	c := &Controller{cfg: cfg, kube: kube, platform: platform, log: log, pending: pending.New[key](cfg.MaxPending)}
	w, err := newWatcher(kube, log, c.pending.Add)
	if err != nil {
		return nil, err
	}
	c.w = w
	c.m = newMetrics(reg, c)
	return c, nil
}

// Run watches the cluster and reports to the platform until ctx ends. It
// returns nil on a clean shutdown; it does not give up on a platform that is
// down or rejects it, it keeps retrying (and logs why).
func (c *Controller) Run(ctx context.Context) error {
	c.w.factory.Start(ctx.Done())
	defer c.w.factory.Shutdown()
	if err := c.waitForCaches(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped before the caches were filled
		}
		return err
	}
	c.setSynced()

	backoff := transport.Backoff{Min: time.Second, Max: time.Minute}
	for {
		start := time.Now()
		established, err := c.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		// Start the backoff over only after a session that lasted: one that
		// fails right after its snapshot (say, every heartbeat is refused)
		// must not turn into a snapshot every second.
		if established && time.Since(start) > time.Minute {
			backoff.Reset()
		}
		c.setLastErr(err)
		wait := backoff.Next()
		c.log.Error("platform session ended; starting over with a full snapshot", "err", err, "hint", hint(err), "retry_in", wait.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// waitForCaches waits until pods, nodes and namespaces are listed (a
// snapshot without them would mark everything gone), and the workload kinds
// for at most SyncTimeout: a kind RBAC denies is reported as missing
// (DEGRADED), and pods it owns are attributed as far as the caches allow.
func (c *Controller) waitForCaches(ctx context.Context) error {
	start := time.Now()
	c.log.Info("listing the cluster's objects")
	required := []cache.InformerSynced{}
	for _, k := range c.w.kinds {
		if k.required {
			required = append(required, k.informer.HasSynced)
		}
	}
	if !waitFor(ctx, 5*time.Second, func() bool { return allSynced(required) }, func() {
		c.log.Info("still listing", "waiting_for", kindNames(c.w.unsynced(true)))
	}) {
		return ctx.Err()
	}
	optCtx, cancel := context.WithTimeout(ctx, c.cfg.SyncTimeout)
	defer cancel()
	waitFor(optCtx, 5*time.Second, func() bool { return len(c.w.unsynced(false)) == 0 }, func() {
		c.log.Info("still listing", "waiting_for", kindNames(c.w.unsynced(false)))
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if missing := c.w.unsynced(false); len(missing) > 0 {
		c.log.Warn("reporting without some kinds; pods they own are attributed as far as the caches allow",
			"missing", c.degradedMessage())
	}
	c.log.Info("caches synced", "took", time.Since(start).Round(time.Millisecond), "objects", c.w.counts())
	return nil
}

func allSynced(fns []cache.InformerSynced) bool {
	for _, f := range fns {
		if !f() {
			return false
		}
	}
	return true
}

// waitFor polls cond every 20ms until it holds (true) or ctx ends (false),
// calling progress every interval.
func waitFor(ctx context.Context, every time.Duration, cond func() bool, progress func()) bool {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	last := time.Now()
	for !cond() {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
		if time.Since(last) >= every {
			progress()
			last = time.Now()
		}
	}
	return true
}

func kindNames(ks []*watchedKind) string {
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = k.name
	}
	return strings.Join(names, ",")
}

// degradedMessage says which kinds are not watched, and why; empty when all
// are.
func (c *Controller) degradedMessage() string {
	var parts []string
	for _, k := range c.w.unsynced(false) {
		why := "not listed yet"
		if err := k.err(); err != nil {
			why = err.Error()
		}
		parts = append(parts, fmt.Sprintf("cannot watch %s: %s", k.name, why))
	}
	return strings.Join(parts, "; ")
}

// Ready says whether the controller is doing its job: caches synced and a
// session with the platform established. The error says what is missing.
func (c *Controller) Ready() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !c.synced:
		if msg := c.degradedMessage(); msg != "" {
			return errors.New("informer caches not synced yet: " + msg)
		}
		return errors.New("informer caches not synced yet")
	case !c.connected && c.lastErr != nil:
		return fmt.Errorf("not connected to the platform: %w", c.lastErr)
	case !c.connected:
		return errors.New("not connected to the platform yet")
	}
	return nil
}

func (c *Controller) setSynced() {
	c.mu.Lock()
	c.synced = true
	c.mu.Unlock()
}

func (c *Controller) setConnected(v bool) {
	c.mu.Lock()
	c.connected = v
	if v {
		c.lastErr = nil
	}
	c.mu.Unlock()
	if v {
		c.m.connected.Set(1)
	} else {
		c.m.connected.Set(0)
	}
}

func (c *Controller) setLastErr(err error) {
	c.mu.Lock()
	c.lastErr = err
	c.mu.Unlock()
}
