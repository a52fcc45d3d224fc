package rpc

import (
	"context"
	"regexp"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/runwatch/runwatch/domain/access"
	"github.com/runwatch/runwatch/ports"
	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

// audited says which services' changes the audit log records: every
// procedure of these services that is not free of side effects.
var audited = map[string]bool{
	runwatchv1connect.AdminServiceName: true,
	runwatchv1connect.AuthServiceName:  true,
}

// auditInterceptor records who changed what, after the change, with its
// outcome. It sits inside the auth interceptor, so it knows the caller;
// calls refused before that (no or bad credentials) are in the RPC metrics.
type auditInterceptor struct {
	audit ports.Audit
}

func (a auditInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		spec := req.Spec()
		service, _ := splitProcedure(spec.Procedure)
		if !audited[service] || spec.IdempotencyLevel == connect.IdempotencyNoSideEffects {
			return next(ctx, req)
		}
		res, err := next(ctx, req)
		p := PrincipalFrom(ctx)
		e := access.AuditEvent{ActorKind: p.Kind, Actor: p.Actor(), Action: spec.Procedure, Result: "ok",
			RemoteAddr: remoteIP(requestInfo(ctx))}
		if m, ok := req.Any().(proto.Message); ok {
			e.Detail = redacted(m)
			if login, ok := m.(*v1.LoginRequest); ok {
				e.Actor = login.GetUsername()
			}
		}
		if err != nil {
			e.Result = connect.CodeOf(err).String()
		}
		a.audit.Record(ctx, e)
		return res, err
	}
}

func (a auditInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (a auditInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

func splitProcedure(p string) (service, method string) {
	for i := 1; i < len(p); i++ {
		if p[i] == '/' {
			return p[1:i], p[i+1:]
		}
	}
	return p, ""
}

// secretField matches the names of fields whose values never go into the
// audit log: passwords, tokens, keys, credentials, licences.
var secretField = regexp.MustCompile(`(?i)(password|token|secret|credential|private|api_?key|license|licence)`)

// redacted is a message as JSON with its secrets replaced, whatever
// message it is: new requests are covered by their field names.
func redacted(m proto.Message) string {
	c := proto.Clone(m)
	redact(c.ProtoReflect())
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(c)
	if err != nil {
		return ""
	}
	return string(b)
}

func redact(m protoreflect.Message) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		secret := secretField.MatchString(string(fd.Name()))
		switch {
		case fd.IsMap():
			if secret {
				m.Clear(fd)
			} else if fd.MapValue().Kind() == protoreflect.MessageKind {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool { redact(mv.Message()); return true })
			}
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				switch {
				case fd.Kind() == protoreflect.MessageKind:
					redact(l.Get(i).Message())
				case secret && fd.Kind() == protoreflect.StringKind:
					l.Set(i, protoreflect.ValueOfString("[redacted]"))
				case secret && fd.Kind() == protoreflect.BytesKind:
					l.Set(i, protoreflect.ValueOfBytes(nil))
				}
			}
		case fd.Kind() == protoreflect.MessageKind:
			redact(v.Message())
		case secret && fd.Kind() == protoreflect.StringKind:
			m.Set(fd, protoreflect.ValueOfString("[redacted]"))
		case secret && fd.Kind() == protoreflect.BytesKind:
			m.Clear(fd)
		}
		return true
	})
}
