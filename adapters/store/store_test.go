package store_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/runwatch/runwatch/adapters/store"
	"github.com/runwatch/runwatch/adapters/store/storetest"
	"github.com/runwatch/runwatch/ports"
)

func TestSQLiteContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) ports.Store {
		s, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "runwatch.db"), slog.New(slog.DiscardHandler), withSecrets(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestPostgresContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) ports.Store {
		s, err := store.OpenPostgres(context.Background(), storetest.PostgresURL(t), slog.New(slog.DiscardHandler), withSecrets(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestMigrationsAreIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runwatch.db")
	for range 2 {
		s, err := store.OpenSQLite(context.Background(), path, slog.New(slog.DiscardHandler), withSecrets(t))
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
}
