package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/runwatch/runwatch/domain/runtime"
)

// applyRuntimePG is the Postgres ingest path: COPY the batch into
// session-local staging tables, then merge them into the runtime tables
// with one INSERT ... SELECT ... ON CONFLICT per table. COPY moves rows in
// binary at close to the speed of the disk; the merge applies the same
// aggregation rules as every other path. All of it is one transaction with
// the batch's idempotency key.
func (s *Store) applyRuntimePG(ctx context.Context, clusterID string, b *runtime.Batch, now time.Time) (runtime.ApplyResult, error) {
	res := runtime.ApplyResult{Processes: len(b.Processes), Files: len(b.Files)}
	conn, err := s.db.DB.Conn(ctx)
	if err != nil {
		return res, err
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("postgres driver connection is %T, not pgx", dc)
		}
		return pgx.BeginFunc(ctx, sc.Conn(), func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `INSERT INTO ingest_batches (cluster_id, batch_id, applied_at) VALUES ($1, $2, $3) ON CONFLICT (cluster_id, batch_id) DO NOTHING`, clusterID, b.ID, us(now))
			if err != nil {
				return fmt.Errorf("record batch id: %w", err)
			}
			if tag.RowsAffected() == 0 {
				res = runtime.ApplyResult{Duplicate: true}
				return nil
			}
			if err := copyMerge(ctx, tx, "processes", processCols, s.processMerge(), len(b.Processes), func(i int) []any {
				return processValues(clusterID, b.NodeName, &b.Processes[i])
			}); err != nil {
				return err
			}
			return copyMerge(ctx, tx, "file_loads", fileCols, s.fileMerge(), len(b.Files), func(i int) []any {
				return fileValues(clusterID, b.NodeName, &b.Files[i])
			})
		})
	})
	if errors.Is(err, context.Canceled) {
		return res, err
	}
	return res, err
}

func copyMerge(ctx context.Context, tx pgx.Tx, table string, cols []string, onConflict string, n int, values func(int) []any) error {
	if n == 0 {
		return nil
	}
	stage := "stage_" + table
	list := strings.Join(cols, ", ")
	// The staging table lives as long as the connection and empties at
	// every commit; creating it is a catalog lookup after the first time.
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS `+stage+` ON COMMIT DELETE ROWS AS SELECT `+list+` FROM `+table+` WITH NO DATA`); err != nil {
		return fmt.Errorf("create %s: %w", stage, err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{stage}, cols, pgx.CopyFromSlice(n, func(i int) ([]any, error) {
		return values(i), nil
	})); err != nil {
		return fmt.Errorf("copy into %s: %w", stage, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO `+table+` (`+list+`) SELECT `+list+` FROM `+stage+` `+onConflict); err != nil {
		return fmt.Errorf("merge %s: %w", table, err)
	}
	return nil
}
