package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/runwatch/runwatch/domain"
	"github.com/runwatch/runwatch/domain/risk"
	"github.com/runwatch/runwatch/domain/vuln"
	"github.com/runwatch/runwatch/ports"
)

var _ ports.EnrichmentStore = (*Store)(nil)

// PutIntegration implements ports.EnrichmentStore: it creates the
// integration, or replaces the one of the same name (keeping its id and
// creation time, and its secret when the new one is empty).
func (s *Store) PutIntegration(ctx context.Context, in ports.Integration) (ports.Integration, error) {
	secret, err := s.sealSecret(in.Secret, integrationSecret(in.Name))
	if err != nil {
		return ports.Integration{}, fmt.Errorf("store integration %s: %w", in.Name, err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO integrations (id, name, kind, url, username, secret, trusted, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, url = excluded.url, username = excluded.username,
  secret = CASE WHEN excluded.secret = '' THEN integrations.secret ELSE excluded.secret END,
  trusted = excluded.trusted, updated_at = excluded.updated_at`,
		in.ID, in.Name, string(in.Kind), in.URL, in.Username, secret, in.Trusted, us(in.CreatedAt), us(in.UpdatedAt))
	if err != nil {
		return ports.Integration{}, fmt.Errorf("store integration %s: %w", in.Name, err)
	}
	all, err := s.ListIntegrations(ctx)
	if err != nil {
		return ports.Integration{}, err
	}
	for _, i := range all {
		if i.Name == in.Name {
			return i, nil
		}
	}
	return ports.Integration{}, domain.NotFoundf("integration %q vanished", in.Name)
}

type integrationRow struct {
	ID        string `bun:"id"`
	Name      string `bun:"name"`
	Kind      string `bun:"kind"`
	URL       string `bun:"url"`
	Username  string `bun:"username"`
	Secret    string `bun:"secret"`
	Trusted   bool   `bun:"trusted"`
	CreatedAt int64  `bun:"created_at"`
	UpdatedAt int64  `bun:"updated_at"`
}

// ListIntegrations implements ports.EnrichmentStore, by name.
func (s *Store) ListIntegrations(ctx context.Context) ([]ports.Integration, error) {
	var rows []integrationRow
	if err := s.db.NewRaw(`SELECT id, name, kind, url, username, secret, trusted, created_at, updated_at FROM integrations ORDER BY name`).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("list integrations: %w", err)
	}
	out := make([]ports.Integration, len(rows))
	for i, r := range rows {
		out[i] = ports.Integration{ID: r.ID, Name: r.Name, Kind: ports.IntegrationKind(r.Kind), URL: r.URL, Username: r.Username,
			Trusted: r.Trusted, CreatedAt: fromUS(r.CreatedAt), UpdatedAt: fromUS(r.UpdatedAt)}
		out[i].Secret, out[i].SecretErr = s.openSecret(r.Secret, integrationSecret(r.Name), "integration")
	}
	return out, nil
}

// DeleteIntegration implements ports.EnrichmentStore.
func (s *Store) DeleteIntegration(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM integrations WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("delete integration %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.NotFoundf("no integration %q", name)
	}
	return nil
}

// evidence is the JSON of image_enrichment.evidence.
type evidence struct {
	Checks   []risk.RegistryCheck      `json:"checks,omitempty"`
	Tags     []risk.TagCheck           `json:"tags,omitempty"`
	Digest   *risk.DigestCheck         `json:"digest,omitempty"`
	Findings map[string][]vuln.Finding `json:"findings,omitempty"`
}

type enrichmentRow struct {
	Digest        string `bun:"digest"`
	Status        string `bun:"status"`
	Trust         string `bun:"trust"`
	TrustReason   string `bun:"trust_reason"`
	TrustRegistry string `bun:"trust_registry"`
	TrustRepo     string `bun:"trust_repo"`
	TrustPath     string `bun:"trust_path"`
	Evidence      string `bun:"evidence"`
	CataloguedAt  int64  `bun:"catalogued_at"`
	Distro        string `bun:"distro"`
	Attempts      int    `bun:"attempts"`
	NextAttemptAt int64  `bun:"next_attempt_at"`
	LastError     string `bun:"last_error"`
	CheckedAt     int64  `bun:"checked_at"`
	ExpiresAt     int64  `bun:"expires_at"`
	VulnRevision  string `bun:"vuln_revision"`
	EvaluatedAt   int64  `bun:"evaluated_at"`
	Funnel        string `bun:"funnel"`
	// ApplicableAny is counted from the stored vulnerabilities when read
	// (see GetEnrichment); it is not a column.
	ApplicableAny int `bun:"applicable_any"`
}

const enrichmentCols = `digest, status, trust, trust_reason, trust_registry, trust_repo, trust_path, evidence, catalogued_at, distro,
attempts, next_attempt_at, last_error, checked_at, expires_at, vuln_revision, evaluated_at, funnel`

func (r *enrichmentRow) domain() ports.ImageEnrichment {
	ev := parseJSON[evidence](r.Evidence)
	e := ports.ImageEnrichment{Digest: r.Digest, Status: ports.EnrichmentStatus(r.Status),
		Trust:  risk.TrustVerdict{Trust: risk.Trust(r.Trust), Reason: r.TrustReason},
		Checks: ev.Checks, Tags: ev.Tags, DigestHeld: ev.Digest, ArtifactFindings: ev.Findings,
		Catalogued: fromUS(r.CataloguedAt), Distro: r.Distro, Attempts: r.Attempts, NextTry: fromUS(r.NextAttemptAt),
		LastError: r.LastError, CheckedAt: fromUS(r.CheckedAt), ExpiresAt: fromUS(r.ExpiresAt),
		Revision: r.VulnRevision, EvaluatedAt: fromUS(r.EvaluatedAt), Funnel: parseJSON[risk.Funnel](r.Funnel)}
	e.Funnel.ApplicableAny = r.ApplicableAny
	if r.TrustRegistry != "" {
		e.Trust.Where = &risk.RegistryCheck{Registry: r.TrustRegistry, Status: risk.CheckFound, Repository: r.TrustRepo, Path: r.TrustPath}
	}
	return e
}

// DueImages implements ports.EnrichmentStore.
func (s *Store) DueImages(ctx context.Context, now time.Time, limit int) ([]ports.ImageWork, error) {
	var rows []struct {
		enrichmentRow
		ImageDigest string `bun:"image_digest"`
		Known       bool   `bun:"known"`
	}
	n := us(now)
	q := `SELECT i.digest AS image_digest, e.digest IS NOT NULL AS known,
  COALESCE(e.digest, i.digest) AS digest, COALESCE(e.status, 'pending') AS status, COALESCE(e.trust, 'unknown') AS trust,
  COALESCE(e.trust_reason, '') AS trust_reason, COALESCE(e.trust_registry, '') AS trust_registry, COALESCE(e.trust_repo, '') AS trust_repo,
  COALESCE(e.trust_path, '') AS trust_path, COALESCE(e.evidence, '') AS evidence, COALESCE(e.catalogued_at, 0) AS catalogued_at,
  COALESCE(e.distro, '') AS distro, COALESCE(e.attempts, 0) AS attempts, COALESCE(e.next_attempt_at, 0) AS next_attempt_at,
  COALESCE(e.last_error, '') AS last_error, COALESCE(e.checked_at, 0) AS checked_at, COALESCE(e.expires_at, 0) AS expires_at,
  COALESCE(e.vuln_revision, '') AS vuln_revision, COALESCE(e.evaluated_at, 0) AS evaluated_at, COALESCE(e.funnel, '') AS funnel
FROM images i LEFT JOIN image_enrichment e ON e.digest = i.digest
WHERE e.digest IS NULL
   OR (e.status <> 'done' AND e.next_attempt_at <= ?)
   OR (e.expires_at > 0 AND e.expires_at <= ?)
ORDER BY COALESCE(e.next_attempt_at, 0), i.digest
LIMIT ?`
	if err := s.db.NewRaw(q, n, n, limit).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("due images: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	digests := make([]string, len(rows))
	for i, r := range rows {
		digests[i] = r.ImageDigest
	}
	refs, err := s.referencesOf(ctx, digests)
	if err != nil {
		return nil, err
	}
	out := make([]ports.ImageWork, len(rows))
	for i, r := range rows {
		out[i] = ports.ImageWork{Digest: r.ImageDigest, References: refs[r.ImageDigest], Known: r.Known, Enrichment: r.enrichmentRow.domain()}
	}
	return out, nil
}

func (s *Store) referencesOf(ctx context.Context, digests []string) (map[string][]string, error) {
	var refs []struct {
		Digest    string `bun:"digest"`
		Reference string `bun:"reference"`
	}
	if err := s.db.NewRaw(`SELECT digest, reference FROM image_references WHERE digest IN (?) ORDER BY reference`, bun.List(digests)).Scan(ctx, &refs); err != nil {
		return nil, fmt.Errorf("image references: %w", err)
	}
	out := map[string][]string{}
	for _, r := range refs {
		out[r.Digest] = append(out[r.Digest], r.Reference)
	}
	return out, nil
}

// SaveEnrichment implements ports.EnrichmentStore.
func (s *Store) SaveEnrichment(ctx context.Context, e ports.ImageEnrichment, components []risk.Component) error {
	var reg, repo, path string
	if e.Trust.Where != nil {
		reg, repo, path = e.Trust.Where.Registry, e.Trust.Where.Repository, e.Trust.Where.Path
	}
	ev := evidence{Checks: e.Checks, Tags: e.Tags, Digest: e.DigestHeld, Findings: e.ArtifactFindings}
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO image_enrichment (`+enrichmentCols+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (digest) DO UPDATE SET status = excluded.status, trust = excluded.trust, trust_reason = excluded.trust_reason,
  trust_registry = excluded.trust_registry, trust_repo = excluded.trust_repo, trust_path = excluded.trust_path,
  evidence = excluded.evidence, catalogued_at = excluded.catalogued_at, distro = excluded.distro, attempts = excluded.attempts,
  next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error, checked_at = excluded.checked_at,
  expires_at = excluded.expires_at`,
			e.Digest, string(e.Status), string(e.Trust.Trust), e.Trust.Reason, reg, repo, path, jsonText(ev, len(ev.Checks)+len(ev.Tags)+len(ev.Findings) == 0 && ev.Digest == nil),
			us(e.Catalogued), e.Distro, e.Attempts, us(e.NextTry), e.LastError, us(e.CheckedAt), us(e.ExpiresAt),
			e.Revision, us(e.EvaluatedAt), jsonText(e.Funnel, false))
		if err != nil {
			return fmt.Errorf("save enrichment of %s: %w", e.Digest, err)
		}
		if components == nil {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM image_components WHERE digest = ?`, e.Digest); err != nil {
			return fmt.Errorf("replace components of %s: %w", e.Digest, err)
		}
		for start := 0; start < len(components); start += 200 {
			batch := components[start:min(start+200, len(components))]
			var sb strings.Builder
			args := make([]any, 0, 3*len(batch))
			sb.WriteString(`INSERT INTO image_components (digest, purl, files) VALUES `)
			for i, c := range batch {
				if i > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString("(?, ?, ?)")
				args = append(args, e.Digest, c.PURL, jsonText(c.Files, len(c.Files) == 0))
			}
			if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
				return fmt.Errorf("store components of %s: %w", e.Digest, err)
			}
		}
		return nil
	})
}

// GetEnrichment implements ports.EnrichmentStore.
func (s *Store) GetEnrichment(ctx context.Context, digest string) (ports.ImageEnrichment, bool, error) {
	var r enrichmentRow
	// The count of loaded vulnerabilities of any severity comes from the
	// vulnerabilities stored with the funnel (in the same transaction), so
	// images assessed before the funnel held it have it too.
	err := s.db.NewRaw(`SELECT `+enrichmentCols+`,
  (SELECT count(DISTINCT v.vuln_id) FROM image_vulnerabilities v WHERE v.digest = image_enrichment.digest AND v.applicability = ?) AS applicable_any
FROM image_enrichment WHERE digest = ?`, string(risk.Applicable), digest).Scan(ctx, &r)
	if errors.Is(err, sql.ErrNoRows) {
		return ports.ImageEnrichment{Digest: digest, Status: ports.EnrichmentPending, Trust: risk.TrustVerdict{Trust: risk.TrustUnknown}}, false, nil
	}
	if err != nil {
		return ports.ImageEnrichment{}, false, fmt.Errorf("read enrichment of %s: %w", digest, err)
	}
	return r.domain(), true, nil
}

// Components implements ports.EnrichmentStore.
func (s *Store) Components(ctx context.Context, digest string) ([]risk.Component, error) {
	var rows []struct {
		PURL  string `bun:"purl"`
		Files string `bun:"files"`
	}
	if err := s.db.NewRaw(`SELECT purl, files FROM image_components WHERE digest = ? ORDER BY purl`, digest).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("components of %s: %w", digest, err)
	}
	out := make([]risk.Component, len(rows))
	for i, r := range rows {
		out[i] = risk.Component{PURL: r.PURL, Files: parseJSON[[]risk.ComponentFile](r.Files)}
	}
	return out, nil
}

// ImageRuntime implements ports.EnrichmentStore.
func (s *Store) ImageRuntime(ctx context.Context, digest string) (ports.Runtime, error) {
	type row struct {
		Path      string `bun:"path"`
		SHA256    string `bun:"sha256"`
		PURLs     string `bun:"package_purls"`
		FirstSeen int64  `bun:"first_seen"`
		LastSeen  int64  `bun:"last_seen"`
		Drift     bool   `bun:"drift"`
	}
	const ofImage = ` EXISTS (SELECT 1 FROM containers k WHERE k.cluster_id = r.cluster_id AND k.container_id = r.container_id AND k.image_digest = ?)`
	var files, procs []row
	if err := s.db.NewRaw(`SELECT r.path, r.sha256, r.package_purls, r.first_seen, r.last_seen, r.drift FROM file_loads r WHERE r.container_id <> '' AND`+ofImage, digest).Scan(ctx, &files); err != nil {
		return ports.Runtime{}, fmt.Errorf("loads of %s: %w", digest, err)
	}
	if err := s.db.NewRaw(`SELECT r.executable_path AS path, r.sha256, r.package_purls, r.first_seen, r.last_seen, r.drift FROM processes r WHERE r.container_id <> '' AND`+ofImage, digest).Scan(ctx, &procs); err != nil {
		return ports.Runtime{}, fmt.Errorf("executions of %s: %w", digest, err)
	}
	var rt ports.Runtime
	seenDrift := map[string]bool{}
	for _, r := range append(files, procs...) {
		first, last := fromUS(r.FirstSeen), fromUS(r.LastSeen)
		rt.Loads = append(rt.Loads, risk.Load{Path: r.Path, SHA256: r.SHA256, PURLs: parseStrings(r.PURLs), FirstSeen: first, LastSeen: last})
		if r.Drift && !seenDrift[r.Path+"@"+r.SHA256] {
			seenDrift[r.Path+"@"+r.SHA256] = true
			rt.Drift = append(rt.Drift, risk.DriftedFile{Path: r.Path, SHA256: r.SHA256, FirstSeen: first})
		}
		if rt.Window.From.IsZero() || first.Before(rt.Window.From) {
			rt.Window.From = first
		}
		if last.After(rt.Window.To) {
			rt.Window.To = last
		}
	}
	return rt, nil
}

// RuntimeWatermark implements ports.EnrichmentStore.
func (s *Store) RuntimeWatermark(ctx context.Context) (ports.RuntimeMark, error) {
	var m ports.RuntimeMark
	err := s.db.NewRaw(`SELECT (SELECT COALESCE(MAX(id), 0) FROM file_loads), (SELECT COALESCE(MAX(id), 0) FROM processes)`).Scan(ctx, &m.Files, &m.Processes)
	if err != nil {
		return m, fmt.Errorf("runtime watermark: %w", err)
	}
	return m, nil
}

// DigestsSince implements ports.EnrichmentStore.
func (s *Store) DigestsSince(ctx context.Context, m ports.RuntimeMark) ([]string, error) {
	var out []string
	err := s.db.NewRaw(`SELECT DISTINCT k.image_digest FROM containers k
WHERE k.image_digest <> '' AND (
  EXISTS (SELECT 1 FROM file_loads f WHERE f.id > ? AND f.cluster_id = k.cluster_id AND f.container_id = k.container_id)
  OR EXISTS (SELECT 1 FROM processes p WHERE p.id > ? AND p.cluster_id = k.cluster_id AND p.container_id = k.container_id))
ORDER BY k.image_digest`, m.Files, m.Processes).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("images with new runtime records: %w", err)
	}
	return out, nil
}

// StaleDigests implements ports.EnrichmentStore.
func (s *Store) StaleDigests(ctx context.Context, revision string, limit int) ([]string, error) {
	var out []string
	err := s.db.NewRaw(`SELECT digest FROM image_enrichment WHERE catalogued_at > 0 AND vuln_revision <> ? ORDER BY digest LIMIT ?`, revision, limit).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("stale images: %w", err)
	}
	return out, nil
}

// SaveAssessment implements ports.EnrichmentStore.
func (s *Store) SaveAssessment(ctx context.Context, digest, revision string, facts []risk.VulnFact, risks []risk.Risk, funnel risk.Funnel, now time.Time) ([]risk.Risk, error) {
	var fresh []risk.Risk
	n := us(now)
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM image_vulnerabilities WHERE digest = ?`, digest); err != nil {
			return err
		}
		for start := 0; start < len(facts); start += 100 {
			batch := facts[start:min(start+100, len(facts))]
			var sb strings.Builder
			args := make([]any, 0, 16*len(batch))
			sb.WriteString(`INSERT INTO image_vulnerabilities (digest, vuln_id, component, aliases, summary, severity, score, fixed_versions,
  malicious, source, applicability, evidence_by, evidence_path, evidence_sha256, evidence_first_seen, evidence_last_seen) VALUES `)
			for i, f := range batch {
				if i > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
				var ev risk.Evidence
				if f.Evidence != nil {
					ev = *f.Evidence
				}
				args = append(args, digest, f.Finding.ID, f.Component, stringsText(f.Finding.Aliases), f.Finding.Summary,
					int(f.Finding.Severity), f.Finding.Score, stringsText(f.Finding.FixedVersions), f.Finding.Malicious,
					f.Finding.Source, string(f.Applicability), ev.By, ev.Path, ev.SHA256, us(ev.FirstSeen), us(ev.LastSeen))
			}
			if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
				return fmt.Errorf("store vulnerabilities: %w", err)
			}
		}
		var existing []struct {
			Key        string `bun:"risk_key"`
			ResolvedAt int64  `bun:"resolved_at"`
		}
		if err := tx.NewRaw(`SELECT risk_key, resolved_at FROM image_risks WHERE digest = ?`, digest).Scan(ctx, &existing); err != nil {
			return err
		}
		open := map[string]bool{}
		known := map[string]bool{}
		for _, e := range existing {
			known[e.Key] = true
			open[e.Key] = e.ResolvedAt == 0
		}
		current := map[string]bool{}
		for _, r := range risks {
			current[r.Key] = true
			switch {
			case !known[r.Key]:
				fresh = append(fresh, r)
				if _, err := tx.ExecContext(ctx, `INSERT INTO image_risks (digest, risk_key, kind, subject, detail, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)`,
					digest, r.Key, string(r.Kind), r.Subject, r.Detail, n, n); err != nil {
					return err
				}
			default:
				if !open[r.Key] {
					fresh = append(fresh, r)
				}
				if _, err := tx.ExecContext(ctx, `UPDATE image_risks SET last_seen = ?, resolved_at = 0, detail = ?,
  first_seen = CASE WHEN resolved_at <> 0 THEN ? ELSE first_seen END WHERE digest = ? AND risk_key = ?`, n, r.Detail, n, digest, r.Key); err != nil {
					return err
				}
			}
		}
		for key, isOpen := range open {
			if isOpen && !current[key] {
				if _, err := tx.ExecContext(ctx, `UPDATE image_risks SET resolved_at = ? WHERE digest = ? AND risk_key = ?`, n, digest, key); err != nil {
					return err
				}
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE image_enrichment SET vuln_revision = ?, evaluated_at = ?, funnel = ? WHERE digest = ?`,
			revision, n, jsonText(funnel, false), digest)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("save assessment of %s: %w", digest, err)
	}
	return fresh, nil
}

type vulnRow struct {
	Digest        string  `bun:"digest"`
	ID            string  `bun:"vuln_id"`
	Component     string  `bun:"component"`
	Aliases       string  `bun:"aliases"`
	Summary       string  `bun:"summary"`
	Severity      int     `bun:"severity"`
	Score         float64 `bun:"score"`
	Fixed         string  `bun:"fixed_versions"`
	Malicious     bool    `bun:"malicious"`
	Source        string  `bun:"source"`
	Applicability string  `bun:"applicability"`
	EvBy          string  `bun:"evidence_by"`
	EvPath        string  `bun:"evidence_path"`
	EvSHA         string  `bun:"evidence_sha256"`
	EvFirst       int64   `bun:"evidence_first_seen"`
	EvLast        int64   `bun:"evidence_last_seen"`
}

func (r *vulnRow) domain() ports.VulnRow {
	v := ports.VulnRow{Digest: r.Digest, VulnFact: risk.VulnFact{Component: r.Component, Applicability: risk.Applicability(r.Applicability),
		Finding: vuln.Finding{ID: r.ID, Aliases: parseStrings(r.Aliases), Summary: r.Summary, Severity: vuln.SeverityLevel(r.Severity),
			Score: r.Score, FixedVersions: parseStrings(r.Fixed), Malicious: r.Malicious, Source: r.Source}}}
	if r.EvBy != "" {
		v.Evidence = &risk.Evidence{By: r.EvBy, Path: r.EvPath, SHA256: r.EvSHA, FirstSeen: fromUS(r.EvFirst), LastSeen: fromUS(r.EvLast)}
	}
	return v
}

func vulnConds(f ports.VulnFilter) conds {
	var w conds
	if f.Image != "" {
		w.add("v.digest = ?", f.Image)
	}
	if f.Cluster != "" || f.Workload != "" {
		var k conds
		k.add("k.image_digest = v.digest")
		if f.Cluster != "" {
			k.add("k.cluster_id IN (SELECT id FROM clusters WHERE id = ? OR name = ?)", f.Cluster, f.Cluster)
		}
		if f.Workload != "" {
			k.add("(k.workload_uid = ? OR k.workload_name = ?)", f.Workload, f.Workload)
		}
		w.add("EXISTS (SELECT 1 FROM containers k"+k.sql()+")", k.args...)
	}
	if f.ID != "" {
		w.add(`(v.vuln_id = ? OR lower(v.aliases) LIKE ? ESCAPE '\')`, f.ID, likeArg(`"`+f.ID+`"`))
	}
	if f.MinSeverity > 0 {
		w.add("v.severity >= ?", int(f.MinSeverity))
	}
	if f.Component != "" {
		w.add(`v.component LIKE ? ESCAPE '\'`, prefixArg(f.Component))
	}
	if f.Applicability != "" {
		w.add("v.applicability = ?", string(f.Applicability))
	}
	if f.OnlyWithFix {
		w.add("v.fixed_versions <> ''")
	}
	return w
}

func prefixArg(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}

const vulnCols = `v.digest, v.vuln_id, v.component, v.aliases, v.summary, v.severity, v.score, v.fixed_versions, v.malicious, v.source,
v.applicability, v.evidence_by, v.evidence_path, v.evidence_sha256, v.evidence_first_seen, v.evidence_last_seen`

// ListVulnerabilities implements ports.EnrichmentStore: most severe first.
func (s *Store) ListVulnerabilities(ctx context.Context, f ports.VulnFilter, limit, offset int) ([]ports.VulnRow, int, error) {
	w := vulnConds(f)
	var total int
	if err := s.db.NewRaw(`SELECT COUNT(*) FROM image_vulnerabilities v`+w.sql(), w.args...).Scan(ctx, &total); err != nil {
		return nil, 0, fmt.Errorf("count vulnerabilities: %w", err)
	}
	var rows []vulnRow
	q := `SELECT ` + vulnCols + ` FROM image_vulnerabilities v` + w.sql() +
		` ORDER BY v.severity DESC, CASE v.applicability WHEN 'applicable' THEN 0 ELSE 1 END, v.vuln_id, v.digest, v.component LIMIT ? OFFSET ?`
	if err := s.db.NewRaw(q, append(w.args, limit, offset)...).Scan(ctx, &rows); err != nil {
		return nil, 0, fmt.Errorf("list vulnerabilities: %w", err)
	}
	out := make([]ports.VulnRow, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, total, nil
}

// VulnFacts implements ports.EnrichmentStore.
func (s *Store) VulnFacts(ctx context.Context, f ports.VulnFilter) ([]ports.VulnRow, error) {
	rows, _, err := s.ListVulnerabilities(ctx, f, 1_000_000, 0)
	return rows, err
}

// ImageRisks implements ports.EnrichmentStore: open risks of the images.
func (s *Store) ImageRisks(ctx context.Context, digests []string) (map[string][]ports.StoredRisk, error) {
	out := map[string][]ports.StoredRisk{}
	if len(digests) == 0 {
		return out, nil
	}
	var rows []struct {
		Digest    string `bun:"digest"`
		Key       string `bun:"risk_key"`
		Kind      string `bun:"kind"`
		Subject   string `bun:"subject"`
		Detail    string `bun:"detail"`
		FirstSeen int64  `bun:"first_seen"`
		LastSeen  int64  `bun:"last_seen"`
	}
	if err := s.db.NewRaw(`SELECT digest, risk_key, kind, subject, detail, first_seen, last_seen FROM image_risks
WHERE digest IN (?) AND resolved_at = 0 ORDER BY digest, kind, risk_key`, bun.List(digests)).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("image risks: %w", err)
	}
	for _, r := range rows {
		out[r.Digest] = append(out[r.Digest], ports.StoredRisk{Digest: r.Digest, FirstSeen: fromUS(r.FirstSeen), LastSeen: fromUS(r.LastSeen),
			Risk: risk.Risk{Kind: risk.Kind(r.Kind), Key: r.Key, Subject: r.Subject, Detail: r.Detail}})
	}
	return out, nil
}

// ImageReferences implements ports.EnrichmentStore.
func (s *Store) ImageReferences(ctx context.Context, digests []string) (map[string][]string, error) {
	if len(digests) == 0 {
		return map[string][]string{}, nil
	}
	return s.referencesOf(ctx, digests)
}

// WorkloadDigests implements ports.EnrichmentStore.
func (s *Store) WorkloadDigests(ctx context.Context, cluster, workload string) ([]string, error) {
	var k conds
	k.add("k.image_digest <> ''")
	k.add("(k.workload_uid = ? OR k.workload_name = ?)", workload, workload)
	if cluster != "" {
		k.add("k.cluster_id IN (SELECT id FROM clusters WHERE id = ? OR name = ?)", cluster, cluster)
	}
	var out []string
	if err := s.db.NewRaw(`SELECT DISTINCT k.image_digest FROM containers k`+k.sql()+` ORDER BY k.image_digest`, k.args...).Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("workload images: %w", err)
	}
	return out, nil
}
