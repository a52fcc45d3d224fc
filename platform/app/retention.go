package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/runwatch/runwatch/ports"
)

// Retention is how long runtime records, gone inventory and batch ids are
// kept.
type Retention time.Duration

// DefaultRetention is ten days, the longest query window.
const DefaultRetention = Retention(10 * 24 * time.Hour)

// Pruner deletes what is older than the retention window, periodically.
type Pruner struct {
	store     ports.Pruner
	clock     ports.Clock
	retention time.Duration
	log       *slog.Logger
}

// NewPruner makes a Pruner.
func NewPruner(store ports.Pruner, clock ports.Clock, retention Retention, log *slog.Logger) *Pruner {
	return &Pruner{store: store, clock: clock, retention: time.Duration(retention), log: log}
}

// PruneOnce prunes now.
func (p *Pruner) PruneOnce(ctx context.Context) (ports.PruneResult, error) {
	start := time.Now()
	res, err := p.store.Prune(ctx, p.clock.Now().Add(-p.retention))
	if err != nil {
		return res, err
	}
	p.log.Info("pruned records older than the retention window", "retention", p.retention, "processes", res.Processes,
		"file_loads", res.Files, "batch_ids", res.Batches, "inventory", res.Inventory, "took", time.Since(start).Round(time.Millisecond))
	return res, nil
}

// Run prunes at start and then every interval until ctx ends.
func (p *Pruner) Run(ctx context.Context, every time.Duration) {
	for {
		if _, err := p.PruneOnce(ctx); err != nil && ctx.Err() == nil {
			p.log.Error("prune", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}
