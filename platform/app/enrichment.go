package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/runwatch/runwatch/domain/artifact"
	"github.com/runwatch/runwatch/domain/risk"
	"github.com/runwatch/runwatch/domain/vuln"
	"github.com/runwatch/runwatch/ports"
)

// RegistryConn is what one registry integration offers. Locator is always
// set; Tags and Source are nil for registries that cannot resolve tags or
// serve layers (Artifactory searched by checksum).
type RegistryConn struct {
	Integration ports.Integration
	Locator     ports.RegistryLocator
	Tags        ports.TagResolver
	Source      ports.ImageSource
	// Serves says whether images of a reference are pulled from it.
	Serves func(artifact.Reference) bool
}

// Connectors turns integrations into adapters.
type Connectors interface {
	Registry(in ports.Integration) (RegistryConn, error)
	// Scanner connects an artifact scanner integration (Xray).
	Scanner(in ports.Integration) (ports.ArtifactScanner, error)
}

// EnrichmentConfig tunes the worker.
type EnrichmentConfig struct {
	// Concurrency bounds images enriched at once.
	Concurrency int
	// Poll is how often the worker looks for work.
	Poll time.Duration
	// TTL is how long a complete result is cached before it is checked again.
	TTL time.Duration
	// RetryBase and RetryMax bound the exponential backoff of an image
	// whose registry or scanner did not answer; after MaxAttempts the image
	// is marked failed and tried again at TTL.
	RetryBase, RetryMax time.Duration
	MaxAttempts         int
	// ImageTimeout bounds the enrichment of one image.
	ImageTimeout time.Duration
	// Batch bounds the images taken per poll.
	Batch int
	// MinInterval bounds how often new reports wake the worker before its
	// poll is due, so a busy ingest does not keep it running back to back.
	MinInterval time.Duration
}

// DefaultEnrichmentConfig suits a platform of a few thousand images.
var DefaultEnrichmentConfig = EnrichmentConfig{Concurrency: 4, Poll: time.Second, TTL: 6 * time.Hour,
	RetryBase: 5 * time.Second, RetryMax: 10 * time.Minute, MaxAttempts: 10, ImageTimeout: 5 * time.Minute, Batch: 64,
	MinInterval: 100 * time.Millisecond}

// Enricher enriches images in the background: provenance and integrity
// against the registries, components from the layers, vulnerabilities
// from the scanner, applicability from the sensors' loads, and the risks
// that follow. It never stores a verdict it has no evidence for: a
// registry that does not answer leaves the image pending.
type Enricher struct {
	store   ports.EnrichmentStore
	scanner ports.VulnerabilityScanner
	catalog ports.Cataloguer
	conns   Connectors
	notify  *Notifier
	clock   ports.Clock
	log     *slog.Logger
	cfg     EnrichmentConfig

	metrics EnrichmentMetrics
	wake    <-chan struct{}

	mark, prevMark ports.RuntimeMark
	revision       string
	inflight       sync.Map // digest -> struct{}
}

// NewEnricher makes an Enricher.
func NewEnricher(store ports.EnrichmentStore, scanner ports.VulnerabilityScanner, catalog ports.Cataloguer, conns Connectors,
	notify *Notifier, clock ports.Clock, log *slog.Logger, cfg EnrichmentConfig) *Enricher {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultEnrichmentConfig.Concurrency
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultEnrichmentConfig.Poll
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultEnrichmentConfig.Batch
	}
	return &Enricher{store: store, scanner: scanner, catalog: catalog, conns: conns, notify: notify, clock: clock, log: log, cfg: cfg}
}

// EnrichmentMetrics are what the worker reports as it works; any may be nil.
type EnrichmentMetrics struct {
	// Enriched counts an image enrichment by the status it ended in.
	Enriched func(status ports.EnrichmentStatus)
	// Evaluated counts an image evaluation and how long it took.
	Evaluated func(took time.Duration)
}

// WakeOn makes new reports (ingest's Changes) wake the worker before its
// poll is due, at most once per MinInterval.
func (e *Enricher) WakeOn(c *Changes) { e.wake = c.C() }

// SetMetrics sets the worker's metrics.
func (e *Enricher) SetMetrics(m EnrichmentMetrics) { e.metrics = m }

// Run works until ctx ends: a step per poll, or sooner when woken.
func (e *Enricher) Run(ctx context.Context) {
	for {
		start := time.Now()
		if err := e.Step(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("enrichment", "err", err)
		}
		poll := time.NewTimer(e.cfg.Poll)
		select {
		case <-ctx.Done():
			poll.Stop()
			return
		case <-poll.C:
		case <-e.wake:
			poll.Stop()
			if wait := e.cfg.MinInterval - time.Since(start); wait > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
		}
	}
}

// Step does one round: images due for enrichment, images with new runtime
// records, and images evaluated against older vulnerability data.
func (e *Enricher) Step(ctx context.Context) error {
	if e.scanner.Revision() == "" {
		return nil // nothing is judged before the vulnerability data is loaded
	}
	due, err := e.store.DueImages(ctx, e.clock.Now(), e.cfg.Batch)
	if err != nil {
		return err
	}
	sem := make(chan struct{}, e.cfg.Concurrency)
	var wg sync.WaitGroup
	for _, w := range due {
		if _, busy := e.inflight.LoadOrStore(w.Digest, struct{}{}); busy {
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done(); e.inflight.Delete(w.Digest) }()
			if err := e.Enrich(ctx, w); err != nil && ctx.Err() == nil {
				e.log.Warn("enrich image", "digest", w.Digest, "err", err)
			}
		}()
	}
	wg.Wait()

	// New runtime records: evaluate their images again. The mark of the
	// previous round is used, not the newest, so a record committed late
	// with a lower id is still seen.
	mark, err := e.store.RuntimeWatermark(ctx)
	if err != nil {
		return err
	}
	if mark != e.mark {
		digests, err := e.store.DigestsSince(ctx, e.prevMark)
		if err != nil {
			return err
		}
		for _, d := range digests {
			if err := e.Evaluate(ctx, d); err != nil {
				e.log.Warn("evaluate image", "digest", d, "err", err)
			}
		}
		e.prevMark, e.mark = e.mark, mark
	}

	// New vulnerability data: evaluate every image against it.
	if rev := e.scanner.Revision(); rev != "" && rev != e.revision {
		for {
			stale, err := e.store.StaleDigests(ctx, rev, 256)
			if err != nil {
				return err
			}
			for _, d := range stale {
				if err := e.Evaluate(ctx, d); err != nil {
					return fmt.Errorf("re-evaluate %s: %w", d, err)
				}
			}
			if len(stale) < 256 {
				break
			}
		}
		e.revision = rev
	}
	return nil
}

func (e *Enricher) backoff(attempt int) time.Duration {
	d := e.cfg.RetryBase << min(attempt, 20)
	if d <= 0 || d > e.cfg.RetryMax {
		d = e.cfg.RetryMax
	}
	return d/2 + rand.N(d/2+1) // jitter, so a registry coming back is not hit at once
}

// Enrich looks an image up in every registry, catalogues it if it was not
// yet, stores what it found, and evaluates it.
func (e *Enricher) Enrich(ctx context.Context, w ports.ImageWork) error {
	if e.cfg.ImageTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.cfg.ImageTimeout)
		defer cancel()
	}
	now := e.clock.Now()
	prev := w.Enrichment
	refs := parseRefs(w.References)
	ints, err := e.store.ListIntegrations(ctx)
	if err != nil {
		return err
	}
	var conns []RegistryConn
	var scanners []ports.ArtifactScanner
	// Integrations whose secret does not open (sealed under another key)
	// cannot be asked: a trusted one is a check that failed, so the image
	// stays pending rather than judged untrusted without it.
	var locked []risk.RegistryCheck
	for _, in := range ints {
		if in.SecretErr != nil {
			if in.Trusted {
				locked = append(locked, risk.RegistryCheck{Registry: in.Name, Status: risk.CheckFailed, Error: in.SecretErr.Error()})
			}
			continue
		}
		if in.Kind == ports.IntegrationXray {
			sc, err := e.conns.Scanner(in)
			if err != nil {
				e.log.Warn("integration unusable", "integration", in.Name, "err", err)
				continue
			}
			scanners = append(scanners, sc)
			continue
		}
		c, err := e.conns.Registry(in)
		if err != nil {
			e.log.Warn("integration unusable", "integration", in.Name, "err", err)
			continue
		}
		conns = append(conns, c)
	}
	next := ports.ImageEnrichment{Digest: w.Digest, Trust: prev.Trust, Catalogued: prev.Catalogued, Distro: prev.Distro,
		Revision: prev.Revision, EvaluatedAt: prev.EvaluatedAt, Funnel: prev.Funnel, CheckedAt: now}
	var problems []string
	for _, c := range locked {
		next.Checks = append(next.Checks, c)
		problems = append(problems, c.Registry+": "+c.Error)
	}

	// Provenance: every trusted registry is asked.
	for _, c := range conns {
		if !c.Integration.Trusted {
			continue
		}
		check := c.Locator.Locate(ctx, refs, w.Digest)
		next.Checks = append(next.Checks, check)
		if check.Status == risk.CheckFailed {
			problems = append(problems, check.Registry+": "+check.Error)
		}
	}
	verdict := risk.EvaluateTrust(next.Checks)
	if verdict.Trust != risk.TrustUnknown || prev.Trust.Trust == "" {
		next.Trust = verdict
	} else if len(next.Checks) == 0 {
		next.Trust = verdict // no trusted registry any more: nothing to judge against
	} // else: a registry did not answer; keep the last verdict that had evidence

	// Integrity: the registries the image is pulled from.
	var source *RegistryConn
	for i, c := range conns {
		for _, r := range refs {
			if c.Serves == nil || !c.Serves(r) {
				continue
			}
			if source == nil && c.Source != nil {
				source = &conns[i]
			}
			if c.Tags != nil && r.Tag != "" && r.Digest == "" {
				tc := c.Tags.ResolveTag(ctx, r)
				next.Tags = append(next.Tags, tc)
				if tc.Status == risk.CheckFailed {
					problems = append(problems, c.Integration.Name+": resolve "+r.String())
				}
			}
			if next.DigestHeld == nil {
				check := c.Locator.Locate(ctx, []artifact.Reference{r}, w.Digest)
				next.DigestHeld = &risk.DigestCheck{Repository: r.Name(), Status: check.Status, At: now}
			}
		}
	}

	// Artifact scanners (Xray) report on the image by its digest; an image
	// they do not know is no problem, one that did not answer leaves the
	// image pending with the previous report kept.
	if len(scanners) > 0 {
		next.ArtifactFindings = map[string][]vuln.Finding{}
		failed := false
		for _, sc := range scanners {
			rep, err := sc.ScanArtifact(ctx, w.Digest)
			switch {
			case err == nil:
				for p, fs := range rep.Findings {
					next.ArtifactFindings[p] = append(next.ArtifactFindings[p], fs...)
				}
			case rep.Status == "not_found":
			default:
				failed = true
				problems = append(problems, "artifact scanner: "+err.Error())
			}
		}
		if failed {
			next.ArtifactFindings = prev.ArtifactFindings
		}
	}

	// Contents: catalogued once per digest (a digest's content never changes).
	var comps []risk.Component
	if next.Catalogued.IsZero() && source != nil {
		var ref artifact.Reference
		for _, r := range refs {
			if source.Serves(r) {
				ref = r
				break
			}
		}
		content, err := source.Source.Content(ctx, ref, w.Digest)
		if err == nil {
			var cat ports.Catalogue
			cat, err = e.catalog.Catalogue(ctx, content)
			if err == nil {
				comps = cat.Components
				if comps == nil {
					comps = []risk.Component{}
				}
				next.Catalogued, next.Distro = now, cat.Distro
				e.log.Info("image catalogued", "digest", w.Digest, "components", len(comps), "files", cat.Files, "bytes", cat.Bytes)
			}
		}
		if err != nil {
			problems = append(problems, "catalogue: "+err.Error())
		}
	}

	if len(problems) > 0 {
		next.Attempts = prev.Attempts + 1
		next.LastError = joinClipped(problems)
		if next.Attempts >= e.cfg.MaxAttempts {
			next.Status, next.NextTry, next.ExpiresAt = ports.EnrichmentFailed, now.Add(e.cfg.TTL), now.Add(e.cfg.TTL)
		} else {
			next.Status, next.NextTry = ports.EnrichmentPending, now.Add(e.backoff(next.Attempts))
		}
	} else {
		next.Status, next.ExpiresAt = ports.EnrichmentDone, now.Add(e.cfg.TTL)
	}
	// The new status shows only once the image is evaluated with what
	// was found, so a reader never sees "done" over a stale judgement.
	final := next.Status
	next.Status = prev.Status
	if !w.Known || next.Status == "" {
		next.Status = ports.EnrichmentPending
	}
	if err := e.store.SaveEnrichment(ctx, next, comps); err != nil {
		return err
	}
	if err := e.Evaluate(ctx, w.Digest); err != nil {
		return err
	}
	next.Status = final
	if err := e.store.SaveEnrichment(ctx, next, nil); err != nil {
		return err
	}
	if e.metrics.Enriched != nil {
		e.metrics.Enriched(final)
	}
	if len(problems) > 0 {
		return fmt.Errorf("pending (attempt %d): %s", next.Attempts, next.LastError)
	}
	return nil
}

func joinClipped(ps []string) string {
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += "; "
		}
		s += p
		if len(s) > 1000 {
			return s[:1000] + "..."
		}
	}
	return s
}

func parseRefs(raw []string) []artifact.Reference {
	var out []artifact.Reference
	for _, s := range raw {
		if r, err := artifact.ParseReference(s); err == nil {
			out = append(out, r)
		}
	}
	return out
}

// ErrScannerNotReady says the vulnerability data is not loaded yet.
var ErrScannerNotReady = errors.New("vulnerability data not loaded yet")

// Evaluate judges an image from what is stored: its components (and the
// packages sensors named for its loaded files), their vulnerabilities,
// what was loaded, its trust and integrity; it stores the verdicts and
// queues notifications of new risks.
func (e *Enricher) Evaluate(ctx context.Context, digest string) error {
	if e.metrics.Evaluated != nil {
		defer func(start time.Time) { e.metrics.Evaluated(time.Since(start)) }(time.Now())
	}
	rev := e.scanner.Revision()
	if rev == "" {
		return ErrScannerNotReady
	}
	enr, known, err := e.store.GetEnrichment(ctx, digest)
	if err != nil {
		return err
	}
	if !known {
		// Seen at runtime before the worker looked it up: record it as
		// pending so the lookup happens and the evaluation is kept.
		enr.NextTry = e.clock.Now()
		if err := e.store.SaveEnrichment(ctx, enr, nil); err != nil {
			return err
		}
	}
	comps, err := e.store.Components(ctx, digest)
	if err != nil {
		return err
	}
	rt, err := e.store.ImageRuntime(ctx, digest)
	if err != nil {
		return err
	}
	comps = withRuntimePackages(comps, rt.Loads)
	comps = withScannedPackages(comps, enr.ArtifactFindings)
	purls := make([]string, len(comps))
	for i, c := range comps {
		purls[i] = c.PURL
	}
	findings, err := e.scanner.Match(ctx, purls)
	if err != nil {
		return fmt.Errorf("match %s: %w", digest, err)
	}
	mergeArtifactFindings(findings, comps, enr.ArtifactFindings)
	facts := risk.Judge(comps, findings, rt.Loads, len(rt.Loads) > 0)
	a := risk.ImageAssessment{Digest: digest, Trust: enr.Trust,
		Violations: risk.EvaluateIntegrity(risk.IntegrityInput{RunningDigest: digest, Tags: enr.Tags, Digest: enr.DigestHeld, Drift: rt.Drift}),
		Facts:      facts}
	risks := risk.Risks(a)
	fresh, err := e.store.SaveAssessment(ctx, digest, rev, facts, risks, risk.CountFunnel(facts), e.clock.Now())
	if err != nil {
		return err
	}
	if len(fresh) > 0 && e.notify != nil {
		if err := e.notify.Enqueue(ctx, digest, fresh); err != nil {
			return err
		}
	}
	return nil
}

// withRuntimePackages adds the packages sensors named for loaded files
// that the catalogue does not hold (an image not in any reachable
// registry is judged from what ran), owning the loaded file.
func withRuntimePackages(comps []risk.Component, loads []risk.Load) []risk.Component {
	have := map[string]bool{}
	for _, c := range comps {
		have[versioned(c.PURL)] = true
	}
	added := map[string]int{}
	for _, l := range loads {
		for _, p := range l.PURLs {
			v := versioned(p)
			if have[v] {
				continue
			}
			if i, ok := added[v]; ok {
				comps[i].Files = append(comps[i].Files, risk.ComponentFile{Path: l.Path, SHA256: l.SHA256})
				continue
			}
			added[v] = len(comps)
			comps = append(comps, risk.Component{PURL: p, Files: []risk.ComponentFile{{Path: l.Path, SHA256: l.SHA256}}})
		}
	}
	slices.SortFunc(comps, func(a, b risk.Component) int {
		switch {
		case a.PURL < b.PURL:
			return -1
		case a.PURL > b.PURL:
			return 1
		}
		return 0
	})
	return comps
}

func versioned(p string) string {
	if q, err := vuln.ParsePURL(p); err == nil {
		return q.Versioned()
	}
	return p
}

// withScannedPackages adds the components an artifact scanner named that
// the catalogue does not hold (they own no file Runwatch knows, so they
// are applicable only if a sensor names their package).
func withScannedPackages(comps []risk.Component, scanned map[string][]vuln.Finding) []risk.Component {
	if len(scanned) == 0 {
		return comps
	}
	have := map[string]bool{}
	for _, c := range comps {
		have[versioned(c.PURL)] = true
	}
	for p := range scanned {
		if !have[versioned(p)] {
			have[versioned(p)] = true
			comps = append(comps, risk.Component{PURL: p})
		}
	}
	return comps
}

// mergeArtifactFindings adds an artifact scanner's findings to the
// scanner's, per component; a finding that names a vulnerability already
// found (same id or a shared alias) is not added twice.
func mergeArtifactFindings(findings map[string][]vuln.Finding, comps []risk.Component, scanned map[string][]vuln.Finding) {
	if len(scanned) == 0 {
		return
	}
	byVersioned := map[string][]vuln.Finding{}
	for p, fs := range scanned {
		byVersioned[versioned(p)] = append(byVersioned[versioned(p)], fs...)
	}
	for _, c := range comps {
		for _, f := range byVersioned[versioned(c.PURL)] {
			if !slices.ContainsFunc(findings[c.PURL], func(g vuln.Finding) bool { return sameVulnerability(f, g) }) {
				findings[c.PURL] = append(findings[c.PURL], f)
			}
		}
	}
}

func sameVulnerability(a, b vuln.Finding) bool {
	names := append([]string{a.ID}, a.Aliases...)
	for _, n := range append([]string{b.ID}, b.Aliases...) {
		if slices.Contains(names, n) {
			return true
		}
	}
	return false
}
