package access

import "time"

// AuditEvent is one change made through the API, or one attempt to sign
// in: who, what, with which arguments (secrets redacted) and the outcome.
type AuditEvent struct {
	ID         int64
	At         time.Time
	ActorKind  PrincipalKind
	Actor      string
	Action     string
	Detail     string
	Result     string
	RemoteAddr string
}
