package access

import "github.com/runwatch/runwatch/domain"

// Role is what a person or an API token may do.
type Role string

const (
	// RoleViewer reads everything.
	RoleViewer Role = "viewer"
	// RoleAdmin reads everything and changes settings, tokens and users.
	RoleAdmin Role = "admin"
)

// rank orders roles; an unknown role ranks below every real one.
func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleAdmin:
		return 2
	}
	return 0
}

// Valid says whether r is a role.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtMost says whether r grants no more than other.
func (r Role) AtMost(other Role) bool { return r.rank() <= other.rank() }

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", domain.Invalidf("role must be viewer or admin, not %q", domain.Clip(s))
	}
	return r, nil
}
