package ports

import (
	"context"
	"time"

	"github.com/runwatch/runwatch/domain/access"
	"github.com/runwatch/runwatch/domain/inventory"
	"github.com/runwatch/runwatch/domain/query"
	"github.com/runwatch/runwatch/domain/runtime"
)

// Credentials are what a request presents: a bearer token (agents,
// scripts, runwatchctl) or a session cookie (the web UI).
type Credentials struct {
	Bearer  string
	Session string
}

// Authentication turns presented credentials into a principal.
type Authentication interface {
	// Authenticate returns who holds the credentials; no credentials is
	// the anonymous principal. Bad credentials are an error wrapping
	// domain.ErrUnauthenticated that says why.
	Authenticate(ctx context.Context, c Credentials) (access.Principal, error)
}

// AgentSession is what the platform tells an agent that registered.
type AgentSession struct {
	Cluster           ClusterRef
	HeartbeatInterval time.Duration
	MaxBatch          int
	// Restricted is set for a sensor's node over the entitlement.
	Restricted        bool
	RestrictionReason string
}

// HeartbeatReply is what the platform answers a heartbeat.
type HeartbeatReply struct {
	Interval          time.Duration
	Restricted        bool
	RestrictionReason string
}

// Ingestion is what agents call. Every method takes the authenticated
// principal: it decides the cluster the data belongs to.
type Ingestion interface {
	RegisterCluster(ctx context.Context, p access.Principal, r inventory.Registration) (AgentSession, error)
	ReportInventory(ctx context.Context, p access.Principal, b *inventory.Batch) (inventory.ApplyResult, error)
	ControllerHeartbeat(ctx context.Context, p access.Principal, s inventory.ControllerState) (time.Duration, error)
	RegisterNode(ctx context.Context, p access.Principal, s runtime.SensorInfo) (AgentSession, error)
	ReportRuntime(ctx context.Context, p access.Principal, b *runtime.Batch) (runtime.ApplyResult, error)
	NodeHeartbeat(ctx context.Context, p access.Principal, h runtime.Heartbeat) (HeartbeatReply, error)
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

// LoginResult is a started session.
type LoginResult struct {
	// Cookie is the session secret, for the session cookie only.
	Cookie    string
	User      access.UserAccount
	ExpiresAt time.Time
}

// UserUpdate changes a user; nil fields stay.
type UserUpdate struct {
	Role        access.Role
	NewPassword string
	Disabled    *bool
}

// NewAPIToken is an API token made for a person: its text, shown once,
// and its record.
type NewAPIToken struct {
	Text   string
	Record access.APITokenRecord
}

// Accounts is what people do with their accounts and what admins do with
// everyone's.
type Accounts interface {
	Login(ctx context.Context, username, password, remoteAddr string) (LoginResult, error)
	Logout(ctx context.Context, p access.Principal) error
	ChangePassword(ctx context.Context, p access.Principal, current, next string) error
	// Whoami returns the person behind a principal, when there is one.
	Whoami(ctx context.Context, p access.Principal) (access.UserAccount, bool, error)
	CreateUser(ctx context.Context, username, password string, role access.Role) (access.UserAccount, error)
	ListUsers(ctx context.Context) ([]access.UserAccount, error)
	UpdateUser(ctx context.Context, p access.Principal, id string, u UserUpdate) (access.UserAccount, error)
	DeleteUser(ctx context.Context, p access.Principal, id string) error
	CreateAPIToken(ctx context.Context, p access.Principal, name string, role access.Role, ttl time.Duration) (NewAPIToken, error)
	ListAPITokens(ctx context.Context, p access.Principal) ([]access.APITokenRecord, error)
	RevokeAPIToken(ctx context.Context, p access.Principal, id string) (access.APITokenRecord, error)
}

// Audit records and lists who changed what.
type Audit interface {
	Record(ctx context.Context, e access.AuditEvent)
	List(ctx context.Context, text string, p PageRequest) (ListResult[access.AuditEvent], error)
}

// LicenseView is the licence in force and what it means for the nodes.
type LicenseView struct {
	License access.License
	Source  access.LicenseSource
	Nodes   []access.Decision
}

// Licensing applies licences and says which nodes are restricted.
type Licensing interface {
	ApplyLicense(ctx context.Context, text string) (LicenseView, error)
	GetLicense(ctx context.Context) (LicenseView, error)
}
