package image

import (
	"errors"
	"fmt"
	"strings"

	"github.com/runwatch/runwatch/domain"
)

// IDKind says what the digest in an image id is.
type IDKind int

const (
	// RepoDigest: the digest a registry serves the image under (its manifest,
	// or the index of a multi-platform image), named with the repository it
	// was pulled from. This is the digest a registry can be asked about.
	RepoDigest IDKind = iota + 1
	// LocalID: the runtime's own id of the image (the digest of its config),
	// reported when the runtime knows no repository digest, e.g. for an image
	// built or loaded on the node. No registry serves a manifest under it.
	LocalID
)

func (k IDKind) String() string {
	switch k {
	case RepoDigest:
		return "repo-digest"
	case LocalID:
		return "local-id"
	}
	return "unknown"
}

// ID is a parsed status.containerStatuses[].imageID.
type ID struct {
	// Scheme is the runtime prefix when one is written ("docker-pullable",
	// "docker"); containerd and CRI-O write none.
	Scheme     string
	Kind       IDKind
	Repository string // set for RepoDigest, e.g. "docker.io/library/nginx"
	Digest     Digest
}

// ErrEmptyID is returned for an empty image id: the runtime has not reported
// one yet (the container is still being created, or its image is pulling).
var ErrEmptyID = errors.New("no image id reported yet")

// ParseID parses an image id in the forms the runtimes report:
//
//	docker-pullable://repo@sha256:…   Docker (cri-dockerd), pulled from a registry
//	docker://sha256:…                 Docker, image without a repository digest
//	repo@sha256:…                     containerd, CRI-O
//	sha256:…                          containerd, CRI-O: image without a repository digest
func ParseID(s string) (ID, error) {
	if s == "" {
		return ID{}, ErrEmptyID
	}
	var id ID
	rest := s
	if scheme, after, ok := strings.Cut(s, "://"); ok {
		if !validScheme(scheme) {
			return ID{}, fmt.Errorf("image id %q: invalid scheme %q", domain.Clip(s), domain.Clip(scheme))
		}
		id.Scheme, rest = scheme, after
	}
	if !strings.Contains(rest, "@") {
		d, err := ParseDigest(rest)
		if err != nil {
			return ID{}, fmt.Errorf("image id %q: neither repo@digest nor a bare digest: %w", domain.Clip(s), err)
		}
		id.Kind, id.Digest = LocalID, d
		return id, nil
	}
	ref, err := ParseReference(rest)
	if err != nil {
		return ID{}, fmt.Errorf("image id %q: %w", domain.Clip(s), err)
	}
	id.Kind, id.Repository, id.Digest = RepoDigest, ref.Repository(), ref.Digest
	return id, nil
}

func validScheme(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnumLower(s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '+' {
			return false
		}
	}
	return true
}

// Running says which image a container runs, from its spec reference and its
// reported image id.
type Running struct {
	// Digest is the registry digest the container runs; empty when it is not
	// known (no image id yet, or only a local id and no pinned reference).
	Digest Digest
	// Repository is the repository the digest belongs to, when known.
	Repository string
	// Note says why Digest is empty, or where it came from when that is
	// not the image id; empty when the image id gave it.
	Note string
	// Err is why the image id could not be parsed; nil when it parsed or
	// was not reported yet.
	Err error
}

// ResolveRunning decides the registry digest a container runs. The image id
// is the runtime's word and wins. A local id is not a registry digest, so
// it is used only through a spec reference pinned by digest (the runtime
// pulled exactly that digest); otherwise the digest stays unknown rather than
// naming the config digest as if a registry served it.
func ResolveRunning(specImage, imageID string) Running {
	id, err := ParseID(imageID)
	switch {
	case errors.Is(err, ErrEmptyID):
		return Running{Note: "the runtime has not reported an image id yet"}
	case err != nil:
		return Running{Note: err.Error(), Err: err}
	case id.Kind == RepoDigest:
		return Running{Digest: id.Digest, Repository: id.Repository}
	}
	// A local id: only a spec pinned by digest names the registry digest.
	if spec, err := ParseReference(specImage); err == nil && spec.Digest != "" {
		return Running{Digest: spec.Digest, Repository: spec.Repository(),
			Note: "digest from the pinned spec reference; the runtime reported only its local image id"}
	}
	return Running{Note: "the runtime reported only its local image id " + string(id.Digest) + ", not a registry digest"}
}
