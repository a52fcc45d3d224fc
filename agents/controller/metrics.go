package controller

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the controller's Prometheus metrics, registered on the
// registry the caller passes (never the global one).
type metrics struct {
	batches      *prometheus.CounterVec // by type: snapshot, delta
	objects      *prometheus.CounterVec // by type
	sendErrors   *prometheus.CounterVec // by rpc and code
	rpcDuration  *prometheus.HistogramVec
	heartbeats   prometheus.Counter
	snapshots    prometheus.Counter
	overflows    prometheus.Counter
	connected    prometheus.Gauge
	lastSnapshot prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, c *Controller) *metrics {
	m := &metrics{
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "runwatch_controller_batches_sent_total",
			Help: "Inventory batches the platform acknowledged, by type (snapshot chunk or delta).",
		}, []string{"type"}),
		objects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "runwatch_controller_objects_sent_total",
			Help: "Inventory objects (upserts and deletes) the platform acknowledged, by batch type.",
		}, []string{"type"}),
		sendErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "runwatch_controller_send_errors_total",
			Help: "Failed calls to the platform, by RPC and error code.",
		}, []string{"rpc", "code"}),
		rpcDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "runwatch_controller_rpc_duration_seconds",
			Help:    "Duration of calls to the platform, by RPC.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}, []string{"rpc"}),
		heartbeats: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "runwatch_controller_heartbeats_sent_total",
			Help: "Heartbeats the platform acknowledged.",
		}),
		snapshots: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "runwatch_controller_snapshots_total",
			Help: "Full snapshots the platform acknowledged completely.",
		}),
		overflows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "runwatch_controller_pending_overflows_total",
			Help: "Times the pending changes outgrew their bound and were replaced by a full snapshot.",
		}),
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "runwatch_controller_connected",
			Help: "1 while the controller has a session with the platform (registered and snapshot sent).",
		}),
		lastSnapshot: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "runwatch_controller_last_snapshot_timestamp_seconds",
			Help: "When the last full snapshot was acknowledged.",
		}),
	}
	reg.MustRegister(m.batches, m.objects, m.sendErrors, m.rpcDuration, m.heartbeats, m.snapshots,
		m.overflows, m.connected, m.lastSnapshot)
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "runwatch_controller_pending_changes",
		Help: "Objects changed and not yet reported (the queue depth, coalesced per object).",
	}, func() float64 { return float64(c.pending.Len()) }))
	reg.MustRegister(&watchedCollector{c: c, desc: prometheus.NewDesc(
		"runwatch_controller_watched_objects",
		"Objects the controller's informer caches hold, by kind.",
		[]string{"kind"}, nil)})
	return m
}

// watchedCollector reports the cache sizes when scraped.
type watchedCollector struct {
	c    *Controller
	desc *prometheus.Desc
}

func (w *watchedCollector) Describe(ch chan<- *prometheus.Desc) { ch <- w.desc }

func (w *watchedCollector) Collect(ch chan<- prometheus.Metric) {
	for kind, n := range w.c.w.counts() {
		ch <- prometheus.MustNewConstMetric(w.desc, prometheus.GaugeValue, float64(n), kind)
	}
}
