// Command ingest measures runtime ingest end to end and compares it with
// the database's own bulk path, in the same run:
//
//   - end to end: sensors' batches over gRPC (HTTP/2) to a real
//     runwatch-platform process, which validates, deduplicates and commits
//     them before answering;
//   - baseline: the same rows written straight into the same tables, by
//     pgx CopyFrom for Postgres and by multi-row INSERTs in transactions
//     for SQLite (which has no COPY).
//
// It prints both rates, their ratio, and the platform's resident memory
// after the run. Run it with ./task bench:ingest.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/runwatch/runwatch/adapters/rpc"
	"github.com/runwatch/runwatch/adapters/store"
	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

type options struct {
	records     int
	batch       int
	sensors     int
	dialects    string
	postgres    string
	platformBin string
}

func main() {
	var o options
	flag.IntVar(&o.records, "records", 1_000_000, "runtime records to ingest per dialect")
	flag.IntVar(&o.batch, "batch", 5000, "records per batch")
	flag.IntVar(&o.sensors, "sensors", 4, "sensors sending at once (each its own node)")
	flag.StringVar(&o.dialects, "dialects", "postgres,sqlite", "comma-separated: postgres, sqlite")
	flag.StringVar(&o.postgres, "postgres", os.Getenv("RUNWATCH_TEST_POSTGRES"), "postgres:// URL of a user with CREATEDB")
	flag.StringVar(&o.platformBin, "platform", "", "runwatch-platform binary (built when empty)")
	flag.Parse()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	tmp, err := os.MkdirTemp("", "runwatch-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if o.platformBin == "" {
		o.platformBin = filepath.Join(tmp, "runwatch-platform")
		fmt.Println("building runwatch-platform ...")
		cmd := exec.Command("go", "build", "-o", o.platformBin, "./platform/cmd/runwatch-platform")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build platform: %w", err)
		}
	}
	fmt.Printf("%d records per dialect, batches of %d, %d sensors at once\n\n", o.records, o.batch, o.sensors)
	for _, d := range strings.Split(o.dialects, ",") {
		var err error
		switch strings.TrimSpace(d) {
		case "postgres":
			if o.postgres == "" {
				return errors.New("postgres: set RUNWATCH_TEST_POSTGRES or --postgres")
			}
			err = benchPostgres(ctx, o, tmp)
		case "sqlite":
			err = benchSQLite(ctx, o, tmp)
		default:
			err = fmt.Errorf("unknown dialect %q", d)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// ---- the workload ----

// batches returns the runtime batches of one sensor: distinct processes
// and library loads in 20 containers, as a busy node's first sightings.
func batches(sensor, records, size int) []*v1.ReportRuntimeRequest {
	now := timestamppb.Now()
	var out []*v1.ReportRuntimeRequest
	for start, n := 0, 0; start < records; start, n = start+size, n+1 {
		req := &v1.ReportRuntimeRequest{BatchId: fmt.Sprintf("bench-%02d-%08d", sensor, n), NodeName: fmt.Sprintf("node-%02d", sensor)}
		for i := start; i < min(start+size, records); i++ {
			ref := &v1.ContainerRef{ContainerId: fmt.Sprintf("%062d%02d", i%20, sensor), PodUid: fmt.Sprintf("pod-%d", i%20),
				Runtime: v1.ContainerRuntime_CONTAINER_RUNTIME_CONTAINERD}
			sha := fmt.Sprintf("%064x", i)
			if i%2 == 0 {
				req.Executions = append(req.Executions, &v1.ProcessExecution{Container: ref, ExecutablePath: fmt.Sprintf("/usr/bin/tool-%d", i),
					Sha256: sha, Argv: []string{"tool", "--serve", fmt.Sprint(i)}, Uid: 1000, Pid: uint32(i), ParentPid: 1,
					ParentExecutablePath: "/usr/bin/bash", Comm: "tool", FirstSeen: now, LastSeen: now, Count: 1,
					PackagePurls: []string{"pkg:deb/debian/tool@1.0." + fmt.Sprint(i%100)}})
			} else {
				req.FileLoads = append(req.FileLoads, &v1.FileLoad{Container: ref, Path: fmt.Sprintf("/usr/lib/x86_64-linux-gnu/lib%d.so.1", i),
					Sha256: sha, Kind: v1.FileKind_FILE_KIND_SHARED_LIBRARY, PackagePurls: []string{"pkg:deb/debian/lib@2." + fmt.Sprint(i%100)},
					LoadedByPath: "/usr/bin/tool", FirstSeen: now, LastSeen: now, Count: 1})
			}
		}
		out = append(out, req)
	}
	return out
}

// workload is every sensor's batches, made before the clock starts.
func workload(o options) [][]*v1.ReportRuntimeRequest {
	w := make([][]*v1.ReportRuntimeRequest, o.sensors)
	for s := range w {
		w[s] = batches(s, o.records/o.sensors, o.batch)
	}
	return w
}

// ---- end to end ----

type platformProc struct {
	cmd *exec.Cmd
	url string
}

func startPlatform(ctx context.Context, bin, dataDir, database string) (*platformProc, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	// Rate limits off: this measures the ingest path, not the limiter.
	cmd := exec.CommandContext(ctx, bin, "--listen", addr, "--data-dir", dataDir, "--database", database, "--log-level", "warn",
		"--ingest-rate-cluster", "0", "--ingest-rate-node", "0")
	cmd.Env = append(os.Environ(), "RUNWATCH_ADMIN_TOKEN=bench-admin-token-0123456789", "RUNWATCH_ADMIN_PASSWORD=bench-admin-password-0123")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &platformProc{cmd: cmd, url: "http://" + addr}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		res, err := http.Get(p.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return p, nil
			}
		}
	}
	p.stop()
	return nil, errors.New("platform did not become ready")
}

func (p *platformProc) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	_ = p.cmd.Wait()
}

// rss reads the platform's resident and peak resident memory.
func (p *platformProc) rss() (cur, peak string) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return "?", "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			cur = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			peak = strings.TrimSpace(v)
		}
	}
	return cur, peak
}

func h2c() *http.Client {
	tr := &http.Transport{}
	tr.Protocols = new(http.Protocols)
	tr.Protocols.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: tr}
}

func token(ctx context.Context, url string) (string, error) {
	admin := runwatchv1connect.NewAdminServiceClient(http.DefaultClient, url, connect.WithInterceptors(bearer("bench-admin-token-0123456789")))
	res, err := admin.CreateRegistrationToken(ctx, connect.NewRequest(&v1.CreateRegistrationTokenRequest{ClusterName: "bench"}))
	if err != nil {
		return "", err
	}
	return res.Msg.GetToken(), nil
}

func bearer(tok string) connect.Interceptor {
	return connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Bearer "+tok)
			return next(ctx, req)
		}
	})
}

// endToEnd sends every sensor's batches at once and returns records per
// second, from the first send to the last acknowledgement.
func endToEnd(ctx context.Context, p *platformProc, w [][]*v1.ReportRuntimeRequest) (float64, int, error) {
	tok, err := token(ctx, p.url)
	if err != nil {
		return 0, 0, err
	}
	client := runwatchv1connect.NewSensorServiceClient(h2c(), p.url, connect.WithGRPC(), connect.WithInterceptors(bearer(tok)))
	total := 0
	for _, bs := range w {
		for _, b := range bs {
			total += len(b.Executions) + len(b.FileLoads)
		}
	}
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	for s, bs := range w {
		g.Go(func() error {
			for i, b := range bs {
				res, err := client.ReportRuntime(gctx, connect.NewRequest(b))
				if err != nil {
					return fmt.Errorf("sensor %d batch %d: %w", s, i, err)
				}
				if res.Msg.GetDuplicate() {
					return fmt.Errorf("sensor %d batch %d: unexpected duplicate", s, i)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return 0, 0, err
	}
	return float64(total) / time.Since(start).Seconds(), total, nil
}

// ---- Postgres ----

func createDB(ctx context.Context, base, name string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return "", nil, err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, err
	}
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		return "", nil, err
	}
	url := strings.Replace(base, "/"+cfg.Database, "/"+name, 1)
	return url, func() {
		c, err := pgx.Connect(context.Background(), base)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	}, nil
}

func benchPostgres(ctx context.Context, o options, tmp string) error {
	w := workload(o)
	e2eURL, dropE2E, err := createDB(ctx, o.postgres, "runwatch_bench_e2e")
	if err != nil {
		return err
	}
	defer dropE2E()
	p, err := startPlatform(ctx, o.platformBin, filepath.Join(tmp, "pg"), e2eURL)
	if err != nil {
		return err
	}
	e2e, n, err := endToEnd(ctx, p, w)
	cur, peak := p.rss()
	p.stop()
	if err != nil {
		return err
	}
	rawURL, dropRaw, err := createDB(ctx, o.postgres, "runwatch_bench_raw")
	if err != nil {
		return err
	}
	defer dropRaw()
	raw, err := rawCopy(ctx, rawURL, w)
	if err != nil {
		return err
	}
	report("postgres", n, e2e, raw, "raw pgx CopyFrom", cur, peak)
	return nil
}

// rawCopy migrates a fresh database with the platform's own schema and
// COPYs the same rows into the same tables, one connection per sensor.
func rawCopy(ctx context.Context, url string, w [][]*v1.ReportRuntimeRequest) (float64, error) {
	s, err := store.OpenPostgres(ctx, url, slog.New(slog.DiscardHandler))
	if err != nil {
		return 0, err
	}
	s.Close()
	procs, files, total := rows(w)
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	for s := range w {
		g.Go(func() error {
			conn, err := pgx.Connect(gctx, url)
			if err != nil {
				return err
			}
			defer conn.Close(context.Background())
			for i := range procs[s] {
				if _, err := conn.CopyFrom(gctx, pgx.Identifier{"processes"}, store.ProcessColumns, pgx.CopyFromRows(procs[s][i])); err != nil {
					return err
				}
				if _, err := conn.CopyFrom(gctx, pgx.Identifier{"file_loads"}, store.FileColumns, pgx.CopyFromRows(files[s][i])); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	return float64(total) / time.Since(start).Seconds(), nil
}

// rows turns every batch into the rows the store writes for it, per
// sensor and batch.
func rows(w [][]*v1.ReportRuntimeRequest) (procs, files [][][][]any, total int) {
	procs = make([][][][]any, len(w))
	files = make([][][][]any, len(w))
	for s, bs := range w {
		for _, b := range bs {
			batch := rpc.RuntimeBatch(b)
			p, f := store.RuntimeRows("cl_bench", &batch)
			procs[s] = append(procs[s], p)
			files[s] = append(files[s], f)
			total += len(p) + len(f)
		}
	}
	return procs, files, total
}

// ---- SQLite ----

func benchSQLite(ctx context.Context, o options, tmp string) error {
	w := workload(o)
	dir := filepath.Join(tmp, "sqlite-e2e")
	p, err := startPlatform(ctx, o.platformBin, dir, "")
	if err != nil {
		return err
	}
	e2e, n, err := endToEnd(ctx, p, w)
	cur, peak := p.rss()
	p.stop()
	if err != nil {
		return err
	}
	raw, err := rawInsert(ctx, filepath.Join(tmp, "sqlite-raw", "runwatch.db"), w)
	if err != nil {
		return err
	}
	report("sqlite", n, e2e, raw, "raw multi-row INSERT", cur, peak)
	return nil
}

// rawInsert writes the same rows into a SQLite file with the platform's
// schema and pragmas, in one transaction per batch, as multi-row INSERTs.
func rawInsert(ctx context.Context, path string, w [][]*v1.ReportRuntimeRequest) (float64, error) {
	s, err := store.OpenSQLite(ctx, path, slog.New(slog.DiscardHandler))
	if err != nil {
		return 0, err
	}
	defer s.Close()
	db := s.DB().DB
	procs, files, total := rows(w)
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	for s := range w {
		g.Go(func() error {
			for i := range procs[s] {
				if err := insertTx(gctx, db, procs[s][i], files[s][i]); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	return float64(total) / time.Since(start).Seconds(), nil
}

func insertTx(ctx context.Context, db *sql.DB, procs, files [][]any) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	for _, t := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{{"processes", store.ProcessColumns, procs}, {"file_loads", store.FileColumns, files}} {
		per := 30000 / len(t.cols)
		ph := "(" + strings.TrimSuffix(strings.Repeat("?,", len(t.cols)), ",") + ")"
		for start := 0; start < len(t.rows); start += per {
			chunk := t.rows[start:min(start+per, len(t.rows))]
			var args []any
			for _, r := range chunk {
				args = append(args, r...)
			}
			q := "INSERT INTO " + t.table + " (" + strings.Join(t.cols, ",") + ") VALUES " + strings.TrimSuffix(strings.Repeat(ph+",", len(chunk)), ",")
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

func report(dialect string, n int, e2e, raw float64, baseline, rss, peak string) {
	fmt.Printf("%s\n", dialect)
	fmt.Printf("  end to end (gRPC client -> platform -> %s): %10.0f records/s\n", dialect, e2e)
	fmt.Printf("  baseline (%s into the same tables):%*s%10.0f records/s\n", baseline, max(0, 20-len(baseline)), "", raw)
	fmt.Printf("  ratio end-to-end / baseline: %.2f\n", e2e/raw)
	fmt.Printf("  platform memory after %d records: RSS %s, peak RSS %s\n\n", n, rss, peak)
}
