package packages

import (
	"debug/buildinfo"
	"fmt"
	"io"
	"strings"
)

// GoModules lists the purls of a Go binary: its main module, its
// dependencies (as replaced) and the standard library of its Go version.
// A file that is not a Go binary returns an error.
func GoModules(r io.ReaderAt) ([]string, error) {
	bi, err := buildinfo.Read(r)
	if err != nil {
		return nil, fmt.Errorf("go build info: %w", err)
	}
	var out []string
	if bi.Main.Path != "" {
		out = append(out, GolangPURL(bi.Main.Path, bi.Main.Version))
	}
	for _, d := range bi.Deps {
		m := d
		if d.Replace != nil {
			m = d.Replace
		}
		if m.Path == "" || strings.HasPrefix(m.Path, ".") || strings.HasPrefix(m.Path, "/") {
			continue // a local replacement has no purl
		}
		out = append(out, GolangPURL(m.Path, m.Version))
	}
	if v, ok := strings.CutPrefix(bi.GoVersion, "go"); ok && v != "" {
		// "go1.26.8 X:nodwarf5" carries experiments after a space.
		v, _, _ = strings.Cut(v, " ")
		out = append(out, GolangPURL("stdlib", "v"+v))
	}
	return out, nil
}
