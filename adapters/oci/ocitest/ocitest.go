// Package ocitest runs a real OCI registry in process for tests
// (go-containerregistry's registry, which implements the Distribution API)
// and pushes images to it over that API.
package ocitest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// Auth protects a test registry.
type Auth struct {
	// Basic: the registry asks for these basic credentials directly.
	BasicUser, BasicPassword string
	// Bearer: the registry sends a token challenge; the token endpoint
	// gives Token to holders of these basic credentials.
	TokenUser, TokenPassword, Token string
}

// Registry is a running registry.
type Registry struct {
	URL  string
	Host string
	srv  *httptest.Server
}

// Start runs a registry until the test ends.
func Start(t testing.TB, auth *Auth) *Registry {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	var h http.Handler = reg
	mux := http.NewServeMux()
	var srv *httptest.Server
	if auth != nil {
		h = protect(reg, auth, func() string { return srv.URL })
		mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
			u, p, ok := r.BasicAuth()
			if !ok || u != auth.TokenUser || p != auth.TokenPassword {
				http.Error(w, "bad credentials", http.StatusUnauthorized)
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"token": auth.Token, "expires_in": 300})
		})
	}
	mux.Handle("/", h)
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &Registry{URL: srv.URL, Host: strings.TrimPrefix(srv.URL, "http://"), srv: srv}
}

func protect(next http.Handler, a *Auth, base func() string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("Authorization")
		switch {
		case a.BasicUser != "":
			if got != "Basic "+base64.StdEncoding.EncodeToString([]byte(a.BasicUser+":"+a.BasicPassword)) {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
				return
			}
		case a.Token != "":
			if got != "Bearer "+a.Token {
				w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="test-registry",scope="repository:x:pull"`, base()))
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Image is pushed content.
type Image struct {
	Digest   string
	Manifest []byte
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// PushBlob uploads a blob (monolithic upload: POST then PUT).
func PushBlob(t testing.TB, c *http.Client, base, repo string, data []byte, auth string) string {
	t.Helper()
	d := digestOf(data)
	req, _ := http.NewRequest(http.MethodPost, base+"/v2/"+repo+"/blobs/uploads/", nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start upload: HTTP %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	if strings.HasPrefix(loc, "/") {
		loc = base + loc
	}
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	req, _ = http.NewRequest(http.MethodPut, loc+sep+"digest="+d, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/octet-stream")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload %s: HTTP %d", d, resp.StatusCode)
	}
	return d
}

// PutManifest uploads a manifest under a tag or its digest.
func PutManifest(t testing.TB, c *http.Client, base, repo, ref, mediaType string, raw []byte, auth string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, base+"/v2/"+repo+"/manifests/"+ref, bytes.NewReader(raw))
	req.Header.Set("Content-Type", mediaType)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("put manifest %s:%s: HTTP %d", repo, ref, resp.StatusCode)
	}
	return digestOf(raw)
}

// Push uploads an image of gzip-compressed tar layers under tag (and by
// digest), with a minimal OCI config.
func (r *Registry) Push(t testing.TB, repo, tag string, layers ...[]byte) Image {
	t.Helper()
	return r.PushAuth(t, repo, tag, "", layers...)
}

// PushAuth is Push with an Authorization header value.
func (r *Registry) PushAuth(t testing.TB, repo, tag, auth string, layers ...[]byte) Image {
	t.Helper()
	c := r.srv.Client()
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}`)
	type desc struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
		Size      int    `json:"size"`
	}
	m := struct {
		SchemaVersion int    `json:"schemaVersion"`
		MediaType     string `json:"mediaType"`
		Config        desc   `json:"config"`
		Layers        []desc `json:"layers"`
	}{SchemaVersion: 2, MediaType: "application/vnd.oci.image.manifest.v1+json",
		Config: desc{"application/vnd.oci.image.config.v1+json", PushBlob(t, c, r.URL, repo, config, auth), len(config)}}
	for _, l := range layers {
		m.Layers = append(m.Layers, desc{"application/vnd.oci.image.layer.v1.tar+gzip", PushBlob(t, c, r.URL, repo, l, auth), len(l)})
	}
	raw, _ := json.Marshal(m)
	d := PutManifest(t, c, r.URL, repo, tag, m.MediaType, raw, auth)
	return Image{Digest: d, Manifest: raw}
}

// PushIndex uploads an index of already pushed manifests (linux/amd64
// first) under tag.
func (r *Registry) PushIndex(t testing.TB, repo, tag string, manifests ...Image) Image {
	t.Helper()
	type entry struct {
		MediaType string            `json:"mediaType"`
		Digest    string            `json:"digest"`
		Size      int               `json:"size"`
		Platform  map[string]string `json:"platform"`
	}
	idx := struct {
		SchemaVersion int     `json:"schemaVersion"`
		MediaType     string  `json:"mediaType"`
		Manifests     []entry `json:"manifests"`
	}{SchemaVersion: 2, MediaType: "application/vnd.oci.image.index.v1+json"}
	archs := []string{"amd64", "arm64", "s390x"}
	for i, m := range manifests {
		idx.Manifests = append(idx.Manifests, entry{"application/vnd.oci.image.manifest.v1+json", m.Digest, len(m.Manifest),
			map[string]string{"os": "linux", "architecture": archs[i%len(archs)]}})
	}
	raw, _ := json.Marshal(idx)
	return Image{Digest: PutManifest(t, r.srv.Client(), r.URL, repo, tag, idx.MediaType, raw, ""), Manifest: raw}
}

// Delete removes a manifest by digest.
func (r *Registry) Delete(t testing.TB, repo, digest string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, r.URL+"/v2/"+repo+"/manifests/"+digest, nil)
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("delete %s@%s: HTTP %d", repo, digest, resp.StatusCode)
	}
}
