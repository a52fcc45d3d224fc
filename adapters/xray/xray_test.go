package xray_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/runwatch/runwatch/adapters/xray"
	"github.com/runwatch/runwatch/domain/vuln"
)

// Xray cannot run here: these tests answer with recorded responses in the
// shapes JFrog documents (testdata/) and check the requests made.

const sha = "0d4cf4f0f8f8cc2e1d4b0fd5eb0a3d1a2dcf83a8f0e4af4f5b4fbe38a0b1c2d3"

var ctx = context.Background()

type recorded struct {
	status        int
	file          string
	path, body    string
	authorization string
	delay         time.Duration
}

func (r *recorded) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.path, r.body, r.authorization = req.URL.Path, string(b), req.Header.Get("Authorization")
	if r.delay > 0 {
		select {
		case <-time.After(r.delay):
		case <-req.Context().Done():
			return
		}
	}
	data, _ := os.ReadFile("testdata/" + r.file)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(r.status)
	w.Write(data)
}

func start(t *testing.T, status int, file string) (*recorded, *xray.Client) {
	rec := &recorded{status: status, file: file}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	c, err := xray.New(xray.Config{Name: "xray", URL: srv.URL, Token: "xray-token", Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return rec, c
}

func TestScanArtifactRecordedSummary(t *testing.T) {
	rec, c := start(t, 200, "summary-artifact.json")
	rep, err := c.ScanArtifact(ctx, "sha256:"+sha)
	if err != nil {
		t.Fatal(err)
	}
	if rec.path != "/xray/api/v1/summary/artifact" || rec.body != `{"checksums":["`+sha+`"]}` || rec.authorization != "Bearer xray-token" {
		t.Fatalf("request %s %s %q", rec.path, rec.body, rec.authorization)
	}
	log4j := rep.Findings["pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"]
	if len(log4j) != 1 || log4j[0].ID != "XRAY-191832" || !slices.Equal(log4j[0].Aliases, []string{"CVE-2021-44228"}) ||
		log4j[0].Severity != vuln.SeverityCritical || log4j[0].Score != 10 || !slices.Equal(log4j[0].FixedVersions, []string{"2.15.0", "2.12.2"}) {
		t.Fatalf("log4j %+v", log4j)
	}
	text := rep.Findings["pkg:golang/golang.org/x/text@v0.3.5"]
	if len(text) != 1 || text[0].Severity != vuln.SeverityHigh || text[0].Score != 7.5 || text[0].FixedVersions[0] != "0.3.8" {
		t.Fatalf("x/text %+v", text)
	}
	if ssl := rep.Findings["pkg:deb/debian/openssl@3.0.9-1"]; len(ssl) != 1 || ssl[0].Severity != vuln.SeverityMedium {
		t.Fatalf("openssl %+v", ssl)
	}
	if _, ok := rep.Findings["pkg:deb/debian/bash@5.2.15-2"]; ok {
		t.Fatal("a license issue became a vulnerability")
	}
}

func TestRecordedStatusAndErrors(t *testing.T) {
	rec, c := start(t, 200, "artifact-status.json")
	st, err := c.Status(ctx, "docker-local", "shop/web/1.2.0/manifest.json")
	if err != nil || st != "DONE" || rec.path != "/xray/api/v1/artifact/status" || !strings.Contains(rec.body, `"repo":"docker-local"`) {
		t.Fatalf("status %q %v %s", st, err, rec.body)
	}
	_, c = start(t, 200, "summary-not-indexed.json")
	if _, err := c.ScanArtifact(ctx, sha); !errors.Is(err, xray.ErrNotFound) || !strings.Contains(err.Error(), "not indexed") {
		t.Fatalf("not indexed: %v", err)
	}
	_, c = start(t, 500, "error.json")
	if _, err := c.ScanArtifact(ctx, sha); err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Fatalf("500: %v", err)
	}
	_, c = start(t, 401, "error.json")
	if _, err := c.ScanArtifact(ctx, sha); !errors.Is(err, xray.ErrDenied) {
		t.Fatalf("401: %v", err)
	}
	rec, c = start(t, 200, "summary-artifact.json")
	rec.delay = 3 * time.Second
	if _, err := c.ScanArtifact(ctx, sha); err == nil {
		t.Fatal("a stalled Xray answered")
	}
	if _, err := c.ScanArtifact(ctx, "nothex"); err == nil {
		t.Fatal("a bad checksum was sent")
	}
	path, c := start(t, 200, "summary-artifact.json")
	if _, err := c.SummaryByPath(ctx, "default/docker-local/shop/web/1.2.0/manifest.json"); err != nil || !strings.Contains(path.body, `"paths"`) {
		t.Fatalf("by path: %v %s", err, path.body)
	}
}

func TestComponentPURLs(t *testing.T) {
	tests := map[string]string{
		"gav://org.apache.logging.log4j:log4j-core:2.14.1": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
		"go://golang.org/x/text:0.3.5":                     "pkg:golang/golang.org/x/text@v0.3.5",
		"go://github.com/gin-gonic/gin:v1.9.0":             "pkg:golang/github.com/gin-gonic/gin@v1.9.0",
		"npm://@angular/core:15.0.0":                       "pkg:npm/%40angular/core@15.0.0",
		"npm://lodash:4.17.20":                             "pkg:npm/lodash@4.17.20",
		"pypi://django:3.2.1":                              "pkg:pypi/django@3.2.1",
		"deb://debian:bookworm:openssl:3.0.9-1":            "pkg:deb/debian/openssl@3.0.9-1",
		"alpine://3.17:openssl:3.0.8-r0":                   "pkg:apk/alpine/openssl@3.0.8-r0?distro=alpine-3.17",
		"docker://shop/web:1.2.0":                          "",
		"gav://broken":                                     "",
		"nonsense":                                         "",
	}
	for in, want := range tests {
		if got := xray.PURL(in); got != want {
			t.Errorf("PURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzFindings: any JSON Xray may send maps without panicking.
func FuzzFindings(f *testing.F) {
	data, _ := os.ReadFile("testdata/summary-artifact.json")
	f.Add(data)
	f.Add([]byte(`{"artifacts":[{"issues":[{"issue_id":"","cves":[{"cvss_v3":"x/y"}],"components":[{"component_id":"go://:"}]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s xray.Summary
		if err := jsonUnmarshal(data, &s); err != nil {
			return
		}
		for purl, fs := range xray.Findings(s.Artifacts) {
			for _, f := range fs {
				if f.ID == "" || purl == "" {
					t.Fatalf("finding without id or component: %q %+v", purl, f)
				}
			}
		}
	})
}
