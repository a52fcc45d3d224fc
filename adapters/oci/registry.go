package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/runwatch/runwatch/domain/artifact"
	"github.com/runwatch/runwatch/domain/risk"
	"github.com/runwatch/runwatch/ports"
)

var (
	_ ports.RegistryLocator = (*Client)(nil)
	_ ports.TagResolver     = (*Client)(nil)
	_ ports.ImageSource     = (*Client)(nil)
)

// Serves says whether refs of this registry host are this client's.
func (c *Client) Serves(ref artifact.Reference) bool {
	h := c.Host()
	return ref.Registry == h || ref.Registry == artifact.DefaultRegistry && (h == "registry-1.docker.io" || h == "index.docker.io")
}

// repositories are where to look for an image known by refs: the
// repositories of refs that name this registry, else every ref's
// repository path (a mirror keeps the paths of its upstream).
func (c *Client) repositories(refs []artifact.Reference) []string {
	var own, other []string
	seen := map[string]bool{}
	for _, r := range refs {
		if seen[r.Repository] {
			continue
		}
		seen[r.Repository] = true
		if c.Serves(r) {
			own = append(own, r.Repository)
		} else {
			other = append(other, r.Repository)
		}
	}
	if len(own) > 0 {
		return own
	}
	return other
}

// Locate implements ports.RegistryLocator: the digest is held when a
// manifest of that digest exists in one of the image's repositories.
func (c *Client) Locate(ctx context.Context, refs []artifact.Reference, digest string) risk.RegistryCheck {
	check := risk.RegistryCheck{Registry: c.cfg.Name, Status: risk.CheckNotFound}
	if err := validDigest(digest); err != nil {
		check.Status, check.Error = risk.CheckFailed, err.Error()
		return check
	}
	var failure error
	for _, repo := range c.repositories(refs) {
		_, err := c.Head(ctx, repo, digest)
		switch {
		case err == nil:
			return risk.RegistryCheck{Registry: c.cfg.Name, Status: risk.CheckFound, Repository: repo,
				Path: c.Host() + "/" + repo + "@" + digest}
		case errors.Is(err, ErrNotFound):
		default:
			failure = err
		}
	}
	if failure != nil {
		check.Status, check.Error = risk.CheckFailed, failure.Error()
	}
	return check
}

// ResolveTag implements ports.TagResolver.
func (c *Client) ResolveTag(ctx context.Context, ref artifact.Reference) risk.TagCheck {
	tc := risk.TagCheck{Reference: ref.String(), At: time.Now().UTC()}
	if ref.Tag == "" {
		tc.Status = risk.CheckFailed
		return tc
	}
	f, err := c.Manifest(ctx, ref.Repository, ref.Tag)
	switch {
	case errors.Is(err, ErrNotFound):
		tc.Status = risk.CheckNotFound
		return tc
	case err != nil:
		tc.Status = risk.CheckFailed
		return tc
	}
	tc.Status, tc.Digest = risk.CheckFound, f.Digest
	if f.IsIndex() {
		for _, m := range f.Manifests {
			tc.Children = append(tc.Children, m.Digest)
		}
	}
	return tc
}

// Content implements ports.ImageSource: the layers of the digest, through
// an index to its linux/amd64 manifest (else its first) when it is one.
func (c *Client) Content(ctx context.Context, ref artifact.Reference, digest string) (ports.ImageContent, error) {
	if err := validDigest(digest); err != nil {
		return ports.ImageContent{}, err
	}
	repo := ref.Repository
	f, err := c.Manifest(ctx, repo, digest)
	if err != nil {
		return ports.ImageContent{}, err
	}
	if f.IsIndex() {
		var pick *Descriptor
		for i, m := range f.Manifests {
			if m.Platform != nil && m.Platform.OS == "linux" && m.Platform.Architecture == "amd64" {
				pick = &f.Manifests[i]
				break
			}
		}
		if pick == nil && len(f.Manifests) > 0 {
			pick = &f.Manifests[0]
		}
		if pick == nil {
			return ports.ImageContent{}, fmt.Errorf("index %s@%s lists no manifest", repo, digest)
		}
		if f, err = c.Manifest(ctx, repo, pick.Digest); err != nil {
			return ports.ImageContent{}, err
		}
		if f.IsIndex() {
			return ports.ImageContent{}, fmt.Errorf("index %s@%s nests another index", repo, digest)
		}
	}
	img := ports.ImageContent{Digest: f.Digest}
	for _, l := range f.Layers {
		if err := validDigest(l.Digest); err != nil {
			return ports.ImageContent{}, fmt.Errorf("manifest %s@%s: layer: %w", repo, f.Digest, err)
		}
		l := l
		img.Layers = append(img.Layers, ports.Layer{Digest: l.Digest, MediaType: l.MediaType, Size: l.Size,
			Open: func(ctx context.Context) (io.ReadCloser, error) { return c.Blob(ctx, repo, l.Digest, l.Size) }})
	}
	return img, nil
}
