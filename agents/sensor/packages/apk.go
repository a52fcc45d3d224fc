package packages

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// ApkPackage is one installed package from lib/apk/db/installed, with the
// files it owns.
type ApkPackage struct {
	Name, Version, Architecture string
	Files                       []string // absolute paths
}

// ParseApkInstalled reads an apk installed database: stanzas of "X:value"
// lines separated by blank lines; F: names a directory, the R: lines after
// it the files in it.
func ParseApkInstalled(r io.Reader) ([]ApkPackage, error) {
	var (
		out   []ApkPackage
		cur   ApkPackage
		dir   string
		files int
	)
	flush := func() {
		if cur.Name != "" && cur.Version != "" {
			out = append(out, cur)
		}
		cur, dir = ApkPackage{}, ""
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLineBytes)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
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
		case 'F':
			dir = strings.Trim(v, "/")
		case 'R':
			if v == "" || strings.Contains(v, "/") {
				continue // a file name never holds a slash
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
