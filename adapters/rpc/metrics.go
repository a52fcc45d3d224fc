package rpc

import (
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/runwatch/runwatch/domain"
	"github.com/runwatch/runwatch/domain/access"
)

// Metrics are the API's Prometheus metrics.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	batches  *prometheus.CounterVec
	records  *prometheus.CounterVec
	limited  *prometheus.CounterVec
	refused  prometheus.Counter
}

// NewMetrics registers the API's metrics.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "runwatch_rpc_requests_total",
			Help: "RPCs served, by procedure and Connect code."}, []string{"procedure", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "runwatch_rpc_duration_seconds",
			Help: "RPC latency, by procedure.", Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)}, []string{"procedure"}),
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "runwatch_ingest_batches_total",
			Help: "Ingest batches committed, by kind (inventory, runtime) and result (applied, duplicate)."}, []string{"kind", "result"}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "runwatch_ingest_records_total",
			Help: "Objects and runtime records committed, by kind."}, []string{"kind"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "runwatch_ingest_rate_limited_total",
			Help: "Ingest calls refused by a rate limit, by scope (cluster, node)."}, []string{"scope"}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{Name: "runwatch_ingest_restricted_total",
			Help: "Runtime reports refused because their node is over the sensor entitlement."}),
	}
	reg.MustRegister(m.requests, m.latency, m.batches, m.records, m.limited, m.refused)
	return m
}

// ingestRefused counts refusals by rate limits and the entitlement.
func (m *Metrics) ingestRefused(err error) {
	if m == nil {
		return
	}
	var limited *domain.RateLimitedError
	if errors.As(err, &limited) {
		m.limited.WithLabelValues(limited.Scope).Inc()
	}
	var restricted *access.RestrictedError
	if errors.As(err, &restricted) {
		m.refused.Inc()
	}
}

func (m *Metrics) batch(kind string, duplicate bool, n int) {
	if m == nil {
		return
	}
	if duplicate {
		m.batches.WithLabelValues(kind, "duplicate").Inc()
		return
	}
	m.batches.WithLabelValues(kind, "applied").Inc()
	m.records.WithLabelValues(kind).Add(float64(n))
}

// interceptor counts every RPC and its latency, whatever it returns
// (authentication failures included).
func (m *Metrics) interceptor() connect.Interceptor {
	return connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			start := time.Now()
			res, err := next(ctx, req)
			code := "ok"
			if err != nil {
				code = connect.CodeOf(err).String()
				var ce *connect.Error
				if !errors.As(err, &ce) {
					code = connect.CodeUnknown.String()
				}
			}
			p := req.Spec().Procedure
			m.requests.WithLabelValues(p, code).Inc()
			m.latency.WithLabelValues(p).Observe(time.Since(start).Seconds())
			return res, err
		}
	})
}
