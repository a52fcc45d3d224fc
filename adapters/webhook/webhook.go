// Package webhook delivers risk notifications over HTTP: a generic JSON
// body or a Slack-compatible message (incoming webhooks, Mattermost,
// Rocket.Chat), signed with HMAC-SHA256 so a receiver can check it came
// from this platform and was not replayed.
//
// Signature: X-Runwatch-Signature is "sha256=" and the hex HMAC-SHA256,
// keyed by the webhook's secret, of the X-Runwatch-Timestamp value (Unix
// seconds), a ".", and the body. X-Runwatch-Delivery identifies the
// notification: the same risk always carries the same value, so a
// receiver can drop the copies a retry may bring.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/runwatch/runwatch/ports"
)

// Sender implements ports.Notifier.
type Sender struct {
	Client *http.Client
	Now    func() time.Time
}

var _ ports.Notifier = (*Sender)(nil)

// New returns a sender with a 10 s timeout.
func New() *Sender {
	return &Sender{Client: &http.Client{Timeout: 10 * time.Second}, Now: time.Now}
}

// Event is the generic JSON body.
type Event struct {
	Type   string    `json:"type"`
	Risk   RiskBody  `json:"risk"`
	Image  ImageBody `json:"image"`
	At     time.Time `json:"at"`
	Source string    `json:"source"`
}

// RiskBody describes the risk.
type RiskBody struct {
	Kind    string `json:"kind"`
	Key     string `json:"key"`
	Subject string `json:"subject"`
	Detail  string `json:"detail,omitempty"`
}

// ImageBody names the image.
type ImageBody struct {
	Digest     string   `json:"digest"`
	References []string `json:"references,omitempty"`
}

var titles = map[string]string{
	"untrusted_image":         "Untrusted image running",
	"integrity_violation":     "Image integrity violation",
	"critical_applicable_cve": "Critical vulnerability loaded at runtime",
	"malicious_package":       "Malicious package in a running image",
	"drift":                   "Executable not in its image was run",
}

// Render implements ports.Notifier.
func (s *Sender) Render(format string, ev ports.RiskEvent) ([]byte, error) {
	switch format {
	case "", "generic":
		return json.Marshal(Event{Type: "risk.opened", Risk: RiskBody{Kind: ev.Kind, Key: ev.Key, Subject: ev.Subject, Detail: ev.Detail},
			Image: ImageBody{Digest: ev.Digest, References: ev.References}, At: ev.At.UTC(), Source: "runwatch"})
	case "slack":
		title := titles[ev.Kind]
		if title == "" {
			title = ev.Kind
		}
		text := fmt.Sprintf(":rotating_light: *%s*: `%s`\nimage `%s`", title, ev.Subject, ev.Digest)
		if ev.Detail != "" {
			text += "\n" + ev.Detail
		}
		return json.Marshal(map[string]any{
			"text": text,
			"blocks": []map[string]any{
				{"type": "section", "text": map[string]string{"type": "mrkdwn", "text": text}},
				{"type": "context", "elements": []map[string]string{{"type": "mrkdwn", "text": "runwatch · " + ev.Kind + " · " + ev.At.UTC().Format(time.RFC3339)}}},
			},
		})
	}
	return nil, fmt.Errorf("unknown webhook format %q (want generic or slack)", format)
}

// Sign is the signature of a body at a timestamp.
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature in constant time, and that the timestamp is
// within tolerance of now (to refuse replays).
func Verify(secret, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) bool {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return false
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return false
	}
	return hmac.Equal([]byte(Sign(secret, timestamp, body)), []byte(signature))
}

// Deliver implements ports.Notifier: any 2xx answer is a delivery.
func (s *Sender) Deliver(ctx context.Context, ep ports.Endpoint, key string, payload []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	ts := strconv.FormatInt(s.Now().Unix(), 10)
	id := sha256.Sum256([]byte(key))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "runwatch-platform")
	req.Header.Set("X-Runwatch-Timestamp", ts)
	req.Header.Set("X-Runwatch-Delivery", hex.EncodeToString(id[:16]))
	if ep.Secret != "" {
		req.Header.Set("X-Runwatch-Signature", Sign(ep.Secret, ts, payload))
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return fmt.Errorf("webhook: HTTP %d", resp.StatusCode)
	}
	return nil
}
