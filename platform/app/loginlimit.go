package app

import (
	"sync"
	"time"

	"github.com/runwatch/runwatch/domain"
)

// LoginLimiter slows password guessing: after MaxFailures failed logins
// for one username, or from one address, within Window, further attempts
// for it are refused until the window passes. Counting per username stops
// a distributed guess at one account; per address, one client guessing
// many accounts.
type LoginLimiter struct {
	MaxFailures int
	Window      time.Duration

	mu       sync.Mutex
	failures map[string][]time.Time
}

// NewLoginLimiter makes a limiter of 5 failures per 15 minutes.
func NewLoginLimiter() *LoginLimiter {
	return &LoginLimiter{MaxFailures: 5, Window: 15 * time.Minute, failures: map[string][]time.Time{}}
}

func (l *LoginLimiter) keys(username, addr string) []string {
	return []string{"user:" + username, "addr:" + addr}
}

// recent drops failures older than the window; it holds l.mu.
func (l *LoginLimiter) recent(key string, now time.Time) []time.Time {
	fs := l.failures[key]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= l.Window {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(l.failures, key)
	} else {
		l.failures[key] = fs
	}
	return fs
}

// Check refuses an attempt when a key has too many recent failures.
func (l *LoginLimiter) Check(username, addr string, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range l.keys(username, addr) {
		if fs := l.recent(k, now); len(fs) >= l.MaxFailures {
			wait := l.Window - now.Sub(fs[0])
			return domain.RateLimitedf("too many failed logins; try again in %s", wait.Round(time.Second))
		}
	}
	return nil
}

// Failed records a failed attempt.
func (l *LoginLimiter) Failed(username, addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) > 100_000 {
		// Bounded memory under a flood of distinct usernames: forget
		// everything rather than grow.
		clear(l.failures)
	}
	for _, k := range l.keys(username, addr) {
		l.failures[k] = append(l.recent(k, now), now)
	}
}

// Succeeded clears the username's failures (not the address's: a client
// that guessed one account right has still guessed others wrong).
func (l *LoginLimiter) Succeeded(username, _ string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, "user:"+username)
}
