// Package lru is a size-bounded least-recently-used map. The sensor's caches
// (file hashes, package indexes, cgroup paths, dedup keys) are all bounded
// by it, so memory stays flat whatever the workload does.
package lru

import "container/list"

// Cache maps keys to values and holds at most its capacity. It is not safe
// for concurrent use; owners lock around it when they share it.
type Cache[K comparable, V any] struct {
	capacity int
	ll       *list.List
	items    map[K]*list.Element
	// OnEvict, if set, is called for each entry pushed out by Add.
	OnEvict func(K, V)
}

type entry[K comparable, V any] struct {
	key K
	val V
}

// New returns a cache holding at most capacity entries (at least 1).
func New[K comparable, V any](capacity int) *Cache[K, V] {
	if capacity < 1 {
		capacity = 1
	}
	return &Cache[K, V]{capacity: capacity, ll: list.New(), items: make(map[K]*list.Element)}
}

// Get returns the value for key and marks it recently used.
func (c *Cache[K, V]) Get(key K) (V, bool) {
	if el, ok := c.items[key]; ok {
		c.ll.MoveToFront(el)
		return el.Value.(*entry[K, V]).val, true
	}
	var zero V
	return zero, false
}

// Peek returns the value for key without changing its recency.
func (c *Cache[K, V]) Peek(key K) (V, bool) {
	if el, ok := c.items[key]; ok {
		return el.Value.(*entry[K, V]).val, true
	}
	var zero V
	return zero, false
}

// Add inserts or replaces key, evicting the least recently used entry when
// the cache is full.
func (c *Cache[K, V]) Add(key K, val V) {
	if el, ok := c.items[key]; ok {
		el.Value.(*entry[K, V]).val = val
		c.ll.MoveToFront(el)
		return
	}
	c.items[key] = c.ll.PushFront(&entry[K, V]{key: key, val: val})
	if c.ll.Len() > c.capacity {
		c.removeElement(c.ll.Back(), true)
	}
}

// Oldest returns the least recently used entry.
func (c *Cache[K, V]) Oldest() (K, V, bool) {
	if el := c.ll.Back(); el != nil {
		e := el.Value.(*entry[K, V])
		return e.key, e.val, true
	}
	var k K
	var v V
	return k, v, false
}

// Remove deletes key.
func (c *Cache[K, V]) Remove(key K) {
	if el, ok := c.items[key]; ok {
		c.removeElement(el, false)
	}
}

func (c *Cache[K, V]) removeElement(el *list.Element, evicted bool) {
	c.ll.Remove(el)
	e := el.Value.(*entry[K, V])
	delete(c.items, e.key)
	if evicted && c.OnEvict != nil {
		c.OnEvict(e.key, e.val)
	}
}

// Len is the number of entries.
func (c *Cache[K, V]) Len() int { return c.ll.Len() }

// Cap is the capacity.
func (c *Cache[K, V]) Cap() int { return c.capacity }
