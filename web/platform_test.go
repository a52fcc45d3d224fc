package web_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/runwatch/runwatch/platform/platformtest"
)

// The real platform serves the UI at / beside the API, health and metrics.
func TestPlatformServesTheUI(t *testing.T) {
	in := platformtest.Start(t, "sqlite")
	get := func(path string) (int, string, http.Header) {
		t.Helper()
		res, err := http.Get(in.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b), res.Header
	}

	status, index, _ := get("/")
	if status != 200 || !strings.Contains(index, `<div id="app">`) {
		t.Fatalf("GET / = %d %q, want the UI", status, index)
	}
	script := regexp.MustCompile(`src="(/assets/[^"]+\.js)"`).FindStringSubmatch(index)
	if script == nil {
		t.Fatalf("index.html has no script: %s", index)
	}
	if status, body, h := get(script[1]); status != 200 || !strings.Contains(h.Get("Content-Type"), "javascript") || len(body) < 1000 {
		t.Errorf("GET %s = %d %s (%d bytes)", script[1], status, h.Get("Content-Type"), len(body))
	}
	if status, body, _ := get("/images/sha256:abc?tab=processes"); status != 200 || body != index {
		t.Errorf("a client-side route = %d, want index.html", status)
	}
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/metrics": "go_goroutines"} {
		if status, body, _ := get(path); status != 200 || !strings.Contains(body, want) {
			t.Errorf("GET %s = %d %q, want %q", path, status, body, want)
		}
	}
	if status, _, _ := get("/runwatch.v1.InventoryService/NoSuchMethod"); status != 404 {
		t.Errorf("an unknown procedure = %d, want 404", status)
	}
	status, body := in.PostJSON(t, "/runwatch.v1.InventoryService/GetOverview", platformtest.AdminToken, "{}")
	if status != 200 || !strings.Contains(string(body), "generatedAt") {
		t.Errorf("the API behind the UI = %d %s", status, body)
	}
}
