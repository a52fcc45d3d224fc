// Package dedup aggregates runtime sightings per (container, file): the
// first sighting of a key is kept with its full detail, later ones only add
// to its count and move its last-seen time. A drain hands out what changed
// since the previous drain. The table is bounded; when it is full of keys
// that still have something to send, a new key is dropped and counted.
package dedup

import (
	"time"

	"github.com/runwatch/runwatch/agents/sensor/lru"
)

// Key identifies an aggregate. Kind separates executions from file loads.
type Key struct {
	Kind      int
	Container string
	Path      string
	SHA256    string
}

// Item is what a drain returns for one key.
type Item[D any] struct {
	Key Key
	// Detail is the first sighting's detail, set only the first time the key
	// is drained (and again if it was pushed out and seen anew).
	Detail    *D
	First     bool
	Count     uint64 // sightings since the previous drain
	FirstSeen time.Time
	LastSeen  time.Time
}

type entry[D any] struct {
	detail    *D
	reported  bool
	pending   uint64
	firstSeen time.Time
	lastSeen  time.Time
}

// Table is not safe for concurrent use.
type Table[D any] struct {
	entries  *lru.Cache[Key, *entry[D]]
	dirty    map[Key]struct{}
	overflow uint64
}

// New holds at most capacity keys.
func New[D any](capacity int) *Table[D] {
	return &Table[D]{entries: lru.New[Key, *entry[D]](capacity), dirty: make(map[Key]struct{})}
}

// Observe records one sighting at time at. detail is called only for a new
// key. It returns false when the sighting was dropped because the table was
// full of unsent keys.
func (t *Table[D]) Observe(k Key, at time.Time, detail func() *D) bool {
	if e, ok := t.entries.Get(k); ok {
		e.pending++
		if at.After(e.lastSeen) {
			e.lastSeen = at
		}
		t.dirty[k] = struct{}{}
		return true
	}
	if t.entries.Len() >= t.entries.Cap() {
		oldK, old, _ := t.entries.Oldest()
		if old.pending > 0 || !old.reported {
			t.overflow++
			return false
		}
		t.entries.Remove(oldK)
	}
	t.entries.Add(k, &entry[D]{detail: detail(), pending: 1, firstSeen: at, lastSeen: at})
	t.dirty[k] = struct{}{}
	return true
}

// Drain returns up to max changed keys and marks them sent. The detail of
// a key that has been drained before is not returned again.
func (t *Table[D]) Drain(max int) []Item[D] {
	var out []Item[D]
	for k := range t.dirty {
		if len(out) == max {
			break
		}
		delete(t.dirty, k)
		e, ok := t.entries.Peek(k)
		if !ok || e.pending == 0 {
			continue
		}
		it := Item[D]{Key: k, Count: e.pending, FirstSeen: e.firstSeen, LastSeen: e.lastSeen}
		if !e.reported {
			it.Detail, it.First = e.detail, true
			e.reported = true
			e.detail = nil // sent once; the platform keeps it
		}
		e.pending = 0
		out = append(out, it)
	}
	return out
}

// Len is the number of keys held.
func (t *Table[D]) Len() int { return t.entries.Len() }

// Overflow is the number of sightings dropped because the table was full.
func (t *Table[D]) Overflow() uint64 { return t.overflow }
