package app

import (
	"context"
	"fmt"
	"strconv"

	"github.com/runwatch/runwatch/domain"
	"github.com/runwatch/runwatch/domain/inventory"
	"github.com/runwatch/runwatch/domain/query"
	"github.com/runwatch/runwatch/ports"
)

// Queries implements ports.Inventory: it checks filters, turns page tokens
// into cursors and back, and reads the store.
type Queries struct {
	store ports.QueryStore
	clock ports.Clock
}

var _ ports.Inventory = (*Queries)(nil)

// NewQueries makes a Queries.
func NewQueries(store ports.QueryStore, clock ports.Clock) *Queries {
	return &Queries{store: store, clock: clock}
}

// fingerprint ties page tokens to a list and every filter field.
func fingerprint(list string, f query.Filter, extra ...string) string {
	parts := append([]string{f.Cluster, f.Namespace, f.Workload, f.Image, f.Node, f.Text, strconv.Itoa(int(f.Window)), f.OrderBy}, extra...)
	return query.Fingerprint(list, parts...)
}

// list runs one paged list query: validate, decode, fetch, encode.
func list[T any](name string, f query.Filter, extra []string, sorts query.Sorts, p ports.PageRequest,
	fetch func(limit int, after query.Cursor) (query.Page[T], error)) (ports.ListResult[T], error) {
	if err := f.Validate(); err != nil {
		return ports.ListResult[T]{}, err
	}
	order, err := sorts.Get(f.OrderBy)
	if err != nil {
		return ports.ListResult[T]{}, err
	}
	fp := fingerprint(name, f, extra...)
	after, err := query.DecodeToken(p.Token, fp, order)
	if err != nil {
		return ports.ListResult[T]{}, err
	}
	page, err := fetch(query.PageSize(p.Size), after)
	if err != nil {
		return ports.ListResult[T]{}, err
	}
	res := ports.ListResult[T]{Items: page.Items}
	if page.Next != nil {
		res.NextToken = query.EncodeToken(fp, page.Next)
	}
	return res, nil
}

// Overview implements ports.Inventory.
func (q *Queries) Overview(ctx context.Context, f query.Filter) (query.Overview, error) {
	if err := f.Validate(); err != nil {
		return query.Overview{}, err
	}
	o, err := q.store.Overview(ctx, f, q.clock.Now())
	if err != nil {
		return o, err
	}
	o.Risks = query.RiskTotals(o.Risks)
	return o, nil
}

// ListClusters implements ports.Inventory.
func (q *Queries) ListClusters(ctx context.Context, f query.Filter, p ports.PageRequest) (ports.ListResult[query.ClusterView], error) {
	now := q.clock.Now()
	return list("clusters", f, nil, query.ClusterSorts, p, func(limit int, after query.Cursor) (query.Page[query.ClusterView], error) {
		return q.store.ListClusters(ctx, f, limit, after, now)
	})
}

// ListNodes implements ports.Inventory.
func (q *Queries) ListNodes(ctx context.Context, f query.Filter, p ports.PageRequest) (ports.ListResult[query.NodeView], error) {
	now := q.clock.Now()
	return list("nodes", f, nil, query.NodeSorts, p, func(limit int, after query.Cursor) (query.Page[query.NodeView], error) {
		return q.store.ListNodes(ctx, f, limit, after, now)
	})
}

// ListWorkloads implements ports.Inventory.
func (q *Queries) ListWorkloads(ctx context.Context, f query.Filter, p ports.PageRequest) (ports.ListResult[query.WorkloadView], error) {
	now := q.clock.Now()
	return list("workloads", f, nil, query.WorkloadSorts, p, func(limit int, after query.Cursor) (query.Page[query.WorkloadView], error) {
		return q.store.ListWorkloads(ctx, f, limit, after, now)
	})
}

// ListContainers implements ports.Inventory.
func (q *Queries) ListContainers(ctx context.Context, f query.Filter, p ports.PageRequest) (ports.ListResult[query.ContainerView], error) {
	now := q.clock.Now()
	return list("containers", f, nil, query.ContainerSorts, p, func(limit int, after query.Cursor) (query.Page[query.ContainerView], error) {
		return q.store.ListContainers(ctx, f, limit, after, now)
	})
}

// ListImages implements ports.Inventory.
func (q *Queries) ListImages(ctx context.Context, f query.Filter, p ports.PageRequest) (ports.ListResult[query.ImageView], error) {
	now := q.clock.Now()
	return list("images", f, nil, query.ImageSorts, p, func(limit int, after query.Cursor) (query.Page[query.ImageView], error) {
		return q.store.ListImages(ctx, f, limit, after, now)
	})
}

// ListProcesses implements ports.Inventory.
func (q *Queries) ListProcesses(ctx context.Context, f query.ProcessFilter, p ports.PageRequest) (ports.ListResult[query.ProcessView], error) {
	if err := inventory.ValidateSHA256(f.SHA256); err != nil {
		return ports.ListResult[query.ProcessView]{}, err
	}
	now := q.clock.Now()
	return list("processes", f.Filter, []string{f.SHA256, strconv.FormatBool(f.DriftOnly)}, query.ProcessSorts, p,
		func(limit int, after query.Cursor) (query.Page[query.ProcessView], error) {
			return q.store.ListProcesses(ctx, f, limit, after, now)
		})
}

// ListFiles implements ports.Inventory.
func (q *Queries) ListFiles(ctx context.Context, f query.FileFilter, p ports.PageRequest) (ports.ListResult[query.FileView], error) {
	if err := inventory.ValidateSHA256(f.SHA256); err != nil {
		return ports.ListResult[query.FileView]{}, err
	}
	if len(f.PURLPrefix) > 512 {
		return ports.ListResult[query.FileView]{}, domain.Invalidf("package URL filter is %d bytes, at most 512", len(f.PURLPrefix))
	}
	now := q.clock.Now()
	return list("files", f.Filter, []string{f.SHA256, string(f.Kind), f.PURLPrefix}, query.FileSorts, p,
		func(limit int, after query.Cursor) (query.Page[query.FileView], error) {
			return q.store.ListFiles(ctx, f, limit, after, now)
		})
}

// imageDetailRows bounds each list of GetImage; the List RPCs page further.
const imageDetailRows = 100

// GetImage implements ports.Inventory.
func (q *Queries) GetImage(ctx context.Context, digest string, w query.Window) (query.ImageDetail, error) {
	if digest == "" {
		return query.ImageDetail{}, domain.Invalidf("digest is required")
	}
	if err := inventory.ValidateDigest(digest); err != nil {
		return query.ImageDetail{}, err
	}
	if !w.Valid() {
		return query.ImageDetail{}, domain.Invalidf("unknown time window %d", w)
	}
	now := q.clock.Now()
	f := query.Filter{Image: digest, Window: w}
	var d query.ImageDetail
	imgs, err := q.store.ListImages(ctx, query.Filter{Image: digest}, 1, nil, now)
	if err != nil {
		return d, err
	}
	if len(imgs.Items) == 0 {
		return d, domain.NotFoundf("no image %s has run", digest)
	}
	d.Image = imgs.Items[0]
	containers, err := q.store.ListContainers(ctx, f, imageDetailRows, nil, now)
	if err != nil {
		return d, fmt.Errorf("image containers: %w", err)
	}
	workloads, err := q.store.ListWorkloads(ctx, f, imageDetailRows, nil, now)
	if err != nil {
		return d, fmt.Errorf("image workloads: %w", err)
	}
	procs, err := q.store.ListProcesses(ctx, query.ProcessFilter{Filter: f}, imageDetailRows, nil, now)
	if err != nil {
		return d, fmt.Errorf("image processes: %w", err)
	}
	files, err := q.store.ListFiles(ctx, query.FileFilter{Filter: f}, imageDetailRows, nil, now)
	if err != nil {
		return d, fmt.Errorf("image files: %w", err)
	}
	d.Containers, d.Workloads, d.Processes, d.Files = containers.Items, workloads.Items, procs.Items, files.Items
	d.Truncated = containers.Next != nil || workloads.Next != nil || procs.Next != nil || files.Next != nil
	return d, nil
}
