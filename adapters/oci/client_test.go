package oci_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/runwatch/runwatch/adapters/catalog"
	"github.com/runwatch/runwatch/adapters/catalog/catalogtest"
	"github.com/runwatch/runwatch/adapters/oci"
	"github.com/runwatch/runwatch/adapters/oci/ocitest"
	"github.com/runwatch/runwatch/domain/artifact"
	"github.com/runwatch/runwatch/domain/risk"
)

var ctx = context.Background()

func ref(t *testing.T, s string) artifact.Reference {
	t.Helper()
	r, err := artifact.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func client(t *testing.T, cfg oci.Config) *oci.Client {
	t.Helper()
	c, err := oci.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A real registry holding an image built from real files, including a Go
// binary compiled now: resolve, locate, fetch, catalogue.
func TestRegistryRoundTrip(t *testing.T) {
	reg := ocitest.Start(t, nil)
	bin := catalogtest.GoBinary(t, t.TempDir())
	binFile := catalogtest.HostFile(t, bin)
	binFile.Name = "app/langserver"
	img := reg.Push(t, "shop/langserver", "1.0",
		catalogtest.Layer(t, catalogtest.HostFile(t, "/etc/os-release")),
		catalogtest.Layer(t, binFile))
	c := client(t, oci.Config{Name: "local", URL: reg.URL})
	r := ref(t, reg.Host+"/shop/langserver:1.0")

	tc := c.ResolveTag(ctx, r)
	if tc.Status != risk.CheckFound || tc.Digest != img.Digest {
		t.Fatalf("resolve: %+v, want %s", tc, img.Digest)
	}
	if got := c.Locate(ctx, []artifact.Reference{r}, img.Digest); got.Status != risk.CheckFound || got.Repository != "shop/langserver" {
		t.Fatalf("locate: %+v", got)
	}
	other := "sha256:" + strings.Repeat("ab", 32)
	if got := c.Locate(ctx, []artifact.Reference{r}, other); got.Status != risk.CheckNotFound {
		t.Fatalf("locate of an absent digest: %+v", got)
	}
	content, err := c.Content(ctx, r, img.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if len(content.Layers) != 2 {
		t.Fatalf("%d layers", len(content.Layers))
	}
	cat, err := catalog.New().Catalogue(ctx, content)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, comp := range cat.Components {
		if comp.PURL == "pkg:golang/golang.org/x/text@v0.3.5" && comp.Files[0].Path == "/app/langserver" {
			found = true
		}
	}
	if !found {
		t.Fatalf("x/text v0.3.5 not catalogued from the registry: %+v", cat.Components)
	}

	// The tag moves to a new image: resolution says so, and the old digest
	// is still located.
	img2 := reg.Push(t, "shop/langserver", "1.0", catalogtest.Layer(t, catalogtest.File{Name: "etc/motd", Data: []byte("v2")}))
	if tc := c.ResolveTag(ctx, r); tc.Digest != img2.Digest {
		t.Fatalf("after the push: %+v", tc)
	}
	moved := risk.EvaluateIntegrity(risk.IntegrityInput{RunningDigest: img.Digest, Tags: []risk.TagCheck{c.ResolveTag(ctx, r)}})
	if len(moved) != 1 || moved[0].Kind != risk.ViolationTagMoved || moved[0].Actual != img2.Digest {
		t.Fatalf("integrity: %+v", moved)
	}
	// Deleted from the registry: not found.
	reg.Delete(t, "shop/langserver", img.Digest)
	if got := c.Locate(ctx, []artifact.Reference{r}, img.Digest); got.Status != risk.CheckNotFound {
		t.Fatalf("locate after delete: %+v", got)
	}
}

// A multi-arch index: its linux/amd64 manifest is catalogued, and running
// that manifest is not a tag mismatch.
func TestRegistryIndex(t *testing.T) {
	reg := ocitest.Start(t, nil)
	amd := reg.Push(t, "base/os", "amd64", catalogtest.Layer(t, catalogtest.File{Name: "etc/os-release", Data: []byte("ID=debian\nVERSION_ID=12\n")}))
	arm := reg.Push(t, "base/os", "arm64", catalogtest.Layer(t, catalogtest.File{Name: "etc/os-release", Data: []byte("ID=alpine\nVERSION_ID=3.20.0\n")}))
	idx := reg.PushIndex(t, "base/os", "latest", amd, arm)
	c := client(t, oci.Config{Name: "local", URL: reg.URL})
	r := ref(t, reg.Host+"/base/os:latest")
	content, err := c.Content(ctx, r, idx.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if content.Digest != amd.Digest {
		t.Fatalf("picked %s, want the amd64 manifest %s", content.Digest, amd.Digest)
	}
	cat, err := catalog.New().Catalogue(ctx, content)
	if err != nil || cat.Distro != "debian-12" {
		t.Fatalf("distro %q: %v", cat.Distro, err)
	}
	tc := c.ResolveTag(ctx, r)
	if v := risk.EvaluateIntegrity(risk.IntegrityInput{RunningDigest: amd.Digest, Tags: []risk.TagCheck{tc}}); len(v) != 0 {
		t.Fatalf("a platform manifest of the tag's index flagged: %+v", v)
	}
}

func TestRegistryAuth(t *testing.T) {
	layer := catalogtest.Layer(t, catalogtest.File{Name: "x", Data: []byte("x")})
	t.Run("bearer token protocol", func(t *testing.T) {
		reg := ocitest.Start(t, &ocitest.Auth{TokenUser: "robot", TokenPassword: "s3cret", Token: "tok-123"})
		img := reg.PushAuth(t, "app", "1", "Bearer tok-123", layer)
		r := ref(t, reg.Host+"/app:1")
		good := client(t, oci.Config{Name: "r", URL: reg.URL, Username: "robot", Password: "s3cret"})
		if got := good.Locate(ctx, []artifact.Reference{r}, img.Digest); got.Status != risk.CheckFound {
			t.Fatalf("with credentials: %+v", got)
		}
		bad := client(t, oci.Config{Name: "r", URL: reg.URL, Username: "robot", Password: "wrong"})
		got := bad.Locate(ctx, []artifact.Reference{r}, img.Digest)
		if got.Status != risk.CheckFailed || !strings.Contains(got.Error, "refused the credentials") {
			t.Fatalf("bad credentials must fail, not say not found: %+v", got)
		}
		if strings.Contains(got.Error, "wrong") || strings.Contains(got.Error, "s3cret") {
			t.Fatalf("an error carries a secret: %s", got.Error)
		}
	})
	t.Run("basic", func(t *testing.T) {
		reg := ocitest.Start(t, &ocitest.Auth{BasicUser: "u", BasicPassword: "p"})
		img := reg.PushAuth(t, "app", "1", "Basic dTpw", layer)
		r := ref(t, reg.Host+"/app:1")
		if got := client(t, oci.Config{Name: "r", URL: reg.URL, Username: "u", Password: "p"}).Locate(ctx, []artifact.Reference{r}, img.Digest); got.Status != risk.CheckFound {
			t.Fatalf("%+v", got)
		}
		if got := client(t, oci.Config{Name: "r", URL: reg.URL}).Locate(ctx, []artifact.Reference{r}, img.Digest); got.Status != risk.CheckFailed {
			t.Fatalf("without credentials: %+v", got)
		}
	})
}

// Registries that lie, stall or are not there: a failed check, never
// "not found", and no content accepted.
func TestRegistryBadBehaviour(t *testing.T) {
	reg := ocitest.Start(t, nil)
	layer := catalogtest.Layer(t, catalogtest.File{Name: "etc/os-release", Data: []byte("ID=debian\n")})
	img := reg.Push(t, "app", "1", layer)

	lying := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/manifests/") {
			// A manifest that is not what its digest says.
			w.Header().Set("Content-Type", oci.MediaOCIManifest)
			io.WriteString(w, `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}`)
			return
		}
		io.WriteString(w, "tampered layer")
	}))
	defer lying.Close()
	lr := ref(t, strings.TrimPrefix(lying.URL, "http://")+"/app:1")
	lc := client(t, oci.Config{Name: "liar", URL: lying.URL})
	if _, err := lc.Content(ctx, lr, img.Digest); !errors.Is(err, oci.ErrDigestFailed) {
		t.Fatalf("lying manifest: %v", err)
	}
	// A blob that does not hash to its digest fails when read to the end.
	rc, err := lc.Blob(ctx, "app", img.Digest, -1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(rc); !errors.Is(err, oci.ErrDigestFailed) {
		t.Fatalf("tampered blob: %v", err)
	}

	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	sc := client(t, oci.Config{Name: "slow", URL: slow.URL, Timeout: 200 * time.Millisecond})
	start := time.Now()
	got := sc.Locate(ctx, []artifact.Reference{ref(t, strings.TrimPrefix(slow.URL, "http://")+"/app:1")}, img.Digest)
	if got.Status != risk.CheckFailed || time.Since(start) > 3*time.Second {
		t.Fatalf("slow registry: %+v after %v", got, time.Since(start))
	}

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	dc := client(t, oci.Config{Name: "down", URL: "http://" + addr})
	if got := dc.Locate(ctx, []artifact.Reference{ref(t, addr+"/app:1")}, img.Digest); got.Status != risk.CheckFailed || got.Error == "" {
		t.Fatalf("unreachable registry: %+v", got)
	}
	if tc := dc.ResolveTag(ctx, ref(t, addr+"/app:1")); tc.Status != risk.CheckFailed {
		t.Fatalf("unreachable tag resolution: %+v", tc)
	}

	server500 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer server500.Close()
	ec := client(t, oci.Config{Name: "broken", URL: server500.URL})
	if got := ec.Locate(ctx, []artifact.Reference{ref(t, "x.io/app:1")}, img.Digest); got.Status != risk.CheckFailed || !strings.Contains(got.Error, "HTTP 500") {
		t.Fatalf("500: %+v", got)
	}
	for _, bad := range []string{"", "ftp://x", "http://"} {
		if _, err := oci.New(oci.Config{URL: bad}); err == nil {
			t.Errorf("URL %q accepted", bad)
		}
	}
}
