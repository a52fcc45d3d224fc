package packages

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io"
	"path"
	"strings"
)

// MavenArtifact is one pom.properties found in a jar.
type MavenArtifact struct{ GroupID, ArtifactID, Version string }

// maxPomFiles bounds how many pom.properties a (shaded) jar may make the
// sensor read.
const maxPomFiles = 2000

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
		return a, fmt.Errorf("pom.properties lacks groupId, artifactId or version")
	}
	return a, nil
}

// JarArtifacts lists the Maven artifacts a jar declares in
// META-INF/maven/<group>/<artifact>/pom.properties (a shaded jar holds
// several). Nested jars (BOOT-INF/lib/*.jar) are not opened.
func JarArtifacts(r io.ReaderAt, size int64) ([]MavenArtifact, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("open jar: %w", err)
	}
	var out []MavenArtifact
	seen := 0
	for _, f := range zr.File {
		name := f.Name
		if !strings.HasPrefix(name, "META-INF/maven/") || path.Base(name) != "pom.properties" {
			continue
		}
		if strings.Count(name, "/") != 4 {
			continue
		}
		if seen++; seen > maxPomFiles {
			break
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
	}
	return out, nil
}
