package ports

import (
	"context"
	"time"

	"github.com/runwatch/runwatch/domain/access"
	"github.com/runwatch/runwatch/domain/inventory"
	"github.com/runwatch/runwatch/domain/query"
	"github.com/runwatch/runwatch/domain/runtime"
)

// Authentication turns a presented bearer token into a principal.
type Authentication interface {
	// Authenticate returns who holds the token, or an error wrapping
	// domain.ErrUnauthenticated that says why not.
	Authenticate(ctx context.Context, bearer string) (access.Principal, error)
}

// AgentSession is what the platform tells an agent that registered.
type AgentSession struct {
	Cluster           ClusterRef
	HeartbeatInterval time.Duration
	MaxBatch          int
}

// Ingestion is what agents call. Every method takes the authenticated
// principal: it decides the cluster the data belongs to.
type Ingestion interface {
	RegisterCluster(ctx context.Context, p access.Principal, r inventory.Registration) (AgentSession, error)
	ReportInventory(ctx context.Context, p access.Principal, b *inventory.Batch) (inventory.ApplyResult, error)
	ControllerHeartbeat(ctx context.Context, p access.Principal, s inventory.ControllerState) (time.Duration, error)
	RegisterNode(ctx context.Context, p access.Principal, s runtime.SensorInfo) (AgentSession, error)
	ReportRuntime(ctx context.Context, p access.Principal, b *runtime.Batch) (runtime.ApplyResult, error)
	NodeHeartbeat(ctx context.Context, p access.Principal, h runtime.Heartbeat) (time.Duration, error)
}

// PageRequest asks for a page: its size and the token of the previous
// page's end.
type PageRequest struct {
	Size  int32
	Token string
}

// ListResult is a page of a list and the token of the next page (empty on
// the last).
type ListResult[T any] struct {
	Items     []T
	NextToken string
}

// Inventory is what the UI and CLI read.
type Inventory interface {
	Overview(ctx context.Context, f query.Filter) (query.Overview, error)
	ListClusters(ctx context.Context, f query.Filter, p PageRequest) (ListResult[query.ClusterView], error)
	ListNodes(ctx context.Context, f query.Filter, p PageRequest) (ListResult[query.NodeView], error)
	ListWorkloads(ctx context.Context, f query.Filter, p PageRequest) (ListResult[query.WorkloadView], error)
	ListContainers(ctx context.Context, f query.Filter, p PageRequest) (ListResult[query.ContainerView], error)
	ListImages(ctx context.Context, f query.Filter, p PageRequest) (ListResult[query.ImageView], error)
	GetImage(ctx context.Context, digest string, w query.Window) (query.ImageDetail, error)
	ListProcesses(ctx context.Context, f query.ProcessFilter, p PageRequest) (ListResult[query.ProcessView], error)
	ListFiles(ctx context.Context, f query.FileFilter, p PageRequest) (ListResult[query.FileView], error)
}

// NewToken is a token made for a cluster: its text, shown once, and its
// record.
type NewToken struct {
	Text   string
	Record access.RegistrationToken
}

// Administration changes the platform's settings.
type Administration interface {
	CreateRegistrationToken(ctx context.Context, clusterName, description string, ttl time.Duration) (NewToken, error)
	ListRegistrationTokens(ctx context.Context, cluster string) ([]access.RegistrationToken, error)
	RevokeRegistrationToken(ctx context.Context, id string) (access.RegistrationToken, error)
}
