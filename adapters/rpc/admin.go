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
	uc    ports.Administration
	clock ports.Clock
	log   *slog.Logger
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
