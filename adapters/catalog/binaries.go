package catalog

import (
	"io"

	"github.com/runwatch/runwatch/domain/pkgid"
)

// goModules reads a Go binary's build information (pkgid.GoModules). A
// file that is not a Go binary yields nothing; a module without a version
// (a "(devel)" build) names nothing a vulnerability could match.
func goModules(r io.ReaderAt, size int64) []found {
	purls, err := pkgid.GoModules(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil
	}
	out := make([]found, 0, len(purls))
	for _, p := range purls {
		if p.Version != "" {
			out = append(out, found{purl: p})
		}
	}
	return out
}

// maxNestedJar bounds a nested jar read into memory (real libraries are
// a few MB; the largest common ones stay under 30 MB).
const maxNestedJar = 64 << 20

// jarArtifacts reads the Maven coordinates of a Java archive and of the
// jars it nests one level deep (Spring Boot's BOOT-INF/lib, a war's
// WEB-INF/lib).
func jarArtifacts(r io.ReaderAt, size int64, lim Limits) []found {
	arts, err := pkgid.JarArtifacts(r, size, pkgid.JarLimits{MaxEntries: lim.MaxArchiveEntries, MaxNested: maxNestedJar})
	if err != nil {
		return nil
	}
	out := make([]found, 0, len(arts))
	for _, a := range arts {
		out = append(out, found{purl: a.PURL()})
	}
	return out
}
