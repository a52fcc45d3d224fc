package ports

import (
	"context"
	"time"

	"github.com/runwatch/runwatch/domain/access"
	"github.com/runwatch/runwatch/domain/inventory"
	"github.com/runwatch/runwatch/domain/query"
	"github.com/runwatch/runwatch/domain/runtime"
)

// Clock tells the time; tests move it.
type Clock interface {
	Now() time.Time
}

// ClusterRef names a cluster.
type ClusterRef struct {
	ID   string
	Name string
	// UID is the cluster's identity once a controller registered.
	UID string
}

// TokenStore keeps clusters' registration tokens.
type TokenStore interface {
	// EnsureCluster returns the cluster of that name, creating it with id
	// when there is none.
	EnsureCluster(ctx context.Context, id, name string, now time.Time) (ClusterRef, error)
	// CreateRegistrationToken stores a new token record.
	CreateRegistrationToken(ctx context.Context, t access.RegistrationToken) error
	// GetRegistrationToken returns a token record by id, or an error
	// wrapping domain.ErrNotFound.
	GetRegistrationToken(ctx context.Context, id string) (access.RegistrationToken, error)
	// ListRegistrationTokens lists tokens, of one cluster (id or name) or
	// of all when cluster is empty, newest first.
	ListRegistrationTokens(ctx context.Context, cluster string) ([]access.RegistrationToken, error)
	// RevokeRegistrationToken marks a token revoked at the given time,
	// unless it already was; it returns the record.
	RevokeRegistrationToken(ctx context.Context, id string, at time.Time) (access.RegistrationToken, error)
	// TouchRegistrationTokens records when tokens were last used.
	TouchRegistrationTokens(ctx context.Context, lastUsed map[string]time.Time) error
}

// ClusterStore keeps what controllers say about their clusters.
type ClusterStore interface {
	// BindCluster records a controller's registration. The first one binds
	// the cluster to its uid; a later one with another uid fails with
	// domain.ErrConflict and changes nothing.
	BindCluster(ctx context.Context, clusterID string, reg inventory.Registration, now time.Time) (ClusterRef, error)
	// ControllerHeartbeat records the controller's state.
	ControllerHeartbeat(ctx context.Context, clusterID string, s inventory.ControllerState) error
}

// InventoryStore applies controllers' inventory batches.
type InventoryStore interface {
	// ApplyInventory applies a batch in one transaction, exactly once per
	// (cluster, batch id): a batch id seen before changes nothing and
	// reports Duplicate. A complete snapshot marks gone what it did not hold.
	ApplyInventory(ctx context.Context, clusterID string, b *inventory.Batch, now time.Time) (inventory.ApplyResult, error)
}

// RuntimeStore applies sensors' reports.
type RuntimeStore interface {
	// RegisterSensor records a sensor starting on a node.
	RegisterSensor(ctx context.Context, clusterID string, s runtime.SensorInfo, now time.Time) error
	// SensorHeartbeat records a sensor's heartbeat.
	SensorHeartbeat(ctx context.Context, clusterID string, h runtime.Heartbeat, now time.Time) error
	// ApplyRuntime applies a coalesced batch in one transaction, exactly once
	// per (cluster, batch id), aggregating records per key by the rules of
	// runtime.MergeProcess and runtime.MergeFile.
	ApplyRuntime(ctx context.Context, clusterID string, b *runtime.Batch, now time.Time) (runtime.ApplyResult, error)
}

// QueryStore answers the query API. List methods return at most limit
// rows after the cursor (nil: from the start) in the list's query.Order.
type QueryStore interface {
	Overview(ctx context.Context, f query.Filter, now time.Time) (query.Overview, error)
	ListClusters(ctx context.Context, f query.Filter, limit int, after query.Cursor, now time.Time) (query.Page[query.ClusterView], error)
	ListNodes(ctx context.Context, f query.Filter, limit int, after query.Cursor, now time.Time) (query.Page[query.NodeView], error)
	ListWorkloads(ctx context.Context, f query.Filter, limit int, after query.Cursor, now time.Time) (query.Page[query.WorkloadView], error)
	ListContainers(ctx context.Context, f query.Filter, limit int, after query.Cursor, now time.Time) (query.Page[query.ContainerView], error)
	ListImages(ctx context.Context, f query.Filter, limit int, after query.Cursor, now time.Time) (query.Page[query.ImageView], error)
	ListProcesses(ctx context.Context, f query.ProcessFilter, limit int, after query.Cursor, now time.Time) (query.Page[query.ProcessView], error)
	ListFiles(ctx context.Context, f query.FileFilter, limit int, after query.Cursor, now time.Time) (query.Page[query.FileView], error)
}

// PruneResult counts what a prune removed.
type PruneResult struct {
	Processes, Files, Batches, Inventory int64
}

// Pruner removes what is older than the retention window.
type Pruner interface {
	// Prune deletes runtime records last seen before the cutoff, inventory
	// gone before it, and idempotency keys applied before it.
	Prune(ctx context.Context, cutoff time.Time) (PruneResult, error)
}

// Store is everything the platform keeps, as one adapter implements it.
type Store interface {
	TokenStore
	ClusterStore
	InventoryStore
	RuntimeStore
	QueryStore
	Pruner
	AccessStore
	// Ping says whether the store answers (readiness).
	Ping(ctx context.Context) error
	Close() error
}
