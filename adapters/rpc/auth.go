package rpc

import (
	"context"
	"errors"
	"strings"

	"connectrpc.com/connect"

	"github.com/runwatch/runwatch/domain"
	"github.com/runwatch/runwatch/domain/access"
	"github.com/runwatch/runwatch/ports"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

// permissions says what each service needs. A procedure of a service not
// listed is refused: new services must be placed here to be reachable.
var permissions = map[string]access.Permission{
	runwatchv1connect.ControllerServiceName: access.PermIngest,
	runwatchv1connect.SensorServiceName:     access.PermIngest,
	runwatchv1connect.InventoryServiceName:  access.PermRead,
	runwatchv1connect.AdminServiceName:      access.PermAdminister,
}

// Permission returns what a procedure ("/package.Service/Method") needs.
func Permission(procedure string) (access.Permission, bool) {
	service, _, ok := strings.Cut(strings.TrimPrefix(procedure, "/"), "/")
	if !ok {
		return "", false
	}
	p, ok := permissions[service]
	return p, ok
}

type principalKey struct{}

// PrincipalFrom returns the principal the auth interceptor put in ctx.
func PrincipalFrom(ctx context.Context) access.Principal {
	p, _ := ctx.Value(principalKey{}).(access.Principal)
	return p
}

// authInterceptor authenticates every call by its bearer token and checks
// the principal may call the procedure, before the handler runs.
type authInterceptor struct {
	auth ports.Authentication
}

func (a authInterceptor) check(ctx context.Context, procedure, header string) (context.Context, error) {
	perm, ok := Permission(procedure)
	if !ok {
		return ctx, connect.NewError(connect.CodePermissionDenied, errors.New("procedure is not open to any caller"))
	}
	token, found := strings.CutPrefix(header, "Bearer ")
	if !found && header != "" {
		return ctx, connect.NewError(connect.CodeUnauthenticated, errors.New("the Authorization header must be 'Bearer <token>'"))
	}
	p, err := a.auth.Authenticate(ctx, strings.TrimSpace(token))
	if err != nil {
		if errors.Is(err, domain.ErrUnauthenticated) {
			return ctx, connect.NewError(connect.CodeUnauthenticated, err)
		}
		return ctx, connect.NewError(connect.CodeUnavailable, errors.New("cannot check credentials now; retry"))
	}
	if !p.Allows(perm) {
		return ctx, connect.NewError(connect.CodePermissionDenied, errors.New(deniedMessage(p, perm)))
	}
	return context.WithValue(ctx, principalKey{}, p), nil
}

func deniedMessage(p access.Principal, perm access.Permission) string {
	switch {
	case p.Kind == access.Agent:
		return "a registration token may only report a cluster's inventory and runtime data"
	case perm == access.PermIngest:
		return "only a cluster's registration token may report; this token may not"
	}
	return "this token may not " + string(perm)
}

func (a authInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		ctx, err := a.check(ctx, req.Spec().Procedure, req.Header().Get("Authorization"))
		if err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

func (a authInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (a authInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		ctx, err := a.check(ctx, conn.Spec().Procedure, conn.RequestHeader().Get("Authorization"))
		if err != nil {
			return err
		}
		return next(ctx, conn)
	}
}
