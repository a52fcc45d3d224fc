package query

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/runwatch/runwatch/domain"
)

// Order is the sort order of a list: its columns in priority, each
// ascending or descending. The last columns must make rows unique, so
// keyset pagination never skips nor repeats a row.
type Order []Column

// Column is one sort column.
type Column struct {
	Name string
	Desc bool
	// Numeric columns compare as int64; others as strings.
	Numeric bool
}

// The orders of the lists the API serves.
var (
	ClusterOrder   = Order{{Name: "name"}, {Name: "id"}}
	NodeOrder      = Order{{Name: "cluster_name"}, {Name: "name"}, {Name: "cluster_id"}}
	WorkloadOrder  = Order{{Name: "namespace"}, {Name: "name"}, {Name: "cluster_id"}, {Name: "uid"}}
	ContainerOrder = Order{{Name: "namespace"}, {Name: "pod_name"}, {Name: "name"}, {Name: "cluster_id"}, {Name: "pod_uid"}, {Name: "container_id"}}
	ImageOrder     = Order{{Name: "repository"}, {Name: "digest"}}
	// Runtime records: the most recently seen first.
	ProcessOrder = Order{{Name: "last_seen", Desc: true, Numeric: true}, {Name: "id", Desc: true, Numeric: true}}
	FileOrder    = Order{{Name: "last_seen", Desc: true, Numeric: true}, {Name: "id", Desc: true, Numeric: true}}
)

// Cursor is the position after the last row of a page: that row's values
// of the order's columns.
type Cursor []string

// Less says whether row a sorts before row b in the order. Stores are held
// to it by their contract tests.
func (o Order) Less(a, b Cursor) bool {
	for i, c := range o {
		if i >= len(a) || i >= len(b) {
			break
		}
		cmp := compare(a[i], b[i], c.Numeric)
		if cmp == 0 {
			continue
		}
		if c.Desc {
			return cmp > 0
		}
		return cmp < 0
	}
	return false
}

func compare(a, b string, numeric bool) int {
	if numeric {
		x, _ := strconv.ParseInt(a, 10, 64)
		y, _ := strconv.ParseInt(b, 10, 64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return strings.Compare(a, b)
}

// token is what a page token holds. The fingerprint ties it to the list and
// filter it was made for: a token replayed with another filter would page
// through the wrong rows, so it is refused.
type token struct {
	V int      `json:"v"`
	F string   `json:"f"`
	K []string `json:"k"`
}

// Fingerprint names a list and its filter for page tokens.
func Fingerprint(list string, parts ...string) string {
	h := sha256.New()
	h.Write([]byte(list))
	for _, p := range parts {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:9])
}

// EncodeToken makes the page token for the page after the row c.
func EncodeToken(fingerprint string, c Cursor) string {
	b, _ := json.Marshal(token{V: 1, F: fingerprint, K: c}) // strings always marshal
	return base64.RawURLEncoding.EncodeToString(b)
}

// maxTokenLen bounds what is decoded from a client.
const maxTokenLen = 4096

// DecodeToken reads a page token made by EncodeToken for the same list and
// filter, checking it against the order's shape. An empty token is the
// first page (nil cursor).
func DecodeToken(s, fingerprint string, o Order) (Cursor, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > maxTokenLen {
		return nil, domain.Invalidf("page token is %d bytes: not one this server made", len(s))
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, domain.Invalidf("page token is malformed")
	}
	var t token
	if err := json.Unmarshal(raw, &t); err != nil || t.V != 1 {
		return nil, domain.Invalidf("page token is malformed")
	}
	if t.F != fingerprint {
		return nil, domain.Invalidf("page token belongs to another list or filter: ask for the first page again")
	}
	if len(t.K) != len(o) {
		return nil, domain.Invalidf("page token is malformed")
	}
	for i, c := range o {
		if c.Numeric {
			if _, err := strconv.ParseInt(t.K[i], 10, 64); err != nil {
				return nil, domain.Invalidf("page token is malformed")
			}
		}
	}
	return Cursor(t.K), nil
}

// String is for logs and test failures.
func (c Cursor) String() string { return fmt.Sprintf("%q", []string(c)) }
