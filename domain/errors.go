package domain

import (
	"errors"
	"fmt"
	"time"
)

// Error kinds. Use-case code wraps them with a message that says what was
// wrong; the API adapter maps each kind to its protocol's code.
var (
	// ErrInvalid: the request is malformed or breaks a rule; retrying it
	// unchanged cannot succeed.
	ErrInvalid = errors.New("invalid argument")
	// ErrNotFound: the named object does not exist.
	ErrNotFound = errors.New("not found")
	// ErrUnauthenticated: no credentials, or credentials that are unknown,
	// expired or revoked.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrPermissionDenied: valid credentials that may not do this, such as
	// a cluster's token writing another cluster's data.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrConflict: the request contradicts stored state (a cluster already
	// bound to another identity).
	ErrConflict = errors.New("conflict")
	// ErrUnavailable: a dependency is down; retrying later may succeed.
	ErrUnavailable = errors.New("unavailable")
	// ErrFailedPrecondition: the request is well-formed but the system is
	// not in a state to take it (a node over its entitlement).
	ErrFailedPrecondition = errors.New("failed precondition")
	// ErrRateLimited: too much, too fast; retry later.
	ErrRateLimited = errors.New("rate limited")
)

// Invalidf returns an ErrInvalid with a message.
func Invalidf(format string, args ...any) error {
	return &kindError{kind: ErrInvalid, msg: fmt.Sprintf(format, args...)}
}

// NotFoundf returns an ErrNotFound with a message.
func NotFoundf(format string, args ...any) error {
	return &kindError{kind: ErrNotFound, msg: fmt.Sprintf(format, args...)}
}

// Unauthenticatedf returns an ErrUnauthenticated with a message.
func Unauthenticatedf(format string, args ...any) error {
	return &kindError{kind: ErrUnauthenticated, msg: fmt.Sprintf(format, args...)}
}

// PermissionDeniedf returns an ErrPermissionDenied with a message.
func PermissionDeniedf(format string, args ...any) error {
	return &kindError{kind: ErrPermissionDenied, msg: fmt.Sprintf(format, args...)}
}

// Conflictf returns an ErrConflict with a message.
func Conflictf(format string, args ...any) error {
	return &kindError{kind: ErrConflict, msg: fmt.Sprintf(format, args...)}
}

// FailedPreconditionf returns an ErrFailedPrecondition with a message.
func FailedPreconditionf(format string, args ...any) error {
	return &kindError{kind: ErrFailedPrecondition, msg: fmt.Sprintf(format, args...)}
}

// RateLimitedf returns an ErrRateLimited with a message.
func RateLimitedf(format string, args ...any) error {
	return &kindError{kind: ErrRateLimited, msg: fmt.Sprintf(format, args...)}
}

// kindError carries a kind and a message without repeating the kind's text
// in the message the client sees.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// Clip shortens a value quoted in an error message, so a hostile or huge
// input cannot flood logs and responses.
func Clip(s string) string {
	const n = 80
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for i := n; i > n-4 && i > 0; i-- {
		if s[i]&0xC0 != 0x80 {
			return s[:i] + "…"
		}
	}
	return s[:n] + "…"
}

// RateLimitedError is a refusal by a rate limit.
type RateLimitedError struct {
	Scope      string // "cluster" or "node"
	Key        string
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	return "ingest rate limit of the " + e.Scope + " " + e.Key + " exceeded; retry in " + e.RetryAfter.Round(time.Millisecond).String()
}

// Unwrap makes it a ErrRateLimited.
func (e *RateLimitedError) Unwrap() error { return ErrRateLimited }

// Rejection is one record of a batch refused for what it holds, while the
// rest of the batch is applied: a sensor's one unreadable path must not
// cost the other 4,999 records of its batch.
type Rejection struct {
	// Field names the list ("executions", "pods", ...) and Index the
	// record's place in it, as sent.
	Field  string
	Index  int
	Reason string
}
