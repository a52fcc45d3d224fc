package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/registry"
)

// ociRegistry is a real OCI Distribution registry (go-containerregistry's)
// in this process, and a client that pushes to it over the Distribution API.
type ociRegistry struct {
	URL  string
	Host string
	srv  *httptest.Server
}

func startRegistry() *ociRegistry {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	return &ociRegistry{URL: srv.URL, Host: strings.TrimPrefix(srv.URL, "http://"), srv: srv}
}

func (r *ociRegistry) Close() { r.srv.Close() }

func sha256Digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// pushBlob uploads a blob with a monolithic upload (POST, then PUT).
func (r *ociRegistry) pushBlob(ctx context.Context, repo string, data []byte) (string, error) {
	d := sha256Digest(data)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.URL+"/v2/"+repo+"/blobs/uploads/", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		return "", fmt.Errorf("start upload to %s: HTTP %d", repo, res.StatusCode)
	}
	loc := res.Header.Get("Location")
	if strings.HasPrefix(loc, "/") {
		loc = r.URL + loc
	}
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	req, _ = http.NewRequestWithContext(ctx, http.MethodPut, loc+sep+"digest="+d, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/octet-stream")
	if res, err = http.DefaultClient.Do(req); err != nil {
		return "", err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("upload %s to %s: HTTP %d", d, repo, res.StatusCode)
	}
	return d, nil
}

// push uploads an image of gzip-compressed tar layers under a tag and
// returns its manifest digest.
func (r *ociRegistry) push(ctx context.Context, repo, tag string, layers ...[]byte) (string, error) {
	type desc struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
		Size      int    `json:"size"`
	}
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}`)
	cd, err := r.pushBlob(ctx, repo, config)
	if err != nil {
		return "", err
	}
	m := struct {
		SchemaVersion int    `json:"schemaVersion"`
		MediaType     string `json:"mediaType"`
		Config        desc   `json:"config"`
		Layers        []desc `json:"layers"`
	}{SchemaVersion: 2, MediaType: "application/vnd.oci.image.manifest.v1+json", Config: desc{"application/vnd.oci.image.config.v1+json", cd, len(config)}}
	for _, l := range layers {
		ld, err := r.pushBlob(ctx, repo, l)
		if err != nil {
			return "", err
		}
		m.Layers = append(m.Layers, desc{"application/vnd.oci.image.layer.v1.tar+gzip", ld, len(l)})
	}
	raw, _ := json.Marshal(m)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, r.URL+"/v2/"+repo+"/manifests/"+tag, bytes.NewReader(raw))
	req.Header.Set("Content-Type", m.MediaType)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("put manifest %s:%s: HTTP %d", repo, tag, res.StatusCode)
	}
	return sha256Digest(raw), nil
}

type layerFile struct {
	name string
	data []byte
	mode int64
}

// layer packs files into a gzip-compressed tar.
func layer(files ...layerFile) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range files {
		mode := f.mode
		if mode == 0 {
			mode = 0o644
		}
		_ = tw.WriteHeader(&tar.Header{Name: f.name, Mode: mode, Size: int64(len(f.data)), Typeflag: tar.TypeReg})
		_, _ = tw.Write(f.data)
	}
	_ = tw.Close()
	_ = zw.Close()
	return buf.Bytes()
}

// vulnerableTextVersion is the golang.org/x/text the langserver binary is
// built against: GO-2021-0113 and GO-2022-1059 (CVE-2022-32149) affect it.
const vulnerableTextVersion = "v0.3.5"

// buildLangserver compiles a small real program that uses
// golang.org/x/text/language at vulnerableTextVersion, so the image that
// holds it has known vulnerabilities in the Go vulnerability database.
func buildLangserver(ctx context.Context, dir string) ([]byte, error) {
	src := filepath.Join(dir, "langserver-src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return nil, err
	}
	files := map[string]string{
		"go.mod": "module example.com/langserver\n\ngo 1.22\n\nrequire golang.org/x/text " + vulnerableTextVersion + "\n",
		"main.go": `package main

import (
	"fmt"
	"os"

	"golang.org/x/text/language"
)

func main() {
	tags, _, err := language.ParseAcceptLanguage(os.Getenv("ACCEPT_LANGUAGE"))
	fmt.Println(tags, err)
}
`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o644); err != nil {
			return nil, err
		}
	}
	out := filepath.Join(dir, "langserver")
	for _, args := range [][]string{{"mod", "download", "golang.org/x/text"}, {"build", "-trimpath", "-o", out, "."}} {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
	return os.ReadFile(out)
}
