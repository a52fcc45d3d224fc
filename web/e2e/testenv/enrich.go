package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"connectrpc.com/connect"

	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

// registryImages are the images the test registry really holds.
type registryImages struct {
	url, host string
	// moved runs as shop/langserver:1.0, a tag that was pushed again since:
	// an integrity violation (tag moved). canary is shop/langserver:1.1.
	moved, canary string
	binarySHA256  string
}

// prepareRegistry builds the langserver binary against a vulnerable
// golang.org/x/text and pushes two images holding it.
func prepareRegistry(ctx context.Context, log *slog.Logger, reg *ociRegistry, dir string) (*registryImages, error) {
	start := time.Now()
	bin, err := buildLangserver(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("build the langserver: %w", err)
	}
	sum := sha256.Sum256(bin)
	osRelease := layerFile{name: "etc/os-release", data: []byte("ID=debian\nVERSION_ID=12\n")}
	app := layer(layerFile{name: "app/langserver", data: bin, mode: 0o755})
	out := &registryImages{url: reg.URL, host: reg.Host, binarySHA256: hex.EncodeToString(sum[:])}
	if out.moved, err = reg.push(ctx, "shop/langserver", "1.0", layer(osRelease, layerFile{name: "etc/build", data: []byte("1")}), app); err != nil {
		return nil, err
	}
	// The same tag, pushed again with other content: 1.0 now resolves
	// elsewhere than what runs.
	if _, err = reg.push(ctx, "shop/langserver", "1.0", layer(osRelease, layerFile{name: "etc/build", data: []byte("2")}), app); err != nil {
		return nil, err
	}
	if out.canary, err = reg.push(ctx, "shop/langserver", "1.1", layer(osRelease, layerFile{name: "etc/build", data: []byte("3")}), app); err != nil {
		return nil, err
	}
	log.Info("registry ready", "url", reg.URL, "took", time.Since(start).Round(time.Millisecond))
	return out, nil
}

// waitEnriched waits until the platform has judged the registry's images:
// the moved one with its integrity evidence and an applicable
// vulnerability, the canary done.
func waitEnriched(ctx context.Context, log *slog.Logger, url, adminToken string, reg *registryImages, limit time.Duration) error {
	inv := runwatchv1connect.NewInventoryServiceClient(h2c(), url, bearer(adminToken))
	deadline := time.Now().Add(limit)
	risk := func(d string) *v1.ImageEnrichment {
		r, err := inv.GetImageRisk(ctx, connect.NewRequest(&v1.GetImageRiskRequest{Digest: d}))
		if err != nil {
			return nil
		}
		return r.Msg.Enrichment
	}
	applicable := func(d string) int64 {
		r, err := inv.ListVulnerabilities(ctx, connect.NewRequest(&v1.ListVulnerabilitiesRequest{
			Filter: &v1.VulnerabilityFilter{Image: d, Applicability: v1.Applicability_APPLICABILITY_APPLICABLE}, Page: &v1.Page{Size: 1}}))
		if err != nil {
			return 0
		}
		return r.Msg.Total
	}
	for {
		m, c := risk(reg.moved), risk(reg.canary)
		if c.GetStatus() == v1.EnrichmentStatus_ENRICHMENT_STATUS_DONE && len(m.GetIntegrityViolations()) > 0 {
			if n := applicable(reg.moved); n > 0 {
				log.Info("enriched", "applicable", n, "vulnerabilities", m.GetFunnel().GetAll())
				return nil
			}
		}
		if time.Now().After(deadline) {
			return errors.New("the registry's images were not enriched in time: moved " + m.String() + " canary " + c.String())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
