package rpc

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"

	"connectrpc.com/connect"

	"github.com/runwatch/runwatch/domain"
	"github.com/runwatch/runwatch/domain/access"
	"github.com/runwatch/runwatch/ports"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

// SessionCookie is the name of the web UI's session cookie.
const SessionCookie = "runwatch_session"

// servicePermissions says what each service's procedures need unless a
// procedure is listed in procedurePermissions. A procedure of a service
// not listed is refused: new services must be placed here to be reachable.
var servicePermissions = map[string]access.Permission{
	runwatchv1connect.ControllerServiceName: access.PermIngest,
	runwatchv1connect.SensorServiceName:     access.PermIngest,
	runwatchv1connect.InventoryServiceName:  access.PermRead,
	runwatchv1connect.AdminServiceName:      access.PermAdminister,
	runwatchv1connect.AuthServiceName:       access.PermSelf,
}

var procedurePermissions = map[string]access.Permission{
	runwatchv1connect.AuthServiceLoginProcedure:           access.PermPublic,
	runwatchv1connect.AdminServiceCreateAPITokenProcedure: access.PermSelf,
	runwatchv1connect.AdminServiceListAPITokensProcedure:  access.PermSelf,
	runwatchv1connect.AdminServiceRevokeAPITokenProcedure: access.PermSelf,
	runwatchv1connect.AdminServiceGetLicenseProcedure:     access.PermRead,
}

// Permission returns what a procedure ("/package.Service/Method") needs.
func Permission(procedure string) (access.Permission, bool) {
	if p, ok := procedurePermissions[procedure]; ok {
		return p, true
	}
	service, _, ok := strings.Cut(strings.TrimPrefix(procedure, "/"), "/")
	if !ok {
		return "", false
	}
	p, ok := servicePermissions[service]
	return p, ok
}

type principalKey struct{}

// PrincipalFrom returns the principal the auth interceptor put in ctx.
func PrincipalFrom(ctx context.Context) access.Principal {
	p, _ := ctx.Value(principalKey{}).(access.Principal)
	return p
}

// RequestInfo is what the HTTP layer knows of a request and the RPC layer
// needs: where it came from, over what, and the session cookie.
type RequestInfo struct {
	Host       string
	RemoteAddr string
	TLS        bool
	// ClientCertVerified is set when the client presented a certificate
	// that verified against the configured client CA.
	ClientCertVerified bool
	Session            string
	Origin             string
	SecFetchSite       string
}

type requestInfoKey struct{}

func requestInfo(ctx context.Context) RequestInfo {
	ri, _ := ctx.Value(requestInfoKey{}).(RequestInfo)
	return ri
}

// withRequestInfo puts a request's RequestInfo in its context.
func withRequestInfo(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri := RequestInfo{Host: r.Host, RemoteAddr: r.RemoteAddr, TLS: r.TLS != nil,
			Origin: r.Header.Get("Origin"), SecFetchSite: r.Header.Get("Sec-Fetch-Site")}
		if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
			ri.ClientCertVerified = true
		}
		if c, err := r.Cookie(SessionCookie); err == nil {
			ri.Session = c.Value
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, ri)))
	})
}

// remoteIP is the client's address without its port.
func remoteIP(ri RequestInfo) string {
	host, _, err := net.SplitHostPort(ri.RemoteAddr)
	if err != nil {
		return ri.RemoteAddr
	}
	return host
}

// authInterceptor authenticates every call and checks the principal may
// call the procedure, before the handler runs.
type authInterceptor struct {
	auth ports.Authentication
	// requireAgentCert refuses ingest without a verified client
	// certificate (mTLS for agents).
	requireAgentCert bool
	// allowedOrigins are origins besides the platform's own that may call
	// with a session cookie.
	allowedOrigins map[string]bool
}

// sameSite says whether a browser request comes from the platform's own
// pages. A cookie-authenticated request from another site is refused:
// SameSite cookies and Connect's non-simple content types already stop
// most cross-site requests; this stops the rest (GET requests of
// side-effect-free procedures, older browsers).
func (a authInterceptor) sameSite(ri RequestInfo) bool {
	switch ri.SecFetchSite {
	case "", "same-origin", "none":
	default:
		return false
	}
	if ri.Origin == "" {
		return true
	}
	u, err := url.Parse(ri.Origin)
	if err != nil {
		return false
	}
	return u.Host == ri.Host || a.allowedOrigins[ri.Origin]
}

func (a authInterceptor) check(ctx context.Context, procedure, authorization string) (context.Context, error) {
	perm, ok := Permission(procedure)
	if !ok {
		return ctx, connect.NewError(connect.CodePermissionDenied, errors.New("procedure is not open to any caller"))
	}
	ri := requestInfo(ctx)
	var creds ports.Credentials
	if authorization != "" {
		token, found := strings.CutPrefix(authorization, "Bearer ")
		if !found {
			return ctx, connect.NewError(connect.CodeUnauthenticated, errors.New("the Authorization header must be 'Bearer <token>'"))
		}
		creds.Bearer = strings.TrimSpace(token)
	} else if ri.Session != "" {
		creds.Session = ri.Session
	}
	if (creds.Session != "" || perm == access.PermPublic) && !a.sameSite(ri) {
		return ctx, connect.NewError(connect.CodePermissionDenied, errors.New("cross-site request refused"))
	}
	p, err := a.auth.Authenticate(ctx, creds)
	switch {
	case err != nil && perm == access.PermPublic:
		// A stale cookie must not stop anyone from signing in again.
		p = access.Principal{}
	case errors.Is(err, domain.ErrUnauthenticated):
		return ctx, connect.NewError(connect.CodeUnauthenticated, err)
	case err != nil:
		return ctx, connect.NewError(connect.CodeUnavailable, errors.New("cannot check credentials now; retry"))
	}
	if p.Kind == access.Anonymous && perm != access.PermPublic {
		return ctx, connect.NewError(connect.CodeUnauthenticated, errors.New("no credentials: send Authorization: Bearer <token>, or sign in"))
	}
	if !p.Allows(perm) {
		return ctx, connect.NewError(connect.CodePermissionDenied, errors.New(deniedMessage(p, perm)))
	}
	if perm == access.PermIngest && a.requireAgentCert && !ri.ClientCertVerified {
		return ctx, connect.NewError(connect.CodePermissionDenied, errors.New("agents must present a client certificate signed by the platform's client CA"))
	}
	return context.WithValue(ctx, principalKey{}, p), nil
}

func deniedMessage(p access.Principal, perm access.Permission) string {
	switch {
	case p.Kind == access.Agent:
		return "a registration token may only report a cluster's inventory and runtime data"
	case perm == access.PermIngest:
		return "only a cluster's registration token may report; this token may not"
	case perm == access.PermAdminister:
		return "this needs the admin role; you have " + string(p.Role)
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
