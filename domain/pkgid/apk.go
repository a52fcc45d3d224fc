package pkgid

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/runwatch/runwatch/domain/vuln"
)

// Apk is one installed package from lib/apk/db/installed, with the files
// it owns.
type Apk struct {
	Name, Version, Architecture string
	// Origin is the source package (aports) when it differs.
	Origin string
	Files  []string // absolute paths
}

// PURL is pkg:apk/<distro>/<name>@<version>?arch=&distro=&upstream=.
func (a Apk) PURL(os OSRelease) vuln.PURL {
	return os.packagePURL("apk", "alpine", a.Name, a.Version, a.Architecture, a.Origin)
}

// ParseApkInstalled reads an apk installed database: stanzas of "X:value"
// lines separated by blank lines; F: names a directory, the R: lines after
// it the files in it. A line that is not a field ends the read with what
// was read and an error.
func ParseApkInstalled(r io.Reader) ([]Apk, error) {
	var (
		out   []Apk
		cur   Apk
		dir   string
		files int
	)
	flush := func() {
		if cur.Name != "" && cur.Version != "" {
			out = append(out, cur)
		}
		cur, dir = Apk{}, ""
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLineBytes)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if text == "" {
			flush()
			continue
		}
		if len(text) < 2 || text[1] != ':' {
			return out, fmt.Errorf("apk installed line %d: not a field in %q", line, truncate(text))
		}
		v := text[2:]
		switch text[0] {
		case 'P':
			cur.Name = v
		case 'V':
			cur.Version = v
		case 'A':
			cur.Architecture = v
		case 'o':
			cur.Origin = v
		case 'F':
			dir = strings.Trim(v, "/")
		case 'R':
			if v == "" || strings.Contains(v, "/") || v == "." || v == ".." {
				continue // a file name never holds a slash
			}
			if dir != "" && !cleanDir(dir) {
				continue // a directory that climbs out of the root
			}
			p := "/" + v
			if dir != "" {
				p = "/" + dir + "/" + v
			}
			cur.Files = append(cur.Files, p)
			files++
		}
		if files > maxIndexedPath || len(out) > maxPackages {
			return out, ErrTooLarge
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("apk installed line %d: %w", line, err)
	}
	return out, nil
}

// cleanDir says whether a relative directory stays below the root.
func cleanDir(d string) bool {
	for _, seg := range strings.Split(d, "/") {
		if seg == ".." || seg == "." || seg == "" {
			return false
		}
	}
	return true
}
