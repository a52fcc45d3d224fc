// Package image parses what Kubernetes says about container images: the
// reference written in a pod spec ("nginx:1.27", "ghcr.io/org/app@sha256:…")
// and the image id the kubelet reports in the pod status, in every form the
// container runtimes use. Both come from users and runtimes, so both are
// untrusted input: the parsers reject what they do not understand rather than
// guess, because a wrong digest is a wrong attribution downstream.
package image

import (
	"errors"
	"fmt"
	"strings"

	"github.com/runwatch/runwatch/domain"
)

// DefaultDomain is the registry a reference without one names, as the
// container runtimes resolve it.
const DefaultDomain = "docker.io"

// maxNameLength bounds a repository name (domain and path), as the
// distribution specification does.
const maxNameLength = 255

// maxTagLength bounds a tag, as the distribution specification does.
const maxTagLength = 128

// Reference is an image reference as written in a pod spec, split into its
// parts and normalised the way the runtimes pull it.
type Reference struct {
	// Domain is the registry host, with its port when one is written:
	// "docker.io" when the reference names none.
	Domain string
	// Path is the repository path within the registry: "library/nginx" for
	// "nginx" on docker.io.
	Path string
	// Tag is empty when none is written; the runtimes then pull "latest"
	// unless the reference has a digest.
	Tag string
	// Digest is set when the reference pins one ("…@sha256:…").
	Digest Digest
}

// Repository is the fully qualified repository, e.g. "docker.io/library/nginx".
func (r Reference) Repository() string { return r.Domain + "/" + r.Path }

// String is the normalised reference: the repository, then the tag and the
// digest where present.
func (r Reference) String() string {
	var b strings.Builder
	b.WriteString(r.Repository())
	if r.Tag != "" {
		b.WriteString(":")
		b.WriteString(r.Tag)
	}
	if r.Digest != "" {
		b.WriteString("@")
		b.WriteString(string(r.Digest))
	}
	return b.String()
}

// ErrEmptyReference is returned for an empty reference.
var ErrEmptyReference = errors.New("empty image reference")

// ParseReference parses an image reference as a pod spec holds it:
// [domain/]path[:tag][@digest]. It normalises the way the runtimes do: no
// domain means docker.io, and a single-component path on docker.io lives
// under "library/".
func ParseReference(s string) (Reference, error) {
	if s == "" {
		return Reference{}, ErrEmptyReference
	}
	var ref Reference
	name := s
	if at := strings.IndexByte(name, '@'); at >= 0 {
		d, err := ParseDigest(name[at+1:])
		if err != nil {
			return Reference{}, fmt.Errorf("image reference %q: %w", s, err)
		}
		ref.Digest = d
		name = name[:at]
	}
	// A tag follows the last colon, unless that colon is part of the domain's
	// port (then a slash comes after it).
	if c := strings.LastIndexByte(name, ':'); c >= 0 && !strings.Contains(name[c+1:], "/") {
		tag := name[c+1:]
		if !validTag(tag) {
			return Reference{}, fmt.Errorf("image reference %q: invalid tag %q", s, tag)
		}
		ref.Tag = tag
		name = name[:c]
	}
	if name == "" {
		return Reference{}, fmt.Errorf("image reference %q: no repository name", s)
	}
	registry, path := splitDomain(name)
	if registry != "" && !validDomain(registry) {
		return Reference{}, fmt.Errorf("image reference %q: invalid registry %q", s, registry)
	}
	if !validPath(path) {
		return Reference{}, fmt.Errorf("image reference %q: invalid repository path %q", s, path)
	}
	if registry == "" || registry == "index.docker.io" {
		registry = DefaultDomain
	}
	if registry == DefaultDomain && !strings.Contains(path, "/") {
		path = "library/" + path
	}
	ref.Domain, ref.Path = registry, path
	// Bounded after normalising, so that the normal form always parses.
	if len(ref.Repository()) > maxNameLength {
		return Reference{}, fmt.Errorf("image reference %q: repository name longer than %d characters", domain.Clip(s), maxNameLength)
	}
	return ref, nil
}

// splitDomain separates the registry from the repository path. The first
// component names a registry only when it looks like a host: it has a dot or
// a port, or is "localhost", or has upper-case letters (which a path may
// not). Otherwise the whole name is a path on docker.io.
func splitDomain(name string) (domain, path string) {
	slash := strings.IndexByte(name, '/')
	if slash < 0 {
		return "", name
	}
	first := name[:slash]
	if first == "localhost" || strings.ContainsAny(first, ".:") || first != strings.ToLower(first) {
		return first, name[slash+1:]
	}
	return "", name
}

// validPath checks a repository path: components of lower-case letters and
// digits, joined within a component by ".", "_", "__" or runs of "-", and
// separated by "/".
func validPath(path string) bool {
	if path == "" {
		return false
	}
	for _, comp := range strings.Split(path, "/") {
		if !validPathComponent(comp) {
			return false
		}
	}
	return true
}

func validPathComponent(c string) bool {
	if c == "" || !isAlnumLower(c[0]) || !isAlnumLower(c[len(c)-1]) {
		return false
	}
	for i := 0; i < len(c); {
		if isAlnumLower(c[i]) {
			i++
			continue
		}
		// A separator: ".", "_", "__", or one or more "-".
		switch {
		case c[i] == '.':
			i++
		case c[i] == '_':
			i++
			if i < len(c) && c[i] == '_' {
				i++
			}
		case c[i] == '-':
			for i < len(c) && c[i] == '-' {
				i++
			}
		default:
			return false
		}
		if i >= len(c) || !isAlnumLower(c[i]) {
			return false
		}
	}
	return true
}

// validDomain checks a registry host: DNS labels joined by dots, or an IPv6
// address in brackets, with an optional numeric port.
func validDomain(d string) bool {
	host, port := d, ""
	if strings.HasPrefix(d, "[") {
		end := strings.IndexByte(d, ']')
		if end < 0 {
			return false
		}
		host, port = d[1:end], d[end+1:]
		if !validIPv6(host) {
			return false
		}
		if port != "" {
			if port[0] != ':' {
				return false
			}
			port = port[1:]
			if !validPort(port) {
				return false
			}
		}
		return true
	}
	if c := strings.IndexByte(d, ':'); c >= 0 {
		host, port = d[:c], d[c+1:]
		if !validPort(port) {
			return false
		}
	}
	if host == "" {
		return false
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || !isAlnum(label[0]) || !isAlnum(label[len(label)-1]) {
			return false
		}
		for i := 0; i < len(label); i++ {
			if !isAlnum(label[i]) && label[i] != '-' {
				return false
			}
		}
	}
	return true
}

func validIPv6(h string) bool {
	if h == "" || !strings.Contains(h, ":") {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !isHex(c) && c != ':' && c != '.' {
			return false
		}
	}
	return true
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

// validTag checks a tag: a word character, then up to 127 word characters,
// dots and dashes.
func validTag(t string) bool {
	if t == "" || len(t) > maxTagLength || !isWord(t[0]) {
		return false
	}
	for i := 1; i < len(t); i++ {
		if !isWord(t[i]) && t[i] != '.' && t[i] != '-' {
			return false
		}
	}
	return true
}

func isAlnumLower(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
func isAlnum(c byte) bool      { return isAlnumLower(c) || c >= 'A' && c <= 'Z' }
func isWord(c byte) bool       { return isAlnum(c) || c == '_' }
func isHex(c byte) bool        { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
