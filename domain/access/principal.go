package access

// PrincipalKind says what kind of caller a request runs as.
type PrincipalKind string

const (
	// Agent is a controller or sensor holding a cluster's registration
	// token. It may only ingest, and only into its own cluster.
	Agent PrincipalKind = "agent"
	// Admin holds the platform's admin token.
	Admin PrincipalKind = "admin"
)

// Principal is who a request runs as.
type Principal struct {
	Kind PrincipalKind
	// ClusterID and TokenID are set for agents.
	ClusterID   string
	ClusterName string
	TokenID     string
}

// Permission is what a procedure needs.
type Permission string

const (
	// Ingest: write a cluster's inventory and runtime records.
	PermIngest Permission = "ingest"
	// Read: query the inventory.
	PermRead Permission = "read"
	// Administer: change settings and tokens.
	PermAdminister Permission = "administer"
)

// Allows says whether the principal holds a permission. Agents only
// ingest; the admin reads and administers but never ingests, so a leaked
// admin token cannot forge a cluster's runtime picture.
func (p Principal) Allows(perm Permission) bool {
	switch p.Kind {
	case Agent:
		return perm == PermIngest
	case Admin:
		return perm == PermRead || perm == PermAdminister
	}
	return false
}
