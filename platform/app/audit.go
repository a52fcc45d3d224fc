package app

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/runwatch/runwatch/domain"
	"github.com/runwatch/runwatch/domain/access"
	"github.com/runwatch/runwatch/domain/query"
	"github.com/runwatch/runwatch/ports"
)

// AuditLog implements ports.Audit.
type AuditLog struct {
	store ports.AuditStore
	clock ports.Clock
	log   *slog.Logger
}

var _ ports.Audit = (*AuditLog)(nil)

// NewAuditLog makes an AuditLog.
func NewAuditLog(store ports.AuditStore, clock ports.Clock, log *slog.Logger) *AuditLog {
	return &AuditLog{store: store, clock: clock, log: log}
}

// Record appends an event. A failure to record is logged, not returned:
// the change it describes already happened. The structured log line is a
// second copy for log pipelines.
func (l *AuditLog) Record(ctx context.Context, e access.AuditEvent) {
	if e.At.IsZero() {
		e.At = l.clock.Now()
	}
	l.log.InfoContext(ctx, "audit", "actor", e.Actor, "action", e.Action, "result", e.Result, "remote", e.RemoteAddr)
	if err := l.store.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		l.log.ErrorContext(ctx, "audit event not stored", "action", e.Action, "actor", e.Actor, "err", err)
	}
}

// List implements ports.Audit.
func (l *AuditLog) List(ctx context.Context, text string, p ports.PageRequest) (ports.ListResult[access.AuditEvent], error) {
	if len(text) > 256 {
		return ports.ListResult[access.AuditEvent]{}, domain.Invalidf("text filter too long")
	}
	order := query.Order{{Name: "id", Desc: true, Numeric: true}}
	fp := query.Fingerprint("audit", text)
	after, err := query.DecodeToken(p.Token, fp, order)
	if err != nil {
		return ports.ListResult[access.AuditEvent]{}, err
	}
	var before int64
	if after != nil {
		before, _ = strconv.ParseInt(after[0], 10, 64)
	}
	limit := query.PageSize(p.Size)
	events, err := l.store.ListAudit(ctx, text, limit+1, before)
	if err != nil {
		return ports.ListResult[access.AuditEvent]{}, err
	}
	res := ports.ListResult[access.AuditEvent]{Items: events}
	if len(events) > limit {
		res.Items = events[:limit]
		res.NextToken = query.EncodeToken(fp, query.Cursor{strconv.FormatInt(events[limit-1].ID, 10)})
	}
	return res, nil
}
