package app

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/runwatch/runwatch/domain"
)

// RateLimits bound ingest per cluster and per node, in records (objects
// for inventory) per second. Bursts allow a whole maximal batch, so a
// single legitimate batch is never refused for its size alone.
type RateLimits struct {
	ClusterPerSecond float64
	NodePerSecond    float64
}

// DefaultRateLimits carry 500 nodes × 100 pods with room: a busy node's
// sensor sends a few hundred new records a second, far below them.
var DefaultRateLimits = RateLimits{ClusterPerSecond: 200_000, NodePerSecond: 20_000}

// limiters holds a token bucket per key, bounded in number.
type limiters struct {
	perSecond float64
	burst     int
	mu        sync.Mutex
	byKey     map[string]*rate.Limiter
}

func newLimiters(perSecond float64, burst int) *limiters {
	return &limiters{perSecond: perSecond, burst: burst, byKey: map[string]*rate.Limiter{}}
}

// reserve reserves n tokens for a key; the caller cancels the
// reservation when it does not go ahead.
func (l *limiters) reserve(key string, n int, now time.Time) *rate.Reservation {
	if l.perSecond <= 0 {
		return nil
	}
	l.mu.Lock()
	lim, ok := l.byKey[key]
	if !ok {
		if len(l.byKey) >= 50_000 {
			clear(l.byKey) // bounded; a forgotten bucket restarts full
		}
		lim = rate.NewLimiter(rate.Limit(l.perSecond), l.burst)
		l.byKey[key] = lim
	}
	l.mu.Unlock()
	return lim.ReserveN(now, min(n, l.burst))
}

// IngestLimiter applies RateLimits.
type IngestLimiter struct {
	clusters *limiters
	nodes    *limiters
}

// NewIngestLimiter makes an IngestLimiter; burst is the largest batch.
func NewIngestLimiter(l RateLimits, burst int) *IngestLimiter {
	return &IngestLimiter{
		clusters: newLimiters(l.ClusterPerSecond, max(burst, int(l.ClusterPerSecond))),
		nodes:    newLimiters(l.NodePerSecond, max(burst, int(l.NodePerSecond))),
	}
}

// Allow takes n records for a cluster and, when node is set, for a node.
// Either both buckets pay or neither does.
func (l *IngestLimiter) Allow(clusterID, node string, n int, now time.Time) error {
	checks := []struct {
		scope, key string
		r          *rate.Reservation
	}{{"cluster", clusterID, l.clusters.reserve(clusterID, n, now)}}
	if node != "" {
		checks = append(checks, struct {
			scope, key string
			r          *rate.Reservation
		}{"node", node, l.nodes.reserve(clusterID+"/"+node, n, now)})
	}
	var refused *domain.RateLimitedError
	for _, c := range checks {
		if c.r == nil {
			continue
		}
		if d := c.r.DelayFrom(now); !c.r.OK() || d > 0 {
			if refused == nil || d > refused.RetryAfter {
				refused = &domain.RateLimitedError{Scope: c.scope, Key: c.key, RetryAfter: max(d, time.Millisecond)}
			}
		}
	}
	if refused != nil {
		for _, c := range checks {
			if c.r != nil {
				c.r.CancelAt(now)
			}
		}
		return refused
	}
	return nil
}
