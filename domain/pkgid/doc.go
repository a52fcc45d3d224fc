// Package pkgid names the packages a file system holds, as package URLs:
// Debian packages from the dpkg database, Alpine packages from the apk
// database, Go modules from a Go binary's build information and Maven
// artifacts from a jar's pom.properties, with the distribution from
// os-release.
//
// The sensor (reading a running container's root) and the platform's
// cataloguer (reading an image's layers) both use it, so a package has one
// spelling wherever it is seen. Every input is untrusted: readers are
// bounded, a corrupt database yields what could be read and an error, never
// a crash.
package pkgid

import "errors"

// Limits on what a database may make a reader hold.
const (
	maxLineBytes   = 256 << 10
	maxPackages    = 50000
	maxIndexedPath = 500000
)

// ErrTooLarge is returned for a database beyond the limits.
var ErrTooLarge = errors.New("package database too large")

func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
