package rpc

import (
	"context"
	"log/slog"

	"connectrpc.com/connect"

	"github.com/runwatch/runwatch/domain/access"
	"github.com/runwatch/runwatch/ports"
	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

// adminHandler serves AdminService.
type adminHandler struct {
	uc       ports.Administration
	enrich   ports.EnrichmentAdmin // nil without enrichment
	accounts ports.Accounts
	audit    ports.Audit
	licenses ports.Licensing
	clock    ports.Clock
	log      *slog.Logger
}

func (h *adminHandler) fail(ctx context.Context, procedure string, err error) error {
	return toConnect(ctx, h.log, procedure, err)
}

var _ runwatchv1connect.AdminServiceHandler = (*adminHandler)(nil)

func (h *adminHandler) CreateRegistrationToken(ctx context.Context, req *connect.Request[v1.CreateRegistrationTokenRequest]) (*connect.Response[v1.CreateRegistrationTokenResponse], error) {
	m := req.Msg
	if err := m.GetTtl().CheckValid(); m.GetTtl() != nil && err != nil {
		return nil, connect.NewError(connect.CodeInvalidArgument, err)
	}
	t, err := h.uc.CreateRegistrationToken(ctx, m.GetClusterName(), m.GetDescription(), m.GetTtl().AsDuration())
	if err != nil {
		return nil, toConnect(ctx, h.log, req.Spec().Procedure, err)
	}
	return connect.NewResponse(&v1.CreateRegistrationTokenResponse{Token: t.Text, RegistrationToken: tokenPB(t.Record, h.clock.Now())}), nil
}

func (h *adminHandler) ListRegistrationTokens(ctx context.Context, req *connect.Request[v1.ListRegistrationTokensRequest]) (*connect.Response[v1.ListRegistrationTokensResponse], error) {
	list, err := h.uc.ListRegistrationTokens(ctx, req.Msg.GetCluster())
	if err != nil {
		return nil, toConnect(ctx, h.log, req.Spec().Procedure, err)
	}
	now := h.clock.Now()
	return connect.NewResponse(&v1.ListRegistrationTokensResponse{RegistrationTokens: mapSlice(list, func(t access.RegistrationToken) *v1.RegistrationToken {
		return tokenPB(t, now)
	})}), nil
}

func (h *adminHandler) RevokeRegistrationToken(ctx context.Context, req *connect.Request[v1.RevokeRegistrationTokenRequest]) (*connect.Response[v1.RevokeRegistrationTokenResponse], error) {
	t, err := h.uc.RevokeRegistrationToken(ctx, req.Msg.GetId())
	if err != nil {
		return nil, toConnect(ctx, h.log, req.Spec().Procedure, err)
	}
	return connect.NewResponse(&v1.RevokeRegistrationTokenResponse{RegistrationToken: tokenPB(t, h.clock.Now())}), nil
}

func (h *adminHandler) CreateUser(ctx context.Context, req *connect.Request[v1.CreateUserRequest]) (*connect.Response[v1.CreateUserResponse], error) {
	u, err := h.accounts.CreateUser(ctx, req.Msg.GetUsername(), req.Msg.GetPassword(), roles.domain(req.Msg.GetRole()))
	if err != nil {
		return nil, h.fail(ctx, req.Spec().Procedure, err)
	}
	return connect.NewResponse(&v1.CreateUserResponse{User: userPB(u)}), nil
}

func (h *adminHandler) ListUsers(ctx context.Context, req *connect.Request[v1.ListUsersRequest]) (*connect.Response[v1.ListUsersResponse], error) {
	users, err := h.accounts.ListUsers(ctx)
	if err != nil {
		return nil, h.fail(ctx, req.Spec().Procedure, err)
	}
	return connect.NewResponse(&v1.ListUsersResponse{Users: mapSlice(users, userPB)}), nil
}

func (h *adminHandler) UpdateUser(ctx context.Context, req *connect.Request[v1.UpdateUserRequest]) (*connect.Response[v1.UpdateUserResponse], error) {
	m := req.Msg
	upd := ports.UserUpdate{Role: roles.domain(m.GetRole()), NewPassword: m.GetNewPassword()}
	if m.Disabled != nil {
		d := m.GetDisabled()
		upd.Disabled = &d
	}
	u, err := h.accounts.UpdateUser(ctx, PrincipalFrom(ctx), m.GetId(), upd)
	if err != nil {
		return nil, h.fail(ctx, req.Spec().Procedure, err)
	}
	return connect.NewResponse(&v1.UpdateUserResponse{User: userPB(u)}), nil
}

func (h *adminHandler) DeleteUser(ctx context.Context, req *connect.Request[v1.DeleteUserRequest]) (*connect.Response[v1.DeleteUserResponse], error) {
	if err := h.accounts.DeleteUser(ctx, PrincipalFrom(ctx), req.Msg.GetId()); err != nil {
		return nil, h.fail(ctx, req.Spec().Procedure, err)
	}
	return connect.NewResponse(&v1.DeleteUserResponse{}), nil
}

func apiTokenPB(t access.APITokenRecord) *v1.APIToken {
	return &v1.APIToken{Id: t.ID, Name: t.Name, Role: roles.proto(t.Role), UserId: t.UserID, Username: t.Username,
		CreatedAt: ts(t.CreatedAt), ExpiresAt: ts(t.ExpiresAt), RevokedAt: ts(t.RevokedAt), LastUsedAt: ts(t.LastUsedAt)}
}

func (h *adminHandler) CreateAPIToken(ctx context.Context, req *connect.Request[v1.CreateAPITokenRequest]) (*connect.Response[v1.CreateAPITokenResponse], error) {
	m := req.Msg
	if err := m.GetTtl().CheckValid(); m.GetTtl() != nil && err != nil {
		return nil, connect.NewError(connect.CodeInvalidArgument, err)
	}
	t, err := h.accounts.CreateAPIToken(ctx, PrincipalFrom(ctx), m.GetName(), roles.domain(m.GetRole()), m.GetTtl().AsDuration())
	if err != nil {
		return nil, h.fail(ctx, req.Spec().Procedure, err)
	}
	return connect.NewResponse(&v1.CreateAPITokenResponse{Token: t.Text, ApiToken: apiTokenPB(t.Record)}), nil
}

func (h *adminHandler) ListAPITokens(ctx context.Context, req *connect.Request[v1.ListAPITokensRequest]) (*connect.Response[v1.ListAPITokensResponse], error) {
	list, err := h.accounts.ListAPITokens(ctx, PrincipalFrom(ctx))
	if err != nil {
		return nil, h.fail(ctx, req.Spec().Procedure, err)
	}
	return connect.NewResponse(&v1.ListAPITokensResponse{ApiTokens: mapSlice(list, apiTokenPB)}), nil
}

func (h *adminHandler) RevokeAPIToken(ctx context.Context, req *connect.Request[v1.RevokeAPITokenRequest]) (*connect.Response[v1.RevokeAPITokenResponse], error) {
	t, err := h.accounts.RevokeAPIToken(ctx, PrincipalFrom(ctx), req.Msg.GetId())
	if err != nil {
		return nil, h.fail(ctx, req.Spec().Procedure, err)
	}
	return connect.NewResponse(&v1.RevokeAPITokenResponse{ApiToken: apiTokenPB(t)}), nil
}

func (h *adminHandler) ListAuditEvents(ctx context.Context, req *connect.Request[v1.ListAuditEventsRequest]) (*connect.Response[v1.ListAuditEventsResponse], error) {
	r, err := h.audit.List(ctx, req.Msg.GetText(), ports.PageRequest{Size: req.Msg.GetPageSize(), Token: req.Msg.GetPageToken()})
	if err != nil {
		return nil, h.fail(ctx, req.Spec().Procedure, err)
	}
	return connect.NewResponse(&v1.ListAuditEventsResponse{NextPageToken: r.NextToken, Events: mapSlice(r.Items, func(e access.AuditEvent) *v1.AuditEvent {
		return &v1.AuditEvent{Id: e.ID, At: ts(e.At), ActorKind: principalKinds[e.ActorKind], Actor: e.Actor, Action: e.Action,
			Detail: e.Detail, Result: e.Result, RemoteAddr: e.RemoteAddr}
	})}), nil
}

var licenseSources = map[access.LicenseSource]v1.LicenseSource{access.SourceDefault: v1.LicenseSource_LICENSE_SOURCE_DEFAULT,
	access.SourceLicense: v1.LicenseSource_LICENSE_SOURCE_LICENSE, access.SourceExpired: v1.LicenseSource_LICENSE_SOURCE_EXPIRED}

func licensePB(v ports.LicenseView) *v1.GetLicenseResponse {
	l := v.License
	res := &v1.GetLicenseResponse{License: &v1.License{Source: licenseSources[v.Source], Id: l.ID, Organization: l.Organization,
		IssuedAt: ts(l.IssuedAt), ExpiresAt: ts(l.ExpiresAt), SensorNodes: l.SensorNodes, SensorsLicensed: l.SensorsLicensed},
		NodesInOperation: int64(len(v.Nodes))}
	for _, d := range v.Nodes {
		if d.Restricted {
			res.NodesRestricted++
		}
		res.Nodes = append(res.Nodes, &v1.NodeEntitlement{ClusterId: d.ClusterID, ClusterName: d.ClusterName, NodeName: d.Node,
			Since: ts(d.Since), Restricted: d.Restricted, Reason: d.Reason})
	}
	return res
}

func (h *adminHandler) ApplyLicense(ctx context.Context, req *connect.Request[v1.ApplyLicenseRequest]) (*connect.Response[v1.ApplyLicenseResponse], error) {
	v, err := h.licenses.ApplyLicense(ctx, req.Msg.GetLicense())
	if err != nil {
		return nil, h.fail(ctx, req.Spec().Procedure, err)
	}
	return connect.NewResponse(&v1.ApplyLicenseResponse{License: licensePB(v).GetLicense()}), nil
}

func (h *adminHandler) GetLicense(ctx context.Context, req *connect.Request[v1.GetLicenseRequest]) (*connect.Response[v1.GetLicenseResponse], error) {
	v, err := h.licenses.GetLicense(ctx)
	if err != nil {
		return nil, h.fail(ctx, req.Spec().Procedure, err)
	}
	return connect.NewResponse(licensePB(v)), nil
}
