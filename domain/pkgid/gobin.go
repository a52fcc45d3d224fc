package pkgid

import (
	"debug/buildinfo"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/runwatch/runwatch/domain/vuln"
)

// GoPURL is pkg:golang/<module path>@<version>; without a version (a
// "(devel)" build) it names the module alone.
func GoPURL(module, version string) vuln.PURL {
	if version == "(devel)" {
		version = ""
	}
	ns, name := path.Split(module)
	return vuln.PURL{Type: "golang", Namespace: strings.TrimSuffix(ns, "/"), Name: name, Version: version}
}

// GoModules reads a Go binary's build information: its main module, the
// modules it was built with (as replaced; local replacements have no
// purl) and the standard library of its toolchain, as the Go vulnerability
// database names it (pkg:golang/stdlib@<semver>). A file that is not a Go
// binary is an error.
func GoModules(r io.ReaderAt) ([]vuln.PURL, error) {
	bi, err := buildinfo.Read(r)
	if err != nil {
		return nil, fmt.Errorf("go build info: %w", err)
	}
	var out []vuln.PURL
	if bi.Main.Path != "" {
		out = append(out, GoPURL(bi.Main.Path, bi.Main.Version))
	}
	for _, d := range bi.Deps {
		m := d
		if d.Replace != nil {
			m = d.Replace
		}
		if m.Path == "" || strings.HasPrefix(m.Path, ".") || strings.HasPrefix(m.Path, "/") {
			continue
		}
		out = append(out, GoPURL(m.Path, m.Version))
	}
	if v := vuln.GoVersionToSemver(bi.GoVersion); v != "" {
		out = append(out, GoPURL("stdlib", v))
	}
	return out, nil
}
