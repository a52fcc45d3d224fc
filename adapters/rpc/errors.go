package rpc

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"strconv"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/runwatch/runwatch/domain"
	"github.com/runwatch/runwatch/domain/access"
	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
)

// toConnect maps an error of the use cases to a Connect error. Errors of
// no known kind are internal: the client gets a generic message and the
// log gets the detail, so database errors never leak to callers.
func toConnect(ctx context.Context, log *slog.Logger, procedure string, err error) error {
	if err == nil {
		return nil
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		return err
	}
	code := connect.CodeInternal
	switch {
	case errors.Is(err, domain.ErrInvalid):
		code = connect.CodeInvalidArgument
	case errors.Is(err, domain.ErrNotFound):
		code = connect.CodeNotFound
	case errors.Is(err, domain.ErrUnauthenticated):
		code = connect.CodeUnauthenticated
	case errors.Is(err, domain.ErrPermissionDenied):
		code = connect.CodePermissionDenied
	case errors.Is(err, domain.ErrConflict), errors.Is(err, domain.ErrFailedPrecondition):
		code = connect.CodeFailedPrecondition
	case errors.Is(err, domain.ErrRateLimited):
		code = connect.CodeResourceExhausted
	case errors.Is(err, domain.ErrUnavailable):
		code = connect.CodeUnavailable
	case errors.Is(err, context.Canceled):
		code = connect.CodeCanceled
	case errors.Is(err, context.DeadlineExceeded):
		code = connect.CodeDeadlineExceeded
	}
	if code == connect.CodeInternal {
		log.ErrorContext(ctx, "request failed", "procedure", procedure, "err", err)
		return connect.NewError(code, errors.New("internal error; the platform log has the details"))
	}
	ce = connect.NewError(code, err)
	// A restricted sensor learns why and when to try again in a typed
	// detail, not by parsing the message.
	var restricted *access.RestrictedError
	if errors.As(err, &restricted) {
		if d, derr := connect.NewErrorDetail(&v1.Restriction{Reason: restricted.Reason, RetryAfter: durationpb.New(restricted.RetryAfter)}); derr == nil {
			ce.AddDetail(d)
		}
	}
	var limited *domain.RateLimitedError
	if errors.As(err, &limited) {
		ce.Meta().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(limited.RetryAfter.Seconds())))))
	}
	return ce
}
