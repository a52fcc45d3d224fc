package rpc

import (
	"context"
	"errors"
	"strings"
	"time"

	"connectrpc.com/connect"

	"github.com/runwatch/runwatch/domain/risk"
	"github.com/runwatch/runwatch/domain/vuln"
	"github.com/runwatch/runwatch/ports"
	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
)

// The enrichment RPCs of InventoryService and AdminService, and the
// enrichment fields of images and workloads.

var errNoEnrichment = connect.NewError(connect.CodeUnimplemented, errors.New("enrichment is not enabled on this platform"))

func trustPB(t risk.Trust) v1.Trust {
	switch t {
	case risk.TrustTrusted:
		return v1.Trust_TRUST_TRUSTED
	case risk.TrustUntrusted:
		return v1.Trust_TRUST_UNTRUSTED
	}
	return v1.Trust_TRUST_UNKNOWN
}

func statusPB(s ports.EnrichmentStatus) v1.EnrichmentStatus {
	switch s {
	case ports.EnrichmentDone:
		return v1.EnrichmentStatus_ENRICHMENT_STATUS_DONE
	case ports.EnrichmentFailed:
		return v1.EnrichmentStatus_ENRICHMENT_STATUS_FAILED
	}
	return v1.EnrichmentStatus_ENRICHMENT_STATUS_PENDING
}

var riskKinds = map[risk.Kind]v1.RiskKind{
	risk.KindUntrustedImage:        v1.RiskKind_RISK_KIND_UNTRUSTED_IMAGE,
	risk.KindIntegrityViolation:    v1.RiskKind_RISK_KIND_INTEGRITY_VIOLATION,
	risk.KindCriticalApplicableCVE: v1.RiskKind_RISK_KIND_CRITICAL_APPLICABLE_CVE,
	risk.KindMaliciousPackage:      v1.RiskKind_RISK_KIND_MALICIOUS_PACKAGE,
	risk.KindDrift:                 v1.RiskKind_RISK_KIND_DRIFT,
}

func riskKindFromPB(k v1.RiskKind) (risk.Kind, bool) {
	for d, p := range riskKinds {
		if p == k {
			return d, true
		}
	}
	return "", false
}

func severityPB(s vuln.SeverityLevel) v1.Severity {
	return v1.Severity(int32(s) + 1)
}

func severityFromPB(s v1.Severity) vuln.SeverityLevel {
	if s <= v1.Severity_SEVERITY_UNKNOWN {
		return vuln.SeverityUnknown
	}
	return vuln.SeverityLevel(int32(s) - 1)
}

func applicabilityPB(a risk.Applicability) v1.Applicability {
	switch a {
	case risk.Applicable:
		return v1.Applicability_APPLICABILITY_APPLICABLE
	case risk.NotApplicable:
		return v1.Applicability_APPLICABILITY_NOT_APPLICABLE
	}
	return v1.Applicability_APPLICABILITY_UNKNOWN
}

func applicabilityFromPB(a v1.Applicability) risk.Applicability {
	switch a {
	case v1.Applicability_APPLICABILITY_APPLICABLE:
		return risk.Applicable
	case v1.Applicability_APPLICABILITY_NOT_APPLICABLE:
		return risk.NotApplicable
	case v1.Applicability_APPLICABILITY_UNKNOWN:
		return risk.ApplicabilityUnknown
	}
	return ""
}

func funnelPB(f risk.Funnel) *v1.Funnel {
	return &v1.Funnel{All: int64(f.All), CriticalHigh: int64(f.CriticalHigh), WithFix: int64(f.WithFix), Applicable: int64(f.Applicable),
		ApplicableAny: int64(f.ApplicableAny)}
}

func storedRiskPB(r ports.StoredRisk) *v1.Risk {
	return &v1.Risk{Kind: riskKinds[r.Kind], Key: r.Key, Subject: r.Subject, Detail: r.Detail, ImageDigest: r.Digest,
		FirstSeen: ts(r.FirstSeen), LastSeen: ts(r.LastSeen)}
}

func imageEnrichmentPB(v ports.ImageRiskView) *v1.ImageEnrichment {
	e := v.Enrichment
	out := &v1.ImageEnrichment{Status: statusPB(e.Status), Trust: trustPB(e.Trust.Trust), TrustReason: e.Trust.Reason,
		Funnel: funnelPB(e.Funnel), CheckedAt: ts(e.CheckedAt), LastError: e.LastError, Distro: e.Distro,
		Components: int64(v.Components), VulnerabilityDataRevision: e.Revision, NextAttemptAt: ts(e.NextTry)}
	if w := e.Trust.Where; w != nil {
		out.Registry = &v1.RegistryLocation{Registry: w.Registry, Repository: w.Repository, Path: w.Path}
	}
	for _, vi := range v.Violations {
		out.IntegrityViolations = append(out.IntegrityViolations, &v1.IntegrityViolation{Kind: string(vi.Kind), Reference: vi.Reference,
			Expected: vi.Expected, Actual: vi.Actual, Detail: vi.Detail, ObservedAt: ts(vi.ObservedAt)})
	}
	for _, r := range v.Risks {
		out.Risks = append(out.Risks, storedRiskPB(r))
	}
	return out
}

// withImageRisk fills the enrichment of images.
func (h *inventoryHandler) withImageRisk(ctx context.Context, imgs ...*v1.Image) error {
	if h.risk == nil || len(imgs) == 0 {
		return nil
	}
	var digests []string
	for _, i := range imgs {
		if i != nil && strings.HasPrefix(i.Digest, "sha256:") {
			digests = append(digests, i.Digest)
		}
	}
	views, err := h.risk.ImagesRisk(ctx, digests)
	if err != nil {
		return toConnect(ctx, h.log, "image enrichment", err)
	}
	for _, i := range imgs {
		if v, ok := views[i.GetDigest()]; ok {
			i.Enrichment = imageEnrichmentPB(v)
		}
	}
	return nil
}

// withWorkloadRisk fills the trust and risks of workloads from their images.
func (h *inventoryHandler) withWorkloadRisk(ctx context.Context, ws ...*v1.Workload) error {
	if h.risk == nil || len(ws) == 0 {
		return nil
	}
	var digests []string
	for _, w := range ws {
		for _, img := range w.Images {
			if strings.HasPrefix(img, "sha256:") {
				digests = append(digests, img)
			}
		}
	}
	views, err := h.risk.ImagesRisk(ctx, digests)
	if err != nil {
		return toConnect(ctx, h.log, "workload enrichment", err)
	}
	for _, w := range ws {
		trust := risk.TrustTrusted
		n := 0
		for _, img := range w.Images {
			v, ok := views[img]
			if !ok {
				trust = risk.TrustUnknown
				continue
			}
			n++
			switch {
			case v.Enrichment.Trust.Trust == risk.TrustUntrusted:
				trust = risk.TrustUntrusted
			case trust != risk.TrustUntrusted && v.Enrichment.Trust.Trust != risk.TrustTrusted:
				trust = risk.TrustUnknown
			}
			for _, r := range v.Risks {
				w.Risks = append(w.Risks, storedRiskPB(r))
			}
		}
		if n == 0 {
			trust = risk.TrustUnknown
		}
		w.Trust = trustPB(trust)
	}
	return nil
}

func (h *inventoryHandler) ListVulnerabilities(ctx context.Context, req *connect.Request[v1.ListVulnerabilitiesRequest]) (*connect.Response[v1.ListVulnerabilitiesResponse], error) {
	if h.risk == nil {
		return nil, errNoEnrichment
	}
	f := req.Msg.GetFilter()
	vf := ports.VulnFilter{Cluster: f.GetCluster(), Workload: f.GetWorkload(), Image: f.GetImage(), ID: f.GetId(),
		Component: f.GetComponent(), Applicability: applicabilityFromPB(f.GetApplicability()), OnlyWithFix: f.GetWithFixOnly()}
	if f.GetMinSeverity() > v1.Severity_SEVERITY_UNKNOWN {
		vf.MinSeverity = severityFromPB(f.GetMinSeverity())
	}
	return serve(ctx, h, req, func() (ports.VulnPage, error) {
		return h.risk.ListVulnerabilities(ctx, vf, pageReq(req.Msg.GetPage()))
	}, func(p ports.VulnPage, _ time.Time) *v1.ListVulnerabilitiesResponse {
		out := &v1.ListVulnerabilitiesResponse{NextPageToken: p.NextToken, Funnel: funnelPB(p.Funnel), Total: int64(p.Total),
			Sources: mapSlice(p.Sources, sourcePB)}
		for _, r := range p.Rows {
			out.Vulnerabilities = append(out.Vulnerabilities, vulnPB(r))
		}
		return out
	})
}

func vulnPB(r ports.VulnRow) *v1.Vulnerability {
	v := &v1.Vulnerability{Id: r.Finding.ID, Aliases: r.Finding.Aliases, Summary: r.Finding.Summary, Severity: severityPB(r.Finding.Severity),
		CvssScore: r.Finding.Score, FixedVersions: r.Finding.FixedVersions, Malicious: r.Finding.Malicious, Source: r.Finding.Source,
		Component: r.Component, Applicability: applicabilityPB(r.Applicability), ImageDigest: r.Digest}
	if e := r.Evidence; e != nil {
		v.Evidence = &v1.LoadEvidence{MatchedBy: e.By, Path: e.Path, Sha256: e.SHA256, FirstSeen: ts(e.FirstSeen), LastSeen: ts(e.LastSeen)}
	}
	return v
}

func sourcePB(s ports.VulnSource) *v1.VulnerabilitySource {
	return &v1.VulnerabilitySource{Name: s.Name, Attribution: s.Attribution, Records: int64(s.Records), Withdrawn: int64(s.Withdrawn),
		Malicious: int64(s.Malicious), Rejected: int64(s.Rejected)}
}

func (h *inventoryHandler) GetImageRisk(ctx context.Context, req *connect.Request[v1.GetImageRiskRequest]) (*connect.Response[v1.GetImageRiskResponse], error) {
	if h.risk == nil {
		return nil, errNoEnrichment
	}
	return serve(ctx, h, req, func() (ports.ImageRiskView, error) { return h.risk.ImageRisk(ctx, req.Msg.GetDigest()) },
		func(v ports.ImageRiskView, _ time.Time) *v1.GetImageRiskResponse {
			return &v1.GetImageRiskResponse{Digest: v.Digest, Enrichment: imageEnrichmentPB(v)}
		})
}

func (h *inventoryHandler) GetWorkloadRisk(ctx context.Context, req *connect.Request[v1.GetWorkloadRiskRequest]) (*connect.Response[v1.GetWorkloadRiskResponse], error) {
	if h.risk == nil {
		return nil, errNoEnrichment
	}
	return serve(ctx, h, req, func() (ports.WorkloadRiskView, error) {
		return h.risk.WorkloadRisk(ctx, req.Msg.GetCluster(), req.Msg.GetWorkload())
	}, func(v ports.WorkloadRiskView, _ time.Time) *v1.GetWorkloadRiskResponse {
		out := &v1.GetWorkloadRiskResponse{Trust: trustPB(v.Trust), Funnel: funnelPB(v.Funnel), Images: map[string]*v1.ImageEnrichment{}}
		for _, r := range v.Risks {
			out.Risks = append(out.Risks, storedRiskPB(r))
		}
		for d, img := range v.Images {
			out.Images[d] = imageEnrichmentPB(img)
		}
		return out
	})
}

func scopeOf(s *v1.ExportScope) ports.ExportScope {
	return ports.ExportScope{Image: s.GetImage(), Cluster: s.GetCluster(), Workload: s.GetWorkload()}
}

type export struct {
	doc []byte
	n   int
}

func (h *inventoryHandler) ExportSBOM(ctx context.Context, req *connect.Request[v1.ExportSBOMRequest]) (*connect.Response[v1.ExportSBOMResponse], error) {
	if h.risk == nil {
		return nil, errNoEnrichment
	}
	return serve(ctx, h, req, func() (export, error) {
		doc, n, err := h.risk.ExportSBOM(ctx, scopeOf(req.Msg.GetScope()))
		return export{doc, n}, err
	}, func(e export, _ time.Time) *v1.ExportSBOMResponse {
		return &v1.ExportSBOMResponse{Document: e.doc, MediaType: "application/vnd.cyclonedx+json; version=1.6", Components: int64(e.n)}
	})
}

func (h *inventoryHandler) ExportVEX(ctx context.Context, req *connect.Request[v1.ExportVEXRequest]) (*connect.Response[v1.ExportVEXResponse], error) {
	if h.risk == nil {
		return nil, errNoEnrichment
	}
	return serve(ctx, h, req, func() (export, error) {
		doc, n, err := h.risk.ExportVEX(ctx, scopeOf(req.Msg.GetScope()))
		return export{doc, n}, err
	}, func(e export, _ time.Time) *v1.ExportVEXResponse {
		return &v1.ExportVEXResponse{Document: e.doc, MediaType: "application/openvex+json", Statements: int64(e.n)}
	})
}

func (h *inventoryHandler) ListVulnerabilitySources(ctx context.Context, req *connect.Request[v1.ListVulnerabilitySourcesRequest]) (*connect.Response[v1.ListVulnerabilitySourcesResponse], error) {
	if h.risk == nil {
		return nil, errNoEnrichment
	}
	srcs, rev := h.risk.VulnerabilitySources(ctx)
	return connect.NewResponse(&v1.ListVulnerabilitySourcesResponse{Sources: mapSlice(srcs, sourcePB), Revision: rev}), nil
}

// AdminService: integrations and webhooks. Secrets go in and never out.

var integrationKinds = map[v1.IntegrationKind]ports.IntegrationKind{
	v1.IntegrationKind_INTEGRATION_KIND_OCI:         ports.IntegrationOCI,
	v1.IntegrationKind_INTEGRATION_KIND_ARTIFACTORY: ports.IntegrationArtifactory,
	v1.IntegrationKind_INTEGRATION_KIND_XRAY:        ports.IntegrationXray,
}

func integrationPB(in ports.Integration) *v1.Integration {
	var kind v1.IntegrationKind
	for p, d := range integrationKinds {
		if d == in.Kind {
			kind = p
		}
	}
	return &v1.Integration{Id: in.ID, Name: in.Name, Kind: kind, Url: in.URL, Username: in.Username, Trusted: in.Trusted,
		HasSecret: in.HasSecret(), CreatedAt: ts(in.CreatedAt), UpdatedAt: ts(in.UpdatedAt), SecretError: errText(in.SecretErr)}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func webhookPB(w ports.Webhook) *v1.Webhook {
	f := v1.WebhookFormat_WEBHOOK_FORMAT_GENERIC
	if w.Format == "slack" {
		f = v1.WebhookFormat_WEBHOOK_FORMAT_SLACK
	}
	out := &v1.Webhook{Id: w.ID, Name: w.Name, Url: w.URL, Format: f, HasSecret: w.Secret != "" || w.SecretErr != nil, CreatedAt: ts(w.CreatedAt),
		SecretError: errText(w.SecretErr)}
	for _, k := range w.Kinds {
		out.Kinds = append(out.Kinds, riskKinds[k])
	}
	return out
}

func (h *adminHandler) PutIntegration(ctx context.Context, req *connect.Request[v1.PutIntegrationRequest]) (*connect.Response[v1.PutIntegrationResponse], error) {
	if h.enrich == nil {
		return nil, errNoEnrichment
	}
	m := req.Msg
	in := ports.Integration{Name: m.GetName(), Kind: integrationKinds[m.GetKind()], URL: m.GetUrl(), Username: m.GetUsername(),
		Secret: m.GetSecret(), Trusted: m.GetTrusted()}
	out, err := h.enrich.PutIntegration(ctx, in)
	if err != nil {
		return nil, h.fail(ctx, req.Spec().Procedure, err)
	}
	return connect.NewResponse(&v1.PutIntegrationResponse{Integration: integrationPB(out)}), nil
}

func (h *adminHandler) ListIntegrations(ctx context.Context, req *connect.Request[v1.ListIntegrationsRequest]) (*connect.Response[v1.ListIntegrationsResponse], error) {
	if h.enrich == nil {
		return nil, errNoEnrichment
	}
	all, err := h.enrich.ListIntegrations(ctx)
	if err != nil {
		return nil, h.fail(ctx, req.Spec().Procedure, err)
	}
	return connect.NewResponse(&v1.ListIntegrationsResponse{Integrations: mapSlice(all, integrationPB)}), nil
}

func (h *adminHandler) DeleteIntegration(ctx context.Context, req *connect.Request[v1.DeleteIntegrationRequest]) (*connect.Response[v1.DeleteIntegrationResponse], error) {
	if h.enrich == nil {
		return nil, errNoEnrichment
	}
	if err := h.enrich.DeleteIntegration(ctx, req.Msg.GetName()); err != nil {
		return nil, h.fail(ctx, req.Spec().Procedure, err)
	}
	return connect.NewResponse(&v1.DeleteIntegrationResponse{}), nil
}

func (h *adminHandler) PutWebhook(ctx context.Context, req *connect.Request[v1.PutWebhookRequest]) (*connect.Response[v1.PutWebhookResponse], error) {
	if h.enrich == nil {
		return nil, errNoEnrichment
	}
	m := req.Msg
	w := ports.Webhook{Name: m.GetName(), URL: m.GetUrl(), Secret: m.GetSecret(), Format: "generic"}
	if m.GetFormat() == v1.WebhookFormat_WEBHOOK_FORMAT_SLACK {
		w.Format = "slack"
	}
	for _, k := range m.GetKinds() {
		d, ok := riskKindFromPB(k)
		if !ok {
			return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("unknown risk kind "+k.String()))
		}
		w.Kinds = append(w.Kinds, d)
	}
	out, err := h.enrich.PutWebhook(ctx, w)
	if err != nil {
		return nil, h.fail(ctx, req.Spec().Procedure, err)
	}
	return connect.NewResponse(&v1.PutWebhookResponse{Webhook: webhookPB(out)}), nil
}

func (h *adminHandler) ListWebhooks(ctx context.Context, req *connect.Request[v1.ListWebhooksRequest]) (*connect.Response[v1.ListWebhooksResponse], error) {
	if h.enrich == nil {
		return nil, errNoEnrichment
	}
	all, err := h.enrich.ListWebhooks(ctx)
	if err != nil {
		return nil, h.fail(ctx, req.Spec().Procedure, err)
	}
	return connect.NewResponse(&v1.ListWebhooksResponse{Webhooks: mapSlice(all, webhookPB)}), nil
}

func (h *adminHandler) DeleteWebhook(ctx context.Context, req *connect.Request[v1.DeleteWebhookRequest]) (*connect.Response[v1.DeleteWebhookResponse], error) {
	if h.enrich == nil {
		return nil, errNoEnrichment
	}
	if err := h.enrich.DeleteWebhook(ctx, req.Msg.GetName()); err != nil {
		return nil, h.fail(ctx, req.Spec().Procedure, err)
	}
	return connect.NewResponse(&v1.DeleteWebhookResponse{}), nil
}
