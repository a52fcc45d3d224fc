package ports

import (
	"context"
	"time"

	"github.com/runwatch/runwatch/domain/risk"
	"github.com/runwatch/runwatch/domain/vuln"
)

// IntegrationKind names what an integration is.
type IntegrationKind string

// The integrations Runwatch knows.
const (
	IntegrationOCI         IntegrationKind = "oci"
	IntegrationArtifactory IntegrationKind = "artifactory"
	IntegrationXray        IntegrationKind = "xray"
)

// Integration is a registry or scanner the platform asks. Secret is kept
// by the store, sealed, and given to adapters, and never returned by the
// API nor logged.
type Integration struct {
	ID       string
	Name     string
	Kind     IntegrationKind
	URL      string
	Username string
	Secret   string
	// SecretErr says why the stored secret could not be opened (sealed
	// under another key): Secret is then empty, and the integration cannot
	// be used until the key is right or the secret is put again.
	SecretErr error
	// Trusted: images found in this registry are trusted.
	Trusted   bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// HasSecret says whether a secret is stored, readable or not.
func (in Integration) HasSecret() bool { return in.Secret != "" || in.SecretErr != nil }

// EnrichmentStatus is where an image's enrichment is.
type EnrichmentStatus string

// The statuses.
const (
	// EnrichmentPending: not done yet, or waiting for a registry or
	// scanner that did not answer; results shown are incomplete, not wrong.
	EnrichmentPending EnrichmentStatus = "pending"
	EnrichmentDone    EnrichmentStatus = "done"
	// EnrichmentFailed: gave up after the retries; retried at expiry.
	EnrichmentFailed EnrichmentStatus = "failed"
)

// ImageEnrichment is what enrichment found about an image digest.
type ImageEnrichment struct {
	Digest     string
	Status     EnrichmentStatus
	Trust      risk.TrustVerdict
	Checks     []risk.RegistryCheck
	Tags       []risk.TagCheck
	DigestHeld *risk.DigestCheck
	// Catalogued is when the components were listed (zero: not yet).
	Catalogued time.Time
	Distro     string
	Attempts   int
	NextTry    time.Time
	LastError  string
	CheckedAt  time.Time
	ExpiresAt  time.Time
	// ArtifactFindings are what an artifact scanner (Xray) reported for
	// the image, per component purl; nil when none was asked.
	ArtifactFindings map[string][]vuln.Finding
	// Revision is the vulnerability data revision last evaluated against.
	Revision    string
	EvaluatedAt time.Time
	Funnel      risk.Funnel
}

// ImageWork is an image the worker should look at, with the references
// containers started it from.
type ImageWork struct {
	Digest     string
	References []string
	// Known is false for an image never enriched.
	Known      bool
	Enrichment ImageEnrichment
}

// Runtime is what sensors saw of an image.
type Runtime struct {
	Loads []risk.Load
	Drift []risk.DriftedFile
	// Window spans the first and last report; zero when never observed.
	Window risk.Window
}

// RuntimeMark is the highest runtime record ids seen.
type RuntimeMark struct {
	Files, Processes int64
}

// StoredRisk is a risk with when it was first and last evaluated present.
type StoredRisk struct {
	risk.Risk
	Digest     string
	FirstSeen  time.Time
	LastSeen   time.Time
	ResolvedAt time.Time
}

// VulnFilter narrows ListVulnerabilities.
type VulnFilter struct {
	Cluster  string // id or name
	Workload string // uid or name
	Image    string // digest
	ID       string // a vulnerability id or alias (CVE)
	// MinSeverity keeps vulnerabilities at or above it.
	MinSeverity vuln.SeverityLevel
	// Component is a purl prefix.
	Component     string
	Applicability risk.Applicability
	// OnlyWithFix keeps vulnerabilities with a fixed version.
	OnlyWithFix bool
}

// VulnRow is a judged vulnerability of an image.
type VulnRow struct {
	Digest string
	risk.VulnFact
}

// Webhook is a notification endpoint.
type Webhook struct {
	ID     string
	Name   string
	URL    string
	Format string // "generic" or "slack"
	Secret string
	// SecretErr says why the stored secret could not be opened; nothing is
	// delivered unsigned meanwhile.
	SecretErr error
	// Kinds are the risk kinds it wants; empty means all.
	Kinds     []risk.Kind
	CreatedAt time.Time
}

// Delivery is a queued notification of a risk to a webhook.
type Delivery struct {
	WebhookID string
	RiskKey   string
	Digest    string
	Payload   []byte
	Attempts  int
	NextTry   time.Time
	LastError string
	Delivered time.Time
}

// EnrichmentStore keeps integrations, enrichment results and
// assessments. Implementations keep each method atomic.
type EnrichmentStore interface {
	PutIntegration(ctx context.Context, in Integration) (Integration, error)
	ListIntegrations(ctx context.Context) ([]Integration, error)
	DeleteIntegration(ctx context.Context, name string) error

	// DueImages lists up to limit images that need enrichment at now:
	// never enriched, pending with their next try due, or expired.
	DueImages(ctx context.Context, now time.Time, limit int) ([]ImageWork, error)
	// SaveEnrichment stores an image's enrichment; components replace the
	// stored ones unless nil.
	SaveEnrichment(ctx context.Context, e ImageEnrichment, components []risk.Component) error
	GetEnrichment(ctx context.Context, digest string) (ImageEnrichment, bool, error)
	Components(ctx context.Context, digest string) ([]risk.Component, error)
	// ImageRuntime is what sensors reported for containers of the image.
	ImageRuntime(ctx context.Context, digest string) (Runtime, error)
	// RuntimeWatermark marks how far runtime records have arrived;
	// DigestsSince lists the images with records past a mark.
	RuntimeWatermark(ctx context.Context) (RuntimeMark, error)
	DigestsSince(ctx context.Context, mark RuntimeMark) ([]string, error)
	// StaleDigests lists images enriched but evaluated against another
	// vulnerability data revision.
	StaleDigests(ctx context.Context, revision string, limit int) ([]string, error)
	// SaveAssessment replaces an image's judged vulnerabilities and risks;
	// it returns the risks that were not present before (new or resolved
	// and back), for notification.
	SaveAssessment(ctx context.Context, digest, revision string, facts []risk.VulnFact, risks []risk.Risk, funnel risk.Funnel, now time.Time) ([]risk.Risk, error)
	ListVulnerabilities(ctx context.Context, f VulnFilter, limit int, offset int) ([]VulnRow, int, error)
	// VulnFacts lists every judged vulnerability under a filter (for funnels and exports).
	VulnFacts(ctx context.Context, f VulnFilter) ([]VulnRow, error)
	ImageRisks(ctx context.Context, digests []string) (map[string][]StoredRisk, error)
	// ImageReferences are the references containers started each image from.
	ImageReferences(ctx context.Context, digests []string) (map[string][]string, error)
	// WorkloadDigests lists the image digests of a workload (uid or name) in a cluster (id or name, or all).
	WorkloadDigests(ctx context.Context, cluster, workload string) ([]string, error)

	PutWebhook(ctx context.Context, w Webhook) (Webhook, error)
	ListWebhooks(ctx context.Context) ([]Webhook, error)
	DeleteWebhook(ctx context.Context, name string) error
	// EnqueueDeliveries queues a delivery per (webhook, risk key) once:
	// a key already queued is not queued again.
	EnqueueDeliveries(ctx context.Context, ds []Delivery) (int, error)
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
	UpdateDelivery(ctx context.Context, d Delivery) error
}
