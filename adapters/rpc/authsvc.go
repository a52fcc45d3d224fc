package rpc

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"connectrpc.com/connect"

	"github.com/runwatch/runwatch/domain/access"
	"github.com/runwatch/runwatch/ports"
	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

// authHandler serves AuthService.
type authHandler struct {
	uc  ports.Accounts
	log *slog.Logger
}

var _ runwatchv1connect.AuthServiceHandler = (*authHandler)(nil)

var roles = newEnum(map[v1.Role]access.Role{v1.Role_ROLE_VIEWER: access.RoleViewer, v1.Role_ROLE_ADMIN: access.RoleAdmin})

var principalKinds = map[access.PrincipalKind]v1.PrincipalKind{
	access.User: v1.PrincipalKind_PRINCIPAL_KIND_USER, access.APIToken: v1.PrincipalKind_PRINCIPAL_KIND_API_TOKEN,
	access.AdminToken: v1.PrincipalKind_PRINCIPAL_KIND_ADMIN_TOKEN, access.Agent: v1.PrincipalKind_PRINCIPAL_KIND_AGENT,
}

func userPB(u access.UserAccount) *v1.User {
	return &v1.User{Id: u.ID, Username: u.Username, Role: roles.proto(u.Role), CreatedAt: ts(u.CreatedAt),
		LastLoginAt: ts(u.LastLoginAt), DisabledAt: ts(u.DisabledAt)}
}

// sessionCookie is the cookie of a session: HttpOnly (no script reads it),
// SameSite=Strict (no other site's page sends it), Secure over TLS.
func sessionCookie(value string, expires time.Time, secure bool) *http.Cookie {
	c := &http.Cookie{Name: SessionCookie, Value: value, Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.Expires = expires
	}
	return c
}

func (h *authHandler) Login(ctx context.Context, req *connect.Request[v1.LoginRequest]) (*connect.Response[v1.LoginResponse], error) {
	ri := requestInfo(ctx)
	r, err := h.uc.Login(ctx, req.Msg.GetUsername(), req.Msg.GetPassword(), remoteIP(ri))
	if err != nil {
		return nil, toConnect(ctx, h.log, req.Spec().Procedure, err)
	}
	res := connect.NewResponse(&v1.LoginResponse{User: userPB(r.User), ExpiresAt: ts(r.ExpiresAt)})
	res.Header().Add("Set-Cookie", sessionCookie(r.Cookie, r.ExpiresAt, ri.TLS).String())
	return res, nil
}

func (h *authHandler) Logout(ctx context.Context, req *connect.Request[v1.LogoutRequest]) (*connect.Response[v1.LogoutResponse], error) {
	if err := h.uc.Logout(ctx, PrincipalFrom(ctx)); err != nil {
		return nil, toConnect(ctx, h.log, req.Spec().Procedure, err)
	}
	res := connect.NewResponse(&v1.LogoutResponse{})
	res.Header().Add("Set-Cookie", sessionCookie("", time.Time{}, requestInfo(ctx).TLS).String())
	return res, nil
}

func (h *authHandler) GetSession(ctx context.Context, req *connect.Request[v1.GetSessionRequest]) (*connect.Response[v1.GetSessionResponse], error) {
	p := PrincipalFrom(ctx)
	res := &v1.GetSessionResponse{Kind: principalKinds[p.Kind], Role: roles.proto(p.Role)}
	u, found, err := h.uc.Whoami(ctx, p)
	if err != nil {
		return nil, toConnect(ctx, h.log, req.Spec().Procedure, err)
	}
	if found {
		res.User = userPB(u)
	}
	return connect.NewResponse(res), nil
}

func (h *authHandler) ChangePassword(ctx context.Context, req *connect.Request[v1.ChangePasswordRequest]) (*connect.Response[v1.ChangePasswordResponse], error) {
	if err := h.uc.ChangePassword(ctx, PrincipalFrom(ctx), req.Msg.GetCurrentPassword(), req.Msg.GetNewPassword()); err != nil {
		return nil, toConnect(ctx, h.log, req.Spec().Procedure, err)
	}
	return connect.NewResponse(&v1.ChangePasswordResponse{}), nil
}
