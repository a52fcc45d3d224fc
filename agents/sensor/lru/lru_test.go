package lru

import "testing"

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	c := New[string, int](2)
	var evicted []string
	c.OnEvict = func(k string, _ int) { evicted = append(evicted, k) }
	c.Add("a", 1)
	c.Add("b", 2)
	if _, ok := c.Get("a"); !ok { // a is now the most recent
		t.Fatal("a missing")
	}
	c.Add("c", 3)
	if _, ok := c.Peek("b"); ok {
		t.Error("b should have been evicted")
	}
	if len(evicted) != 1 || evicted[0] != "b" {
		t.Errorf("evicted %v", evicted)
	}
	if c.Len() != 2 {
		t.Errorf("len %d", c.Len())
	}
	k, _, _ := c.Oldest()
	if k != "a" {
		t.Errorf("oldest %q", k)
	}
	c.Remove("a")
	if c.Len() != 1 || len(evicted) != 1 {
		t.Errorf("remove: len %d evicted %v", c.Len(), evicted)
	}
}

func TestBoundedUnderChurn(t *testing.T) {
	c := New[int, int](100)
	for i := range 100000 {
		c.Add(i, i)
	}
	if c.Len() != 100 || len(c.items) != 100 {
		t.Fatalf("len %d map %d", c.Len(), len(c.items))
	}
	if _, ok := c.Get(99999); !ok {
		t.Error("newest entry missing")
	}
}
