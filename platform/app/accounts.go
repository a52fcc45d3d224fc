package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/runwatch/runwatch/domain"
	"github.com/runwatch/runwatch/domain/access"
	"github.com/runwatch/runwatch/ports"
)

// AdminPassword is the first admin's password (RUNWATCH_ADMIN_PASSWORD);
// empty makes one up and prints it once.
type AdminPassword string

// Accounts implements ports.Accounts.
type Accounts struct {
	store   ports.Store
	hasher  ports.PasswordHasher
	auth    *Authenticator
	clock   ports.Clock
	limiter *LoginLimiter
	random  io.Reader
	log     *slog.Logger
	// dummy is a hash to check a password against when the user does not
	// exist, so a login's duration does not tell which usernames exist.
	dummy string
}

var _ ports.Accounts = (*Accounts)(nil)

// NewAccounts makes Accounts.
func NewAccounts(store ports.Store, hasher ports.PasswordHasher, auth *Authenticator, clock ports.Clock, limiter *LoginLimiter, log *slog.Logger) (*Accounts, error) {
	dummy, err := hasher.Hash("not a password anybody has")
	if err != nil {
		return nil, err
	}
	return &Accounts{store: store, hasher: hasher, auth: auth, clock: clock, limiter: limiter, random: rand.Reader, log: log, dummy: dummy}, nil
}

// Bootstrap creates the first admin when there are no users: with the
// given password, or a generated one printed once to the log.
func (a *Accounts) Bootstrap(ctx context.Context, password AdminPassword) error {
	users, err := a.store.ListUsers(ctx)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return nil
	}
	pw, generated := string(password), false
	if pw == "" {
		var b [18]byte
		if _, err := io.ReadFull(a.random, b[:]); err != nil {
			return err
		}
		pw, generated = base64.RawURLEncoding.EncodeToString(b[:]), true
	}
	u, err := a.CreateUser(ctx, "admin", pw, access.RoleAdmin)
	if err != nil {
		return err
	}
	if generated {
		a.log.Warn("created the first admin account; its password is shown only now: sign in and change it",
			"username", u.Username, "password", pw)
	} else {
		a.log.Info("created the first admin account from RUNWATCH_ADMIN_PASSWORD", "username", u.Username)
	}
	return nil
}

// Login implements ports.Accounts.
func (a *Accounts) Login(ctx context.Context, username, password, remoteAddr string) (ports.LoginResult, error) {
	now := a.clock.Now()
	if err := a.limiter.Check(username, remoteAddr, now); err != nil {
		return ports.LoginResult{}, err
	}
	fail := func() (ports.LoginResult, error) {
		a.limiter.Failed(username, remoteAddr, now)
		// One message for every failure: which part was wrong is the
		// attacker's question, not the user's.
		return ports.LoginResult{}, domain.Unauthenticatedf("wrong username or password")
	}
	if len(username) > 64 || len(password) > access.MaxPasswordLen {
		return fail()
	}
	u, err := a.store.GetUserByName(ctx, username)
	if errors.Is(err, domain.ErrNotFound) {
		_, _ = a.hasher.Verify(a.dummy, password)
		return fail()
	}
	if err != nil {
		return ports.LoginResult{}, err
	}
	ok, err := a.hasher.Verify(u.PasswordHash, password)
	if err != nil {
		a.log.Error("stored password hash unreadable", "user", u.Username, "err", err)
		return fail()
	}
	if !ok || !u.Active() {
		return fail()
	}
	a.limiter.Succeeded(username, remoteAddr)
	text, s, err := access.NewSession(a.random, u.ID, now)
	if err != nil {
		return ports.LoginResult{}, err
	}
	if err := a.store.CreateSession(ctx, s); err != nil {
		return ports.LoginResult{}, err
	}
	if err := a.store.RecordLogin(ctx, u.ID, now); err != nil {
		a.log.Warn("record login", "err", err)
	}
	return ports.LoginResult{Cookie: text, User: u, ExpiresAt: s.ExpiresAt}, nil
}

// Logout implements ports.Accounts.
func (a *Accounts) Logout(ctx context.Context, p access.Principal) error {
	if p.Kind != access.User {
		return domain.Invalidf("only a session can log out; revoke tokens instead")
	}
	a.auth.Forget("ses:" + p.TokenID)
	return a.store.DeleteSession(ctx, p.TokenID)
}

// ChangePassword implements ports.Accounts.
func (a *Accounts) ChangePassword(ctx context.Context, p access.Principal, current, next string) error {
	if p.UserID == "" {
		return domain.Invalidf("only a person's account has a password")
	}
	u, err := a.store.GetUser(ctx, p.UserID)
	if err != nil {
		return err
	}
	if ok, err := a.hasher.Verify(u.PasswordHash, current); err != nil || !ok {
		return domain.Invalidf("the current password is wrong")
	}
	if err := access.ValidatePassword(u.Username, next); err != nil {
		return err
	}
	if u.PasswordHash, err = a.hasher.Hash(next); err != nil {
		return err
	}
	if err := a.store.UpdateUser(ctx, u); err != nil {
		return err
	}
	keep := ""
	if p.Kind == access.User {
		keep = p.TokenID
	}
	a.auth.ForgetUser(u.ID)
	return a.store.DeleteUserSessions(ctx, u.ID, keep)
}

// Whoami implements ports.Accounts.
func (a *Accounts) Whoami(ctx context.Context, p access.Principal) (access.UserAccount, bool, error) {
	if p.UserID == "" {
		return access.UserAccount{}, false, nil
	}
	u, err := a.store.GetUser(ctx, p.UserID)
	return u, err == nil, err
}

// CreateUser implements ports.Accounts.
func (a *Accounts) CreateUser(ctx context.Context, username, password string, role access.Role) (access.UserAccount, error) {
	if err := access.ValidateUsername(username); err != nil {
		return access.UserAccount{}, err
	}
	if !role.Valid() {
		return access.UserAccount{}, domain.Invalidf("role must be viewer or admin")
	}
	if err := access.ValidatePassword(username, password); err != nil {
		return access.UserAccount{}, err
	}
	hash, err := a.hasher.Hash(password)
	if err != nil {
		return access.UserAccount{}, err
	}
	id, err := access.NewID(a.random, "u")
	if err != nil {
		return access.UserAccount{}, err
	}
	u := access.UserAccount{ID: id, Username: username, Role: role, PasswordHash: hash, CreatedAt: a.clock.Now()}
	if err := a.store.CreateUser(ctx, u); err != nil {
		return access.UserAccount{}, err
	}
	return u, nil
}

// ListUsers implements ports.Accounts.
func (a *Accounts) ListUsers(ctx context.Context) ([]access.UserAccount, error) {
	return a.store.ListUsers(ctx)
}

// keepsAnAdmin refuses a change that would leave no enabled admin: nobody
// could then manage the platform but with the admin token.
func (a *Accounts) keepsAnAdmin(ctx context.Context, before access.UserAccount, afterActiveAdmin bool) error {
	if before.Role != access.RoleAdmin || !before.Active() || afterActiveAdmin {
		return nil
	}
	n, err := a.store.CountActiveAdmins(ctx)
	if err != nil {
		return err
	}
	if n <= 1 {
		return domain.FailedPreconditionf("%s is the last enabled admin: make another admin first", before.Username)
	}
	return nil
}

// UpdateUser implements ports.Accounts.
func (a *Accounts) UpdateUser(ctx context.Context, p access.Principal, id string, upd ports.UserUpdate) (access.UserAccount, error) {
	u, err := a.store.GetUser(ctx, id)
	if err != nil {
		return u, err
	}
	before := u
	if upd.Role != "" {
		if !upd.Role.Valid() {
			return u, domain.Invalidf("role must be viewer or admin")
		}
		u.Role = upd.Role
	}
	if upd.NewPassword != "" {
		if err := access.ValidatePassword(u.Username, upd.NewPassword); err != nil {
			return u, err
		}
		if u.PasswordHash, err = a.hasher.Hash(upd.NewPassword); err != nil {
			return u, err
		}
	}
	if upd.Disabled != nil {
		switch {
		case *upd.Disabled && u.Active():
			u.DisabledAt = a.clock.Now()
		case !*upd.Disabled:
			u.DisabledAt = time.Time{}
		}
	}
	if err := a.keepsAnAdmin(ctx, before, u.Role == access.RoleAdmin && u.Active()); err != nil {
		return before, err
	}
	if err := a.store.UpdateUser(ctx, u); err != nil {
		return before, err
	}
	a.auth.ForgetUser(u.ID)
	if !u.Active() || upd.NewPassword != "" {
		if err := a.store.DeleteUserSessions(ctx, u.ID, ""); err != nil {
			return u, err
		}
	}
	return u, nil
}

// DeleteUser implements ports.Accounts.
func (a *Accounts) DeleteUser(ctx context.Context, p access.Principal, id string) error {
	u, err := a.store.GetUser(ctx, id)
	if err != nil {
		return err
	}
	if err := a.keepsAnAdmin(ctx, u, false); err != nil {
		return err
	}
	if err := a.store.DeleteUser(ctx, id); err != nil {
		return err
	}
	a.auth.ForgetUser(id)
	return nil
}

// CreateAPIToken implements ports.Accounts.
func (a *Accounts) CreateAPIToken(ctx context.Context, p access.Principal, name string, role access.Role, ttl time.Duration) (ports.NewAPIToken, error) {
	text, rec, err := access.NewAPIToken(a.random, p, name, role, ttl, a.clock.Now())
	if err != nil {
		return ports.NewAPIToken{}, err
	}
	if err := a.store.CreateAPIToken(ctx, rec); err != nil {
		return ports.NewAPIToken{}, err
	}
	return ports.NewAPIToken{Text: text, Record: rec}, nil
}

// ownerOf is whose tokens a principal lists: an admin's are everyone's.
func ownerOf(p access.Principal) string {
	if p.Role == access.RoleAdmin {
		return "*"
	}
	return p.UserID
}

// ListAPITokens implements ports.Accounts.
func (a *Accounts) ListAPITokens(ctx context.Context, p access.Principal) ([]access.APITokenRecord, error) {
	return a.store.ListAPITokens(ctx, ownerOf(p))
}

// RevokeAPIToken implements ports.Accounts.
func (a *Accounts) RevokeAPIToken(ctx context.Context, p access.Principal, id string) (access.APITokenRecord, error) {
	rec, err := a.store.GetAPIToken(ctx, id)
	if err != nil {
		return rec, err
	}
	if p.Role != access.RoleAdmin && rec.UserID != p.UserID {
		// Someone else's token does not exist, as far as this caller knows.
		return access.APITokenRecord{}, domain.NotFoundf("no API token %q", domain.Clip(id))
	}
	rec, err = a.store.RevokeAPIToken(ctx, id, a.clock.Now())
	a.auth.Forget("api:" + id)
	return rec, err
}
