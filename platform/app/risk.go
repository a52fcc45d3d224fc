package app

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"

	"github.com/google/uuid"

	"github.com/runwatch/runwatch/domain"
	"github.com/runwatch/runwatch/domain/risk"
	"github.com/runwatch/runwatch/ports"
)

// VulnData is the scanner with a description of its data.
type VulnData interface {
	ports.VulnerabilityScanner
	Sources() []ports.VulnSource
}

// Risks implements ports.RiskQueries and ports.EnrichmentAdmin.
type Risks struct {
	store  ports.EnrichmentStore
	data   VulnData
	writer ports.DocumentWriter
	clock  ports.Clock
}

var (
	_ ports.RiskQueries     = (*Risks)(nil)
	_ ports.EnrichmentAdmin = (*Risks)(nil)
)

// NewRisks makes a Risks.
func NewRisks(store ports.EnrichmentStore, data VulnData, writer ports.DocumentWriter, clock ports.Clock) *Risks {
	return &Risks{store: store, data: data, writer: writer, clock: clock}
}

// maxVulnPage bounds a page of vulnerabilities.
const maxVulnPage = 1000

// ListVulnerabilities implements ports.RiskQueries. The page token is an
// offset bound to the filter, so a token replayed with another filter is
// refused.
func (r *Risks) ListVulnerabilities(ctx context.Context, f ports.VulnFilter, p ports.PageRequest) (ports.VulnPage, error) {
	if f.Applicability != "" && f.Applicability != risk.Applicable && f.Applicability != risk.NotApplicable && f.Applicability != risk.ApplicabilityUnknown {
		return ports.VulnPage{}, domain.Invalidf("unknown applicability %q", f.Applicability)
	}
	size := int(p.Size)
	if size <= 0 {
		size = 50
	}
	size = min(size, maxVulnPage)
	fp := vulnFingerprint(f)
	offset := 0
	if p.Token != "" {
		tok, sig, ok := cutToken(p.Token)
		if !ok || sig != fp {
			return ports.VulnPage{}, domain.Invalidf("page token does not belong to this filter")
		}
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 {
			return ports.VulnPage{}, domain.Invalidf("malformed page token")
		}
		offset = n
	}
	rows, total, err := r.store.ListVulnerabilities(ctx, f, size, offset)
	if err != nil {
		return ports.VulnPage{}, err
	}
	scope := ports.VulnFilter{Cluster: f.Cluster, Workload: f.Workload, Image: f.Image}
	all, err := r.store.VulnFacts(ctx, scope)
	if err != nil {
		return ports.VulnPage{}, err
	}
	out := ports.VulnPage{Rows: rows, Total: total, Funnel: funnelOf(all), Sources: r.data.Sources()}
	if offset+len(rows) < total {
		out.NextToken = strconv.Itoa(offset+len(rows)) + "." + fp
	}
	return out, nil
}

func funnelOf(rows []ports.VulnRow) risk.Funnel {
	facts := make([]risk.VulnFact, len(rows))
	for i, r := range rows {
		facts[i] = r.VulnFact
	}
	return risk.CountFunnel(facts)
}

func vulnFingerprint(f ports.VulnFilter) string {
	return strconv.FormatUint(fnv64(fmt.Sprintf("%+v", f)), 36)
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

func cutToken(t string) (string, string, bool) {
	for i := 0; i < len(t); i++ {
		if t[i] == '.' {
			return t[:i], t[i+1:], true
		}
	}
	return "", "", false
}

// ImageRisk implements ports.RiskQueries: with the drift evidence from
// runtime records and the component count.
func (r *Risks) ImageRisk(ctx context.Context, digest string) (ports.ImageRiskView, error) {
	m, err := r.imagesRisk(ctx, []string{digest}, true)
	if err != nil {
		return ports.ImageRiskView{}, err
	}
	return m[digest], nil
}

// ImagesRisk implements ports.RiskQueries for lists: what is stored about
// each image, without reading its runtime records or components (drift
// shows as its open risks).
func (r *Risks) ImagesRisk(ctx context.Context, digests []string) (map[string]ports.ImageRiskView, error) {
	return r.imagesRisk(ctx, digests, false)
}

func (r *Risks) imagesRisk(ctx context.Context, digests []string, detail bool) (map[string]ports.ImageRiskView, error) {
	risks, err := r.store.ImageRisks(ctx, digests)
	if err != nil {
		return nil, err
	}
	out := make(map[string]ports.ImageRiskView, len(digests))
	for _, d := range digests {
		e, known, err := r.store.GetEnrichment(ctx, d)
		if err != nil {
			return nil, err
		}
		v := ports.ImageRiskView{Digest: d, Enrichment: e, Known: known, Risks: risks[d]}
		in := risk.IntegrityInput{RunningDigest: d, Tags: e.Tags, Digest: e.DigestHeld}
		if known && detail {
			rt, err := r.store.ImageRuntime(ctx, d)
			if err != nil {
				return nil, err
			}
			in.Drift = rt.Drift
			comps, err := r.store.Components(ctx, d)
			if err != nil {
				return nil, err
			}
			v.Components = len(comps)
		}
		v.Violations = risk.EvaluateIntegrity(in)
		out[d] = v
	}
	return out, nil
}

// trustRank orders verdicts from the least trusted.
func trustRank(t risk.Trust) int {
	switch t {
	case risk.TrustUntrusted:
		return 0
	case risk.TrustUnknown, "":
		return 1
	}
	return 2
}

// WorkloadRisk implements ports.RiskQueries.
func (r *Risks) WorkloadRisk(ctx context.Context, cluster, workload string) (ports.WorkloadRiskView, error) {
	if workload == "" {
		return ports.WorkloadRiskView{}, domain.Invalidf("workload is required")
	}
	digests, err := r.store.WorkloadDigests(ctx, cluster, workload)
	if err != nil {
		return ports.WorkloadRiskView{}, err
	}
	if len(digests) == 0 {
		return ports.WorkloadRiskView{}, domain.NotFoundf("no workload %q with a known image digest", workload)
	}
	imgs, err := r.ImagesRisk(ctx, digests)
	if err != nil {
		return ports.WorkloadRiskView{}, err
	}
	v := ports.WorkloadRiskView{Trust: risk.TrustTrusted, Images: imgs}
	for _, d := range digests {
		img := imgs[d]
		if trustRank(img.Enrichment.Trust.Trust) < trustRank(v.Trust) {
			v.Trust = img.Enrichment.Trust.Trust
		}
		v.Risks = append(v.Risks, img.Risks...)
	}
	if v.Trust == "" {
		v.Trust = risk.TrustUnknown
	}
	facts, err := r.store.VulnFacts(ctx, ports.VulnFilter{Cluster: cluster, Workload: workload})
	if err != nil {
		return ports.WorkloadRiskView{}, err
	}
	v.Funnel = funnelOf(facts)
	return v, nil
}

// exportData gathers what an export is made of.
func (r *Risks) exportData(ctx context.Context, s ports.ExportScope) (ports.ExportData, error) {
	d := ports.ExportData{GeneratedAt: r.clock.Now().UTC(), Sources: r.data.Sources()}
	f := ports.VulnFilter{}
	switch {
	case s.Image != "":
		d.Subject, d.Digests, f.Image = s.Image, []string{s.Image}, s.Image
		if _, known, err := r.store.GetEnrichment(ctx, s.Image); err != nil {
			return d, err
		} else if !known {
			return d, domain.NotFoundf("image %s is not known", s.Image)
		}
	case s.Workload != "":
		digests, err := r.store.WorkloadDigests(ctx, s.Cluster, s.Workload)
		if err != nil {
			return d, err
		}
		if len(digests) == 0 {
			return d, domain.NotFoundf("no workload %q with a known image digest", s.Workload)
		}
		d.Subject, d.Digests, f.Cluster, f.Workload = s.Workload, digests, s.Cluster, s.Workload
		if s.Cluster != "" {
			d.Subject = s.Cluster + "/" + s.Workload
		}
	default:
		return d, domain.Invalidf("name an image or a workload to export")
	}
	refs, err := r.store.ImageReferences(ctx, d.Digests)
	if err != nil {
		return d, err
	}
	d.References = refs
	for _, dg := range d.Digests {
		comps, err := r.store.Components(ctx, dg)
		if err != nil {
			return d, err
		}
		rt, err := r.store.ImageRuntime(ctx, dg)
		if err != nil {
			return d, err
		}
		if len(rt.Loads) > 0 {
			d.Observed = true
			if d.Window.From.IsZero() || rt.Window.From.Before(d.Window.From) {
				d.Window.From = rt.Window.From
			}
			if rt.Window.To.After(d.Window.To) {
				d.Window.To = rt.Window.To
			}
		}
		for _, c := range withRuntimePackages(comps, rt.Loads) {
			if ev, ok := risk.LoadedBy(c, rt.Loads); ok {
				d.Loaded = append(d.Loaded, ports.LoadedComponent{Digest: dg, Component: c, Evidence: ev})
			}
		}
	}
	facts, err := r.store.VulnFacts(ctx, f)
	if err != nil {
		return d, err
	}
	d.Facts = facts
	return d, nil
}

// ExportSBOM implements ports.RiskQueries.
func (r *Risks) ExportSBOM(ctx context.Context, s ports.ExportScope) ([]byte, int, error) {
	d, err := r.exportData(ctx, s)
	if err != nil {
		return nil, 0, err
	}
	doc, err := r.writer.SBOM(d)
	return doc, len(d.Loaded), err
}

// ExportVEX implements ports.RiskQueries.
func (r *Risks) ExportVEX(ctx context.Context, s ports.ExportScope) ([]byte, int, error) {
	d, err := r.exportData(ctx, s)
	if err != nil {
		return nil, 0, err
	}
	doc, err := r.writer.VEX(d)
	return doc, len(d.Facts), err
}

// VulnerabilitySources implements ports.RiskQueries.
func (r *Risks) VulnerabilitySources(ctx context.Context) ([]ports.VulnSource, string) {
	return r.data.Sources(), r.data.Revision()
}

var integrationName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// PutIntegration implements ports.EnrichmentAdmin.
func (r *Risks) PutIntegration(ctx context.Context, in ports.Integration) (ports.Integration, error) {
	if !integrationName.MatchString(in.Name) {
		return ports.Integration{}, domain.Invalidf("integration name %q must match %s", domain.Clip(in.Name), integrationName)
	}
	switch in.Kind {
	case ports.IntegrationOCI, ports.IntegrationArtifactory, ports.IntegrationXray:
	default:
		return ports.Integration{}, domain.Invalidf("integration kind must be oci, artifactory or xray")
	}
	if err := checkURL(in.URL); err != nil {
		return ports.Integration{}, err
	}
	if in.Kind == ports.IntegrationXray && in.Trusted {
		return ports.Integration{}, domain.Invalidf("a scanner cannot be a trusted registry")
	}
	now := r.clock.Now()
	in.ID, in.CreatedAt, in.UpdatedAt = "int_"+uuid.NewString(), now, now
	return r.store.PutIntegration(ctx, in)
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return domain.Invalidf("URL %q must be http(s)://host[:port][/path], without credentials in it", domain.Clip(s))
	}
	return nil
}

// ListIntegrations implements ports.EnrichmentAdmin.
func (r *Risks) ListIntegrations(ctx context.Context) ([]ports.Integration, error) {
	return r.store.ListIntegrations(ctx)
}

// DeleteIntegration implements ports.EnrichmentAdmin.
func (r *Risks) DeleteIntegration(ctx context.Context, name string) error {
	return r.store.DeleteIntegration(ctx, name)
}

// PutWebhook implements ports.EnrichmentAdmin.
func (r *Risks) PutWebhook(ctx context.Context, w ports.Webhook) (ports.Webhook, error) {
	if !integrationName.MatchString(w.Name) {
		return ports.Webhook{}, domain.Invalidf("webhook name %q must match %s", domain.Clip(w.Name), integrationName)
	}
	if err := checkURL(w.URL); err != nil {
		return ports.Webhook{}, err
	}
	if w.Format == "" {
		w.Format = "generic"
	}
	if w.Format != "generic" && w.Format != "slack" {
		return ports.Webhook{}, domain.Invalidf("webhook format must be generic or slack")
	}
	known := []risk.Kind{risk.KindUntrustedImage, risk.KindIntegrityViolation, risk.KindCriticalApplicableCVE, risk.KindMaliciousPackage, risk.KindDrift}
	for _, k := range w.Kinds {
		if !slices.Contains(known, k) {
			return ports.Webhook{}, domain.Invalidf("unknown risk kind %q", k)
		}
	}
	w.ID, w.CreatedAt = "wh_"+uuid.NewString(), r.clock.Now()
	return r.store.PutWebhook(ctx, w)
}

// ListWebhooks implements ports.EnrichmentAdmin.
func (r *Risks) ListWebhooks(ctx context.Context) ([]ports.Webhook, error) {
	return r.store.ListWebhooks(ctx)
}

// DeleteWebhook implements ports.EnrichmentAdmin.
func (r *Risks) DeleteWebhook(ctx context.Context, name string) error {
	return r.store.DeleteWebhook(ctx, name)
}
