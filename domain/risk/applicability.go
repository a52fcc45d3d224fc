package risk

import (
	"slices"
	"strings"
	"time"
)

// Component is a package an image contains, as the cataloguer found it.
type Component struct {
	// PURL identifies the package and version.
	PURL string
	// Files are the component's files in the image: the binary of a Go
	// module, the jar of a Maven artifact, the files a dpkg or apk
	// package installed. SHA256 is set where the cataloguer hashed it.
	Files []ComponentFile
}

// ComponentFile is a file of a component.
type ComponentFile struct {
	Path   string
	SHA256 string
}

// Load is a file a sensor saw loaded into a process of the image.
type Load struct {
	Path      string
	SHA256    string
	PURLs     []string
	FirstSeen time.Time
	LastSeen  time.Time
}

// Evidence says why a component counts as loaded.
type Evidence struct {
	// By is how the load was joined to the component: "purl", "sha256"
	// or "path".
	By        string
	Path      string
	SHA256    string
	FirstSeen time.Time
	LastSeen  time.Time
}

// versionedPURL strips qualifiers and subpath: loads and components are
// the same package when type, namespace, name and version agree.
func versionedPURL(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	return p
}

// LoadedBy says whether a component's code was loaded at runtime, and the
// earliest load that shows it. A load shows it when the sensor named the
// component's package URL for the file, or when the loaded file is one of
// the component's files: same sha256, or same path when either side has
// no hash (a file whose content differs from the image's is drift, not
// this component).
func LoadedBy(c Component, loads []Load) (Evidence, bool) {
	want := versionedPURL(c.PURL)
	var best Evidence
	found := false
	consider := func(e Evidence) {
		if !found || e.FirstSeen.Before(best.FirstSeen) {
			best = e
		}
		found = true
	}
	for _, l := range loads {
		if slices.ContainsFunc(l.PURLs, func(p string) bool { return versionedPURL(p) == want }) {
			consider(Evidence{By: "purl", Path: l.Path, SHA256: l.SHA256, FirstSeen: l.FirstSeen, LastSeen: l.LastSeen})
			continue
		}
		for _, f := range c.Files {
			switch {
			case f.SHA256 != "" && l.SHA256 != "" && f.SHA256 == l.SHA256:
				consider(Evidence{By: "sha256", Path: l.Path, SHA256: l.SHA256, FirstSeen: l.FirstSeen, LastSeen: l.LastSeen})
			case f.Path == l.Path && (f.SHA256 == "" || l.SHA256 == ""):
				consider(Evidence{By: "path", Path: l.Path, SHA256: l.SHA256, FirstSeen: l.FirstSeen, LastSeen: l.LastSeen})
			default:
				continue
			}
			break
		}
	}
	return best, found
}
