// Package pending holds the keys of objects that changed since they were
// last reported, coalesced: however often an object changes before the next
// batch, it is reported once, in its state at that time. The set is bounded;
// when it would grow past its limit it gives up tracking, forgets every key
// and says so, because the full snapshot that must follow repairs everything
// at once and costs no memory while it waits.
package pending

import "sync"

// Set is a bounded, first-in first-out set of keys, safe for concurrent use.
type Set[K comparable] struct {
	mu         sync.Mutex
	queue      []K
	head       int
	in         map[K]struct{}
	limit      int
	overflowed bool
	notify     chan struct{}
}

// New returns a set that holds at most limit keys (at least 1).
func New[K comparable](limit int) *Set[K] {
	return &Set[K]{in: make(map[K]struct{}), limit: max(limit, 1), notify: make(chan struct{}, 1)}
}

// Add marks k as changed. A key already pending keeps its place. When the
// set is full, it overflows: every key is dropped, and so is every key added
// until Reset, since only a full snapshot can repair what was lost.
func (s *Set[K]) Add(k K) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.overflowed {
		return
	}
	if _, ok := s.in[k]; ok {
		return
	}
	if len(s.in) >= s.limit {
		s.clearLocked()
		s.overflowed = true
		s.signal()
		return
	}
	s.in[k] = struct{}{}
	s.queue = append(s.queue, k)
	s.signal()
}

// Take removes and returns up to n of the oldest keys.
func (s *Set[K]) Take(n int) []K {
	s.mu.Lock()
	defer s.mu.Unlock()
	n = min(n, len(s.queue)-s.head)
	if n <= 0 {
		return nil
	}
	out := make([]K, n)
	copy(out, s.queue[s.head:s.head+n])
	var zero K
	for i := s.head; i < s.head+n; i++ {
		delete(s.in, s.queue[i])
		s.queue[i] = zero
	}
	s.head += n
	// Reclaim the consumed prefix once it is the larger part, so the backing
	// array never grows past about twice the limit.
	if s.head > len(s.queue)/2 {
		s.queue = append(s.queue[:0], s.queue[s.head:]...)
		s.head = 0
	}
	return out
}

// Len is the number of pending keys.
func (s *Set[K]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.in)
}

// Overflowed says whether keys were dropped since the last Reset.
func (s *Set[K]) Overflowed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.overflowed
}

// Reset forgets every key and the overflow, as a full snapshot begins: what
// changes from now on is pending again.
func (s *Set[K]) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clearLocked()
	s.overflowed = false
}

func (s *Set[K]) clearLocked() {
	clear(s.in)
	s.queue, s.head = nil, 0
}

// Notify receives a value after keys were added (or the set overflowed);
// several additions may be signalled once.
func (s *Set[K]) Notify() <-chan struct{} { return s.notify }

func (s *Set[K]) signal() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}
