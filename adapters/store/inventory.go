package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/runwatch/runwatch/domain/artifact"
	"github.com/runwatch/runwatch/domain/inventory"
)

// Rows as the controller writes them. Columns a sensor owns (on nodes) are
// not in these models, so an inventory upsert never touches them.

type nodeRow struct {
	bun.BaseModel           `bun:"table:nodes,alias:nodes"`
	ClusterID               string `bun:"cluster_id"`
	Name                    string `bun:"name"`
	UID                     string `bun:"uid"`
	KernelVersion           string `bun:"kernel_version"`
	OSImage                 string `bun:"os_image"`
	Architecture            string `bun:"architecture"`
	ContainerRuntimeVersion string `bun:"container_runtime_version"`
	KubeletVersion          string `bun:"kubelet_version"`
	ProviderID              string `bun:"provider_id"`
	Provider                string `bun:"provider"`
	Labels                  string `bun:"labels"`
	SensorDisabled          bool   `bun:"sensor_disabled"`
	Ready                   bool   `bun:"ready"`
	CreatedAt               int64  `bun:"created_at"`
	InInventory             bool   `bun:"in_inventory"`
	FirstSeen               int64  `bun:"first_seen"`
	LastSeen                int64  `bun:"last_seen"`
	GoneAt                  int64  `bun:"gone_at"`
	SnapshotID              string `bun:"snapshot_id"`
}

type namespaceRow struct {
	bun.BaseModel `bun:"table:namespaces,alias:namespaces"`
	ClusterID     string `bun:"cluster_id"`
	Name          string `bun:"name"`
	UID           string `bun:"uid"`
	Labels        string `bun:"labels"`
	CreatedAt     int64  `bun:"created_at"`
	FirstSeen     int64  `bun:"first_seen"`
	LastSeen      int64  `bun:"last_seen"`
	GoneAt        int64  `bun:"gone_at"`
	SnapshotID    string `bun:"snapshot_id"`
}

type workloadRow struct {
	bun.BaseModel   `bun:"table:workloads,alias:workloads"`
	ClusterID       string `bun:"cluster_id"`
	UID             string `bun:"uid"`
	Kind            string `bun:"kind"`
	APIVersion      string `bun:"api_version"`
	Namespace       string `bun:"namespace"`
	Name            string `bun:"name"`
	Labels          string `bun:"labels"`
	DesiredReplicas int32  `bun:"desired_replicas"`
	CreatedAt       int64  `bun:"created_at"`
	FirstSeen       int64  `bun:"first_seen"`
	LastSeen        int64  `bun:"last_seen"`
	GoneAt          int64  `bun:"gone_at"`
	SnapshotID      string `bun:"snapshot_id"`
}

type podRow struct {
	bun.BaseModel `bun:"table:pods,alias:pods"`
	ClusterID     string `bun:"cluster_id"`
	UID           string `bun:"uid"`
	Namespace     string `bun:"namespace"`
	Name          string `bun:"name"`
	NodeName      string `bun:"node_name"`
	WorkloadUID   string `bun:"workload_uid"`
	WorkloadKind  string `bun:"workload_kind"`
	WorkloadName  string `bun:"workload_name"`
	Labels        string `bun:"labels"`
	Phase         string `bun:"phase"`
	OwnerNote     string `bun:"owner_note"`
	CreatedAt     int64  `bun:"created_at"`
	FirstSeen     int64  `bun:"first_seen"`
	LastSeen      int64  `bun:"last_seen"`
	GoneAt        int64  `bun:"gone_at"`
	SnapshotID    string `bun:"snapshot_id"`
	SeenBatch     string `bun:"seen_batch"`
}

type containerRow struct {
	bun.BaseModel `bun:"table:containers,alias:containers"`
	ClusterID     string `bun:"cluster_id"`
	PodUID        string `bun:"pod_uid"`
	Name          string `bun:"name"`
	ContainerID   string `bun:"container_id"`
	Namespace     string `bun:"namespace"`
	PodName       string `bun:"pod_name"`
	NodeName      string `bun:"node_name"`
	WorkloadUID   string `bun:"workload_uid"`
	WorkloadKind  string `bun:"workload_kind"`
	WorkloadName  string `bun:"workload_name"`
	Kind          string `bun:"kind"`
	Image         string `bun:"image"`
	ImageDigest   string `bun:"image_digest"`
	ImageID       string `bun:"image_id"`
	Runtime       string `bun:"runtime"`
	State         string `bun:"state"`
	RestartCount  int32  `bun:"restart_count"`
	StartedAt     int64  `bun:"started_at"`
	FirstSeen     int64  `bun:"first_seen"`
	LastSeen      int64  `bun:"last_seen"`
	GoneAt        int64  `bun:"gone_at"`
	SnapshotID    string `bun:"snapshot_id"`
	SeenBatch     string `bun:"seen_batch"`
}

type imageRow struct {
	bun.BaseModel `bun:"table:images,alias:images"`
	Digest        string `bun:"digest"`
	Repository    string `bun:"repository"`
	FirstSeen     int64  `bun:"first_seen"`
	LastSeen      int64  `bun:"last_seen"`
}

type imageRefRow struct {
	bun.BaseModel `bun:"table:image_references,alias:image_references"`
	Digest        string `bun:"digest"`
	Reference     string `bun:"reference"`
	FirstSeen     int64  `bun:"first_seen"`
	LastSeen      int64  `bun:"last_seen"`
}

// upsertChunk bounds the rows of one INSERT statement.
const upsertChunk = 1000

// ApplyInventory implements ports.InventoryStore.
func (s *Store) ApplyInventory(ctx context.Context, clusterID string, b *inventory.Batch, now time.Time) (inventory.ApplyResult, error) {
	var res inventory.ApplyResult
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		fresh, err := claimBatch(ctx, tx, clusterID, b.ID, now)
		if err != nil || !fresh {
			res.Duplicate = !fresh
			return err
		}
		a := inventoryApply{s: s, tx: tx, cluster: clusterID, batch: b, now: us(now)}
		if err := a.run(ctx); err != nil {
			return err
		}
		res.Applied, res.MarkedGone = a.applied, a.gone
		return nil
	})
	if err != nil {
		return inventory.ApplyResult{}, fmt.Errorf("apply inventory batch %s: %w", b.ID, err)
	}
	return res, nil
}

// claimBatch records a batch id as applied, in the batch's transaction. It
// returns false when the id was applied before: a concurrent retry of the
// same batch waits on the key's lock and then sees it taken.
func claimBatch(ctx context.Context, tx bun.Tx, clusterID, batchID string, now time.Time) (bool, error) {
	r, err := tx.ExecContext(ctx, `INSERT INTO ingest_batches (cluster_id, batch_id, applied_at) VALUES (?, ?, ?) ON CONFLICT (cluster_id, batch_id) DO NOTHING`, clusterID, batchID, us(now))
	if err != nil {
		return false, fmt.Errorf("record batch id: %w", err)
	}
	n, err := r.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

type inventoryApply struct {
	s       *Store
	tx      bun.Tx
	cluster string
	batch   *inventory.Batch
	now     int64
	applied int
	gone    int
}

func (a *inventoryApply) run(ctx context.Context) error {
	b := a.batch
	if b.IsSnapshot() {
		// A new snapshot id starts a snapshot: remember when, so that what
		// deltas touch while it is sent is not taken for gone.
		if _, err := a.tx.ExecContext(ctx, `UPDATE clusters SET snapshot_id = ?, snapshot_started_at = ? WHERE id = ? AND snapshot_id <> ?`, b.SnapshotID, a.now, a.cluster, b.SnapshotID); err != nil {
			return fmt.Errorf("start snapshot: %w", err)
		}
	}
	steps := []func(context.Context) error{a.nodes, a.namespaces, a.workloads, a.pods, a.deletes}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	if b.SnapshotComplete {
		if err := a.reconcile(ctx); err != nil {
			return err
		}
	}
	if _, err := a.tx.ExecContext(ctx, `UPDATE clusters SET controller_report_at = ? WHERE id = ?`, a.now, a.cluster); err != nil {
		return fmt.Errorf("record report: %w", err)
	}
	return nil
}

// snapshotSet keeps the snapshot id of a row unless a snapshot reports it.
func snapshotSet(table string) string {
	return "snapshot_id = CASE WHEN EXCLUDED.snapshot_id <> '' THEN EXCLUDED.snapshot_id ELSE " + table + ".snapshot_id END"
}

// excludedSet is "a = EXCLUDED.a, ..." for an upsert.
func excludedSet(cols ...string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c + " = EXCLUDED." + c
	}
	return strings.Join(parts, ", ")
}

// upsert inserts rows in chunks with an ON CONFLICT clause.
func upsert[T any](ctx context.Context, tx bun.Tx, rows []T, conflict string, set ...string) error {
	for start := 0; start < len(rows); start += upsertChunk {
		chunk := rows[start:min(start+upsertChunk, len(rows))]
		q := tx.NewInsert().Model(&chunk).On(conflict)
		for _, s := range set {
			q = q.Set(s)
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// lastByKey drops earlier duplicates: one statement cannot upsert a row
// twice, and the last report of an object is the newest.
func lastByKey[T any](rows []T, key func(*T) string) []T {
	if len(rows) < 2 {
		return rows
	}
	at := make(map[string]int, len(rows))
	out := make([]T, 0, len(rows))
	for i := range rows {
		k := key(&rows[i])
		if j, ok := at[k]; ok {
			out[j] = rows[i]
			continue
		}
		at[k] = len(out)
		out = append(out, rows[i])
	}
	return out
}

func (a *inventoryApply) nodes(ctx context.Context) error {
	if len(a.batch.Nodes) == 0 {
		return nil
	}
	rows := make([]nodeRow, len(a.batch.Nodes))
	for i, n := range a.batch.Nodes {
		rows[i] = nodeRow{ClusterID: a.cluster, Name: n.Name, UID: n.UID, KernelVersion: n.KernelVersion, OSImage: n.OSImage,
			Architecture: n.Architecture, ContainerRuntimeVersion: n.ContainerRuntimeVersion, KubeletVersion: n.KubeletVersion,
			ProviderID: n.ProviderID, Provider: n.Provider, Labels: labelsText(n.Labels), SensorDisabled: n.SensorDisabled,
			Ready: n.Ready, CreatedAt: us(n.CreatedAt), InInventory: true, FirstSeen: a.now, LastSeen: a.now, SnapshotID: a.batch.SnapshotID}
	}
	rows = lastByKey(rows, func(r *nodeRow) string { return r.Name })
	a.applied += len(rows)
	err := upsert(ctx, a.tx, rows, "CONFLICT (cluster_id, name) DO UPDATE",
		excludedSet("uid", "kernel_version", "os_image", "architecture", "container_runtime_version", "kubelet_version",
			"provider_id", "provider", "labels", "sensor_disabled", "ready", "created_at", "in_inventory", "last_seen"),
		"gone_at = 0", snapshotSet("nodes"))
	if err != nil {
		return fmt.Errorf("upsert nodes: %w", err)
	}
	return nil
}

func (a *inventoryApply) namespaces(ctx context.Context) error {
	if len(a.batch.Namespaces) == 0 {
		return nil
	}
	rows := make([]namespaceRow, len(a.batch.Namespaces))
	for i, n := range a.batch.Namespaces {
		rows[i] = namespaceRow{ClusterID: a.cluster, Name: n.Name, UID: n.UID, Labels: labelsText(n.Labels),
			CreatedAt: us(n.CreatedAt), FirstSeen: a.now, LastSeen: a.now, SnapshotID: a.batch.SnapshotID}
	}
	rows = lastByKey(rows, func(r *namespaceRow) string { return r.Name })
	a.applied += len(rows)
	if err := upsert(ctx, a.tx, rows, "CONFLICT (cluster_id, name) DO UPDATE",
		excludedSet("uid", "labels", "created_at", "last_seen"), "gone_at = 0", snapshotSet("namespaces")); err != nil {
		return fmt.Errorf("upsert namespaces: %w", err)
	}
	return nil
}

func (a *inventoryApply) workloads(ctx context.Context) error {
	if len(a.batch.Workloads) == 0 {
		return nil
	}
	rows := make([]workloadRow, len(a.batch.Workloads))
	for i, w := range a.batch.Workloads {
		rows[i] = workloadRow{ClusterID: a.cluster, UID: w.UID, Kind: w.Kind, APIVersion: w.APIVersion, Namespace: w.Namespace,
			Name: w.Name, Labels: labelsText(w.Labels), DesiredReplicas: w.DesiredReplicas, CreatedAt: us(w.CreatedAt),
			FirstSeen: a.now, LastSeen: a.now, SnapshotID: a.batch.SnapshotID}
	}
	rows = lastByKey(rows, func(r *workloadRow) string { return r.UID })
	a.applied += len(rows)
	if err := upsert(ctx, a.tx, rows, "CONFLICT (cluster_id, uid) DO UPDATE",
		excludedSet("kind", "api_version", "namespace", "name", "labels", "desired_replicas", "created_at", "last_seen"),
		"gone_at = 0", snapshotSet("workloads")); err != nil {
		return fmt.Errorf("upsert workloads: %w", err)
	}
	return nil
}

func (a *inventoryApply) pods(ctx context.Context) error {
	if len(a.batch.Pods) == 0 {
		return nil
	}
	b := a.batch
	pods := make([]podRow, 0, len(b.Pods))
	var containers []containerRow
	owners := make([]workloadRow, 0, len(b.Pods))
	var images []imageRow
	var refs []imageRefRow
	for _, p := range b.Pods {
		pods = append(pods, podRow{ClusterID: a.cluster, UID: p.UID, Namespace: p.Namespace, Name: p.Name, NodeName: p.NodeName,
			WorkloadUID: p.Workload.UID, WorkloadKind: p.Workload.Kind, WorkloadName: p.Workload.Name, Labels: labelsText(p.Labels),
			Phase: p.Phase, OwnerNote: p.OwnerNote, CreatedAt: us(p.CreatedAt), FirstSeen: a.now, LastSeen: a.now,
			SnapshotID: b.SnapshotID, SeenBatch: b.ID})
		// Every pod's top-level owner is a workload, reported or not (a
		// bare pod, a custom kind): keep one so lists and joins find it.
		owners = append(owners, workloadRow{ClusterID: a.cluster, UID: p.Workload.UID, Kind: p.Workload.Kind, Namespace: p.Namespace,
			Name: p.Workload.Name, FirstSeen: a.now, LastSeen: a.now, SnapshotID: b.SnapshotID})
		for _, c := range p.Containers {
			containers = append(containers, containerRow{ClusterID: a.cluster, PodUID: p.UID, Name: c.Name, ContainerID: c.ContainerID,
				Namespace: p.Namespace, PodName: p.Name, NodeName: p.NodeName, WorkloadUID: p.Workload.UID, WorkloadKind: p.Workload.Kind,
				WorkloadName: p.Workload.Name, Kind: string(c.Kind), Image: c.Image, ImageDigest: c.ImageDigest, ImageID: c.ImageID,
				Runtime: c.Runtime, State: string(c.State), RestartCount: c.RestartCount, StartedAt: us(c.StartedAt),
				FirstSeen: a.now, LastSeen: a.now, SnapshotID: b.SnapshotID, SeenBatch: b.ID})
			if c.ImageDigest != "" {
				images = append(images, imageRow{Digest: c.ImageDigest, Repository: repository(c.Image), FirstSeen: a.now, LastSeen: a.now})
				if c.Image != "" {
					refs = append(refs, imageRefRow{Digest: c.ImageDigest, Reference: c.Image, FirstSeen: a.now, LastSeen: a.now})
				}
			}
		}
	}
	pods = lastByKey(pods, func(r *podRow) string { return r.UID })
	owners = lastByKey(owners, func(r *workloadRow) string { return r.UID })
	containers = lastByKey(containers, func(r *containerRow) string { return r.PodUID + "\x00" + r.Name + "\x00" + r.ContainerID })
	images = lastByKey(images, func(r *imageRow) string { return r.Digest })
	refs = lastByKey(refs, func(r *imageRefRow) string { return r.Digest + "\x00" + r.Reference })
	a.applied += len(pods)

	if err := upsert(ctx, a.tx, owners, "CONFLICT (cluster_id, uid) DO UPDATE", "last_seen = EXCLUDED.last_seen", "gone_at = 0", snapshotSet("workloads")); err != nil {
		return fmt.Errorf("upsert pod owners: %w", err)
	}
	if err := upsert(ctx, a.tx, pods, "CONFLICT (cluster_id, uid) DO UPDATE",
		excludedSet("namespace", "name", "node_name", "workload_uid", "workload_kind", "workload_name", "labels", "phase",
			"owner_note", "created_at", "last_seen", "seen_batch"), "gone_at = 0", snapshotSet("pods")); err != nil {
		return fmt.Errorf("upsert pods: %w", err)
	}
	if err := upsert(ctx, a.tx, containers, "CONFLICT (cluster_id, pod_uid, name, container_id) DO UPDATE",
		excludedSet("namespace", "pod_name", "node_name", "workload_uid", "workload_kind", "workload_name", "kind", "image",
			"image_digest", "image_id", "runtime", "state", "restart_count", "started_at", "last_seen", "seen_batch"),
		"gone_at = 0", snapshotSet("containers")); err != nil {
		return fmt.Errorf("upsert containers: %w", err)
	}
	// A pod's report lists all its containers: a container of a reported
	// pod that this batch did not list was replaced (a restart gives it a
	// new id). A placeholder without an id is dropped; a real container
	// stays as history, gone, so its runtime records keep their pod.
	ofBatchPods := `cluster_id = ? AND seen_batch <> ? AND pod_uid IN (SELECT uid FROM pods WHERE cluster_id = ? AND seen_batch = ?)`
	if _, err := a.tx.ExecContext(ctx, `DELETE FROM containers WHERE container_id = '' AND `+ofBatchPods, a.cluster, b.ID, a.cluster, b.ID); err != nil {
		return fmt.Errorf("drop replaced container placeholders: %w", err)
	}
	r, err := a.tx.ExecContext(ctx, `UPDATE containers SET gone_at = ? WHERE gone_at = 0 AND `+ofBatchPods, a.now, a.cluster, b.ID, a.cluster, b.ID)
	if err != nil {
		return fmt.Errorf("mark replaced containers gone: %w", err)
	}
	a.gone += affected(r)
	g := a.s.greatest()
	if err := upsert(ctx, a.tx, images, "CONFLICT (digest) DO UPDATE", "last_seen = "+g+"(images.last_seen, EXCLUDED.last_seen)",
		"repository = CASE WHEN images.repository = '' THEN EXCLUDED.repository ELSE images.repository END"); err != nil {
		return fmt.Errorf("upsert images: %w", err)
	}
	if err := upsert(ctx, a.tx, refs, "CONFLICT (digest, reference) DO UPDATE", "last_seen = "+g+"(image_references.last_seen, EXCLUDED.last_seen)"); err != nil {
		return fmt.Errorf("upsert image references: %w", err)
	}
	return nil
}

// repository is the normalised repository of a reference, ” when it does
// not parse (the reference is kept as written either way).
func repository(ref string) string {
	r, err := artifact.ParseReference(ref)
	if err != nil {
		return ""
	}
	return r.Name()
}

func (a *inventoryApply) deletes(ctx context.Context) error {
	var nodes, namespaces, workloads, pods []string
	for _, d := range a.batch.Deleted {
		switch d.Kind {
		case inventory.KindNode:
			nodes = append(nodes, d.Name)
		case inventory.KindNamespace:
			namespaces = append(namespaces, d.Name)
		case inventory.KindWorkload:
			workloads = append(workloads, d.UID)
		case inventory.KindPod:
			pods = append(pods, d.UID)
		}
	}
	stmts := []struct {
		keys []string
		sql  string
	}{
		{nodes, `UPDATE nodes SET gone_at = ? WHERE cluster_id = ? AND gone_at = 0 AND name IN (?)`},
		{namespaces, `UPDATE namespaces SET gone_at = ? WHERE cluster_id = ? AND gone_at = 0 AND name IN (?)`},
		{workloads, `UPDATE workloads SET gone_at = ? WHERE cluster_id = ? AND gone_at = 0 AND uid IN (?)`},
		{pods, `UPDATE pods SET gone_at = ? WHERE cluster_id = ? AND gone_at = 0 AND uid IN (?)`},
		{pods, `UPDATE containers SET gone_at = ? WHERE cluster_id = ? AND gone_at = 0 AND pod_uid IN (?)`},
	}
	for _, st := range stmts {
		if len(st.keys) == 0 {
			continue
		}
		r, err := a.tx.NewRaw(st.sql, a.now, a.cluster, bun.List(st.keys)).Exec(ctx)
		if err != nil {
			return fmt.Errorf("apply deletes: %w", err)
		}
		a.gone += affected(r)
	}
	return nil
}

// reconcile marks gone what the completed snapshot did not hold: rows of
// another snapshot that no delta touched since this snapshot started.
func (a *inventoryApply) reconcile(ctx context.Context) error {
	var started int64
	if err := a.tx.NewRaw(`SELECT snapshot_started_at FROM clusters WHERE id = ?`, a.cluster).Scan(ctx, &started); err != nil {
		return fmt.Errorf("read snapshot start: %w", err)
	}
	for _, table := range []string{"nodes", "namespaces", "workloads", "pods", "containers"} {
		extra := ""
		if table == "nodes" {
			// Nodes only a sensor knows are not the controller's to remove.
			extra = " AND in_inventory = TRUE"
		}
		r, err := a.tx.ExecContext(ctx, `UPDATE `+table+` SET gone_at = ? WHERE cluster_id = ? AND gone_at = 0 AND snapshot_id <> ? AND last_seen < ?`+extra,
			a.now, a.cluster, a.batch.SnapshotID, started)
		if err != nil {
			return fmt.Errorf("reconcile %s: %w", table, err)
		}
		a.gone += affected(r)
	}
	return nil
}

func affected(r interface{ RowsAffected() (int64, error) }) int {
	n, _ := r.RowsAffected()
	return int(n)
}
