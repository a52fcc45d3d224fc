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

// tokenCacheTTL bounds how long a verified token record is trusted
// without reading it again. Revocation through this process takes effect
// at once; through another replica, within this time.
const tokenCacheTTL = 5 * time.Second

// Authenticator implements ports.Authentication. Token checks sit on the
// ingest path, so verified records are cached briefly and last-use times
// are written in the background, not per call.
type Authenticator struct {
	tokens    ports.TokenStore
	clock     ports.Clock
	log       *slog.Logger
	adminHash [32]byte
	adminSet  bool

	mu       sync.Mutex
	cache    map[string]cachedToken
	lastUsed map[string]time.Time
}

type cachedToken struct {
	rec     access.RegistrationToken
	fetched time.Time
}

var _ ports.Authentication = (*Authenticator)(nil)

// NewAuthenticator makes an Authenticator.
func NewAuthenticator(tokens ports.TokenStore, clock ports.Clock, admin AdminToken, log *slog.Logger) *Authenticator {
	a := &Authenticator{tokens: tokens, clock: clock, log: log, cache: map[string]cachedToken{}, lastUsed: map[string]time.Time{}}
	if admin != "" {
		a.adminHash, a.adminSet = sha256.Sum256([]byte(admin)), true
	}
	return a
}

// Authenticate implements ports.Authentication.
func (a *Authenticator) Authenticate(ctx context.Context, bearer string) (access.Principal, error) {
	if bearer == "" {
		return access.Principal{}, domain.Unauthenticatedf("no credentials: send Authorization: Bearer <token>")
	}
	if strings.HasPrefix(bearer, access.RegistrationPrefix) {
		return a.agent(ctx, bearer)
	}
	// Compare hashes, so the comparison's time says nothing about the secret.
	h := sha256.Sum256([]byte(bearer))
	if a.adminSet && subtle.ConstantTimeCompare(h[:], a.adminHash[:]) == 1 {
		return access.Principal{Kind: access.Admin}, nil
	}
	return access.Principal{}, domain.Unauthenticatedf("unknown token")
}

func (a *Authenticator) agent(ctx context.Context, text string) (access.Principal, error) {
	id, err := access.ParseRegistrationToken(text)
	if err != nil {
		return access.Principal{}, err
	}
	now := a.clock.Now()
	a.mu.Lock()
	c, ok := a.cache[id]
	a.mu.Unlock()
	if !ok || now.Sub(c.fetched) > tokenCacheTTL {
		rec, err := a.tokens.GetRegistrationToken(ctx, id)
		if errors.Is(err, domain.ErrNotFound) {
			return access.Principal{}, domain.Unauthenticatedf("unknown registration token")
		}
		if err != nil {
			return access.Principal{}, err
		}
		c = cachedToken{rec: rec, fetched: now}
		a.mu.Lock()
		a.cache[id] = c
		a.mu.Unlock()
	}
	if err := c.rec.Verify(text, now); err != nil {
		return access.Principal{}, err
	}
	a.mu.Lock()
	a.lastUsed[id] = now
	a.mu.Unlock()
	return access.Principal{Kind: access.Agent, ClusterID: c.rec.ClusterID, ClusterName: c.rec.ClusterName, TokenID: id}, nil
}

// Forget drops a token from the cache, so a revocation holds at once.
func (a *Authenticator) Forget(id string) {
	a.mu.Lock()
	delete(a.cache, id)
	a.mu.Unlock()
}

// FlushLastUsed writes the tokens' last-use times gathered since the last
// flush.
func (a *Authenticator) FlushLastUsed(ctx context.Context) error {
	a.mu.Lock()
	used := a.lastUsed
	a.lastUsed = map[string]time.Time{}
	a.mu.Unlock()
	if len(used) == 0 {
		return nil
	}
	return a.tokens.TouchRegistrationTokens(ctx, used)
}

// Run flushes last-use times every interval until ctx ends, then once more.
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
		}
	}
}
