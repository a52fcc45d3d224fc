package store

import (
	"context"
	"fmt"
	"time"

	"github.com/runwatch/runwatch/ports"
)

// pruneChunk bounds one DELETE of runtime records, so pruning a large
// backlog never holds long locks against ingest.
const pruneChunk = 5000

// Prune implements ports.Pruner.
func (s *Store) Prune(ctx context.Context, cutoff time.Time) (ports.PruneResult, error) {
	var res ports.PruneResult
	c := us(cutoff)
	for _, st := range []struct {
		n     *int64
		table string
	}{{&res.Processes, "processes"}, {&res.Files, "file_loads"}} {
		for {
			r, err := s.db.ExecContext(ctx, `DELETE FROM `+st.table+` WHERE id IN (SELECT id FROM `+st.table+` WHERE last_seen < ? LIMIT ?)`, c, pruneChunk)
			if err != nil {
				return res, fmt.Errorf("prune %s: %w", st.table, err)
			}
			n := int64(affected(r))
			*st.n += n
			if n < pruneChunk {
				break
			}
		}
	}
	r, err := s.db.ExecContext(ctx, `DELETE FROM ingest_batches WHERE applied_at < ?`, c)
	if err != nil {
		return res, fmt.Errorf("prune batch ids: %w", err)
	}
	res.Batches = int64(affected(r))
	// Gone inventory: few rows, so one statement each.
	for _, table := range []string{"containers", "pods", "workloads", "namespaces", "nodes"} {
		r, err := s.db.ExecContext(ctx, `DELETE FROM `+table+` WHERE gone_at <> 0 AND gone_at < ?`, c)
		if err != nil {
			return res, fmt.Errorf("prune %s: %w", table, err)
		}
		res.Inventory += int64(affected(r))
	}
	// Images no container refers to any more.
	for _, table := range []string{"image_references", "images"} {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM `+table+` WHERE NOT EXISTS (SELECT 1 FROM containers k WHERE k.image_digest = `+table+`.digest)`); err != nil {
			return res, fmt.Errorf("prune %s: %w", table, err)
		}
	}
	return res, nil
}
