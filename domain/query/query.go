// Package query holds how the API narrows and pages what it returns: time
// windows, filters, page sizes and the cursors behind page tokens.
package query

import (
	"time"
	"unicode/utf8"

	"github.com/runwatch/runwatch/domain"
)

// Window bounds runtime records by when they were last seen, and inventory
// by whether it still exists.
type Window int

const (
	// WindowAll is everything retained (the retention window, 10 days by
	// default).
	WindowAll Window = iota
	// WindowNow is what runs now: inventory not gone, runtime records seen
	// in the last LiveFor.
	WindowNow
	Window1h
	Window24h
	Window3d
	Window7d
	Window10d
)

// LiveFor is how recent a runtime record must be to count as running now.
// Sensors report at least every heartbeat interval, so this covers a few
// missed reports.
const LiveFor = 5 * time.Minute

// Since returns the earliest last-seen time a runtime record may have to be
// in the window; the zero time means no bound.
func (w Window) Since(now time.Time) time.Time {
	switch w {
	case WindowNow:
		return now.Add(-LiveFor)
	case Window1h:
		return now.Add(-time.Hour)
	case Window24h:
		return now.Add(-24 * time.Hour)
	case Window3d:
		return now.Add(-3 * 24 * time.Hour)
	case Window7d:
		return now.Add(-7 * 24 * time.Hour)
	case Window10d:
		return now.Add(-10 * 24 * time.Hour)
	}
	return time.Time{}
}

// LiveOnly says whether inventory that is gone is left out. Any bounded
// window keeps objects gone within it, so a past window shows what ran
// then; the now window shows only what exists.
func (w Window) LiveOnly() bool { return w == WindowNow }

// GoneSince returns the earliest gone-at time an object may have to be in
// the window (zero: any). Objects not gone are always in.
func (w Window) GoneSince(now time.Time) time.Time {
	if w == WindowNow {
		return now
	}
	return w.Since(now)
}

// Valid says whether w is one of the known windows.
func (w Window) Valid() bool { return w >= WindowAll && w <= Window10d }

// Filter narrows a list. Empty fields do not filter.
type Filter struct {
	// Cluster is a cluster id or name.
	Cluster   string
	Namespace string
	// Workload is a workload uid or name.
	Workload string
	// Image is a digest or a reference as written.
	Image  string
	Node   string
	Window Window
	// Text is a case-insensitive substring of names, paths, hashes and
	// references.
	Text string
	// OrderBy names the order of a list (see the list's Sorts); empty is
	// its default.
	OrderBy string
}

const maxFilterField = 512

// Validate refuses filters that are not what they say.
func (f Filter) Validate() error {
	if !f.Window.Valid() {
		return domain.Invalidf("unknown time window %d", f.Window)
	}
	for _, s := range []string{f.Cluster, f.Namespace, f.Workload, f.Image, f.Node, f.Text} {
		if len(s) > maxFilterField {
			return domain.Invalidf("a filter field is %d bytes, at most %d", len(s), maxFilterField)
		}
		if !utf8.ValidString(s) {
			return domain.Invalidf("a filter field is not UTF-8")
		}
	}
	return nil
}

// Page sizes.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// PageSize turns a requested size into the one served: 0 is the default,
// and more than the maximum is the maximum.
func PageSize(requested int32) int {
	switch {
	case requested <= 0:
		return DefaultPageSize
	case requested > MaxPageSize:
		return MaxPageSize
	}
	return int(requested)
}
