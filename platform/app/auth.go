package app

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/runwatch/runwatch/domain"
	"github.com/runwatch/runwatch/domain/access"
	"github.com/runwatch/runwatch/ports"
)

// AdminToken is the secret that grants the admin role to automation
// (RUNWATCH_ADMIN_TOKEN); empty disables it.
type AdminToken string

// cacheTTL bounds how long a verified record (token, session, user) is
// trusted without reading it again. A change through this process (a
// revocation, a logout, a user disabled) takes effect at once; through
// another replica, within this time.
const cacheTTL = 5 * time.Second

// Authenticator implements ports.Authentication. Credential checks sit on
// every request, ingest included, so verified records are cached briefly
// and last-use times are written in the background, not per call.
type Authenticator struct {
	store     ports.Store
	clock     ports.Clock
	log       *slog.Logger
	adminHash [32]byte
	adminSet  bool

	mu         sync.Mutex
	cache      map[string]cached // by "<kind>:<id>"
	regUsed    map[string]time.Time
	apiUsed    map[string]time.Time
	cacheLimit int
}

type cached struct {
	fetched time.Time
	reg     access.RegistrationToken
	api     access.APITokenRecord
	session access.Session
	user    access.UserAccount
}

var _ ports.Authentication = (*Authenticator)(nil)

// NewAuthenticator makes an Authenticator.
func NewAuthenticator(store ports.Store, clock ports.Clock, admin AdminToken, log *slog.Logger) *Authenticator {
	a := &Authenticator{store: store, clock: clock, log: log, cache: map[string]cached{},
		regUsed: map[string]time.Time{}, apiUsed: map[string]time.Time{}, cacheLimit: 100_000}
	if admin != "" {
		a.adminHash, a.adminSet = sha256.Sum256([]byte(admin)), true
	}
	return a
}

// Authenticate implements ports.Authentication.
func (a *Authenticator) Authenticate(ctx context.Context, c ports.Credentials) (access.Principal, error) {
	switch {
	case c.Bearer != "":
		return a.bearer(ctx, c.Bearer)
	case c.Session != "":
		return a.session(ctx, c.Session)
	}
	return access.Principal{}, nil
}

func (a *Authenticator) bearer(ctx context.Context, text string) (access.Principal, error) {
	switch {
	case strings.HasPrefix(text, access.RegistrationPrefix):
		return a.agent(ctx, text)
	case strings.HasPrefix(text, access.APITokenPrefix):
		return a.apiToken(ctx, text)
	}
	// Compare hashes, so the comparison's time says nothing about the secret.
	h := sha256.Sum256([]byte(text))
	if a.adminSet && subtle.ConstantTimeCompare(h[:], a.adminHash[:]) == 1 {
		return access.Principal{Kind: access.AdminToken, Role: access.RoleAdmin}, nil
	}
	return access.Principal{}, domain.Unauthenticatedf("unknown token")
}

// lookup returns a cached entry, or loads and caches it.
func (a *Authenticator) lookup(key string, now time.Time, load func() (cached, error)) (cached, error) {
	a.mu.Lock()
	c, ok := a.cache[key]
	a.mu.Unlock()
	if ok && now.Sub(c.fetched) <= cacheTTL {
		return c, nil
	}
	c, err := load()
	if err != nil {
		return c, err
	}
	c.fetched = now
	a.mu.Lock()
	if len(a.cache) >= a.cacheLimit {
		// Bounded: entries reload in cacheTTL anyway, so dropping all is
		// cheaper than tracking recency.
		clear(a.cache)
	}
	a.cache[key] = c
	a.mu.Unlock()
	return c, nil
}

func notFoundAs(err error, msg string) error {
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Unauthenticatedf("%s", msg)
	}
	return err
}

func (a *Authenticator) agent(ctx context.Context, text string) (access.Principal, error) {
	id, err := access.ParseRegistrationToken(text)
	if err != nil {
		return access.Principal{}, err
	}
	now := a.clock.Now()
	c, err := a.lookup("reg:"+id, now, func() (cached, error) {
		rec, err := a.store.GetRegistrationToken(ctx, id)
		return cached{reg: rec}, notFoundAs(err, "unknown registration token")
	})
	if err != nil {
		return access.Principal{}, err
	}
	if err := c.reg.Verify(text, now); err != nil {
		return access.Principal{}, err
	}
	a.mu.Lock()
	a.regUsed[id] = now
	a.mu.Unlock()
	return access.Principal{Kind: access.Agent, ClusterID: c.reg.ClusterID, ClusterName: c.reg.ClusterName, TokenID: id}, nil
}

// activeUser loads a person's account; a disabled or deleted account
// takes its sessions and tokens with it.
func (a *Authenticator) activeUser(ctx context.Context, userID string) (access.UserAccount, error) {
	u, err := a.store.GetUser(ctx, userID)
	if err != nil {
		return u, notFoundAs(err, "the account no longer exists")
	}
	if !u.Active() {
		return u, domain.Unauthenticatedf("the account %s is disabled", u.Username)
	}
	return u, nil
}

func (a *Authenticator) apiToken(ctx context.Context, text string) (access.Principal, error) {
	id, err := access.ParseAPIToken(text)
	if err != nil {
		return access.Principal{}, err
	}
	now := a.clock.Now()
	c, err := a.lookup("api:"+id, now, func() (cached, error) {
		rec, err := a.store.GetAPIToken(ctx, id)
		if err != nil {
			return cached{}, notFoundAs(err, "unknown API token")
		}
		c := cached{api: rec}
		if rec.UserID != "" {
			if c.user, err = a.activeUser(ctx, rec.UserID); err != nil {
				return cached{}, err
			}
		}
		return c, nil
	})
	if err != nil {
		return access.Principal{}, err
	}
	if err := c.api.Verify(text, now); err != nil {
		return access.Principal{}, err
	}
	role := c.api.Role
	if c.api.UserID != "" && !role.AtMost(c.user.Role) {
		// A token never outranks its owner, even after the owner was demoted.
		role = c.user.Role
	}
	a.mu.Lock()
	a.apiUsed[id] = now
	a.mu.Unlock()
	return access.Principal{Kind: access.APIToken, Role: role, UserID: c.api.UserID, Username: c.api.Username, TokenID: id}, nil
}

func (a *Authenticator) session(ctx context.Context, text string) (access.Principal, error) {
	id, err := access.ParseSession(text)
	if err != nil {
		return access.Principal{}, err
	}
	now := a.clock.Now()
	c, err := a.lookup("ses:"+id, now, func() (cached, error) {
		s, err := a.store.GetSession(ctx, id)
		if err != nil {
			return cached{}, notFoundAs(err, "the session ended; sign in again")
		}
		u, err := a.activeUser(ctx, s.UserID)
		return cached{session: s, user: u}, err
	})
	if err != nil {
		return access.Principal{}, err
	}
	if err := c.session.Verify(text, now); err != nil {
		return access.Principal{}, err
	}
	return access.Principal{Kind: access.User, Role: c.user.Role, UserID: c.user.ID, Username: c.user.Username, TokenID: id}, nil
}

// Forget drops cached records, so a revocation, logout or account change
// holds at once. Keys are "reg:<id>", "api:<id>", "ses:<id>"; a user id
// drops every entry of that user.
func (a *Authenticator) Forget(keys ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, k := range keys {
		delete(a.cache, k)
	}
}

// ForgetUser drops every cached session and token of a user.
func (a *Authenticator) ForgetUser(userID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, c := range a.cache {
		if c.user.ID == userID || c.session.UserID == userID || c.api.UserID == userID {
			delete(a.cache, k)
		}
	}
}

// FlushLastUsed writes the tokens' last-use times gathered since the last
// flush.
func (a *Authenticator) FlushLastUsed(ctx context.Context) error {
	a.mu.Lock()
	reg, api := a.regUsed, a.apiUsed
	a.regUsed, a.apiUsed = map[string]time.Time{}, map[string]time.Time{}
	a.mu.Unlock()
	var errs []error
	if len(reg) > 0 {
		errs = append(errs, a.store.TouchRegistrationTokens(ctx, reg))
	}
	if len(api) > 0 {
		errs = append(errs, a.store.TouchAPITokens(ctx, api))
	}
	return errors.Join(errs...)
}

// Run flushes last-use times and drops expired sessions every interval
// until ctx ends, then flushes once more.
func (a *Authenticator) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := a.FlushLastUsed(context.WithoutCancel(ctx)); err != nil {
				a.log.Warn("record token use", "err", err)
			}
			return
		case <-t.C:
			if err := a.FlushLastUsed(ctx); err != nil {
				a.log.Warn("record token use", "err", err)
			}
			if _, err := a.store.DeleteExpiredSessions(ctx, a.clock.Now()); err != nil {
				a.log.Warn("delete expired sessions", "err", err)
			}
		}
	}
}
