package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/runwatch/runwatch/domain/inventory"
	"github.com/runwatch/runwatch/domain/query"
	"github.com/runwatch/runwatch/domain/risk"
	"github.com/runwatch/runwatch/domain/runtime"
)

// Each list has a from-and-where builder, shared by its page query and by
// the overview's count of it, so a list and its count never disagree.

// ---- clusters ----

type clusterScan struct {
	ID                    string `bun:"id"`
	Name                  string `bun:"name"`
	UID                   string `bun:"uid"`
	KubernetesVersion     string `bun:"kubernetes_version"`
	Provider              string `bun:"provider"`
	ControllerVersion     string `bun:"controller_version"`
	ControllerStatus      string `bun:"controller_status"`
	ControllerMessage     string `bun:"controller_message"`
	ControllerHeartbeatAt int64  `bun:"controller_heartbeat_at"`
	ControllerReportAt    int64  `bun:"controller_report_at"`
	ControllerPending     int64  `bun:"controller_pending"`
	CreatedAt             int64  `bun:"created_at"`
}

var clusterCols = columns{"name": "c.name", "id": "c.id", "created_at": "c.created_at"}

func clusterFrom(f query.Filter) (string, conds) {
	var w conds
	w.clusterMatch("c", f.Cluster)
	w.textMatch(f.Text, "c.name", "c.uid")
	return " FROM clusters c", w
}

// ListClusters implements ports.QueryStore.
func (s *Store) ListClusters(ctx context.Context, f query.Filter, limit int, after query.Cursor, now time.Time) (query.Page[query.ClusterView], error) {
	from, w := clusterFrom(f)
	p, err := listPage(ctx, s, listQuery{what: "clusters", from: from, where: w, cols: clusterCols, order: sortOf(query.ClusterSorts, f.OrderBy),
		sel: `c.id, c.name, COALESCE(c.uid, '') AS uid, c.kubernetes_version, c.provider, c.controller_version, c.controller_status,
		c.controller_message, c.controller_heartbeat_at, c.controller_report_at, c.controller_pending, c.created_at`},
		after, limit, func(r *clusterScan) query.ClusterView {
			return query.ClusterView{ID: r.ID, Name: r.Name, UID: r.UID, KubernetesVersion: r.KubernetesVersion, Provider: r.Provider,
				Controller: inventory.ControllerState{Reported: inventory.ControllerStatus(r.ControllerStatus), Version: r.ControllerVersion,
					Message: r.ControllerMessage, LastHeartbeat: fromUS(r.ControllerHeartbeatAt), LastReport: fromUS(r.ControllerReportAt),
					Pending: r.ControllerPending},
				CreatedAt: fromUS(r.CreatedAt)}
		}, func(v *query.ClusterView, col string) string {
			switch col {
			case "name":
				return v.Name
			case "created_at":
				return itoa(us(v.CreatedAt))
			}
			return v.ID
		})
	if err != nil || len(p.Items) == 0 {
		return p, err
	}
	ids := make([]string, len(p.Items))
	for i, v := range p.Items {
		ids[i] = v.ID
	}
	counts, err := s.nodeCounts(ctx, conds{parts: []string{"n.cluster_id IN (?)"}, args: []any{bun.List(ids)}}, now)
	if err != nil {
		return query.Page[query.ClusterView]{}, err
	}
	workloads, err := s.countBy(ctx, "workloads", `SELECT cluster_id AS key, count(*) AS n FROM workloads
		WHERE gone_at = 0 AND cluster_id IN (?) GROUP BY cluster_id`, bun.List(ids))
	if err != nil {
		return query.Page[query.ClusterView]{}, err
	}
	for i := range p.Items {
		p.Items[i].Nodes = counts[p.Items[i].ID]
		p.Items[i].Workloads = workloads[p.Items[i].ID]
	}
	return p, nil
}

// nodeCounts counts the existing nodes matching w (alias n) by effective
// sensor status, per cluster. The status rule is the domain's, so it is
// applied here, in Go, not restated in SQL.
func (s *Store) nodeCounts(ctx context.Context, w conds, now time.Time) (map[string]query.NodeCounts, error) {
	var rows []struct {
		ClusterID      string `bun:"cluster_id"`
		SensorDisabled bool   `bun:"sensor_disabled"`
		Status         string `bun:"sensor_status"`
		HeartbeatAt    int64  `bun:"sensor_heartbeat_at"`
		Restricted     bool   `bun:"restricted"`
	}
	w.add("n.gone_at = 0")
	if err := s.db.NewRaw(`SELECT n.cluster_id, n.sensor_disabled, n.sensor_status, n.sensor_heartbeat_at, n.restricted
		FROM nodes n JOIN clusters c ON c.id = n.cluster_id`+w.sql(), w.args...).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("count nodes: %w", err)
	}
	out := map[string]query.NodeCounts{}
	for _, r := range rows {
		c := out[r.ClusterID]
		c.Add(inventory.EffectiveSensorStatus(r.SensorDisabled, inventory.SensorState{
			Reported: inventory.SensorStatus(r.Status), LastHeartbeat: fromUS(r.HeartbeatAt), Restricted: r.Restricted}, now))
		out[r.ClusterID] = c
	}
	return out, nil
}

// ---- nodes ----

type nodeScan struct {
	nodeRow
	ClusterName string `bun:"cluster_name"`
	// The columns the sensor owns.
	SensorStatus          string `bun:"sensor_status"`
	SensorMode            string `bun:"sensor_mode"`
	SensorHookMode        string `bun:"sensor_hook_mode"`
	SensorVersion         string `bun:"sensor_version"`
	SensorMessage         string `bun:"sensor_message"`
	SensorHeartbeatAt     int64  `bun:"sensor_heartbeat_at"`
	DropsRingBuffer       int64  `bun:"drops_ring_buffer"`
	DropsSpoolFull        int64  `bun:"drops_spool_full"`
	DropsDecodeErrors     int64  `bun:"drops_decode_errors"`
	DropsDedupOverflow    int64  `bun:"drops_dedup_overflow"`
	DropsFilteredInKernel int64  `bun:"drops_filtered_in_kernel"`
	DropsRejected         int64  `bun:"drops_rejected"`
	EventsReceived        int64  `bun:"events_received"`
	SpooledRecords        int64  `bun:"spooled_records"`
	Restricted            bool   `bun:"restricted"`
	RestrictionReason     string `bun:"restriction_reason"`
}

var nodeCols = columns{"cluster_name": "c.name", "name": "n.name", "cluster_id": "n.cluster_id", "last_heartbeat": "n.sensor_heartbeat_at"}

// containersOf is an EXISTS over containers matching the filter's
// namespace, workload and image, correlated by the given condition.
func containersOf(w *conds, f query.Filter, correlate string) {
	var k conds
	if f.Namespace != "" {
		k.add("k.namespace = ?", f.Namespace)
	}
	if f.Workload != "" {
		k.add("(k.workload_uid = ? OR k.workload_name = ?)", f.Workload, f.Workload)
	}
	if f.Image != "" {
		k.add("(k.image_digest = ? OR k.image = ?)", f.Image, f.Image)
	}
	if len(k.parts) == 0 {
		return
	}
	k.add(correlate)
	w.add("EXISTS (SELECT 1 FROM containers k"+k.sql()+")", k.args...)
}

func nodeFrom(f query.Filter, now time.Time) (string, conds) {
	var w conds
	w.clusterMatch("c", f.Cluster)
	if f.Node != "" {
		w.add("n.name = ?", f.Node)
	}
	w.goneWindow("n", f.Window, now)
	w.textMatch(f.Text, "n.name", "n.kernel_version", "n.os_image", "n.provider")
	containersOf(&w, f, "k.cluster_id = n.cluster_id AND k.node_name = n.name")
	return " FROM nodes n JOIN clusters c ON c.id = n.cluster_id", w
}

// ListNodes implements ports.QueryStore.
func (s *Store) ListNodes(ctx context.Context, f query.Filter, limit int, after query.Cursor, now time.Time) (query.Page[query.NodeView], error) {
	from, w := nodeFrom(f, now)
	p, err := listPage(ctx, s, listQuery{what: "nodes", sel: "n.*, c.name AS cluster_name", from: from, where: w, cols: nodeCols,
		order: sortOf(query.NodeSorts, f.OrderBy)}, after, limit, func(r *nodeScan) query.NodeView {
		return query.NodeView{ClusterID: r.ClusterID, ClusterName: r.ClusterName,
			Node: inventory.Node{Name: r.Name, UID: r.UID, KernelVersion: r.KernelVersion, OSImage: r.OSImage, Architecture: r.Architecture,
				ContainerRuntimeVersion: r.ContainerRuntimeVersion, KubeletVersion: r.KubeletVersion, ProviderID: r.ProviderID,
				Provider: r.Provider, Labels: parseLabels(r.Labels), SensorDisabled: r.SensorDisabled, Ready: r.Ready, CreatedAt: fromUS(r.CreatedAt)},
			Sensor: query.SensorView{Reported: inventory.SensorStatus(r.SensorStatus), Mode: r.SensorMode, HookMode: r.SensorHookMode,
				Version: r.SensorVersion, Message: r.SensorMessage, LastHeartbeat: fromUS(r.SensorHeartbeatAt),
				Drops: runtime.Drops{RingBuffer: uint64(r.DropsRingBuffer), SpoolFull: uint64(r.DropsSpoolFull), DecodeErrors: uint64(r.DropsDecodeErrors),
					DedupOverflow: uint64(r.DropsDedupOverflow), FilteredInKernel: uint64(r.DropsFilteredInKernel), RejectedByPlatform: uint64(r.DropsRejected)},
				EventsReceived: uint64(r.EventsReceived), SpooledRecords: uint64(r.SpooledRecords), Restricted: r.Restricted,
				RestrictionReason: r.RestrictionReason},
			FirstSeen: fromUS(r.FirstSeen), LastSeen: fromUS(r.LastSeen), GoneAt: fromUS(r.GoneAt), SensorOnly: !r.InInventory}
	}, func(v *query.NodeView, col string) string {
		switch col {
		case "cluster_name":
			return v.ClusterName
		case "name":
			return v.Name
		case "last_heartbeat":
			return itoa(us(v.Sensor.LastHeartbeat))
		}
		return v.ClusterID
	})
	if err != nil || len(p.Items) == 0 {
		return p, err
	}
	var clusters, names []string
	for _, v := range p.Items {
		clusters, names = append(clusters, v.ClusterID), append(names, v.Name)
	}
	pods, err := s.countBy(ctx, "pods per node", `SELECT cluster_id || '/' || node_name AS key, count(*) AS n FROM pods
		WHERE gone_at = 0 AND cluster_id IN (?) AND node_name IN (?) GROUP BY cluster_id, node_name`, bun.List(clusters), bun.List(names))
	if err != nil {
		return query.Page[query.NodeView]{}, err
	}
	for i := range p.Items {
		p.Items[i].Pods = pods[p.Items[i].ClusterID+"/"+p.Items[i].Name]
	}
	return p, nil
}

// ---- workloads ----

// workloadScan is a workload row with its cluster's name.
type workloadScan struct {
	workloadRow
	ClusterName string `bun:"cluster_name"`
}

var workloadCols = columns{"namespace": "w.namespace", "name": "w.name", "cluster_id": "w.cluster_id", "uid": "w.uid", "kind": "w.kind",
	"cluster_name": "c.name", "first_seen": "w.first_seen", "last_seen": "w.last_seen"}

func workloadFrom(f query.Filter, now time.Time) (string, conds) {
	var w conds
	w.clusterMatch("c", f.Cluster)
	if f.Namespace != "" {
		w.add("w.namespace = ?", f.Namespace)
	}
	if f.Workload != "" {
		w.add("(w.uid = ? OR w.name = ?)", f.Workload, f.Workload)
	}
	w.goneWindow("w", f.Window, now)
	w.textMatch(f.Text, "w.name", "w.namespace", "w.kind")
	var k conds
	if f.Image != "" {
		k.add("(k.image_digest = ? OR k.image = ?)", f.Image, f.Image)
	}
	if f.Node != "" {
		k.add("k.node_name = ?", f.Node)
	}
	if len(k.parts) > 0 {
		k.add("k.cluster_id = w.cluster_id AND k.workload_uid = w.uid")
		w.add("EXISTS (SELECT 1 FROM containers k"+k.sql()+")", k.args...)
	}
	return " FROM workloads w JOIN clusters c ON c.id = w.cluster_id", w
}

// ListWorkloads implements ports.QueryStore.
func (s *Store) ListWorkloads(ctx context.Context, f query.Filter, limit int, after query.Cursor, now time.Time) (query.Page[query.WorkloadView], error) {
	from, w := workloadFrom(f, now)
	p, err := listPage(ctx, s, listQuery{what: "workloads", from: from, where: w, cols: workloadCols, order: sortOf(query.WorkloadSorts, f.OrderBy),
		sel: `w.cluster_id, c.name AS cluster_name, w.uid, w.kind, w.api_version, w.namespace, w.name, w.labels, w.desired_replicas,
		w.created_at, w.first_seen, w.last_seen, w.gone_at`},
		after, limit, func(r *workloadScan) query.WorkloadView {
			return query.WorkloadView{ClusterID: r.ClusterID, ClusterName: r.ClusterName,
				Workload: inventory.Workload{UID: r.UID, Kind: r.Kind, APIVersion: r.APIVersion, Namespace: r.Namespace, Name: r.Name,
					Labels: parseLabels(r.Labels), DesiredReplicas: r.DesiredReplicas, CreatedAt: fromUS(r.CreatedAt)},
				FirstSeen: fromUS(r.FirstSeen), LastSeen: fromUS(r.LastSeen), GoneAt: fromUS(r.GoneAt)}
		}, func(v *query.WorkloadView, col string) string {
			switch col {
			case "namespace":
				return v.Namespace
			case "name":
				return v.Name
			case "cluster_id":
				return v.ClusterID
			case "kind":
				return v.Kind
			case "cluster_name":
				return v.ClusterName
			case "first_seen":
				return itoa(us(v.FirstSeen))
			case "last_seen":
				return itoa(us(v.LastSeen))
			}
			return v.UID
		})
	if err != nil {
		return p, err
	}
	if err := s.workloadAggregates(ctx, p.Items, f.Window, now); err != nil {
		return query.Page[query.WorkloadView]{}, err
	}
	return p, nil
}

// workloadAggregates fills a page of workloads with what runs them in the
// window: pods, containers, images, nodes and process records.
func (s *Store) workloadAggregates(ctx context.Context, views []query.WorkloadView, win query.Window, now time.Time) error {
	if len(views) == 0 {
		return nil
	}
	var clusters, uids []string
	for _, v := range views {
		clusters, uids = append(clusters, v.ClusterID), append(uids, v.UID)
	}
	var k conds
	k.add("k.cluster_id IN (?) AND k.workload_uid IN (?)", bun.List(clusters), bun.List(uids))
	k.goneWindow("k", win, now)
	var rows []struct {
		ClusterID   string `bun:"cluster_id"`
		WorkloadUID string `bun:"workload_uid"`
		NodeName    string `bun:"node_name"`
		Image       string `bun:"image"`
		ImageDigest string `bun:"image_digest"`
	}
	if err := s.db.NewRaw(`SELECT k.cluster_id, k.workload_uid, k.node_name, k.image, k.image_digest FROM containers k`+k.sql(), k.args...).Scan(ctx, &rows); err != nil {
		return fmt.Errorf("workload containers: %w", err)
	}
	type agg struct {
		images, nodes map[string]bool
		containers    int64
	}
	aggs := map[[2]string]*agg{}
	for _, r := range rows {
		key := [2]string{r.ClusterID, r.WorkloadUID}
		a := aggs[key]
		if a == nil {
			a = &agg{images: map[string]bool{}, nodes: map[string]bool{}}
			aggs[key] = a
		}
		a.containers++
		if r.NodeName != "" {
			a.nodes[r.NodeName] = true
		}
		if r.ImageDigest != "" {
			a.images[r.ImageDigest] = true
		} else if r.Image != "" {
			a.images[r.Image] = true
		}
	}
	var p conds
	p.add("k.cluster_id IN (?) AND k.workload_uid IN (?)", bun.List(clusters), bun.List(uids))
	p.seenWindow("p.last_seen", win, now)
	procs, err := s.countBy(ctx, "workload processes", `SELECT k.cluster_id || '/' || k.workload_uid AS key, count(*) AS n FROM processes p
		JOIN containers k ON k.cluster_id = p.cluster_id AND k.container_id = p.container_id AND p.container_id <> ''`+p.sql()+
		` GROUP BY k.cluster_id, k.workload_uid`, p.args...)
	if err != nil {
		return err
	}
	var pw conds
	pw.add("k.cluster_id IN (?) AND k.workload_uid IN (?)", bun.List(clusters), bun.List(uids))
	pw.goneWindow("k", win, now)
	pods, err := s.countBy(ctx, "workload pods", `SELECT k.cluster_id || '/' || k.workload_uid AS key, count(*) AS n FROM pods k`+pw.sql()+
		` GROUP BY k.cluster_id, k.workload_uid`, pw.args...)
	if err != nil {
		return err
	}
	for i := range views {
		v := &views[i]
		key := v.ClusterID + "/" + v.UID
		v.Pods, v.Processes = pods[key], procs[key]
		if a := aggs[[2]string{v.ClusterID, v.UID}]; a != nil {
			v.Containers = a.containers
			v.Images, v.Nodes = sortedKeys(a.images), sortedKeys(a.nodes)
		}
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ---- containers ----

// containerScan is a container row with its cluster's name.
type containerScan struct {
	containerRow
	ClusterName string `bun:"cluster_name"`
}

var containerCols = columns{"namespace": "k.namespace", "pod_name": "k.pod_name", "name": "k.name", "cluster_id": "k.cluster_id",
	"pod_uid": "k.pod_uid", "container_id": "k.container_id", "image": "k.image", "started_at": "k.started_at"}

func containerFrom(f query.Filter, now time.Time) (string, conds) {
	var w conds
	w.clusterMatch("c", f.Cluster)
	if f.Namespace != "" {
		w.add("k.namespace = ?", f.Namespace)
	}
	if f.Workload != "" {
		w.add("(k.workload_uid = ? OR k.workload_name = ?)", f.Workload, f.Workload)
	}
	if f.Image != "" {
		w.add("(k.image_digest = ? OR k.image = ?)", f.Image, f.Image)
	}
	if f.Node != "" {
		w.add("k.node_name = ?", f.Node)
	}
	w.goneWindow("k", f.Window, now)
	w.textMatch(f.Text, "k.pod_name", "k.name", "k.image", "k.image_digest", "k.container_id", "k.namespace", "k.workload_name")
	return " FROM containers k JOIN clusters c ON c.id = k.cluster_id", w
}

// ListContainers implements ports.QueryStore.
func (s *Store) ListContainers(ctx context.Context, f query.Filter, limit int, after query.Cursor, now time.Time) (query.Page[query.ContainerView], error) {
	from, w := containerFrom(f, now)
	return listPage(ctx, s, listQuery{what: "containers", from: from, where: w, cols: containerCols, order: sortOf(query.ContainerSorts, f.OrderBy),
		sel: `k.cluster_id, c.name AS cluster_name, k.pod_uid, k.name, k.container_id, k.namespace, k.pod_name, k.node_name,
		k.workload_uid, k.workload_kind, k.workload_name, k.kind, k.image, k.image_digest, k.image_id, k.runtime, k.state,
		k.restart_count, k.started_at, k.first_seen, k.gone_at`},
		after, limit, func(r *containerScan) query.ContainerView {
			return query.ContainerView{ClusterID: r.ClusterID, ClusterName: r.ClusterName, NodeName: r.NodeName, Namespace: r.Namespace,
				PodName: r.PodName, PodUID: r.PodUID, Workload: inventory.WorkloadRef{UID: r.WorkloadUID, Kind: r.WorkloadKind, Name: r.WorkloadName},
				Container: inventory.Container{Name: r.Name, Kind: inventory.ContainerKind(r.Kind), Image: r.Image, ImageDigest: r.ImageDigest,
					ImageID: r.ImageID, ContainerID: r.ContainerID, Runtime: r.Runtime, State: inventory.ContainerState(r.State),
					RestartCount: r.RestartCount, StartedAt: fromUS(r.StartedAt)},
				FirstSeen: fromUS(r.FirstSeen), GoneAt: fromUS(r.GoneAt)}
		}, func(v *query.ContainerView, col string) string {
			switch col {
			case "namespace":
				return v.Namespace
			case "pod_name":
				return v.PodName
			case "name":
				return v.Name
			case "cluster_id":
				return v.ClusterID
			case "pod_uid":
				return v.PodUID
			case "image":
				return v.Image
			case "started_at":
				return itoa(us(v.StartedAt))
			}
			return v.ContainerID
		})
}

// ---- images ----

var imageCols = columns{"repository": "i.repository", "digest": "i.digest", "first_seen": "i.first_seen", "last_seen": "i.last_seen"}

// imageContainers narrows containers (alias k) to the filter, for the
// images list: an image is listed when a matching container runs it.
func imageContainers(f query.Filter, now time.Time) conds {
	var k conds
	if f.Cluster != "" {
		k.add("k.cluster_id IN (SELECT id FROM clusters WHERE id = ? OR name = ?)", f.Cluster, f.Cluster)
	}
	if f.Namespace != "" {
		k.add("k.namespace = ?", f.Namespace)
	}
	if f.Workload != "" {
		k.add("(k.workload_uid = ? OR k.workload_name = ?)", f.Workload, f.Workload)
	}
	if f.Node != "" {
		k.add("k.node_name = ?", f.Node)
	}
	k.goneWindow("k", f.Window, now)
	return k
}

func imageFrom(f query.Filter, now time.Time) (string, conds) {
	var w conds
	if f.Image != "" {
		w.add("(i.digest = ? OR EXISTS (SELECT 1 FROM image_references r WHERE r.digest = i.digest AND r.reference = ?))", f.Image, f.Image)
	}
	if f.Text != "" {
		pat := likeArg(f.Text)
		w.add(`(lower(i.repository) LIKE ? ESCAPE '\' OR i.digest LIKE ? ESCAPE '\' OR EXISTS (SELECT 1 FROM image_references r WHERE r.digest = i.digest AND lower(r.reference) LIKE ? ESCAPE '\'))`, pat, pat, pat)
	}
	k := imageContainers(f, now)
	k.add("k.image_digest = i.digest")
	w.add("EXISTS (SELECT 1 FROM containers k"+k.sql()+")", k.args...)
	return " FROM images i", w
}

// imageScan is an image row.
type imageScan struct {
	Digest     string `bun:"digest"`
	Repository string `bun:"repository"`
	FirstSeen  int64  `bun:"first_seen"`
	LastSeen   int64  `bun:"last_seen"`
}

// ListImages implements ports.QueryStore.
func (s *Store) ListImages(ctx context.Context, f query.Filter, limit int, after query.Cursor, now time.Time) (query.Page[query.ImageView], error) {
	from, w := imageFrom(f, now)
	p, err := listPage(ctx, s, listQuery{what: "images", sel: "i.digest, i.repository, i.first_seen, i.last_seen", from: from, where: w,
		cols: imageCols, order: sortOf(query.ImageSorts, f.OrderBy)}, after, limit, func(r *imageScan) query.ImageView {
		return query.ImageView{Digest: r.Digest, Repository: r.Repository, FirstSeen: fromUS(r.FirstSeen), LastSeen: fromUS(r.LastSeen)}
	}, func(v *query.ImageView, col string) string {
		switch col {
		case "repository":
			return v.Repository
		case "first_seen":
			return itoa(us(v.FirstSeen))
		case "last_seen":
			return itoa(us(v.LastSeen))
		}
		return v.Digest
	})
	if err != nil {
		return p, err
	}
	if err := s.imageAggregates(ctx, p.Items, f, now); err != nil {
		return query.Page[query.ImageView]{}, err
	}
	return p, nil
}

// imageAggregates fills a page of images with their references and what
// runs them in the window: containers, workloads, clusters, process and
// file-load records.
func (s *Store) imageAggregates(ctx context.Context, views []query.ImageView, f query.Filter, now time.Time) error {
	if len(views) == 0 {
		return nil
	}
	digests := make([]string, len(views))
	for i, v := range views {
		digests[i] = v.Digest
	}
	var refs []struct {
		Digest    string `bun:"digest"`
		Reference string `bun:"reference"`
	}
	if err := s.db.NewRaw(`SELECT digest, reference FROM image_references WHERE digest IN (?) ORDER BY reference`, bun.List(digests)).Scan(ctx, &refs); err != nil {
		return fmt.Errorf("image references: %w", err)
	}
	k := imageContainers(f, now)
	k.add("k.image_digest IN (?)", bun.List(digests))
	var cs []struct {
		Digest    string `bun:"image_digest"`
		N         int64  `bun:"n"`
		Running   int64  `bun:"running"`
		Workloads int64  `bun:"workloads"`
		Clusters  int64  `bun:"clusters"`
	}
	if err := s.db.NewRaw(`SELECT k.image_digest, count(*) AS n,
		sum(CASE WHEN k.gone_at = 0 AND k.state = 'running' THEN 1 ELSE 0 END) AS running,
		count(DISTINCT k.cluster_id || '/' || k.workload_uid) AS workloads, count(DISTINCT k.cluster_id) AS clusters
		FROM containers k`+k.sql()+` GROUP BY k.image_digest`, k.args...).Scan(ctx, &cs); err != nil {
		return fmt.Errorf("image containers: %w", err)
	}
	var seen conds
	seen.add("k.image_digest IN (?)", bun.List(digests))
	seen.seenWindow("p.last_seen", f.Window, now)
	count := func(table string) (map[string]int64, error) {
		return s.countBy(ctx, "image "+table, `SELECT k.image_digest AS key, count(*) AS n FROM `+table+` p
			JOIN containers k ON k.cluster_id = p.cluster_id AND k.container_id = p.container_id AND p.container_id <> ''`+seen.sql()+
			` GROUP BY k.image_digest`, seen.args...)
	}
	procs, err := count("processes")
	if err != nil {
		return err
	}
	files, err := count("file_loads")
	if err != nil {
		return err
	}
	at := make(map[string]*query.ImageView, len(views))
	for i := range views {
		v := &views[i]
		at[v.Digest] = v
		v.Processes, v.LoadedFiles = procs[v.Digest], files[v.Digest]
	}
	for _, r := range refs {
		at[r.Digest].References = append(at[r.Digest].References, r.Reference)
	}
	for _, c := range cs {
		v := at[c.Digest]
		v.Containers, v.RunningContainers, v.Workloads, v.Clusters = c.N, c.Running, c.Workloads, c.Clusters
	}
	return nil
}

// ---- processes and file loads ----

// attributionCols read a runtime record's container attribution (alias k).
const attributionCols = `, COALESCE(k.namespace, '') AS namespace, COALESCE(k.pod_name, '') AS pod_name, COALESCE(k.name, '') AS container_name,
	COALESCE(k.workload_uid, '') AS workload_uid, COALESCE(k.workload_kind, '') AS workload_kind, COALESCE(k.workload_name, '') AS workload_name,
	COALESCE(k.image, '') AS image, COALESCE(k.image_digest, '') AS image_digest`

type attributionScan struct {
	Namespace     string `bun:"namespace"`
	PodName       string `bun:"pod_name"`
	ContainerName string `bun:"container_name"`
	WorkloadUID   string `bun:"workload_uid"`
	WorkloadKind  string `bun:"workload_kind"`
	WorkloadName  string `bun:"workload_name"`
	Image         string `bun:"image"`
	ImageDigest   string `bun:"image_digest"`
}

func (a attributionScan) view() query.Attribution {
	return query.Attribution{Namespace: a.Namespace, PodName: a.PodName, ContainerName: a.ContainerName,
		Workload: inventory.WorkloadRef{UID: a.WorkloadUID, Kind: a.WorkloadKind, Name: a.WorkloadName}, Image: a.Image, ImageDigest: a.ImageDigest}
}

// runtimeFrom is the FROM and WHERE shared by processes and file loads
// (alias p): the record joined to its cluster and, by container id, to the
// container the controller reported.
func runtimeFrom(table string, f query.Filter, now time.Time) (string, conds) {
	var w conds
	w.clusterMatch("c", f.Cluster)
	if f.Node != "" {
		w.add("p.node_name = ?", f.Node)
	}
	if f.Namespace != "" {
		w.add("k.namespace = ?", f.Namespace)
	}
	if f.Workload != "" {
		w.add("(k.workload_uid = ? OR k.workload_name = ?)", f.Workload, f.Workload)
	}
	if f.Image != "" {
		w.add("(k.image_digest = ? OR k.image = ?)", f.Image, f.Image)
	}
	w.seenWindow("p.last_seen", f.Window, now)
	return " FROM " + table + ` p JOIN clusters c ON c.id = p.cluster_id
		LEFT JOIN containers k ON k.cluster_id = p.cluster_id AND k.container_id = p.container_id AND p.container_id <> ''`, w
}

// processSortCols and fileSortCols sort runtime records (alias p).
var (
	processSortCols = columns{"last_seen": "p.last_seen", "first_seen": "p.first_seen", "count": "p.count", "path": "p.executable_path", "id": "p.id"}
	fileSortCols    = columns{"last_seen": "p.last_seen", "first_seen": "p.first_seen", "count": "p.count", "path": "p.path", "id": "p.id"}
)

// runtimeValue is a runtime record's value of a sort column.
func runtimeValue(id int64, path string, first, last time.Time, count uint64, col string) string {
	switch col {
	case "last_seen":
		return itoa(us(last))
	case "first_seen":
		return itoa(us(first))
	case "count":
		return itoa(int64(count))
	case "path":
		return path
	}
	return itoa(id)
}

type processScan struct {
	ID                   int64  `bun:"id"`
	ClusterID            string `bun:"cluster_id"`
	ClusterName          string `bun:"cluster_name"`
	NodeName             string `bun:"node_name"`
	ContainerID          string `bun:"container_id"`
	ExecutablePath       string `bun:"executable_path"`
	SHA256               string `bun:"sha256"`
	PodUID               string `bun:"pod_uid"`
	Runtime              string `bun:"runtime"`
	CgroupPath           string `bun:"cgroup_path"`
	Argv                 string `bun:"argv"`
	ArgvTruncated        bool   `bun:"argv_truncated"`
	UID                  int64  `bun:"uid"`
	PID                  int64  `bun:"pid"`
	ParentPID            int64  `bun:"parent_pid"`
	ParentExecutablePath string `bun:"parent_executable_path"`
	Comm                 string `bun:"comm"`
	FirstSeen            int64  `bun:"first_seen"`
	LastSeen             int64  `bun:"last_seen"`
	Count                int64  `bun:"count"`
	Drift                bool   `bun:"drift"`
	PackagePURLs         string `bun:"package_purls"`
	UnresolvedReason     string `bun:"unresolved_reason"`
	attributionScan
}

func processFrom(f query.ProcessFilter, now time.Time) (string, conds) {
	from, w := runtimeFrom("processes", f.Filter, now)
	w.textMatch(f.Text, "p.executable_path", "p.sha256", "p.comm", "p.argv", "k.pod_name", "k.workload_name", "k.image")
	if f.SHA256 != "" {
		w.add("p.sha256 = ?", f.SHA256)
	}
	if f.DriftOnly {
		w.add("p.drift = TRUE")
	}
	return from, w
}

// ListProcesses implements ports.QueryStore.
func (s *Store) ListProcesses(ctx context.Context, f query.ProcessFilter, limit int, after query.Cursor, now time.Time) (query.Page[query.ProcessView], error) {
	from, w := processFrom(f, now)
	return listPage(ctx, s, listQuery{what: "processes", sel: "p.*, c.name AS cluster_name" + attributionCols, from: from, where: w,
		cols: processSortCols, order: sortOf(query.ProcessSorts, f.OrderBy)}, after, limit, func(r *processScan) query.ProcessView {
		return query.ProcessView{ID: r.ID, ClusterID: r.ClusterID, ClusterName: r.ClusterName, NodeName: r.NodeName,
			Process: runtime.Process{Container: runtime.ContainerRef{ContainerID: r.ContainerID, PodUID: r.PodUID, Runtime: runtime.Runtime(r.Runtime), CgroupPath: r.CgroupPath},
				ExecutablePath: r.ExecutablePath, SHA256: r.SHA256, Argv: parseStrings(r.Argv), ArgvTruncated: r.ArgvTruncated,
				UID: uint32(r.UID), PID: uint32(r.PID), ParentPID: uint32(r.ParentPID), ParentExecutablePath: r.ParentExecutablePath,
				Comm: r.Comm, FirstSeen: fromUS(r.FirstSeen), LastSeen: fromUS(r.LastSeen), Count: uint64(r.Count), Drift: r.Drift,
				PackagePURLs: parseStrings(r.PackagePURLs), UnresolvedReason: r.UnresolvedReason},
			Attribution: r.attributionScan.view()}
	}, func(v *query.ProcessView, col string) string {
		return runtimeValue(v.ID, v.ExecutablePath, v.FirstSeen, v.LastSeen, v.Count, col)
	})
}

type fileScan struct {
	ID               int64  `bun:"id"`
	ClusterID        string `bun:"cluster_id"`
	ClusterName      string `bun:"cluster_name"`
	NodeName         string `bun:"node_name"`
	ContainerID      string `bun:"container_id"`
	Path             string `bun:"path"`
	SHA256           string `bun:"sha256"`
	PodUID           string `bun:"pod_uid"`
	Runtime          string `bun:"runtime"`
	CgroupPath       string `bun:"cgroup_path"`
	Kind             string `bun:"kind"`
	PackagePURLs     string `bun:"package_purls"`
	LoadedByPath     string `bun:"loaded_by_path"`
	FirstSeen        int64  `bun:"first_seen"`
	LastSeen         int64  `bun:"last_seen"`
	Count            int64  `bun:"count"`
	Drift            bool   `bun:"drift"`
	UnresolvedReason string `bun:"unresolved_reason"`
	attributionScan
}

func fileFrom(f query.FileFilter, now time.Time) (string, conds) {
	from, w := runtimeFrom("file_loads", f.Filter, now)
	w.textMatch(f.Text, "p.path", "p.sha256", "p.package_purls", "p.loaded_by_path", "k.pod_name", "k.workload_name", "k.image")
	if f.SHA256 != "" {
		w.add("p.sha256 = ?", f.SHA256)
	}
	if f.Kind != "" {
		w.add("p.kind = ?", string(f.Kind))
	}
	if f.PURLPrefix != "" {
		// purls are a JSON array of strings: a prefix follows a quote.
		w.add(`p.package_purls LIKE ? ESCAPE '\'`, `%"`+likeArg(f.PURLPrefix)[1:])
	}
	return from, w
}

// ListFiles implements ports.QueryStore.
func (s *Store) ListFiles(ctx context.Context, f query.FileFilter, limit int, after query.Cursor, now time.Time) (query.Page[query.FileView], error) {
	from, w := fileFrom(f, now)
	return listPage(ctx, s, listQuery{what: "loaded files", sel: "p.*, c.name AS cluster_name" + attributionCols, from: from, where: w,
		cols: fileSortCols, order: sortOf(query.FileSorts, f.OrderBy)}, after, limit, func(r *fileScan) query.FileView {
		return query.FileView{ID: r.ID, ClusterID: r.ClusterID, ClusterName: r.ClusterName, NodeName: r.NodeName,
			FileLoad: runtime.FileLoad{Container: runtime.ContainerRef{ContainerID: r.ContainerID, PodUID: r.PodUID, Runtime: runtime.Runtime(r.Runtime), CgroupPath: r.CgroupPath},
				Path: r.Path, SHA256: r.SHA256, Kind: runtime.FileKind(r.Kind), PackagePURLs: parseStrings(r.PackagePURLs),
				LoadedByPath: r.LoadedByPath, FirstSeen: fromUS(r.FirstSeen), LastSeen: fromUS(r.LastSeen), Count: uint64(r.Count),
				Drift: r.Drift, UnresolvedReason: r.UnresolvedReason},
			Attribution: r.attributionScan.view()}
	}, func(v *query.FileView, col string) string {
		return runtimeValue(v.ID, v.Path, v.FirstSeen, v.LastSeen, v.Count, col)
	})
}

// ---- overview ----

// Overview implements ports.QueryStore.
func (s *Store) Overview(ctx context.Context, f query.Filter, now time.Time) (query.Overview, error) {
	var o query.Overview
	count := func(dst *int64, sel string, from string, w conds) error {
		if err := s.db.NewRaw("SELECT "+sel+from+w.sql(), w.args...).Scan(ctx, dst); err != nil {
			return fmt.Errorf("overview: %w", err)
		}
		return nil
	}
	from, w := clusterFrom(query.Filter{Cluster: f.Cluster})
	if err := count(&o.Clusters, "count(*)", from, w); err != nil {
		return o, err
	}
	nf := f
	nf.Window = query.WindowNow // node counts are of nodes that exist
	_, w = nodeFrom(nf, now)
	counts, err := s.nodeCounts(ctx, w, now)
	if err != nil {
		return o, err
	}
	for _, c := range counts {
		o.Nodes.Total += c.Total
		o.Nodes.Running += c.Running
		o.Nodes.Degraded += c.Degraded
		o.Nodes.Failed += c.Failed
		o.Nodes.Disabled += c.Disabled
		o.Nodes.Restricted += c.Restricted
		o.Nodes.NotInstalled += c.NotInstalled
		o.Nodes.Stopped += c.Stopped
	}
	from, w = workloadFrom(f, now)
	if err := count(&o.Workloads, "count(*)", from, w); err != nil {
		return o, err
	}
	from, w = imageFrom(f, now)
	if err := count(&o.Images, "count(*)", from, w); err != nil {
		return o, err
	}
	from, w = containerFrom(f, now)
	if err := count(&o.Containers, "count(*)", from, w); err != nil {
		return o, err
	}
	from, w = processFrom(query.ProcessFilter{Filter: f}, now)
	if err := count(&o.Processes, "count(*)", from, w); err != nil {
		return o, err
	}
	from, w = processFrom(query.ProcessFilter{Filter: f, DriftOnly: true}, now)
	if err := count(&o.DriftedExecutables, "count(*)", from, w); err != nil {
		return o, err
	}
	from, w = fileFrom(query.FileFilter{Filter: f}, now)
	if err := count(&o.LoadedFiles, "count(*)", from, w); err != nil {
		return o, err
	}
	// Open risks of the images in scope, per kind: what the images list
	// would show for the same filter, counted over all of it.
	from, w = imageFrom(f, now)
	var totals []struct {
		Kind   string `bun:"kind"`
		Images int64  `bun:"images"`
		Risks  int64  `bun:"risks"`
	}
	if err := s.db.NewRaw(`SELECT r.kind, count(DISTINCT r.digest) AS images, count(*) AS risks FROM image_risks r
WHERE r.resolved_at = 0 AND r.digest IN (SELECT i.digest`+from+w.sql()+`) GROUP BY r.kind`, w.args...).Scan(ctx, &totals); err != nil {
		return o, fmt.Errorf("overview: risks: %w", err)
	}
	for _, t := range totals {
		o.Risks = append(o.Risks, query.RiskTotal{Kind: risk.Kind(t.Kind), Images: t.Images, Risks: t.Risks})
	}
	return o, nil
}
