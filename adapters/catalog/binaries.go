package catalog

import (
	"archive/zip"
	"bufio"
	"debug/buildinfo"
	"io"
	"path"
	"strings"

	"github.com/runwatch/runwatch/domain/vuln"
)

// goModules reads a Go binary's build information: its main module, the
// modules it was built with (replacements applied) and the standard
// library of its toolchain. A file that is not a Go binary yields nothing.
func goModules(r io.ReaderAt, size int64) []found {
	info, err := buildinfo.Read(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil
	}
	var out []found
	mod := func(p, v string) {
		if p == "" || v == "" || v == "(devel)" {
			return
		}
		ns, name := path.Split(p)
		out = append(out, found{purl: vuln.PURL{Type: "golang", Namespace: strings.TrimSuffix(ns, "/"), Name: name, Version: v}})
	}
	mod(info.Main.Path, info.Main.Version)
	for _, d := range info.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		mod(d.Path, d.Version)
	}
	if v := vuln.GoVersionToSemver(info.GoVersion); v != "" {
		out = append(out, found{purl: vuln.PURL{Type: "golang", Name: "stdlib", Version: v}})
	}
	return out
}

// maxNestedJar bounds a nested jar read into memory (real libraries are
// a few MB; the largest common ones stay under 30 MB).
const maxNestedJar = 64 << 20

// jarArtifacts reads the Maven coordinates of a Java archive from its
// META-INF/maven/<group>/<artifact>/pom.properties, and of the jars it
// nests (Spring Boot's BOOT-INF/lib, a war's WEB-INF/lib) one level deep.
func jarArtifacts(r io.ReaderAt, size int64, lim Limits) []found {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil
	}
	return zipArtifacts(zr, lim, true)
}

func zipArtifacts(zr *zip.Reader, lim Limits, nest bool) []found {
	if len(zr.File) > lim.MaxArchiveEntries {
		return nil
	}
	var out []found
	for _, f := range zr.File {
		name := f.Name
		switch {
		case strings.HasPrefix(name, "META-INF/maven/") && strings.HasSuffix(name, "/pom.properties"):
			if f.UncompressedSize64 > 1<<20 {
				continue
			}
			if p, ok := readPomProperties(f); ok {
				out = append(out, found{purl: p})
			}
		case nest && isArchive(name) && f.UncompressedSize64 <= maxNestedJar:
			data, err := readZipEntry(f, maxNestedJar)
			if err != nil {
				continue
			}
			inner, err := zip.NewReader(strings.NewReader(string(data)), int64(len(data)))
			if err != nil {
				continue
			}
			out = append(out, zipArtifacts(inner, lim, false)...)
		}
	}
	return out
}

// readZipEntry reads an entry, trusting neither its declared size (a zip
// bomb lies) nor its content: at most max bytes are read.
func readZipEntry(f *zip.File, max int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, ErrLimit
	}
	return data, nil
}

func readPomProperties(f *zip.File) (vuln.PURL, bool) {
	data, err := readZipEntry(f, 1<<20)
	if err != nil {
		return vuln.PURL{}, false
	}
	props := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		props[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	g, a, v := props["groupId"], props["artifactId"], props["version"]
	if g == "" || a == "" || v == "" {
		return vuln.PURL{}, false
	}
	return vuln.PURL{Type: "maven", Namespace: g, Name: a, Version: v}, true
}
