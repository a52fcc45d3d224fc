package app

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/runwatch/runwatch/domain/risk"
	"github.com/runwatch/runwatch/ports"
)

// Notifier queues a notification per new risk and webhook, once (the
// store deduplicates by webhook and risk key), and delivers them with
// retries and backoff; a delivery survives restarts in the store.
type Notifier struct {
	store  ports.EnrichmentStore
	sender ports.Notifier
	clock  ports.Clock
	log    *slog.Logger
	// RetryBase and RetryMax bound the backoff between attempts.
	RetryBase, RetryMax time.Duration
	// Delivered, when set, counts delivery attempts by outcome.
	Delivered func(ok bool)
}

// NewNotifier makes a Notifier.
func NewNotifier(store ports.EnrichmentStore, sender ports.Notifier, clock ports.Clock, log *slog.Logger) *Notifier {
	return &Notifier{store: store, sender: sender, clock: clock, log: log, RetryBase: 2 * time.Second, RetryMax: time.Hour}
}

// Enqueue queues the risks of an image for every webhook that wants them.
func (n *Notifier) Enqueue(ctx context.Context, digest string, risks []risk.Risk) error {
	hooks, err := n.store.ListWebhooks(ctx)
	if err != nil || len(hooks) == 0 {
		return err
	}
	now := n.clock.Now()
	refs, err := n.store.ImageReferences(ctx, []string{digest})
	if err != nil {
		return err
	}
	var ds []ports.Delivery
	for _, h := range hooks {
		for _, r := range risks {
			if len(h.Kinds) > 0 && !slices.Contains(h.Kinds, r.Kind) {
				continue
			}
			body, err := n.sender.Render(h.Format, ports.RiskEvent{Kind: string(r.Kind), Key: r.Key, Subject: r.Subject, Detail: r.Detail, Digest: digest,
				References: refs[digest], At: now})
			if err != nil {
				n.log.Warn("render notification", "webhook", h.Name, "err", err)
				continue
			}
			ds = append(ds, ports.Delivery{WebhookID: h.ID, RiskKey: r.Key, Digest: digest, Payload: body, NextTry: now})
		}
	}
	queued, err := n.store.EnqueueDeliveries(ctx, ds)
	if queued > 0 {
		n.log.Info("notifications queued", "digest", digest, "count", queued)
	}
	return err
}

// DeliverDue sends the deliveries that are due; it returns how many went out.
func (n *Notifier) DeliverDue(ctx context.Context) (int, error) {
	due, err := n.store.DueDeliveries(ctx, n.clock.Now(), 50)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	hooks, err := n.store.ListWebhooks(ctx)
	if err != nil {
		return 0, err
	}
	byID := map[string]ports.Webhook{}
	for _, h := range hooks {
		byID[h.ID] = h
	}
	sent := 0
	for _, d := range due {
		h, ok := byID[d.WebhookID]
		if !ok {
			continue
		}
		// A webhook whose secret does not open is not sent to unsigned:
		// the delivery waits, with why, until the key or secret is fixed.
		err := h.SecretErr
		if err == nil {
			dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			err = n.sender.Deliver(dctx, ports.Endpoint{URL: h.URL, Secret: h.Secret}, d.RiskKey, d.Payload)
			cancel()
		}
		now := n.clock.Now()
		d.Attempts++
		if n.Delivered != nil {
			n.Delivered(err == nil)
		}
		if err == nil {
			d.Delivered, d.LastError = now, ""
			sent++
		} else {
			wait := n.RetryBase << min(d.Attempts-1, 20)
			if wait <= 0 || wait > n.RetryMax {
				wait = n.RetryMax
			}
			d.NextTry, d.LastError = now.Add(wait), err.Error()
			n.log.Warn("webhook delivery failed", "webhook", h.Name, "attempt", d.Attempts, "retry_in", wait, "err", err)
		}
		if err := n.store.UpdateDelivery(ctx, d); err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// Run delivers until ctx ends.
func (n *Notifier) Run(ctx context.Context, every time.Duration) {
	for {
		if _, err := n.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			n.log.Error("webhook deliveries", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}
