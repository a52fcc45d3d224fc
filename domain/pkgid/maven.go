package pkgid

import (
	"archive/zip"
	"bufio"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/runwatch/runwatch/domain/vuln"
)

// MavenArtifact is one pom.properties found in a jar.
type MavenArtifact struct{ GroupID, ArtifactID, Version string }

// PURL is pkg:maven/<groupId>/<artifactId>@<version>.
func (a MavenArtifact) PURL() vuln.PURL {
	return vuln.PURL{Type: "maven", Namespace: a.GroupID, Name: a.ArtifactID, Version: a.Version}
}

// ParsePomProperties reads a Java properties file for groupId, artifactId
// and version.
func ParsePomProperties(r io.Reader) (MavenArtifact, error) {
	var a MavenArtifact
	sc := bufio.NewScanner(io.LimitReader(r, 64<<10))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			continue
		}
		k, v := strings.TrimSpace(line[:i]), strings.TrimSpace(line[i+1:])
		switch k {
		case "groupId":
			a.GroupID = v
		case "artifactId":
			a.ArtifactID = v
		case "version":
			a.Version = v
		}
	}
	if err := sc.Err(); err != nil {
		return a, fmt.Errorf("pom.properties: %w", err)
	}
	if a.GroupID == "" || a.ArtifactID == "" || a.Version == "" {
		return a, errors.New("pom.properties lacks groupId, artifactId or version")
	}
	return a, nil
}

// JarLimits bound what a jar may make a reader do.
type JarLimits struct {
	// MaxEntries refuses archives of more entries (0: no limit).
	MaxEntries int
	// MaxPoms bounds the pom.properties read (a shaded jar holds several).
	MaxPoms int
	// MaxNested is the largest nested jar read into memory; 0 opens no
	// nested jars (Spring Boot's BOOT-INF/lib, a war's WEB-INF/lib).
	MaxNested int64
}

// IsArchive says whether a file name is a Java archive.
func IsArchive(name string) bool {
	for _, ext := range []string{".jar", ".war", ".ear"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// JarArtifacts lists the Maven artifacts a jar declares in
// META-INF/maven/<group>/<artifact>/pom.properties, and, within limits,
// those of the jars it nests one level deep.
func JarArtifacts(r io.ReaderAt, size int64, lim JarLimits) ([]MavenArtifact, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("open jar: %w", err)
	}
	return zipArtifacts(zr, lim, lim.MaxNested > 0)
}

func zipArtifacts(zr *zip.Reader, lim JarLimits, nest bool) ([]MavenArtifact, error) {
	if lim.MaxEntries > 0 && len(zr.File) > lim.MaxEntries {
		return nil, fmt.Errorf("jar holds %d entries, more than %d", len(zr.File), lim.MaxEntries)
	}
	var out []MavenArtifact
	poms := 0
	for _, f := range zr.File {
		name := f.Name
		switch {
		case strings.HasPrefix(name, "META-INF/maven/") && path.Base(name) == "pom.properties" && strings.Count(name, "/") == 4:
			if poms++; lim.MaxPoms > 0 && poms > lim.MaxPoms {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				continue
			}
			a, err := ParsePomProperties(rc)
			rc.Close()
			if err == nil {
				out = append(out, a)
			}
		case nest && IsArchive(name) && f.UncompressedSize64 <= uint64(lim.MaxNested):
			data, err := readEntry(f, lim.MaxNested)
			if err != nil {
				continue
			}
			inner, err := zip.NewReader(strings.NewReader(string(data)), int64(len(data)))
			if err != nil {
				continue
			}
			nested, _ := zipArtifacts(inner, lim, false)
			out = append(out, nested...)
		}
	}
	return out, nil
}

// errEntryTooLarge: an entry grew past its limit while read (a zip bomb
// lies about its size).
var errEntryTooLarge = errors.New("archive entry too large")

// readEntry reads an entry, trusting neither its declared size nor its
// content: at most max bytes are read.
func readEntry(f *zip.File, max int64) ([]byte, error) {
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
		return nil, errEntryTooLarge
	}
	return data, nil
}
