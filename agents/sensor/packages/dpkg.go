package packages

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DebPackage is one installed package from a dpkg status file.
type DebPackage struct {
	Name, Version, Architecture string
}

// Limits on what a database may make the sensor hold.
const (
	maxLineBytes   = 256 << 10
	maxPackages    = 50000
	maxIndexedPath = 500000
)

// ErrTooLarge is returned for a database beyond the sensor's limits.
var ErrTooLarge = errors.New("package database too large")

// ParseDpkgStatus reads a dpkg status file (or one file of status.d) and
// returns the installed packages. A malformed stanza is skipped; a line
// without a field name outside a continuation is an error.
func ParseDpkgStatus(r io.Reader) ([]DebPackage, error) {
	var (
		out       []DebPackage
		cur       DebPackage
		installed bool
		status    bool // a Status field was present
		inStanza  bool
	)
	flush := func() {
		// status.d files (distroless) have no Status field: present means installed.
		if inStanza && cur.Name != "" && cur.Version != "" && (installed || !status) {
			out = append(out, cur)
		}
		cur, installed, status, inStanza = DebPackage{}, false, false, false
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLineBytes)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if strings.TrimSpace(text) == "" {
			flush()
			continue
		}
		if text[0] == ' ' || text[0] == '\t' {
			continue // continuation of a multi-line field (Description, Conffiles)
		}
		k, v, ok := strings.Cut(text, ":")
		if !ok {
			return out, fmt.Errorf("dpkg status line %d: no field name in %q", line, truncate(text))
		}
		inStanza = true
		v = strings.TrimSpace(v)
		switch k {
		case "Package":
			cur.Name = v
		case "Version":
			cur.Version = v
		case "Architecture":
			cur.Architecture = v
		case "Status":
			status = true
			f := strings.Fields(v)
			installed = len(f) == 3 && f[2] == "installed"
		}
		if len(out) > maxPackages {
			return out, ErrTooLarge
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("dpkg status line %d: %w", line, err)
	}
	return out, nil
}

// ParseDpkgList reads info/<package>.list (one absolute path a line) or a
// .md5sums file ("<md5>  <path without leading slash>").
func ParseDpkgList(r io.Reader, md5sums bool) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 16<<10), maxLineBytes)
	for sc.Scan() {
		p := sc.Text()
		if md5sums {
			_, rest, ok := strings.Cut(p, "  ")
			if !ok {
				continue
			}
			p = "/" + rest
		}
		if p == "" || p[0] != '/' {
			continue
		}
		out = append(out, p)
		if len(out) > maxIndexedPath {
			return out, ErrTooLarge
		}
	}
	return out, sc.Err()
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
