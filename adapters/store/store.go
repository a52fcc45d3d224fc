// Package store keeps Runwatch's data with bun, in Postgres (through pgx)
// or in SQLite (modernc, pure Go, the embedded default). One Store type
// serves both: the schemas differ only in column types, so every query is
// shared, and the few statements that differ (bulk ingest, least/greatest)
// go through the dialect.
//
// Times are stored as Unix microseconds, 0 meaning never; JSON values as
// TEXT, ” meaning empty.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/migrate"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/runwatch/runwatch/ports"
)

//go:embed migrations
var migrationFiles embed.FS

// Store implements ports.Store.
type Store struct {
	db  *bun.DB
	pg  bool
	log *slog.Logger
	// secrets seals integration and webhook credentials (see secrets.go).
	secrets ports.SecretSealer
}

// Option changes how a store is opened.
type Option func(*Store)

// WithSecrets seals the credentials the store keeps with a sealer. A
// store without one refuses to keep a credential.
func WithSecrets(s ports.SecretSealer) Option { return func(st *Store) { st.secrets = s } }

var _ ports.Store = (*Store)(nil)

// Open opens the database a URL names: postgres:// or postgresql:// for
// Postgres, sqlite:<path> (or a plain path) for SQLite. It runs the
// migrations before returning.
func Open(ctx context.Context, dsn string, logger *slog.Logger, opts ...Option) (*Store, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return OpenPostgres(ctx, dsn, logger, opts...)
	}
	return OpenSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"), logger, opts...)
}

// OpenPostgres connects to Postgres and migrates it.
func OpenPostgres(ctx context.Context, dsn string, logger *slog.Logger, opts ...Option) (*Store, error) {
	conf, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse postgres URL: %w", err)
	}
	sqldb := stdlib.OpenDB(*conf)
	sqldb.SetMaxOpenConns(16)
	sqldb.SetMaxIdleConns(16)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: bun.NewDB(sqldb, pgdialect.New(), bun.WithDiscardUnknownColumns()), pg: true, log: logger}
	for _, o := range opts {
		o(s)
	}
	if err := s.ping(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("connect to postgres %s: %w", redact(dsn), err)
	}
	if err := s.migrate(ctx); err != nil {
		sqldb.Close()
		return nil, err
	}
	return s, nil
}

// OpenSQLite opens (creating it if needed) a SQLite database file and
// migrates it.
func OpenSQLite(ctx context.Context, path string, logger *slog.Logger, opts ...Option) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: no database path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("sqlite: create %s: %w", dir, err)
		}
	}
	// WAL lets queries run while ingest writes; immediate transactions take
	// the write lock at BEGIN, so two writers queue on busy_timeout instead
	// of one failing when it upgrades a read lock.
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(ON)", "cache_size(-32000)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	sqldb, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	sqldb.SetMaxOpenConns(8)
	s := &Store{db: bun.NewDB(sqldb, sqlitedialect.New(), bun.WithDiscardUnknownColumns()), log: logger}
	for _, o := range opts {
		o(s)
	}
	if err := s.ping(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := s.migrate(ctx); err != nil {
		sqldb.Close()
		return nil, err
	}
	return s, nil
}

// Dialect names the database: "postgres" or "sqlite".
func (s *Store) Dialect() string {
	if s.pg {
		return "postgres"
	}
	return "sqlite"
}

// DB is the underlying bun database, for tests and benchmarks.
func (s *Store) DB() *bun.DB { return s.db }

func (s *Store) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return s.db.PingContext(ctx)
}

// Ping says whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.ping(ctx) }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// migrate applies the migrations the database lacks. On Postgres an
// advisory lock keeps replicas that start together from racing.
func (s *Store) migrate(ctx context.Context) error {
	dir := "migrations/sqlite"
	if s.pg {
		dir = "migrations/postgres"
	}
	sub, err := fs.Sub(migrationFiles, dir)
	if err != nil {
		return err
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(sub); err != nil {
		return fmt.Errorf("discover migrations: %w", err)
	}
	var conn bun.Conn
	if s.pg {
		// The lock belongs to a session: hold one connection for it.
		conn, err = s.db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		defer conn.Close()
		const lockKey = 0x52574d31 // "RWM1"
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", lockKey); err != nil {
			return fmt.Errorf("migrate: take lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", lockKey) //nolint:errcheck // released with the session anyway
	}
	m := migrate.NewMigrator(s.db, ms, migrate.WithTableName("schema_migrations"), migrate.WithLocksTableName("schema_migration_locks"), migrate.WithMarkAppliedOnSuccess(true))
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("migrate: init: %w", err)
	}
	group, err := m.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if !group.IsZero() && s.log != nil {
		s.log.Info("database migrated", "dialect", s.Dialect(), "group", group.ID, "migrations", group.Migrations.String())
	}
	return nil
}

// redact hides the password of a database URL for messages.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "<unparseable URL>"
	}
	return u.Redacted()
}

// least and greatest are the two-argument minimum and maximum of the
// dialect's SQL.
func (s *Store) least() string {
	if s.pg {
		return "LEAST"
	}
	return "min"
}

func (s *Store) greatest() string {
	if s.pg {
		return "GREATEST"
	}
	return "max"
}
