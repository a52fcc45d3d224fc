package dedup

import (
	"testing"
	"time"
)

type detail struct{ argv string }

func TestFirstSightingThenCounts(t *testing.T) {
	tab := New[detail](10)
	k := Key{Kind: 1, Container: "c", Path: "/bin/sh", SHA256: "ab"}
	t0 := time.Unix(100, 0)
	calls := 0
	mk := func() *detail { calls++; return &detail{argv: "sh -c x"} }
	for i := range 3 {
		tab.Observe(k, t0.Add(time.Duration(i)*time.Second), mk)
	}
	if calls != 1 {
		t.Errorf("detail built %d times", calls)
	}
	items := tab.Drain(100)
	if len(items) != 1 || !items[0].First || items[0].Detail.argv != "sh -c x" || items[0].Count != 3 ||
		!items[0].LastSeen.Equal(t0.Add(2*time.Second)) || !items[0].FirstSeen.Equal(t0) {
		t.Fatalf("first drain %+v", items)
	}
	if items := tab.Drain(100); len(items) != 0 {
		t.Errorf("nothing new, drained %+v", items)
	}
	tab.Observe(k, t0.Add(time.Minute), mk)
	items = tab.Drain(100)
	if len(items) != 1 || items[0].First || items[0].Detail != nil || items[0].Count != 1 {
		t.Errorf("second drain %+v", items)
	}
}

func TestBoundedWithOverflowCounted(t *testing.T) {
	tab := New[detail](2)
	now := time.Now()
	mk := func() *detail { return &detail{} }
	tab.Observe(Key{Path: "a"}, now, mk)
	tab.Observe(Key{Path: "b"}, now, mk)
	// Full of unsent keys: the new one is dropped and counted.
	if tab.Observe(Key{Path: "c"}, now, mk) {
		t.Error("observed beyond capacity")
	}
	if tab.Overflow() != 1 {
		t.Errorf("overflow %d", tab.Overflow())
	}
	// Once sent, old keys make room.
	tab.Drain(10)
	if !tab.Observe(Key{Path: "c"}, now, mk) {
		t.Error("no room after drain")
	}
	if tab.Len() != 2 {
		t.Errorf("len %d", tab.Len())
	}
	// Drain respects max and leaves the rest for later.
	tab.Observe(Key{Path: "a"}, now, mk)
	if n := len(tab.Drain(1)); n != 1 {
		t.Errorf("drained %d", n)
	}
	if n := len(tab.Drain(1)); n != 1 {
		t.Errorf("second drained %d", n)
	}
}
