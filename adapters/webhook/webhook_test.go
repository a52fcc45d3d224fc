package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/runwatch/runwatch/adapters/webhook"
	"github.com/runwatch/runwatch/ports"
)

var ev = ports.RiskEvent{Kind: "drift", Key: "drift|sha256:a|/tmp/x@ff", Subject: "/tmp/x@ff", Detail: "not in the image", Digest: "sha256:a",
	At: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}

func TestRenderFormats(t *testing.T) {
	s := webhook.New()
	b, err := s.Render("generic", ev)
	if err != nil {
		t.Fatal(err)
	}
	var g webhook.Event
	if json.Unmarshal(b, &g) != nil || g.Type != "risk.opened" || g.Risk.Kind != "drift" || g.Image.Digest != "sha256:a" {
		t.Fatalf("generic %s", b)
	}
	b, err = s.Render("slack", ev)
	if err != nil {
		t.Fatal(err)
	}
	var sl struct {
		Text   string           `json:"text"`
		Blocks []map[string]any `json:"blocks"`
	}
	if json.Unmarshal(b, &sl) != nil || !strings.Contains(sl.Text, "Executable not in its image") || len(sl.Blocks) != 2 {
		t.Fatalf("slack %s", b)
	}
	if _, err := s.Render("teams", ev); err == nil {
		t.Fatal("unknown format accepted")
	}
}

func TestDeliverSignsAndVerifyRefusesReplays(t *testing.T) {
	var got http.Header
	var body []byte
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, body = r.Header.Clone(), must(io.ReadAll(r.Body))
		w.WriteHeader(status)
	}))
	defer srv.Close()
	now := time.Unix(1_800_000_000, 0)
	s := webhook.New()
	s.Now = func() time.Time { return now }
	payload := []byte(`{"a":1}`)
	if err := s.Deliver(context.Background(), ports.Endpoint{URL: srv.URL, Secret: "k"}, "key-1", payload); err != nil {
		t.Fatal(err)
	}
	ts, sig := got.Get("X-Runwatch-Timestamp"), got.Get("X-Runwatch-Signature")
	if ts != "1800000000" || !webhook.Verify("k", ts, sig, body, now, time.Minute) {
		t.Fatalf("signature %q at %q does not verify", sig, ts)
	}
	for name, ok := range map[string]bool{
		"wrong key":       webhook.Verify("other", ts, sig, body, now, time.Minute),
		"altered body":    webhook.Verify("k", ts, sig, []byte(`{"a":2}`), now, time.Minute),
		"replayed later":  webhook.Verify("k", ts, sig, body, now.Add(time.Hour), time.Minute),
		"bad timestamp":   webhook.Verify("k", "soon", sig, body, now, time.Minute),
		"other timestamp": webhook.Verify("k", "1800000001", sig, body, now, time.Minute),
	} {
		if ok {
			t.Errorf("%s verified", name)
		}
	}
	id := got.Get("X-Runwatch-Delivery")
	s.Deliver(context.Background(), ports.Endpoint{URL: srv.URL, Secret: "k"}, "key-1", payload)
	if got.Get("X-Runwatch-Delivery") != id || id == "" {
		t.Fatal("the delivery id of the same risk changed")
	}
	status = http.StatusInternalServerError
	if err := s.Deliver(context.Background(), ports.Endpoint{URL: srv.URL}, "key-1", payload); err == nil || !strings.Contains(err.Error(), "HTTP 500") {
		t.Fatalf("a 500 was a delivery: %v", err)
	}
	if got.Get("X-Runwatch-Signature") != "" {
		t.Fatal("signed without a secret")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
