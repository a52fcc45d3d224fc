package delivery

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/runwatch/runwatch/agents/sensor/spool"
	runwatchv1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

// recorder is a SensorService endpoint that fails on demand. It tests the
// shipper's side of the protocol (order, retries, idempotency keys); the
// real platform is exercised by the command's end-to-end test.
type recorder struct {
	runwatchv1connect.UnimplementedSensorServiceHandler
	mu       sync.Mutex
	down     bool
	restrict bool
	reject   string // batch id to refuse as invalid
	received []string
	records  int
}

func (r *recorder) ReportRuntime(_ context.Context, req *connect.Request[runwatchv1.ReportRuntimeRequest]) (*connect.Response[runwatchv1.ReportRuntimeResponse], error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		return nil, connect.NewError(connect.CodeUnavailable, nil)
	}
	if r.restrict {
		ce := connect.NewError(connect.CodeFailedPrecondition, errors.New("node over the sensor entitlement"))
		d, _ := connect.NewErrorDetail(&runwatchv1.Restriction{Reason: "3 of 2 licensed nodes", RetryAfter: durationpb.New(time.Hour)})
		ce.AddDetail(d)
		return nil, ce
	}
	if req.Msg.BatchId == r.reject {
		return nil, connect.NewError(connect.CodeInvalidArgument, nil)
	}
	r.received = append(r.received, req.Msg.BatchId)
	r.records += len(req.Msg.Executions)
	return connect.NewResponse(&runwatchv1.ReportRuntimeResponse{}), nil
}

func batch(id string, n int) *runwatchv1.ReportRuntimeRequest {
	req := &runwatchv1.ReportRuntimeRequest{BatchId: id}
	for range n {
		req.Executions = append(req.Executions, &runwatchv1.ProcessExecution{ExecutablePath: "/bin/x", Count: 1})
	}
	return req
}

// shipperTo is a shipper with a spool of its own, sending to rec served
// over HTTP; the server stops with the test.
func shipperTo(t *testing.T, rec *recorder) *Shipper {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(runwatchv1connect.NewSensorServiceHandler(rec))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	sp, err := spool.Open(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return NewShipper(runwatchv1connect.NewSensorServiceClient(srv.Client(), srv.URL), sp, slog.New(slog.DiscardHandler))
}

func TestSpoolsWhileDownAndDrainsInOrder(t *testing.T) {
	rec := &recorder{down: true, reject: "b3"}
	sh := shipperTo(t, rec)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- sh.Run(ctx) }()
	for i, id := range []string{"b1", "b2", "b3", "b4"} {
		sh.Deliver(batch(id, i+1))
	}
	time.Sleep(300 * time.Millisecond)
	if st := sh.Stats(); st.SpooledRecords != 10 || st.SentBatches != 0 || st.LastError == "" {
		t.Fatalf("while down: %+v", st)
	}
	rec.mu.Lock()
	rec.down = false
	rec.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for sh.Stats().SpooledRecords != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.received) != 3 || rec.received[0] != "b1" || rec.received[1] != "b2" || rec.received[2] != "b4" {
		t.Errorf("received %v, want b1 b2 b4 in order (b3 rejected)", rec.received)
	}
	if st := sh.Stats(); st.RejectedBatches != 1 || st.SentRecords != 7 || st.SpooledRecords != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestSpoolFullIsCounted(t *testing.T) {
	sp, err := spool.Open(t.TempDir(), 64)
	if err != nil {
		t.Fatal(err)
	}
	sh := NewShipper(nil, sp, slog.New(slog.DiscardHandler))
	sh.Deliver(batch("a", 2))
	sh.Deliver(batch("b", 5)) // does not fit
	if st := sh.Stats(); st.SpooledRecords != 2 || st.SpoolFullRecords != 5 {
		t.Errorf("stats %+v", st)
	}
}

func TestRestrictedKeepsRecordsUntilLifted(t *testing.T) {
	rec := &recorder{restrict: true}
	sh := shipperTo(t, rec)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go sh.Run(ctx)
	sh.Deliver(batch("r1", 3))
	deadline := time.Now().Add(5 * time.Second)
	for sh.Restricted() == "" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if sh.Restricted() != "3 of 2 licensed nodes" || sh.Stats().SpooledRecords != 3 {
		t.Fatalf("restricted %q, spooled %d", sh.Restricted(), sh.Stats().SpooledRecords)
	}
	// A heartbeat answer lifts it: the spool goes out at once, not after the
	// hour the platform asked to wait.
	rec.mu.Lock()
	rec.restrict = false
	rec.mu.Unlock()
	sh.SetRestricted(false, "")
	for sh.Stats().SpooledRecords != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if st := sh.Stats(); st.SpooledRecords != 0 || st.SentRecords != 3 || sh.Restricted() != "" {
		t.Errorf("after lifting: %+v restricted %q", st, sh.Restricted())
	}
}
