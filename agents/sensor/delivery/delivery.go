// Package delivery takes the sensor's batches to the platform: it spools
// each batch on disk first, then sends the spool in order, retrying with
// backoff while the platform is unreachable. Every batch carries an
// idempotency key (its batch_id), so a batch sent twice (the answer was
// lost, the sensor restarted) is applied once.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	"github.com/runwatch/runwatch/agents/sensor/spool"
	"github.com/runwatch/runwatch/agents/transport"
	runwatchv1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

// Shipper spools and sends batches.
type Shipper struct {
	client runwatchv1connect.SensorServiceClient
	spool  *spool.Spool
	logger *slog.Logger
	wake   chan struct{}
	lift   chan struct{} // the restriction was lifted

	spoolFull    atomic.Uint64 // records dropped because the spool was full
	sentBatches  atomic.Uint64
	sentRecords  atomic.Uint64
	rejected     atomic.Uint64 // batches the platform refused as invalid
	rejectedRecs atomic.Uint64 // records the platform refused inside accepted batches
	lastErr      atomic.Pointer[string]
	restricted   atomic.Pointer[string] // the platform's reason, while over the entitlement
}

// SetRestricted records what the platform said about the node's
// entitlement (in a registration or heartbeat answer). Lifting the
// restriction wakes the sender at once.
func (s *Shipper) SetRestricted(restricted bool, reason string) {
	if !restricted {
		if s.restricted.Swap(nil) != nil {
			s.logger.Info("the platform lifted the node's restriction; sending the spool")
			select {
			case s.lift <- struct{}{}:
			default:
			}
		}
		return
	}
	if reason == "" {
		reason = "the node is over the sensor entitlement"
	}
	if s.restricted.Swap(&reason) == nil {
		s.logger.Warn("the platform restricts this node; records stay spooled", "reason", reason)
	}
}

// Restricted returns the restriction reason, or "" when not restricted.
func (s *Shipper) Restricted() string {
	if r := s.restricted.Load(); r != nil {
		return *r
	}
	return ""
}

// NewShipper sends through client, spooling in sp.
func NewShipper(client runwatchv1connect.SensorServiceClient, sp *spool.Spool, logger *slog.Logger) *Shipper {
	return &Shipper{client: client, spool: sp, logger: logger, wake: make(chan struct{}, 1), lift: make(chan struct{}, 1)}
}

// Deliver spools one batch. It never blocks on the network. When the spool
// is full the batch's records are counted as dropped.
func (s *Shipper) Deliver(req *runwatchv1.ReportRuntimeRequest) {
	records := len(req.Executions) + len(req.FileLoads)
	if records == 0 {
		return
	}
	if req.BatchId == "" {
		req.BatchId = transport.NewBatchID()
	}
	data, err := proto.Marshal(req)
	if err != nil {
		// Only invalid UTF-8 can make this fail, and records are sanitised
		// before they get here; count it rather than lose it silently.
		s.logger.Error("cannot encode batch; dropped", "records", records, "err", err)
		s.spoolFull.Add(uint64(records))
		return
	}
	if err := s.spool.Put(data, records); err != nil {
		s.spoolFull.Add(uint64(records))
		s.logger.Warn("batch dropped", "records", records, "err", err)
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Stats are the delivery counters.
type Stats struct {
	SpoolFullRecords uint64
	SentBatches      uint64
	SentRecords      uint64
	RejectedBatches  uint64
	RejectedRecords  uint64
	SpooledRecords   int
	SpooledBytes     int64
	LastError        string
}

// Stats returns the counters.
func (s *Shipper) Stats() Stats {
	_, r, n := s.spool.Stats()
	st := Stats{
		SpoolFullRecords: s.spoolFull.Load(),
		SentBatches:      s.sentBatches.Load(),
		SentRecords:      s.sentRecords.Load(),
		RejectedBatches:  s.rejected.Load(),
		RejectedRecords:  s.rejectedRecs.Load(),
		SpooledRecords:   r,
		SpooledBytes:     n,
	}
	if e := s.lastErr.Load(); e != nil {
		st.LastError = *e
	}
	return st
}

// Run sends the spool, oldest first, until ctx ends.
func (s *Shipper) Run(ctx context.Context) error {
	bo := transport.Backoff{Min: 500 * time.Millisecond, Max: 30 * time.Second}
	for {
		b, ok, err := s.spool.Peek()
		if err != nil {
			s.logger.Error("spool unreadable; setting the batch aside", "err", err)
			if b.Seq != 0 {
				s.spool.SetAside(b.Seq, ".unreadable")
			}
			if !sleep(ctx, bo.Next()) {
				return nil
			}
			continue
		}
		if !ok {
			select {
			case <-ctx.Done():
				return nil
			case <-s.wake:
			case <-time.After(5 * time.Second):
			}
			continue
		}
		err = s.send(ctx, b)
		r := restriction(err)
		switch {
		case err == nil:
			bo.Reset()
			s.lastErr.Store(nil)
			continue
		case ctx.Err() != nil:
			return nil
		case r != nil && connect.CodeOf(err) == connect.CodeFailedPrecondition:
			// Over the entitlement: keep everything, wait for the platform's
			// retry_after or for a heartbeat answer that lifts it.
			s.SetRestricted(true, r.Reason)
			wait := 30 * time.Second
			if d := r.RetryAfter.AsDuration(); d > 0 {
				wait = d
			}
			select {
			case <-ctx.Done():
				return nil
			case <-s.lift:
			case <-time.After(wait):
			}
			continue
		case connect.CodeOf(err) == connect.CodeInvalidArgument:
			// The platform will never take this batch. Keep it on disk for a
			// person, and let the queue move on.
			s.rejected.Add(1)
			s.logger.Error("platform rejected a batch; set aside", "seq", b.Seq, "records", b.Records, "err", err)
			s.spool.SetAside(b.Seq, ".rejected")
			continue
		}
		msg := err.Error()
		s.lastErr.Store(&msg)
		wait := bo.Next()
		s.logger.Warn("cannot deliver; will retry", "err", err, "retry_in", wait.Round(time.Millisecond), "spooled_records", s.Stats().SpooledRecords)
		if !sleep(ctx, wait) {
			return nil
		}
	}
}

// restriction returns the Restriction detail of a refused report, if any.
func restriction(err error) *runwatchv1.Restriction {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return nil
	}
	for _, d := range ce.Details() {
		v, derr := d.Value()
		if derr != nil {
			continue
		}
		if r, ok := v.(*runwatchv1.Restriction); ok {
			return r
		}
	}
	return nil
}

func (s *Shipper) send(ctx context.Context, b spool.Batch) error {
	var req runwatchv1.ReportRuntimeRequest
	if err := proto.Unmarshal(b.Data, &req); err != nil {
		s.spool.SetAside(b.Seq, ".corrupt")
		return fmt.Errorf("spooled batch %d is corrupt: %w", b.Seq, err)
	}
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	res, err := s.client.ReportRuntime(cctx, connect.NewRequest(&req))
	if err != nil {
		return err
	}
	if rej := res.Msg.GetRejected(); len(rej) > 0 {
		// The rest of the batch was applied; these records never will be.
		// Say which and why, once per batch, and count them.
		s.rejectedRecs.Add(uint64(len(rej)))
		s.logger.Warn("the platform rejected records of a batch", "seq", b.Seq, "rejected", len(rej),
			"first", fmt.Sprintf("%s[%d]: %s", rej[0].GetField(), rej[0].GetIndex(), rej[0].GetReason()))
	}
	if err := s.spool.Remove(b.Seq); err != nil {
		return err
	}
	s.SetRestricted(false, "")
	s.sentBatches.Add(1)
	s.sentRecords.Add(uint64(b.Records))
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// ErrPermanent wraps a registration error that retrying cannot fix (a
// wrong or revoked token).
var ErrPermanent = errors.New("registration refused")

// Register announces the node, retrying while the platform is unreachable.
func Register(ctx context.Context, client runwatchv1connect.SensorServiceClient, req *runwatchv1.RegisterNodeRequest, logger *slog.Logger) (*runwatchv1.RegisterNodeResponse, error) {
	bo := transport.Backoff{Min: time.Second, Max: 30 * time.Second}
	for {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		resp, err := client.RegisterNode(cctx, connect.NewRequest(req))
		cancel()
		if err == nil {
			return resp.Msg, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !transport.Retryable(err) {
			return nil, fmt.Errorf("%w: %w", ErrPermanent, err)
		}
		wait := bo.Next()
		logger.Warn("platform not reachable for registration; retrying", "err", err, "retry_in", wait.Round(time.Millisecond))
		if !sleep(ctx, wait) {
			return nil, ctx.Err()
		}
	}
}
