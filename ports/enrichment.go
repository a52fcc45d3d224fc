package ports

import (
	"context"
	"io"
	"time"

	"github.com/runwatch/runwatch/domain/artifact"
	"github.com/runwatch/runwatch/domain/risk"
	"github.com/runwatch/runwatch/domain/vuln"
)

// The ports of enrichment: where images come from (registries), what
// they contain (the cataloguer), which vulnerabilities that holds
// (scanners), and where the results are kept.

// RegistryLocator answers whether a registry holds an image digest, and
// where. Both the OCI adapter (by repository) and the Artifactory adapter
// (by checksum search) implement it.
type RegistryLocator interface {
	// Locate checks the digest of an image known by refs. A registry that
	// does not answer yields a check with Status CheckFailed, never an
	// error that could be mistaken for "not found".
	Locate(ctx context.Context, refs []artifact.Reference, digest string) risk.RegistryCheck
}

// TagResolver resolves a reference's tag to the digest the registry holds
// for it now.
type TagResolver interface {
	ResolveTag(ctx context.Context, ref artifact.Reference) risk.TagCheck
}

// Layer is one layer blob of an image, opened lazily.
type Layer struct {
	Digest    string
	MediaType string
	Size      int64
	// Open returns the layer's (compressed) content; the reader verifies
	// the digest when it reaches the end and fails if it does not match.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// ImageContent is an image's platform manifest and layers.
type ImageContent struct {
	// Digest is the manifest digest the layers belong to (a platform
	// manifest when the reference named an index).
	Digest string
	Layers []Layer
}

// ImageSource fetches an image's layers from a registry.
type ImageSource interface {
	// Content returns the layers of the image digest in the repository of
	// ref. An index is resolved to its linux/amd64 (else first) manifest.
	Content(ctx context.Context, ref artifact.Reference, digest string) (ImageContent, error)
}

// Catalogue is what an image contains.
type Catalogue struct {
	Components []risk.Component
	// Distro is the image's OS as /etc/os-release names it ("debian-12").
	Distro string
	// Files counts the regular files seen; Bytes the uncompressed bytes read.
	Files int64
	Bytes int64
}

// Cataloguer lists the components of an image from its layers.
type Cataloguer interface {
	Catalogue(ctx context.Context, img ImageContent) (Catalogue, error)
}

// VulnerabilityScanner matches package URLs against vulnerability data.
type VulnerabilityScanner interface {
	Name() string
	// Match returns the findings per purl, keyed by the purl as given.
	Match(ctx context.Context, purls []string) (map[string][]vuln.Finding, error)
	// Revision identifies the data; it changes when new data arrives, and
	// every image is then evaluated again.
	Revision() string
}

// ArtifactReport is what an artifact scanner (JFrog Xray) says about one
// artifact, found by checksum or path.
type ArtifactReport struct {
	// Findings per component purl the scanner named.
	Findings map[string][]vuln.Finding
	// Status is the scanner's scan state ("scanned", "in_progress", ...).
	Status string
}

// ArtifactScanner scans artifacts by checksum.
type ArtifactScanner interface {
	ScanArtifact(ctx context.Context, sha256 string) (ArtifactReport, error)
}

// Notifier renders and delivers notifications to endpoints (webhooks).
type Notifier interface {
	// Render makes the body of a notification in an endpoint's format
	// ("generic" JSON or "slack").
	Render(format string, ev RiskEvent) ([]byte, error)
	// Deliver sends a body, signed with the endpoint's secret; an error
	// means it should be tried again.
	Deliver(ctx context.Context, endpoint Endpoint, key string, payload []byte) error
}

// Endpoint is where a notification goes.
type Endpoint struct {
	URL    string
	Secret string
}

// RiskEvent is a new risk to notify.
type RiskEvent struct {
	Kind, Key, Subject, Detail string
	Digest                     string
	References                 []string
	At                         time.Time
}

// WithExpiry is a cached result and when it must be fetched again.
type WithExpiry[T any] struct {
	Value     T
	FetchedAt time.Time
	ExpiresAt time.Time
}
