package access

// PrincipalKind says how a request authenticated.
type PrincipalKind string

const (
	// Anonymous: no credentials.
	Anonymous PrincipalKind = ""
	// Agent is a controller or sensor holding a cluster's registration
	// token. It may only ingest, and only into its own cluster.
	Agent PrincipalKind = "agent"
	// User is a person with a session cookie.
	User PrincipalKind = "user"
	// APIToken is a token a person made for scripts and runwatchctl.
	APIToken PrincipalKind = "api_token"
	// AdminToken is the platform's RUNWATCH_ADMIN_TOKEN, for automation.
	AdminToken PrincipalKind = "admin_token"
)

// Principal is who a request runs as.
type Principal struct {
	Kind PrincipalKind
	// Role is set for people, their API tokens and the admin token.
	Role Role
	// UserID and Username are the person, for users and API tokens.
	UserID   string
	Username string
	// TokenID is the registration, API or session token used.
	TokenID string
	// ClusterID and ClusterName are set for agents.
	ClusterID   string
	ClusterName string
}

// Actor names the principal in the audit log.
func (p Principal) Actor() string {
	switch p.Kind {
	case User:
		return p.Username
	case APIToken:
		return p.Username + " (api token " + p.TokenID + ")"
	case AdminToken:
		return "admin-token"
	case Agent:
		return "cluster " + p.ClusterName + " (registration token " + p.TokenID + ")"
	}
	return "anonymous"
}

// Person says whether the principal is a person or acts for one: a user,
// an API token or the admin token. Agents are not.
func (p Principal) Person() bool {
	return p.Kind == User || p.Kind == APIToken || p.Kind == AdminToken
}

// Permission is what a procedure needs.
type Permission string

const (
	// PermPublic: anyone, signed in or not (logging in).
	PermPublic Permission = "public"
	// PermSelf: any person, for their own session and tokens.
	PermSelf Permission = "self"
	// PermIngest: write a cluster's inventory and runtime records.
	PermIngest Permission = "ingest"
	// PermRead: query the inventory.
	PermRead Permission = "read"
	// PermAdminister: change settings, tokens and users.
	PermAdminister Permission = "administer"
)

// Allows says whether the principal holds a permission. Agents only
// ingest; people never ingest, so a leaked API or admin token cannot
// forge a cluster's runtime picture.
func (p Principal) Allows(perm Permission) bool {
	switch perm {
	case PermPublic:
		return true
	case PermIngest:
		return p.Kind == Agent && p.ClusterID != ""
	case PermSelf:
		return p.Person()
	case PermRead:
		return p.Person() && RoleViewer.AtMost(p.Role)
	case PermAdminister:
		return p.Person() && p.Role == RoleAdmin
	}
	return false
}
