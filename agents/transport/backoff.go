package transport

import (
	"math/rand/v2"
	"time"
)

// Backoff spaces out retries: exponential from Min to Max, with full
// jitter so a fleet of agents does not retry in step after an outage.
type Backoff struct {
	Min, Max time.Duration
	attempt  int
}

// Next returns how long to wait before the next attempt.
func (b *Backoff) Next() time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = 500 * time.Millisecond
	}
	if hi < lo {
		hi = 30 * time.Second
	}
	ceil := lo << min(b.attempt, 30)
	if ceil > hi || ceil <= 0 {
		ceil = hi
	} else {
		b.attempt++
	}
	// Full jitter over [lo/2, ceil].
	floor := lo / 2
	return floor + rand.N(ceil-floor+1)
}

// Reset starts over after a success.
func (b *Backoff) Reset() { b.attempt = 0 }
