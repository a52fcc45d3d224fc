package ports

import (
	"context"
	"time"

	"github.com/runwatch/runwatch/domain/risk"
)

// The use cases of enrichment the API calls.

// ImageRiskView is what enrichment says about one image.
type ImageRiskView struct {
	Digest     string
	Enrichment ImageEnrichment
	Known      bool
	Violations []risk.Violation
	Risks      []StoredRisk
	Components int
}

// WorkloadRiskView sums up a workload's images.
type WorkloadRiskView struct {
	Trust  risk.Trust
	Risks  []StoredRisk
	Funnel risk.Funnel
	Images map[string]ImageRiskView
}

// VulnPage is a page of vulnerabilities with the funnel of its scope.
type VulnPage struct {
	Rows      []VulnRow
	NextToken string
	Total     int
	Funnel    risk.Funnel
	Sources   []VulnSource
}

// VulnSource describes loaded vulnerability data.
type VulnSource struct {
	Name, Attribution                       string
	Records, Withdrawn, Malicious, Rejected int
}

// ExportScope names what to export: an image, or a workload.
type ExportScope struct {
	Image, Cluster, Workload string
}

// ExportData is what an SBOM or VEX document is made of.
type ExportData struct {
	// Subject names the image or workload ("sha256:...", "prod/shop/web").
	Subject string
	Digests []string
	// References are the image references each digest was started from.
	References map[string][]string
	// Loaded are the components whose code was loaded, with evidence.
	Loaded []LoadedComponent
	Facts  []VulnRow
	// Window is the runtime evidence window.
	Window risk.Window
	// Observed says whether any runtime record backs the document.
	Observed    bool
	GeneratedAt time.Time
	Sources     []VulnSource
}

// LoadedComponent is a component of an image whose code was loaded.
type LoadedComponent struct {
	Digest    string
	Component risk.Component
	Evidence  risk.Evidence
}

// DocumentWriter renders exports (CycloneDX, OpenVEX).
type DocumentWriter interface {
	SBOM(d ExportData) ([]byte, error)
	VEX(d ExportData) ([]byte, error)
}

// RiskQueries is what the API reads of enrichment.
type RiskQueries interface {
	ListVulnerabilities(ctx context.Context, f VulnFilter, p PageRequest) (VulnPage, error)
	ImageRisk(ctx context.Context, digest string) (ImageRiskView, error)
	ImagesRisk(ctx context.Context, digests []string) (map[string]ImageRiskView, error)
	WorkloadRisk(ctx context.Context, cluster, workload string) (WorkloadRiskView, error)
	ExportSBOM(ctx context.Context, s ExportScope) ([]byte, int, error)
	ExportVEX(ctx context.Context, s ExportScope) ([]byte, int, error)
	VulnerabilitySources(ctx context.Context) ([]VulnSource, string)
}

// EnrichmentAdmin manages integrations and webhooks.
type EnrichmentAdmin interface {
	PutIntegration(ctx context.Context, in Integration) (Integration, error)
	ListIntegrations(ctx context.Context) ([]Integration, error)
	DeleteIntegration(ctx context.Context, name string) error
	PutWebhook(ctx context.Context, w Webhook) (Webhook, error)
	ListWebhooks(ctx context.Context) ([]Webhook, error)
	DeleteWebhook(ctx context.Context, name string) error
}
