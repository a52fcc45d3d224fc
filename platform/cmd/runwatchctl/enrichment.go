package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"connectrpc.com/connect"

	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
)

// The enrichment commands: vulnerabilities, risk, exports, integrations
// and webhooks.
func init() {
	commands = append(commands,
		command{"vulns", "[--cluster C] [--workload W] [--image D] [--id CVE] [--severity S] [--component PURL] [--applicable|--not-applicable] [--fixable]", "vulnerabilities of running images, with applicability and the funnel", (*cli).vulns},
		command{"risk", "--image DIGEST | --workload W [--cluster C]", "trust, registry, integrity evidence and risks", (*cli).risk},
		command{"sbom", "--image DIGEST | --workload W [--cluster C] [--out FILE]", "CycloneDX SBOM of what was loaded at runtime", (*cli).sbom},
		command{"vex", "--image DIGEST | --workload W [--cluster C] [--out FILE]", "OpenVEX: affected / not_affected from runtime evidence", (*cli).vex},
		command{"vuln-sources", "", "the vulnerability data loaded, with attribution", (*cli).vulnSources},
		command{"integration put", "NAME --kind oci|artifactory|xray --url URL [--username U] [--secret-env VAR] [--trusted]", "add or replace a registry or scanner (admin)", (*cli).integrationPut},
		command{"integration list", "", "list integrations (secrets are never shown)", (*cli).integrationList},
		command{"integration delete", "NAME", "remove an integration (admin)", (*cli).integrationDelete},
		command{"webhook put", "NAME --url URL [--format generic|slack] [--secret-env VAR] [--kinds k1,k2]", "add or replace a risk webhook (admin)", (*cli).webhookPut},
		command{"webhook list", "", "list webhooks", (*cli).webhookList},
		command{"webhook delete", "NAME", "remove a webhook (admin)", (*cli).webhookDelete},
	)
}

var severityNames = map[string]v1.Severity{"": v1.Severity_SEVERITY_UNSPECIFIED, "low": v1.Severity_SEVERITY_LOW,
	"medium": v1.Severity_SEVERITY_MEDIUM, "high": v1.Severity_SEVERITY_HIGH, "critical": v1.Severity_SEVERITY_CRITICAL}

func (c *cli) vulns(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("vulns", flag.ContinueOnError)
	f := &v1.VulnerabilityFilter{}
	fs.StringVar(&f.Cluster, "cluster", "", "cluster id or name")
	fs.StringVar(&f.Workload, "workload", "", "workload uid or name")
	fs.StringVar(&f.Image, "image", "", "image digest")
	fs.StringVar(&f.Id, "id", "", "vulnerability id or alias (CVE)")
	fs.StringVar(&f.Component, "component", "", "package URL prefix")
	sev := fs.String("severity", "", "at least: low, medium, high, critical")
	applicable := fs.Bool("applicable", false, "only vulnerabilities whose code was loaded")
	notApplicable := fs.Bool("not-applicable", false, "only vulnerabilities whose code was never loaded")
	fs.BoolVar(&f.WithFixOnly, "fixable", false, "only vulnerabilities with a fixed version")
	l := &listFlags{}
	fs.IntVar(&l.limit, "limit", 50, "rows per page (at most 1000)")
	fs.StringVar(&l.token, "page-token", "", "page token from a previous page")
	fs.BoolVar(&l.all, "all", false, "follow every page")
	if _, err := parse("vulns", fs, args); err != nil {
		return err
	}
	s, ok := severityNames[strings.ToLower(*sev)]
	if !ok {
		return fmt.Errorf("--severity must be low, medium, high or critical")
	}
	f.MinSeverity = s
	switch {
	case *applicable && *notApplicable:
		return errors.New("--applicable and --not-applicable exclude each other")
	case *applicable:
		f.Applicability = v1.Applicability_APPLICABILITY_APPLICABLE
	case *notApplicable:
		f.Applicability = v1.Applicability_APPLICABILITY_NOT_APPLICABLE
	}
	var funnel *v1.Funnel
	var sources []*v1.VulnerabilitySource
	err := pages(c, ctx, l, func(p *v1.Page) (*v1.ListVulnerabilitiesResponse, string, error) {
		r, err := c.inventory.ListVulnerabilities(ctx, connect.NewRequest(&v1.ListVulnerabilitiesRequest{Filter: f, Page: p}))
		if err != nil {
			return nil, "", err
		}
		funnel, sources = r.Msg.GetFunnel(), r.Msg.GetSources()
		return r.Msg, r.Msg.GetNextPageToken(), nil
	}, func(r *v1.ListVulnerabilitiesResponse) (rows [][]string) {
		for _, v := range r.GetVulnerabilities() {
			fixed := strings.Join(v.GetFixedVersions(), ",")
			if fixed == "" {
				fixed = "-"
			}
			id := v.GetId()
			if cves := cveAliases(v.GetAliases()); cves != "" {
				id += " (" + cves + ")"
			}
			loaded := "-"
			if e := v.GetEvidence(); e != nil {
				loaded = e.GetPath()
			}
			rows = append(rows, []string{id, short(v.GetSeverity().String(), "SEVERITY_"), short(v.GetApplicability().String(), "APPLICABILITY_"),
				trunc(v.GetComponent(), 60), fixed, loaded, trunc(v.GetImageDigest(), 19)})
		}
		return rows
	}, []string{"ID", "SEVERITY", "APPLICABILITY", "COMPONENT", "FIXED IN", "LOADED", "IMAGE"})
	if err != nil || c.output == "json" || funnel == nil {
		return err
	}
	fmt.Fprintf(c.out, "\nfunnel: %d vulnerabilities → %d critical or high → %d with a fix → %d applicable (loaded at runtime)\n",
		funnel.GetAll(), funnel.GetCriticalHigh(), funnel.GetWithFix(), funnel.GetApplicable())
	for _, s := range sources {
		fmt.Fprintf(c.out, "data: %s\n", s.GetAttribution())
	}
	return nil
}

func cveAliases(aliases []string) string {
	var out []string
	for _, a := range aliases {
		if strings.HasPrefix(a, "CVE-") {
			out = append(out, a)
		}
	}
	return strings.Join(out, ",")
}

type scopeFlags struct {
	image, workload, cluster, out string
}

func (s *scopeFlags) bind(fs *flag.FlagSet, withOut bool) {
	fs.StringVar(&s.image, "image", "", "image digest")
	fs.StringVar(&s.workload, "workload", "", "workload uid or name")
	fs.StringVar(&s.cluster, "cluster", "", "cluster id or name")
	if withOut {
		fs.StringVar(&s.out, "out", "", "write the document to FILE instead of standard output")
	}
}

func (s *scopeFlags) check() error {
	if (s.image == "") == (s.workload == "") {
		return errors.New("name --image DIGEST or --workload W")
	}
	return nil
}

func (c *cli) risk(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("risk", flag.ContinueOnError)
	s := &scopeFlags{}
	s.bind(fs, false)
	if _, err := parse("risk", fs, args); err != nil {
		return err
	}
	if err := s.check(); err != nil {
		return err
	}
	images := map[string]*v1.ImageEnrichment{}
	var risks []*v1.Risk
	if s.image != "" {
		r, err := c.inventory.GetImageRisk(ctx, connect.NewRequest(&v1.GetImageRiskRequest{Digest: s.image}))
		if err != nil {
			return err
		}
		if c.output == "json" {
			return c.printJSON(r.Msg)
		}
		images[s.image] = r.Msg.GetEnrichment()
		risks = r.Msg.GetEnrichment().GetRisks()
	} else {
		r, err := c.inventory.GetWorkloadRisk(ctx, connect.NewRequest(&v1.GetWorkloadRiskRequest{Cluster: s.cluster, Workload: s.workload}))
		if err != nil {
			return err
		}
		if c.output == "json" {
			return c.printJSON(r.Msg)
		}
		images, risks = r.Msg.GetImages(), r.Msg.GetRisks()
		f := r.Msg.GetFunnel()
		fmt.Fprintf(c.out, "workload %s: %s; funnel %d → %d → %d → %d\n\n", s.workload, short(r.Msg.GetTrust().String(), "TRUST_"),
			f.GetAll(), f.GetCriticalHigh(), f.GetWithFix(), f.GetApplicable())
	}
	var rows [][]string
	for d, e := range images {
		where := "-"
		if r := e.GetRegistry(); r != nil {
			where = r.GetRegistry() + ":" + r.GetPath()
		}
		rows = append(rows, []string{trunc(d, 23), short(e.GetStatus().String(), "ENRICHMENT_STATUS_"), short(e.GetTrust().String(), "TRUST_"),
			where, e.GetDistro(), num(e.GetComponents()), trunc(e.GetLastError(), 60)})
	}
	c.table([]string{"IMAGE", "STATUS", "TRUST", "REGISTRY", "OS", "COMPONENTS", "LAST ERROR"}, rows)
	rows = nil
	for _, e := range images {
		for _, v := range e.GetIntegrityViolations() {
			rows = append(rows, []string{v.GetKind(), v.GetReference(), v.GetExpected(), v.GetActual()})
		}
	}
	if len(rows) > 0 {
		fmt.Fprintln(c.out)
		c.table([]string{"VIOLATION", "REFERENCE", "EXPECTED", "ACTUAL"}, rows)
	}
	fmt.Fprintln(c.out)
	rows = nil
	for _, r := range risks {
		rows = append(rows, []string{short(r.GetKind().String(), "RISK_KIND_"), trunc(r.GetSubject(), 60), trunc(r.GetImageDigest(), 19), when(r.GetFirstSeen().AsTime())})
	}
	c.table([]string{"RISK", "SUBJECT", "IMAGE", "SINCE"}, rows)
	return nil
}

func (c *cli) export(ctx context.Context, name string, args []string, call func(*v1.ExportScope) ([]byte, error)) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	s := &scopeFlags{}
	s.bind(fs, true)
	if _, err := parse(name, fs, args); err != nil {
		return err
	}
	if err := s.check(); err != nil {
		return err
	}
	doc, err := call(&v1.ExportScope{Image: s.image, Workload: s.workload, Cluster: s.cluster})
	if err != nil {
		return err
	}
	if s.out != "" {
		if err := os.WriteFile(s.out, append(doc, '\n'), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(c.errw, "wrote %s (%d bytes)\n", s.out, len(doc))
		return nil
	}
	_, err = fmt.Fprintln(c.out, string(doc))
	return err
}

func (c *cli) sbom(ctx context.Context, args []string) error {
	return c.export(ctx, "sbom", args, func(s *v1.ExportScope) ([]byte, error) {
		r, err := c.inventory.ExportSBOM(ctx, connect.NewRequest(&v1.ExportSBOMRequest{Scope: s}))
		if err != nil {
			return nil, err
		}
		return r.Msg.GetDocument(), nil
	})
}

func (c *cli) vex(ctx context.Context, args []string) error {
	return c.export(ctx, "vex", args, func(s *v1.ExportScope) ([]byte, error) {
		r, err := c.inventory.ExportVEX(ctx, connect.NewRequest(&v1.ExportVEXRequest{Scope: s}))
		if err != nil {
			return nil, err
		}
		return r.Msg.GetDocument(), nil
	})
}

func (c *cli) vulnSources(ctx context.Context, args []string) error {
	r, err := c.inventory.ListVulnerabilitySources(ctx, connect.NewRequest(&v1.ListVulnerabilitySourcesRequest{}))
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(r.Msg)
	}
	var rows [][]string
	for _, s := range r.Msg.GetSources() {
		rows = append(rows, []string{s.GetName(), num(s.GetRecords()), num(s.GetWithdrawn()), num(s.GetMalicious()), num(s.GetRejected()), s.GetAttribution()})
	}
	c.table([]string{"SOURCE", "RECORDS", "WITHDRAWN", "MALICIOUS", "REJECTED", "ATTRIBUTION"}, rows)
	fmt.Fprintf(c.out, "revision %s\n", r.Msg.GetRevision())
	return nil
}

var kindNames = map[string]v1.IntegrationKind{"oci": v1.IntegrationKind_INTEGRATION_KIND_OCI,
	"artifactory": v1.IntegrationKind_INTEGRATION_KIND_ARTIFACTORY, "xray": v1.IntegrationKind_INTEGRATION_KIND_XRAY}

// secretFrom reads a secret from an environment variable, never a flag
// (a flag is visible to every user of the machine).
func secretFrom(env string) (string, error) {
	if env == "" {
		return "", nil
	}
	v, ok := os.LookupEnv(env)
	if !ok || v == "" {
		return "", fmt.Errorf("environment variable %s is not set", env)
	}
	return v, nil
}

func (c *cli) integrationPut(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("integration put", flag.ContinueOnError)
	kind := fs.String("kind", "oci", "oci, artifactory or xray")
	url := fs.String("url", "", "base URL")
	user := fs.String("username", "", "user name, for basic credentials")
	secretEnv := fs.String("secret-env", "", "environment variable holding the password or access token")
	trusted := fs.Bool("trusted", false, "images found in this registry are trusted")
	pos, err := parse("integration put", fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("integration put: give one NAME")
	}
	k, ok := kindNames[*kind]
	if !ok {
		return fmt.Errorf("--kind must be oci, artifactory or xray")
	}
	secret, err := secretFrom(*secretEnv)
	if err != nil {
		return err
	}
	r, err := c.admin.PutIntegration(ctx, connect.NewRequest(&v1.PutIntegrationRequest{Name: pos[0], Kind: k, Url: *url, Username: *user, Secret: secret, Trusted: *trusted}))
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(r.Msg)
	}
	fmt.Fprintf(c.out, "integration %s saved\n", r.Msg.GetIntegration().GetName())
	return nil
}

func (c *cli) integrationList(ctx context.Context, args []string) error {
	r, err := c.admin.ListIntegrations(ctx, connect.NewRequest(&v1.ListIntegrationsRequest{}))
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(r.Msg)
	}
	var rows [][]string
	for _, i := range r.Msg.GetIntegrations() {
		rows = append(rows, []string{i.GetName(), short(i.GetKind().String(), "INTEGRATION_KIND_"), i.GetUrl(), i.GetUsername(),
			fmt.Sprint(i.GetTrusted()), fmt.Sprint(i.GetHasSecret())})
	}
	c.table([]string{"NAME", "KIND", "URL", "USERNAME", "TRUSTED", "SECRET SET"}, rows)
	// A secret the platform cannot open is said under the table, whole.
	for _, i := range r.Msg.GetIntegrations() {
		if i.GetSecretError() != "" {
			fmt.Fprintf(c.out, "integration %s unusable: %s\n", i.GetName(), i.GetSecretError())
		}
	}
	return nil
}

func (c *cli) integrationDelete(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errors.New("integration delete: give one NAME")
	}
	if _, err := c.admin.DeleteIntegration(ctx, connect.NewRequest(&v1.DeleteIntegrationRequest{Name: args[0]})); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "integration %s deleted\n", args[0])
	return nil
}

func (c *cli) webhookPut(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("webhook put", flag.ContinueOnError)
	url := fs.String("url", "", "endpoint URL")
	format := fs.String("format", "generic", "generic or slack")
	secretEnv := fs.String("secret-env", "", "environment variable holding the HMAC key")
	kinds := fs.String("kinds", "", "comma-separated risk kinds (default all): untrusted_image, integrity_violation, critical_applicable_cve, malicious_package, drift")
	pos, err := parse("webhook put", fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("webhook put: give one NAME")
	}
	req := &v1.PutWebhookRequest{Name: pos[0], Url: *url}
	switch *format {
	case "generic":
		req.Format = v1.WebhookFormat_WEBHOOK_FORMAT_GENERIC
	case "slack":
		req.Format = v1.WebhookFormat_WEBHOOK_FORMAT_SLACK
	default:
		return errors.New("--format must be generic or slack")
	}
	if req.Secret, err = secretFrom(*secretEnv); err != nil {
		return err
	}
	for _, k := range strings.Split(*kinds, ",") {
		if k = strings.TrimSpace(k); k == "" {
			continue
		}
		v, ok := v1.RiskKind_value["RISK_KIND_"+strings.ToUpper(k)]
		if !ok {
			return fmt.Errorf("unknown risk kind %q", k)
		}
		req.Kinds = append(req.Kinds, v1.RiskKind(v))
	}
	r, err := c.admin.PutWebhook(ctx, connect.NewRequest(req))
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(r.Msg)
	}
	fmt.Fprintf(c.out, "webhook %s saved\n", r.Msg.GetWebhook().GetName())
	return nil
}

func (c *cli) webhookList(ctx context.Context, args []string) error {
	r, err := c.admin.ListWebhooks(ctx, connect.NewRequest(&v1.ListWebhooksRequest{}))
	if err != nil {
		return err
	}
	if c.output == "json" {
		return c.printJSON(r.Msg)
	}
	var rows [][]string
	for _, w := range r.Msg.GetWebhooks() {
		var ks []string
		for _, k := range w.GetKinds() {
			ks = append(ks, short(k.String(), "RISK_KIND_"))
		}
		if len(ks) == 0 {
			ks = []string{"all"}
		}
		rows = append(rows, []string{w.GetName(), short(w.GetFormat().String(), "WEBHOOK_FORMAT_"), w.GetUrl(), strings.Join(ks, ","), fmt.Sprint(w.GetHasSecret())})
	}
	c.table([]string{"NAME", "FORMAT", "URL", "KINDS", "SIGNED"}, rows)
	return nil
}

func (c *cli) webhookDelete(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errors.New("webhook delete: give one NAME")
	}
	if _, err := c.admin.DeleteWebhook(ctx, connect.NewRequest(&v1.DeleteWebhookRequest{Name: args[0]})); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "webhook %s deleted\n", args[0])
	return nil
}
