// Package app holds Runwatch's use cases: what agents, people and
// background workers do with the platform, written against the ports and
// the domain only. The API adapters call it; the composition root builds it.
package app

import "time"

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }
