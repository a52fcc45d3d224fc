package pkgid

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/runwatch/runwatch/domain/vuln"
)

// Deb is one installed package from a dpkg status file.
type Deb struct {
	Name, Version, Architecture string
	// Source is the source package when it differs from the binary one
	// (libssl3 is built from openssl): distribution advisories name it.
	Source string
}

// PURL is pkg:deb/<distro>/<name>@<version>?arch=&distro=&upstream=.
func (d Deb) PURL(os OSRelease) vuln.PURL {
	return os.packagePURL("deb", "debian", d.Name, d.Version, d.Architecture, d.Source)
}

// ParseDpkgStatus reads a dpkg status file (or one file of status.d) and
// returns the installed packages. A stanza without name or version is
// skipped; a line that is not a field outside a continuation ends the read
// with what was read and an error.
func ParseDpkgStatus(r io.Reader) ([]Deb, error) {
	var (
		out       []Deb
		cur       Deb
		installed bool
		status    bool // a Status field was present
		inStanza  bool
	)
	flush := func() {
		// status.d files (distroless) have no Status field: present means installed.
		if inStanza && cur.Name != "" && cur.Version != "" && (installed || !status) {
			out = append(out, cur)
		}
		cur, installed, status, inStanza = Deb{}, false, false, false
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLineBytes)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
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
		case "Source":
			// "openssl" or "openssl (3.0.11-1)" when the versions differ.
			cur.Source, _, _ = strings.Cut(v, " ")
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
		p := strings.TrimSuffix(sc.Text(), "\r")
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
