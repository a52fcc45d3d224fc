// Package packages names the package a loaded file belongs to, as package
// URLs: Go modules from a Go binary's build information, Debian packages
// from the dpkg database, Alpine packages from the apk database and Maven
// artifacts from a jar's pom.properties. Every database is read from inside
// the container's root and parsed defensively: a corrupt database yields a
// reason, never a crash or a wrong answer.
package packages

import (
	"strings"
)

// escape percent-encodes a purl component, leaving unreserved characters.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '-', c == '_', c == '~':
			b.WriteByte(c)
		default:
			const hexDigits = "0123456789ABCDEF"
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// escapePath escapes each segment of a slash-separated namespace/name.
func escapePath(s string) string {
	parts := strings.Split(s, "/")
	for i, p := range parts {
		parts[i] = escape(p)
	}
	return strings.Join(parts, "/")
}

// DebPURL is pkg:deb/<distro>/<name>@<version>?arch=<arch>&distro=<id>-<version_id>.
func DebPURL(osr OSRelease, name, version, arch string) string {
	ns := osr.ID
	if ns == "" {
		ns = "debian"
	}
	q := []string{}
	if arch != "" {
		q = append(q, "arch="+escape(arch))
	}
	if osr.ID != "" && osr.VersionID != "" {
		q = append(q, "distro="+escape(osr.ID+"-"+osr.VersionID))
	}
	return withQuery("pkg:deb/"+escape(ns)+"/"+escape(name)+"@"+escape(version), q)
}

// ApkPURL is pkg:apk/<distro>/<name>@<version>?arch=<arch>.
func ApkPURL(osr OSRelease, name, version, arch string) string {
	ns := osr.ID
	if ns == "" {
		ns = "alpine"
	}
	q := []string{}
	if arch != "" {
		q = append(q, "arch="+escape(arch))
	}
	if osr.VersionID != "" {
		q = append(q, "distro="+escape(osr.ID+"-"+osr.VersionID))
	}
	return withQuery("pkg:apk/"+escape(ns)+"/"+escape(name)+"@"+escape(version), q)
}

// GolangPURL is pkg:golang/<module path>@<version>; the standard library is
// pkg:golang/stdlib@<go version>, as the Go vulnerability database names it.
func GolangPURL(module, version string) string {
	if version == "" || version == "(devel)" {
		return "pkg:golang/" + escapePath(module)
	}
	return "pkg:golang/" + escapePath(module) + "@" + escape(version)
}

// MavenPURL is pkg:maven/<groupId>/<artifactId>@<version>.
func MavenPURL(group, artifact, version string) string {
	return "pkg:maven/" + escape(group) + "/" + escape(artifact) + "@" + escape(version)
}

func withQuery(s string, q []string) string {
	if len(q) == 0 {
		return s
	}
	return s + "?" + strings.Join(q, "&")
}
