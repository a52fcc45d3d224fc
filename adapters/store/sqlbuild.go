package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/runwatch/runwatch/domain/query"
)

// conds collects the conditions of a WHERE clause and their arguments,
// in bun's ? placeholder style.
type conds struct {
	parts []string
	args  []any
}

func (c *conds) add(sql string, args ...any) {
	c.parts = append(c.parts, sql)
	c.args = append(c.args, args...)
}

func (c *conds) sql() string {
	if len(c.parts) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c.parts, " AND ")
}

// likeArg is a LIKE pattern matching s anywhere, case-insensitively (the
// column side is lowered), with LIKE's wildcards in s escaped.
func likeArg(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

// textMatch is a condition that any of the columns contains s.
func (c *conds) textMatch(s string, cols ...string) {
	if s == "" {
		return
	}
	pat := likeArg(s)
	parts := make([]string, len(cols))
	args := make([]any, len(cols))
	for i, col := range cols {
		parts[i] = "lower(" + col + `) LIKE ? ESCAPE '\'`
		args[i] = pat
	}
	c.add("("+strings.Join(parts, " OR ")+")", args...)
}

// goneWindow keeps inventory in the window: existing now, or (for a past
// window) gone within it.
func (c *conds) goneWindow(alias string, w query.Window, now time.Time) {
	switch {
	case w.LiveOnly():
		c.add(alias + ".gone_at = 0")
	case !w.Since(now).IsZero():
		c.add("("+alias+".gone_at = 0 OR "+alias+".gone_at >= ?)", us(w.Since(now)))
	}
}

// seenWindow keeps runtime records last seen in the window.
func (c *conds) seenWindow(col string, w query.Window, now time.Time) {
	if since := w.Since(now); !since.IsZero() {
		c.add(col+" >= ?", us(since))
	}
}

// clusterMatch matches a cluster id or name against a clusters alias.
func (c *conds) clusterMatch(clusterAlias, cluster string) {
	if cluster != "" {
		c.add("("+clusterAlias+".id = ? OR "+clusterAlias+".name = ?)", cluster, cluster)
	}
}

// after adds the keyset condition "row sorts after the cursor" for an
// order, given the SQL expression of each of its columns.
func (c *conds) after(o query.Order, exprs []string, cur query.Cursor) {
	if cur == nil {
		return
	}
	var ors []string
	var args []any
	for i, col := range o {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, exprs[j]+" = ?")
			args = append(args, cursorArg(o[j], cur[j]))
		}
		op := " > ?"
		if col.Desc {
			op = " < ?"
		}
		ands = append(ands, exprs[i]+op)
		args = append(args, cursorArg(col, cur[i]))
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	c.add("("+strings.Join(ors, " OR ")+")", args...)
}

func cursorArg(col query.Column, v string) any {
	if col.Numeric {
		n, _ := strconv.ParseInt(v, 10, 64) // DecodeToken checked it
		return n
	}
	return v
}

// orderBy is the ORDER BY clause of an order.
func orderBy(o query.Order, exprs []string) string {
	parts := make([]string, len(o))
	for i, col := range o {
		parts[i] = exprs[i]
		if col.Desc {
			parts[i] += " DESC"
		}
	}
	return " ORDER BY " + strings.Join(parts, ", ")
}

// page cuts a fetched slice of limit+1 rows to limit and returns the cursor
// of its last row when there is more.
func page[T any](rows []T, limit int, cursor func(*T) query.Cursor) query.Page[T] {
	if len(rows) <= limit {
		return query.Page[T]{Items: rows}
	}
	rows = rows[:limit]
	return query.Page[T]{Items: rows, Next: cursor(&rows[limit-1])}
}

// listQuery is one page's query of a list: its SELECT list, FROM with
// joins and conditions, and the order with the columns it sorts by.
type listQuery struct {
	what  string // named in errors: "list <what>"
	sel   string
	from  string
	where conds
	cols  columns
	order query.Order
}

// listPage runs a list query for the page after a cursor: the order's
// keyset condition and ORDER BY, and one row past the limit, so the page
// knows whether more follow. view makes a row a view; value names a view's
// value of a sort column, for the next page's cursor.
func listPage[R, V any](ctx context.Context, s *Store, q listQuery, after query.Cursor, limit int, view func(*R) V, value func(*V, string) string) (query.Page[V], error) {
	w := q.where
	orderSQL := q.cols.sorted(&w, q.order, after)
	var rows []R
	if err := s.db.NewRaw("SELECT "+q.sel+q.from+w.sql()+orderSQL+" LIMIT ?", append(w.args, limit+1)...).Scan(ctx, &rows); err != nil {
		return query.Page[V]{}, fmt.Errorf("list %s: %w", q.what, err)
	}
	views := make([]V, len(rows))
	for i := range rows {
		views[i] = view(&rows[i])
	}
	return page(views, limit, cursorOf(q.order, value)), nil
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// columns maps the column names of a list's orders to SQL expressions.
type columns map[string]string

// of is the expressions of an order's columns, in its order.
func (c columns) of(o query.Order) []string {
	out := make([]string, len(o))
	for i, col := range o {
		out[i] = c[col.Name]
	}
	return out
}

// sorted adds an order's keyset condition to w and returns its ORDER BY.
func (c columns) sorted(w *conds, o query.Order, after query.Cursor) string {
	exprs := c.of(o)
	w.after(o, exprs, after)
	return orderBy(o, exprs)
}

// cursorOf makes a row's cursor for an order from the row's values by
// column name.
func cursorOf[T any](o query.Order, value func(*T, string) string) func(*T) query.Cursor {
	return func(row *T) query.Cursor {
		c := make(query.Cursor, len(o))
		for i, col := range o {
			c[i] = value(row, col.Name)
		}
		return c
	}
}

// sortOf resolves a filter's order name; the use case checked it.
func sortOf(s query.Sorts, name string) query.Order {
	o, err := s.Get(name)
	if err != nil {
		return s[""]
	}
	return o
}

// countBy runs a query selecting "key" and "n" columns and returns n by
// key: the per-row counts of a page (pods per node, processes per image).
func (s *Store) countBy(ctx context.Context, what, q string, args ...any) (map[string]int64, error) {
	var rows []struct {
		Key string `bun:"key"`
		N   int64  `bun:"n"`
	}
	if err := s.db.NewRaw(q, args...).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("count %s: %w", what, err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Key] = r.N
	}
	return out, nil
}
