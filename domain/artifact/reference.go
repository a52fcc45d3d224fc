// Package artifact holds the identities of what runs: image references and
// digests, file hashes and package URLs.
package artifact

import (
	"strings"

	"github.com/runwatch/runwatch/domain"
)

// DefaultRegistry is where a reference without a registry host points.
const DefaultRegistry = "docker.io"

// Reference is a parsed image reference, normalised the way container
// runtimes resolve it: "nginx" is docker.io/library/nginx:latest.
type Reference struct {
	Registry   string // "docker.io", "ghcr.io", "localhost:5000"
	Repository string // "library/nginx"
	Tag        string // "1.27"; empty when only a digest is given
	Digest     string // "sha256:..."; empty when not pinned
}

// Name is the registry and repository: "docker.io/library/nginx".
func (r Reference) Name() string { return r.Registry + "/" + r.Repository }

// String is the normalised reference.
func (r Reference) String() string {
	s := r.Name()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// ParseReference parses an image reference as written in a pod spec.
func ParseReference(s string) (Reference, error) {
	if s == "" || len(s) > 1024 {
		return Reference{}, domain.Invalidf("image reference must be 1 to 1024 characters")
	}
	var r Reference
	rest := s
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		r.Digest = rest[i+1:]
		rest = rest[:i]
		algo, hex, ok := strings.Cut(r.Digest, ":")
		if !ok || algo == "" || hex == "" {
			return Reference{}, domain.Invalidf("image reference %q has a malformed digest", domain.Clip(s))
		}
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.Contains(rest[i+1:], "/") {
		r.Tag = rest[i+1:]
		rest = rest[:i]
		if !validTag(r.Tag) {
			return Reference{}, domain.Invalidf("image reference %q has a malformed tag", domain.Clip(s))
		}
	}
	host, path, hasSlash := strings.Cut(rest, "/")
	if hasSlash && (strings.ContainsAny(host, ".:") || host == "localhost" || strings.ToLower(host) != host) {
		r.Registry, r.Repository = host, path
	} else {
		r.Registry, r.Repository = DefaultRegistry, rest
	}
	if r.Registry == "index.docker.io" || r.Registry == "registry-1.docker.io" {
		r.Registry = DefaultRegistry
	}
	if r.Registry == DefaultRegistry && !strings.Contains(r.Repository, "/") {
		r.Repository = "library/" + r.Repository
	}
	if !validRepository(r.Repository) {
		return Reference{}, domain.Invalidf("image reference %q has a malformed repository", domain.Clip(s))
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = "latest"
	}
	return r, nil
}

func validTag(t string) bool {
	if t == "" || len(t) > 128 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || (i > 0 && (c == '.' || c == '-'))) {
			return false
		}
	}
	return true
}

func validRepository(p string) bool {
	if p == "" || len(p) > 255 {
		return false
	}
	for _, comp := range strings.Split(p, "/") {
		if comp == "" {
			return false
		}
		for i := 0; i < len(comp); i++ {
			c := comp[i]
			alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
			sep := c == '.' || c == '_' || c == '-'
			if !alnum && !sep || sep && (i == 0 || i == len(comp)-1) {
				return false
			}
		}
	}
	return true
}
