package vuln

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// PURL is a parsed package URL (github.com/package-url/purl-spec):
// pkg:type/namespace/name@version?qualifiers#subpath.
type PURL struct {
	Type       string // "golang", "deb", "apk", "maven", "npm", "pypi"
	Namespace  string // "golang.org/x", "debian", "alpine", "org.apache.logging.log4j"
	Name       string
	Version    string
	Qualifiers map[string]string
	Subpath    string
}

// MaxPURLLength bounds what ParsePURL accepts.
const MaxPURLLength = 2048

// ParsePURL parses a package URL. Type is lower-cased as the spec
// requires; percent-encoded segments are decoded.
func ParsePURL(s string) (PURL, error) {
	var p PURL
	if len(s) > MaxPURLLength {
		return p, fmt.Errorf("package URL longer than %d bytes", MaxPURLLength)
	}
	rest, ok := strings.CutPrefix(s, "pkg:")
	if !ok {
		return p, fmt.Errorf("package URL %q does not start with \"pkg:\"", s)
	}
	rest = strings.TrimLeft(rest, "/")
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		sub, err := url.PathUnescape(rest[i+1:])
		if err != nil {
			return p, fmt.Errorf("package URL %q: subpath: %w", s, err)
		}
		p.Subpath, rest = strings.Trim(sub, "/"), rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		q, err := url.ParseQuery(rest[i+1:])
		if err != nil {
			return p, fmt.Errorf("package URL %q: qualifiers: %w", s, err)
		}
		rest = rest[:i]
		if len(q) > 0 {
			p.Qualifiers = make(map[string]string, len(q))
			for k, v := range q {
				p.Qualifiers[strings.ToLower(k)] = v[0]
			}
		}
	}
	// The version follows the last '@' of the path (a namespace may hold
	// an '@' only percent-encoded, e.g. npm scopes %40scope).
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		v, err := url.PathUnescape(rest[i+1:])
		if err != nil {
			return p, fmt.Errorf("package URL %q: version: %w", s, err)
		}
		p.Version, rest = v, rest[:i]
	}
	typ, path, ok := strings.Cut(rest, "/")
	if !ok || typ == "" {
		return p, fmt.Errorf("package URL %q has no type and name", s)
	}
	p.Type = strings.ToLower(typ)
	path = strings.Trim(path, "/")
	var ns string
	name := path
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		ns, name = path[:i], path[i+1:]
	}
	var err error
	if p.Name, err = url.PathUnescape(name); err != nil || p.Name == "" {
		return p, fmt.Errorf("package URL %q has no valid name", s)
	}
	if ns != "" {
		segs := strings.Split(ns, "/")
		for i, seg := range segs {
			if segs[i], err = url.PathUnescape(seg); err != nil {
				return p, fmt.Errorf("package URL %q: namespace: %w", s, err)
			}
		}
		p.Namespace = strings.Join(segs, "/")
	}
	return p, nil
}

// String renders the package URL canonically: qualifiers sorted, segments
// percent-encoded where needed.
func (p PURL) String() string {
	var b strings.Builder
	b.WriteString("pkg:")
	b.WriteString(p.Type)
	b.WriteByte('/')
	if p.Namespace != "" {
		for _, seg := range strings.Split(p.Namespace, "/") {
			b.WriteString(escapeSegment(seg))
			b.WriteByte('/')
		}
	}
	b.WriteString(escapeSegment(p.Name))
	if p.Version != "" {
		b.WriteByte('@')
		b.WriteString(escapeSegment(p.Version))
	}
	if len(p.Qualifiers) > 0 {
		keys := make([]string, 0, len(p.Qualifiers))
		for k := range p.Qualifiers {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			if i == 0 {
				b.WriteByte('?')
			} else {
				b.WriteByte('&')
			}
			b.WriteString(k)
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(p.Qualifiers[k]))
		}
	}
	if p.Subpath != "" {
		b.WriteByte('#')
		b.WriteString(p.Subpath)
	}
	return b.String()
}

// Package is the identity of a package without its version or
// qualifiers: "pkg:golang/golang.org/x/text". Loaded files and image
// components are joined on it together with the version.
func (p PURL) Package() string {
	q := PURL{Type: p.Type, Namespace: p.Namespace, Name: p.Name}
	return q.String()
}

// Versioned is the package and version without qualifiers.
func (p PURL) Versioned() string {
	q := PURL{Type: p.Type, Namespace: p.Namespace, Name: p.Name, Version: p.Version}
	return q.String()
}

func escapeSegment(s string) string {
	e := url.PathEscape(s)
	// PathEscape leaves these, which the purl spec reserves ('+' is
	// percent-encoded by the spec's reference implementations too, so one
	// package has one spelling: 2.36-9%2Bdeb12u4).
	return strings.NewReplacer("@", "%40", ":", "%3A", "+", "%2B").Replace(e)
}

// OSVPackage is what a package URL names in OSV terms: the ecosystem with
// its release ("Debian:12") and the package names to look up (a Debian or
// Alpine binary package is also looked up by its source package, which is
// what distribution advisories name).
type OSVPackage struct {
	Ecosystem Ecosystem
	Release   string
	Names     []string
	Version   string
}

// ToOSV maps a package URL to OSV. ok is false for types Runwatch cannot
// match.
func (p PURL) ToOSV() (OSVPackage, bool) {
	o := OSVPackage{Version: p.Version}
	switch p.Type {
	case "golang":
		o.Ecosystem = EcosystemGo
		name := p.Name
		if p.Namespace != "" {
			name = p.Namespace + "/" + p.Name
		}
		o.Names = []string{name}
		if name == "stdlib" && strings.HasPrefix(o.Version, "go") {
			o.Version = GoVersionToSemver(o.Version) // "go1.22.3" as toolchains write it
		}
	case "deb":
		o.Ecosystem = EcosystemDebian
		o.Release = releaseOf(p.Qualifiers["distro"], "debian-")
		if p.Namespace == "ubuntu" {
			o.Ecosystem, o.Release = EcosystemUbuntu, releaseOf(p.Qualifiers["distro"], "ubuntu-")
		}
		o.Names = withUpstream(p.Name, p.Qualifiers["upstream"])
	case "apk":
		o.Ecosystem = EcosystemAlpine
		if r := releaseOf(p.Qualifiers["distro"], "alpine-"); r != "" {
			// OSV names Alpine releases "v3.20"; a distro qualifier may
			// carry a patch release (alpine-3.20.3).
			parts := strings.SplitN(r, ".", 3)
			if len(parts) >= 2 {
				r = parts[0] + "." + parts[1]
			}
			o.Release = "v" + strings.TrimPrefix(r, "v")
		}
		o.Names = withUpstream(p.Name, p.Qualifiers["upstream"])
	case "maven":
		o.Ecosystem = EcosystemMaven
		o.Names = []string{p.Namespace + ":" + p.Name}
	case "npm":
		o.Ecosystem = EcosystemNPM
		name := p.Name
		if p.Namespace != "" {
			name = p.Namespace + "/" + p.Name
		}
		o.Names = []string{name}
	case "pypi":
		o.Ecosystem = EcosystemPyPI
		o.Names = []string{strings.ToLower(strings.ReplaceAll(p.Name, "_", "-"))}
	default:
		return o, false
	}
	return o, true
}

func releaseOf(distro, prefix string) string {
	r, ok := strings.CutPrefix(distro, prefix)
	if !ok {
		return ""
	}
	return r
}

func withUpstream(name, upstream string) []string {
	// upstream may carry a version: "openssl@3.0.11" or "openssl 3.0.11".
	upstream, _, _ = strings.Cut(upstream, "@")
	upstream, _, _ = strings.Cut(upstream, " ")
	if upstream == "" || upstream == name {
		return []string{name}
	}
	return []string{name, upstream}
}
