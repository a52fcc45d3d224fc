package app

// Changes tells background work that agents reported something new, so
// it need not wait for its next poll. Notifications coalesce: any number
// of them before the worker looks is one wake-up.
type Changes struct {
	c chan struct{}
}

// NewChanges makes a Changes.
func NewChanges() *Changes { return &Changes{c: make(chan struct{}, 1)} }

// Notify records that something changed; it never blocks.
func (c *Changes) Notify() {
	if c == nil {
		return
	}
	select {
	case c.c <- struct{}{}:
	default:
	}
}

// C is readable after a Notify.
func (c *Changes) C() <-chan struct{} {
	if c == nil {
		return nil
	}
	return c.c
}

// NotifyOn makes the ingest notify c after applying a new (not duplicate)
// inventory or runtime batch.
func (s *Ingest) NotifyOn(c *Changes) { s.changes = c }
