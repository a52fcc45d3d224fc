package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/runwatch/runwatch/domain/inventory"
	"github.com/runwatch/runwatch/domain/runtime"
)

// RegisterSensor implements ports.RuntimeStore. A node a controller never
// reported is created from what its sensor says (host mode, or a cluster
// without a controller).
func (s *Store) RegisterSensor(ctx context.Context, clusterID string, si runtime.SensorInfo, now time.Time) error {
	t := us(now)
	_, err := s.db.ExecContext(ctx, `INSERT INTO nodes (cluster_id, name, kernel_version, os_image, architecture, first_seen, last_seen,
		sensor_mode, sensor_hook_mode, sensor_version, sensor_boot_id, sensor_started_at, sensor_heartbeat_at, sensor_status, sensor_message)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', '')
	ON CONFLICT (cluster_id, name) DO UPDATE SET
		kernel_version = CASE WHEN nodes.in_inventory THEN nodes.kernel_version ELSE EXCLUDED.kernel_version END,
		os_image = CASE WHEN nodes.in_inventory THEN nodes.os_image ELSE EXCLUDED.os_image END,
		architecture = CASE WHEN nodes.in_inventory THEN nodes.architecture ELSE EXCLUDED.architecture END,
		last_seen = CASE WHEN nodes.in_inventory THEN nodes.last_seen ELSE EXCLUDED.last_seen END,
		gone_at = CASE WHEN nodes.in_inventory THEN nodes.gone_at ELSE 0 END,
		sensor_mode = EXCLUDED.sensor_mode, sensor_hook_mode = EXCLUDED.sensor_hook_mode, sensor_version = EXCLUDED.sensor_version,
		sensor_boot_id = EXCLUDED.sensor_boot_id, `+sensorSince("?")+`,
		sensor_heartbeat_at = EXCLUDED.sensor_heartbeat_at, sensor_status = EXCLUDED.sensor_status, sensor_message = ''`,
		clusterID, si.NodeName, si.KernelVersion, si.OSImage, si.Architecture, t, t,
		string(si.Mode), string(si.HookMode), si.Version, si.BootID, t, t, us(now.Add(-inventory.StaleAfter)))
	if err != nil {
		return fmt.Errorf("register sensor on %s: %w", si.NodeName, err)
	}
	return nil
}

// SensorHeartbeat implements ports.RuntimeStore.
func (s *Store) SensorHeartbeat(ctx context.Context, clusterID string, h runtime.Heartbeat, now time.Time) error {
	t := us(now)
	status := string(h.Status)
	if status == "" {
		status = "running"
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO nodes (cluster_id, name, first_seen, last_seen, sensor_status, sensor_message, sensor_version,
		sensor_mode, sensor_hook_mode, sensor_heartbeat_at, drops_ring_buffer, drops_spool_full, drops_decode_errors, drops_dedup_overflow,
		drops_filtered_in_kernel, events_received, spooled_records, sensor_started_at, drops_rejected)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (cluster_id, name) DO UPDATE SET `+sensorSince("?")+`,
		last_seen = CASE WHEN nodes.in_inventory THEN nodes.last_seen ELSE EXCLUDED.last_seen END,
		gone_at = CASE WHEN nodes.in_inventory THEN nodes.gone_at ELSE 0 END,
		sensor_status = EXCLUDED.sensor_status, sensor_message = EXCLUDED.sensor_message,
		sensor_version = CASE WHEN EXCLUDED.sensor_version <> '' THEN EXCLUDED.sensor_version ELSE nodes.sensor_version END,
		sensor_mode = CASE WHEN EXCLUDED.sensor_mode <> '' THEN EXCLUDED.sensor_mode ELSE nodes.sensor_mode END,
		sensor_hook_mode = CASE WHEN EXCLUDED.sensor_hook_mode <> '' THEN EXCLUDED.sensor_hook_mode ELSE nodes.sensor_hook_mode END,
		`+excludedSet("sensor_heartbeat_at", "drops_ring_buffer", "drops_spool_full", "drops_decode_errors", "drops_dedup_overflow",
		"drops_filtered_in_kernel", "events_received", "spooled_records", "drops_rejected"),
		clusterID, h.NodeName, t, t, status, h.Message, h.Version, string(h.Mode), string(h.HookMode), t,
		int64(h.Drops.RingBuffer), int64(h.Drops.SpoolFull), int64(h.Drops.DecodeErrors), int64(h.Drops.DedupOverflow),
		int64(h.Drops.FilteredInKernel), int64(h.EventsReceived), int64(h.SpooledRecords), t, int64(h.Drops.RejectedByPlatform),
		us(now.Add(-inventory.StaleAfter)))
	if err != nil {
		return fmt.Errorf("record sensor heartbeat from %s: %w", h.NodeName, err)
	}
	return nil
}

// The runtime tables' columns in the order the bulk paths write them.
var (
	processCols = []string{"cluster_id", "node_name", "container_id", "executable_path", "sha256", "pod_uid", "runtime",
		"cgroup_path", "argv", "argv_truncated", "uid", "pid", "parent_pid", "parent_executable_path", "comm", "first_seen",
		"last_seen", "count", "drift", "package_purls", "unresolved_reason"}
	fileCols = []string{"cluster_id", "node_name", "container_id", "path", "sha256", "pod_uid", "runtime", "cgroup_path",
		"kind", "package_purls", "loaded_by_path", "first_seen", "last_seen", "count", "drift", "unresolved_reason"}
)

func processValues(clusterID, node string, p *runtime.Process) []any {
	return []any{clusterID, node, p.Container.ContainerID, p.ExecutablePath, p.SHA256, p.Container.PodUID,
		string(p.Container.Runtime), p.Container.CgroupPath, stringsText(p.Argv), p.ArgvTruncated, int64(p.UID), int64(p.PID),
		int64(p.ParentPID), p.ParentExecutablePath, p.Comm, us(p.FirstSeen), us(p.LastSeen), int64(p.Count), p.Drift,
		stringsText(p.PackagePURLs), p.UnresolvedReason}
}

func fileValues(clusterID, node string, f *runtime.FileLoad) []any {
	return []any{clusterID, node, f.Container.ContainerID, f.Path, f.SHA256, f.Container.PodUID, string(f.Container.Runtime),
		f.Container.CgroupPath, string(f.Kind), stringsText(f.PackagePURLs), f.LoadedByPath, us(f.FirstSeen), us(f.LastSeen),
		int64(f.Count), f.Drift, f.UnresolvedReason}
}

// processMerge is runtime.MergeProcess in SQL: t is the stored row,
// EXCLUDED the incoming one.
func (s *Store) processMerge() string {
	const noDetail = "processes.comm = '' AND processes.argv = '' AND processes.pid = 0"
	detail := func(col string) string {
		return col + " = CASE WHEN " + noDetail + " THEN EXCLUDED." + col + " ELSE processes." + col + " END"
	}
	return "ON CONFLICT (cluster_id, node_name, container_id, executable_path, sha256) DO UPDATE SET " + strings.Join([]string{
		"count = processes.count + EXCLUDED.count",
		"first_seen = " + s.least() + "(processes.first_seen, EXCLUDED.first_seen)",
		"last_seen = " + s.greatest() + "(processes.last_seen, EXCLUDED.last_seen)",
		"drift = (processes.drift OR EXCLUDED.drift)",
		// The detail group is read off the stored row before any of it
		// changes: SQL evaluates every SET expression against the old row.
		detail("argv"), detail("argv_truncated"), detail("uid"), detail("pid"), detail("parent_pid"),
		detail("parent_executable_path"), detail("comm"),
		fillEmpty("processes", "pod_uid"), fillEmpty("processes", "runtime"), fillEmpty("processes", "cgroup_path"),
		fillEmpty("processes", "package_purls"), fillEmpty("processes", "unresolved_reason"),
	}, ", ")
}

// fileMerge is runtime.MergeFile in SQL.
func (s *Store) fileMerge() string {
	return "ON CONFLICT (cluster_id, node_name, container_id, path, sha256) DO UPDATE SET " + strings.Join([]string{
		"count = file_loads.count + EXCLUDED.count",
		"first_seen = " + s.least() + "(file_loads.first_seen, EXCLUDED.first_seen)",
		"last_seen = " + s.greatest() + "(file_loads.last_seen, EXCLUDED.last_seen)",
		"drift = (file_loads.drift OR EXCLUDED.drift)",
		fillEmpty("file_loads", "kind"), fillEmpty("file_loads", "package_purls"), fillEmpty("file_loads", "loaded_by_path"),
		fillEmpty("file_loads", "pod_uid"), fillEmpty("file_loads", "runtime"), fillEmpty("file_loads", "cgroup_path"),
		fillEmpty("file_loads", "unresolved_reason"),
	}, ", ")
}

func fillEmpty(table, col string) string {
	return col + " = CASE WHEN " + table + "." + col + " = '' THEN EXCLUDED." + col + " ELSE " + table + "." + col + " END"
}

// ApplyRuntime implements ports.RuntimeStore.
func (s *Store) ApplyRuntime(ctx context.Context, clusterID string, b *runtime.Batch, now time.Time) (runtime.ApplyResult, error) {
	b.Coalesce()
	var (
		res runtime.ApplyResult
		err error
	)
	if s.pg {
		res, err = s.applyRuntimePG(ctx, clusterID, b, now)
	} else {
		res, err = s.applyRuntimeSQLite(ctx, clusterID, b, now)
	}
	if err != nil {
		return runtime.ApplyResult{}, fmt.Errorf("apply runtime batch %s: %w", b.ID, err)
	}
	return res, nil
}

// applyRuntimeSQLite writes multi-row upserts through prepared statements,
// as many rows per statement as SQLite's variable limit allows.
func (s *Store) applyRuntimeSQLite(ctx context.Context, clusterID string, b *runtime.Batch, now time.Time) (runtime.ApplyResult, error) {
	res := runtime.ApplyResult{Processes: len(b.Processes), Files: len(b.Files)}
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		fresh, err := claimBatch(ctx, tx, clusterID, b.ID, now)
		if err != nil || !fresh {
			res = runtime.ApplyResult{Duplicate: !fresh}
			return err
		}
		w := sqliteWriter{tx: tx}
		if err := w.upsert(ctx, "processes", processCols, s.processMerge(), len(b.Processes), func(i int) []any {
			return processValues(clusterID, b.NodeName, &b.Processes[i])
		}); err != nil {
			return fmt.Errorf("upsert processes: %w", err)
		}
		if err := w.upsert(ctx, "file_loads", fileCols, s.fileMerge(), len(b.Files), func(i int) []any {
			return fileValues(clusterID, b.NodeName, &b.Files[i])
		}); err != nil {
			return fmt.Errorf("upsert file loads: %w", err)
		}
		return nil
	})
	return res, err
}

// sqliteMaxVars is SQLite's default SQLITE_MAX_VARIABLE_NUMBER.
const sqliteMaxVars = 32766

type sqliteWriter struct {
	tx bun.Tx
}

func (w sqliteWriter) upsert(ctx context.Context, table string, cols []string, onConflict string, n int, values func(int) []any) error {
	per := min(sqliteMaxVars/len(cols), 500)
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	args := make([]any, 0, per*len(cols))
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		args = args[:0]
		for i := start; i < end; i++ {
			args = append(args, values(i)...)
		}
		q := head + strings.TrimSuffix(strings.Repeat(row+",", end-start), ",") + " " + onConflict
		// database/sql with the driver's own placeholders: bun's formatter
		// would inline every value into the statement text.
		if _, err := w.tx.Tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// ProcessColumns and FileColumns are the runtime tables' columns in the
// order RuntimeRows gives values, for benchmarks that write the same rows
// another way.
var (
	ProcessColumns = processCols
	FileColumns    = fileCols
)

// RuntimeRows returns the rows the store writes for a batch.
func RuntimeRows(clusterID string, b *runtime.Batch) (procs, files [][]any) {
	for i := range b.Processes {
		procs = append(procs, processValues(clusterID, b.NodeName, &b.Processes[i]))
	}
	for i := range b.Files {
		files = append(files, fileValues(clusterID, b.NodeName, &b.Files[i]))
	}
	return procs, files
}
