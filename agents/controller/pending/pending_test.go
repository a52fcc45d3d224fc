package pending

import (
	"slices"
	"sync"
	"testing"
)

func TestCoalescesInOrder(t *testing.T) {
	s := New[string](10)
	for _, k := range []string{"a", "b", "a", "c", "b", "a"} {
		s.Add(k)
	}
	if s.Len() != 3 {
		t.Fatalf("Len() = %d, want 3", s.Len())
	}
	if got := s.Take(2); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("Take(2) = %v", got)
	}
	// A key taken is pending again when it changes again.
	s.Add("a")
	if got := s.Take(10); !slices.Equal(got, []string{"c", "a"}) {
		t.Fatalf("Take(10) = %v", got)
	}
	if got := s.Take(10); got != nil {
		t.Fatalf("Take on empty = %v", got)
	}
}

func TestOverflowDropsEverythingUntilReset(t *testing.T) {
	s := New[int](3)
	for i := range 3 {
		s.Add(i)
	}
	if s.Overflowed() {
		t.Fatal("overflowed at the limit")
	}
	s.Add(1) // already pending: no growth
	if s.Overflowed() {
		t.Fatal("a pending key overflowed the set")
	}
	s.Add(3)
	if !s.Overflowed() || s.Len() != 0 {
		t.Fatalf("after overflow: overflowed=%v len=%d", s.Overflowed(), s.Len())
	}
	s.Add(4)
	if s.Len() != 0 {
		t.Fatal("keys tracked while overflowed")
	}
	s.Reset()
	if s.Overflowed() {
		t.Fatal("Reset kept the overflow")
	}
	s.Add(5)
	if got := s.Take(5); !slices.Equal(got, []int{5}) {
		t.Fatalf("after Reset: %v", got)
	}
}

func TestNotify(t *testing.T) {
	s := New[int](10)
	select {
	case <-s.Notify():
		t.Fatal("notified while empty")
	default:
	}
	s.Add(1)
	s.Add(2)
	<-s.Notify()
	select {
	case <-s.Notify():
		t.Fatal("notified twice for one burst")
	default:
	}
}

// The backing array stays bounded however many keys pass through.
func TestMemoryStaysBounded(t *testing.T) {
	s := New[int](100)
	for i := range 100_000 {
		s.Add(i)
		if i%7 == 0 {
			s.Take(7)
		}
	}
	if cap(s.queue) > 4*100 {
		t.Fatalf("queue capacity %d for a limit of 100", cap(s.queue))
	}
}

func TestConcurrentUse(t *testing.T) {
	s := New[int](1 << 20)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10_000 {
				s.Add(w*10_000 + i%5_000)
			}
		}()
	}
	seen := map[int]bool{}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for {
		for _, k := range s.Take(100) {
			seen[k] = true
		}
		select {
		case <-done:
			for _, k := range s.Take(1 << 20) {
				seen[k] = true
			}
			if len(seen) != 4*5_000 {
				t.Fatalf("saw %d distinct keys, want %d", len(seen), 4*5_000)
			}
			return
		default:
		}
	}
}

func BenchmarkAddTake(b *testing.B) {
	s := New[int](10_000)
	for i := 0; b.Loop(); i++ {
		s.Add(i % 5_000)
		if i%100 == 99 {
			s.Take(100)
		}
	}
}
