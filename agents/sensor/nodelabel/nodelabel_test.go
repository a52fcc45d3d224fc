package nodelabel

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// The API server's answer for GET /api/v1/nodes/<name>, trimmed to what
// matters: the shape is the Kubernetes Node object.
const nodeJSON = `{"kind":"Node","apiVersion":"v1","metadata":{"name":"worker-1","labels":{"kubernetes.io/hostname":"worker-1","runwatch.io/sensor":"disabled"}},"status":{}}`

func TestLabels(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte("sa-token\n"), 0o600)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer sa-token" {
			http.Error(w, `{"kind":"Status","code":401}`, http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/api/v1/nodes/worker-1":
			w.Write([]byte(nodeJSON))
		default:
			http.Error(w, `{"kind":"Status","reason":"NotFound","code":404}`, http.StatusNotFound)
		}
	}))
	defer srv.Close()
	c := New(srv.URL, tokenFile, srv.Client())
	labels, err := c.Labels(context.Background(), "worker-1")
	if err != nil {
		t.Fatal(err)
	}
	if !Disabled(labels) {
		t.Errorf("labels %v: want disabled", labels)
	}
	if _, err := c.Labels(context.Background(), "missing"); err == nil {
		t.Error("missing node: want an error")
	}
	if Disabled(map[string]string{DisabledLabel: "enabled"}) || Disabled(nil) {
		t.Error("only the disabled value disables")
	}
}
