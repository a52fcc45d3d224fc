package store

import (
	"context"
	"fmt"
	"time"

	"github.com/runwatch/runwatch/domain"
	"github.com/runwatch/runwatch/domain/risk"
	"github.com/runwatch/runwatch/ports"
)

// PutWebhook implements ports.EnrichmentStore: create, or replace the one
// of the same name (keeping its secret when the new one is empty).
func (s *Store) PutWebhook(ctx context.Context, w ports.Webhook) (ports.Webhook, error) {
	kinds := make([]string, len(w.Kinds))
	for i, k := range w.Kinds {
		kinds[i] = string(k)
	}
	secret, err := s.sealSecret(w.Secret, webhookSecret(w.Name))
	if err != nil {
		return ports.Webhook{}, fmt.Errorf("store webhook %s: %w", w.Name, err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO webhooks (id, name, url, format, secret, kinds, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET url = excluded.url, format = excluded.format, kinds = excluded.kinds,
  secret = CASE WHEN excluded.secret = '' THEN webhooks.secret ELSE excluded.secret END`,
		w.ID, w.Name, w.URL, w.Format, secret, stringsText(kinds), us(w.CreatedAt))
	if err != nil {
		return ports.Webhook{}, fmt.Errorf("store webhook %s: %w", w.Name, err)
	}
	all, err := s.ListWebhooks(ctx)
	if err != nil {
		return ports.Webhook{}, err
	}
	for _, x := range all {
		if x.Name == w.Name {
			return x, nil
		}
	}
	return ports.Webhook{}, domain.NotFoundf("webhook %q vanished", w.Name)
}

// ListWebhooks implements ports.EnrichmentStore.
func (s *Store) ListWebhooks(ctx context.Context) ([]ports.Webhook, error) {
	var rows []struct {
		ID        string `bun:"id"`
		Name      string `bun:"name"`
		URL       string `bun:"url"`
		Format    string `bun:"format"`
		Secret    string `bun:"secret"`
		Kinds     string `bun:"kinds"`
		CreatedAt int64  `bun:"created_at"`
	}
	if err := s.db.NewRaw(`SELECT id, name, url, format, secret, kinds, created_at FROM webhooks ORDER BY name`).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	out := make([]ports.Webhook, len(rows))
	for i, r := range rows {
		var kinds []risk.Kind
		for _, k := range parseStrings(r.Kinds) {
			kinds = append(kinds, risk.Kind(k))
		}
		out[i] = ports.Webhook{ID: r.ID, Name: r.Name, URL: r.URL, Format: r.Format, Kinds: kinds, CreatedAt: fromUS(r.CreatedAt)}
		out[i].Secret, out[i].SecretErr = s.openSecret(r.Secret, webhookSecret(r.Name), "webhook")
	}
	return out, nil
}

// DeleteWebhook implements ports.EnrichmentStore; its queued deliveries go too.
func (s *Store) DeleteWebhook(ctx context.Context, name string) error {
	var id string
	if err := s.db.NewRaw(`SELECT id FROM webhooks WHERE name = ?`, name).Scan(ctx, &id); err != nil {
		return domain.NotFoundf("no webhook %q", name)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE webhook_id = ?`, id); err != nil {
		return fmt.Errorf("delete webhook %s: %w", name, err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM webhooks WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete webhook %s: %w", name, err)
	}
	return nil
}

// EnqueueDeliveries implements ports.EnrichmentStore.
func (s *Store) EnqueueDeliveries(ctx context.Context, ds []ports.Delivery) (int, error) {
	n := 0
	for _, d := range ds {
		res, err := s.db.ExecContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, risk_key, digest, payload, next_attempt_at, created_at)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (webhook_id, risk_key) DO NOTHING`,
			d.WebhookID, d.RiskKey, d.Digest, string(d.Payload), us(d.NextTry), us(d.NextTry))
		if err != nil {
			return n, fmt.Errorf("queue delivery: %w", err)
		}
		if k, _ := res.RowsAffected(); k > 0 {
			n++
		}
	}
	return n, nil
}

// DueDeliveries implements ports.EnrichmentStore.
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]ports.Delivery, error) {
	var rows []struct {
		WebhookID string `bun:"webhook_id"`
		RiskKey   string `bun:"risk_key"`
		Digest    string `bun:"digest"`
		Payload   string `bun:"payload"`
		Attempts  int    `bun:"attempts"`
		Next      int64  `bun:"next_attempt_at"`
		LastError string `bun:"last_error"`
	}
	if err := s.db.NewRaw(`SELECT webhook_id, risk_key, digest, payload, attempts, next_attempt_at, last_error FROM webhook_deliveries
WHERE delivered_at = 0 AND next_attempt_at <= ? ORDER BY next_attempt_at, webhook_id, risk_key LIMIT ?`, us(now), limit).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("due deliveries: %w", err)
	}
	out := make([]ports.Delivery, len(rows))
	for i, r := range rows {
		out[i] = ports.Delivery{WebhookID: r.WebhookID, RiskKey: r.RiskKey, Digest: r.Digest, Payload: []byte(r.Payload),
			Attempts: r.Attempts, NextTry: fromUS(r.Next), LastError: r.LastError}
	}
	return out, nil
}

// UpdateDelivery implements ports.EnrichmentStore.
func (s *Store) UpdateDelivery(ctx context.Context, d ports.Delivery) error {
	_, err := s.db.ExecContext(ctx, `UPDATE webhook_deliveries SET attempts = ?, next_attempt_at = ?, last_error = ?, delivered_at = ?
WHERE webhook_id = ? AND risk_key = ?`, d.Attempts, us(d.NextTry), d.LastError, us(d.Delivered), d.WebhookID, d.RiskKey)
	if err != nil {
		return fmt.Errorf("update delivery: %w", err)
	}
	return nil
}
