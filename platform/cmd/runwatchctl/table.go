package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
)

// table prints rows under a header, aligned; an empty list says so.
func (c *cli) table(header []string, rows [][]string) {
	if len(rows) == 0 {
		fmt.Fprintln(c.out, "(none)")
		return
	}
	w := tabwriter.NewWriter(c.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, strings.Join(header, "\t"))
	for _, r := range rows {
		for i := range r {
			// A tab or newline in a value would break the columns.
			r[i] = strings.NewReplacer("\t", " ", "\n", " ").Replace(r[i])
		}
		fmt.Fprintln(w, strings.Join(r, "\t"))
	}
	w.Flush()
}

func num(n int64) string { return fmt.Sprint(n) }

func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func short(enum, prefix string) string {
	return strings.ToLower(strings.TrimPrefix(enum, prefix))
}

// when is a time as people read it in a table: how long ago, or the date.
func when(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < 0:
		return t.Local().Format("2006-01-02 15:04")
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return t.Local().Format("2006-01-02")
}

func whenOpt(t time.Time, set bool) string {
	if !set {
		return "never"
	}
	return when(t)
}
