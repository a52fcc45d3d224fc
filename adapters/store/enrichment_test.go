package store_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/runwatch/runwatch/adapters/store"
	"github.com/runwatch/runwatch/adapters/store/storetest"
)

func TestSQLiteEnrichmentContract(t *testing.T) {
	storetest.RunEnrichment(t, func(t *testing.T) storetest.EnrichingStore {
		s, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "runwatch.db"), slog.New(slog.DiscardHandler), withSecrets(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestPostgresEnrichmentContract(t *testing.T) {
	storetest.RunEnrichment(t, func(t *testing.T) storetest.EnrichingStore {
		s, err := store.OpenPostgres(context.Background(), storetest.PostgresURL(t), slog.New(slog.DiscardHandler), withSecrets(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
