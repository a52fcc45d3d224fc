package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

// The committed bundle is what the platform serves: it must hold an
// index.html whose script and stylesheet are in the bundle.
func TestDistIsABuiltBundle(t *testing.T) {
	b := Dist()
	index, err := fs.ReadFile(b, "index.html")
	if err != nil {
		t.Fatalf("web/dist has no index.html (run ./task build:web): %v", err)
	}
	refs := regexp.MustCompile(`(?:src|href)="/(assets/[^"]+)"`).FindAllStringSubmatch(string(index), -1)
	if len(refs) < 2 {
		t.Fatalf("index.html references %d assets, want a script and a stylesheet:\n%s", len(refs), index)
	}
	for _, m := range refs {
		if _, err := fs.Stat(b, m[1]); err != nil {
			t.Errorf("index.html references %s, which is not in the bundle: %v", m[1], err)
		}
	}
	if strings.Contains(string(index), "/src/main.tsx") {
		t.Error("index.html is the development page, not the built one")
	}
}

func TestHandler(t *testing.T) {
	bundle := fstest.MapFS{
		"index.html":          {Data: []byte("<!doctype html><title>app</title>")},
		"assets/index-a1.js":  {Data: []byte("console.log(1)")},
		"assets/index-a1.css": {Data: []byte("body{}")},
	}
	h := Handler(bundle)
	tests := []struct {
		name, method, path string
		status             int
		body               string
		header, value      string
	}{
		{"root is the app", "GET", "/", 200, "<title>app</title>", "Cache-Control", "no-cache"},
		{"a client-side route is the app", "GET", "/workloads", 200, "<title>app</title>", "Content-Type", "text/html; charset=utf-8"},
		{"a nested route with a digest is the app", "GET", "/images/sha256:4bcff639", 200, "<title>app</title>", "X-Frame-Options", "DENY"},
		{"query strings keep the app", "GET", "/processes?window=1h&text=curl", 200, "<title>app</title>", "", ""},
		{"an asset is served and cached for good", "GET", "/assets/index-a1.js", 200, "console.log(1)", "Cache-Control", "public, max-age=31536000, immutable"},
		{"a stylesheet has its type", "GET", "/assets/index-a1.css", 200, "body{}", "Content-Type", "text/css; charset=utf-8"},
		{"a missing asset is not the app", "GET", "/assets/index-old.js", 404, "", "", ""},
		{"a missing file is not the app", "GET", "/favicon.ico", 404, "", "", ""},
		{"an unknown API procedure is not the app", "GET", "/runwatch.v1.InventoryService/Nope", 404, "", "", ""},
		{"gRPC paths are not the app", "GET", "/grpc.health.v1.Health/Check", 404, "", "", ""},
		{"the UI is read-only", "POST", "/workloads", 405, "", "Allow", "GET, HEAD"},
		{"HEAD works", "HEAD", "/clusters", 200, "", "", ""},
		{"dot-dot stays inside", "GET", "/../../etc/passwd", 200, "<title>app</title>", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			res := rec.Result()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (%s)", res.StatusCode, tc.status, body)
			}
			if tc.body != "" && !strings.Contains(string(body), tc.body) {
				t.Errorf("body %q does not contain %q", body, tc.body)
			}
			if tc.header != "" && res.Header.Get(tc.header) != tc.value {
				t.Errorf("%s = %q, want %q", tc.header, res.Header.Get(tc.header), tc.value)
			}
		})
	}
}

func TestHandlerWithoutBundle(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler(fstest.MapFS{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "not built") {
		t.Fatalf("got %d %q, want a 404 saying the UI is not built", rec.Code, rec.Body.String())
	}
}

// Any request path gets an answer from the bundle or a 404/405: never a
// panic, never a file outside the bundle, never the app for an API path.
func FuzzHandler(f *testing.F) {
	for _, seed := range []string{"/", "/workloads", "/assets/index-a1.js", "/../index.html", "/runwatch.v1.X/Y", "/%2e%2e/etc/passwd",
		"/images/sha256:abc", "/assets/", "//assets//index-a1.js", "/a\x00b", "/grpc.health.v1.Health/Check"} {
		f.Add(seed)
	}
	bundle := fstest.MapFS{
		"index.html":         {Data: []byte("<!doctype html><title>app</title>")},
		"assets/index-a1.js": {Data: []byte("console.log(1)")},
	}
	h := Handler(bundle)
	f.Fuzz(func(t *testing.T, p string) {
		req, err := http.NewRequest(http.MethodGet, "http://runwatch.test/", nil)
		if err != nil {
			t.Skip()
		}
		req.URL.Path = p
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body := rec.Body.String()
		switch rec.Code {
		case http.StatusOK:
			if body != "<!doctype html><title>app</title>" && body != "console.log(1)" {
				t.Fatalf("GET %q served %q", p, body)
			}
			if body != "console.log(1)" && isAPIPath(path.Clean("/"+p)) {
				t.Fatalf("GET %q (an API path) served the app", p)
			}
		case http.StatusNotFound, http.StatusMovedPermanently, http.StatusBadRequest:
		default:
			t.Fatalf("GET %q answered %d", p, rec.Code)
		}
	})
}

// The bundle stays small: everything a first visit downloads, gzipped,
// within a budget (it is about 81 KB; protobuf-es's runtime is 28 KB of it).
func TestBundleBudget(t *testing.T) {
	const budget = 120 << 10
	var total int
	err := fs.WalkDir(Dist(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(Dist(), p)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(b)
		zw.Close()
		t.Logf("%-40s %7d bytes, %6d gzipped", p, len(b), buf.Len())
		total += buf.Len()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total > budget {
		t.Fatalf("the bundle is %d bytes gzipped, over its budget of %d", total, budget)
	}
}
