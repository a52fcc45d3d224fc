package artifactory_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/runwatch/runwatch/adapters/artifactory"
	"github.com/runwatch/runwatch/domain/artifact"
	"github.com/runwatch/runwatch/domain/risk"
)

// Artifactory cannot run here: these tests answer with recorded responses
// in the shapes JFrog documents (testdata/), and check the requests the
// adapter makes against the documented API.

const manifestSHA = "0d4cf4f0f8f8cc2e1d4b0fd5eb0a3d1a2dcf83a8f0e4af4f5b4fbe38a0b1c2d3"

var ctx = context.Background()

type recorded struct {
	t        *testing.T
	status   int
	file     string
	lastBody string
	lastAuth string
	lastPath string
	delay    time.Duration
}

func (r *recorded) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.lastBody, r.lastAuth, r.lastPath = string(b), req.Header.Get("Authorization"), req.URL.RequestURI()
	if r.delay > 0 {
		select {
		case <-time.After(r.delay):
		case <-req.Context().Done():
			return
		}
	}
	data, err := os.ReadFile("testdata/" + r.file)
	if err != nil {
		r.t.Fatal(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(r.status)
	w.Write(data)
}

func start(t *testing.T, status int, file string) (*recorded, *artifactory.Client) {
	rec := &recorded{t: t, status: status, file: file}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	c, err := artifactory.New(artifactory.Config{Name: "jfrog", URL: srv.URL, Token: "access-token-1", Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return rec, c
}

func TestLocateRecordedAQLResponse(t *testing.T) {
	rec, c := start(t, 200, "aql-manifest.json")
	ref, _ := artifact.ParseReference("acme.jfrog.io/docker-local/shop/web:1.2.0")
	got := c.Locate(ctx, []artifact.Reference{ref}, "sha256:"+manifestSHA)
	if got.Status != risk.CheckFound || got.Repository != "docker-local" || got.Path != "docker-local/shop/web/1.2.0/manifest.json" {
		t.Fatalf("locate %+v", got)
	}
	if rec.lastPath != "/artifactory/api/search/aql" || rec.lastAuth != "Bearer access-token-1" {
		t.Fatalf("request %s auth %q", rec.lastPath, rec.lastAuth)
	}
	want := `items.find({"$or":[{"name":"manifest.json"},{"name":"list.manifest.json"}],"sha256":"` + manifestSHA + `"}).include("repo","path","name","sha256","size","property.key","property.value")`
	if rec.lastBody != want {
		t.Fatalf("AQL\n%s\nwant\n%s", rec.lastBody, want)
	}
	items, err := c.FindBySHA256(ctx, manifestSHA)
	if err != nil || len(items) != 2 || items[0].Prop("docker.manifest.digest") != "sha256:"+manifestSHA || items[1].Repo != "docker-remote-cache" {
		t.Fatalf("items %+v %v", items, err)
	}
}

func TestLocateRecordedEmptyResponse(t *testing.T) {
	_, c := start(t, 200, "aql-empty.json")
	if got := c.Locate(ctx, nil, "sha256:"+manifestSHA); got.Status != risk.CheckNotFound {
		t.Fatalf("%+v", got)
	}
}

func TestFindFileRecordedChecksumSearch(t *testing.T) {
	rec, c := start(t, 200, "checksum-search.json")
	uris, err := c.FindFile(ctx, manifestSHA)
	if err != nil || len(uris) != 2 || !strings.Contains(uris[0], "log4j-core-2.14.1.jar") {
		t.Fatalf("%v %v", uris, err)
	}
	if rec.lastPath != "/artifactory/api/search/checksum?sha256="+manifestSHA {
		t.Fatalf("path %s", rec.lastPath)
	}
}

// Errors are failed checks that say why, never "not found".
func TestRecordedErrorResponses(t *testing.T) {
	tests := []struct {
		name, file, want string
		status           int
	}{
		{"bad credentials", "error-unauthorized.json", "refused the credentials", 401},
		{"bad query", "error-aql.json", "Failed to parse query", 400},
		{"server error", "error-aql.json", "HTTP 500", 500},
		{"not JSON", "../artifactory.go", "malformed answer", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := start(t, tt.status, tt.file)
			got := c.Locate(ctx, nil, "sha256:"+manifestSHA)
			if got.Status != risk.CheckFailed || !strings.Contains(got.Error, tt.want) {
				t.Fatalf("%+v, want a failure saying %q", got, tt.want)
			}
			if strings.Contains(got.Error, "access-token-1") {
				t.Fatal("an error carries the token")
			}
		})
	}
	rec, c := start(t, 200, "aql-empty.json")
	rec.delay = 3 * time.Second
	if got := c.Locate(ctx, nil, "sha256:"+manifestSHA); got.Status != risk.CheckFailed {
		t.Fatalf("slow: %+v", got)
	}
	if got := c.Locate(ctx, nil, "sha256:nothex"); got.Status != risk.CheckFailed {
		t.Fatalf("bad digest: %+v", got)
	}
	if _, err := artifactory.New(artifactory.Config{URL: "ftp://x"}); err == nil {
		t.Fatal("bad URL accepted")
	}
}

func TestServes(t *testing.T) {
	c, _ := artifactory.New(artifactory.Config{URL: "https://acme.jfrog.io"})
	for ref, want := range map[string]bool{"acme.jfrog.io/docker-local/app:1": true, "docker-local.acme.jfrog.io/app:1": true, "ghcr.io/x/app:1": false} {
		r, _ := artifact.ParseReference(ref)
		if c.Serves(r) != want {
			t.Errorf("serves %s = %v", ref, !want)
		}
	}
}
