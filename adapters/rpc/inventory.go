package rpc

import (
	"context"
	"log/slog"
	"time"

	"connectrpc.com/connect"

	"github.com/runwatch/runwatch/domain/query"
	"github.com/runwatch/runwatch/ports"
	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

// inventoryHandler serves InventoryService.
type inventoryHandler struct {
	uc    ports.Inventory
	risk  ports.RiskQueries // nil without enrichment
	clock ports.Clock
	log   *slog.Logger
}

var _ runwatchv1connect.InventoryServiceHandler = (*inventoryHandler)(nil)

func pageReq(p *v1.Page) ports.PageRequest {
	return ports.PageRequest{Size: p.GetSize(), Token: p.GetToken()}
}

// serve runs a use case and converts its answer, mapping errors.
func serve[Req, Res, T any](ctx context.Context, h *inventoryHandler, req *connect.Request[Req], call func() (T, error), conv func(T, time.Time) *Res) (*connect.Response[Res], error) {
	v, err := call()
	if err != nil {
		return nil, toConnect(ctx, h.log, req.Spec().Procedure, err)
	}
	return connect.NewResponse(conv(v, h.clock.Now())), nil
}

func (h *inventoryHandler) GetOverview(ctx context.Context, req *connect.Request[v1.GetOverviewRequest]) (*connect.Response[v1.GetOverviewResponse], error) {
	return serve(ctx, h, req, func() (query.Overview, error) { return h.uc.Overview(ctx, filter(req.Msg.GetFilter())) },
		func(o query.Overview, now time.Time) *v1.GetOverviewResponse {
			return &v1.GetOverviewResponse{Clusters: o.Clusters, Nodes: nodeCountsPB(o.Nodes), Workloads: o.Workloads, Images: o.Images,
				Containers: o.Containers, Processes: o.Processes, LoadedFiles: o.LoadedFiles, DriftedExecutables: o.DriftedExecutables,
				GeneratedAt: ts(now), Risks: mapSlice(o.Risks, riskTotalPB)}
		})
}

func riskTotalPB(t query.RiskTotal) *v1.RiskTotal {
	return &v1.RiskTotal{Kind: riskKinds[t.Kind], Images: t.Images, Risks: t.Risks}
}

func (h *inventoryHandler) ListClusters(ctx context.Context, req *connect.Request[v1.ListClustersRequest]) (*connect.Response[v1.ListClustersResponse], error) {
	return serve(ctx, h, req, func() (ports.ListResult[query.ClusterView], error) {
		return h.uc.ListClusters(ctx, sorted(req.Msg.GetFilter(), req.Msg.GetOrderBy()), pageReq(req.Msg.GetPage()))
	}, func(r ports.ListResult[query.ClusterView], now time.Time) *v1.ListClustersResponse {
		return &v1.ListClustersResponse{Clusters: mapSlice(r.Items, func(c query.ClusterView) *v1.Cluster { return clusterPB(c, now) }), NextPageToken: r.NextToken}
	})
}

func (h *inventoryHandler) ListNodes(ctx context.Context, req *connect.Request[v1.ListNodesRequest]) (*connect.Response[v1.ListNodesResponse], error) {
	return serve(ctx, h, req, func() (ports.ListResult[query.NodeView], error) {
		return h.uc.ListNodes(ctx, sorted(req.Msg.GetFilter(), req.Msg.GetOrderBy()), pageReq(req.Msg.GetPage()))
	}, func(r ports.ListResult[query.NodeView], now time.Time) *v1.ListNodesResponse {
		return &v1.ListNodesResponse{Nodes: mapSlice(r.Items, func(n query.NodeView) *v1.Node { return nodePB(n, now) }), NextPageToken: r.NextToken}
	})
}

func (h *inventoryHandler) ListWorkloads(ctx context.Context, req *connect.Request[v1.ListWorkloadsRequest]) (*connect.Response[v1.ListWorkloadsResponse], error) {
	resp, err := serve(ctx, h, req, func() (ports.ListResult[query.WorkloadView], error) {
		return h.uc.ListWorkloads(ctx, sorted(req.Msg.GetFilter(), req.Msg.GetOrderBy()), pageReq(req.Msg.GetPage()))
	}, func(r ports.ListResult[query.WorkloadView], _ time.Time) *v1.ListWorkloadsResponse {
		return &v1.ListWorkloadsResponse{Workloads: mapSlice(r.Items, workloadPB), NextPageToken: r.NextToken}
	})
	if err == nil {
		err = h.withWorkloadRisk(ctx, resp.Msg.Workloads...)
	}
	return resp, err
}

func (h *inventoryHandler) ListContainers(ctx context.Context, req *connect.Request[v1.ListContainersRequest]) (*connect.Response[v1.ListContainersResponse], error) {
	return serve(ctx, h, req, func() (ports.ListResult[query.ContainerView], error) {
		return h.uc.ListContainers(ctx, sorted(req.Msg.GetFilter(), req.Msg.GetOrderBy()), pageReq(req.Msg.GetPage()))
	}, func(r ports.ListResult[query.ContainerView], _ time.Time) *v1.ListContainersResponse {
		return &v1.ListContainersResponse{Containers: mapSlice(r.Items, containerPB), NextPageToken: r.NextToken}
	})
}

func (h *inventoryHandler) ListImages(ctx context.Context, req *connect.Request[v1.ListImagesRequest]) (*connect.Response[v1.ListImagesResponse], error) {
	resp, err := serve(ctx, h, req, func() (ports.ListResult[query.ImageView], error) {
		return h.uc.ListImages(ctx, sorted(req.Msg.GetFilter(), req.Msg.GetOrderBy()), pageReq(req.Msg.GetPage()))
	}, func(r ports.ListResult[query.ImageView], _ time.Time) *v1.ListImagesResponse {
		return &v1.ListImagesResponse{Images: mapSlice(r.Items, imagePB), NextPageToken: r.NextToken}
	})
	if err == nil {
		err = h.withImageRisk(ctx, resp.Msg.Images...)
	}
	return resp, err
}

func (h *inventoryHandler) GetImage(ctx context.Context, req *connect.Request[v1.GetImageRequest]) (*connect.Response[v1.GetImageResponse], error) {
	resp, err := serve(ctx, h, req, func() (query.ImageDetail, error) {
		return h.uc.GetImage(ctx, req.Msg.GetDigest(), window(req.Msg.GetWindow()))
	}, func(d query.ImageDetail, _ time.Time) *v1.GetImageResponse {
		return &v1.GetImageResponse{Image: imagePB(d.Image), Containers: mapSlice(d.Containers, containerPB),
			Workloads: mapSlice(d.Workloads, workloadPB), Processes: mapSlice(d.Processes, processPB),
			LoadedFiles: mapSlice(d.Files, filePB), Truncated: d.Truncated}
	})
	if err == nil {
		err = h.withImageRisk(ctx, resp.Msg.Image)
	}
	if err == nil {
		err = h.withWorkloadRisk(ctx, resp.Msg.Workloads...)
	}
	return resp, err
}

func (h *inventoryHandler) ListProcesses(ctx context.Context, req *connect.Request[v1.ListProcessesRequest]) (*connect.Response[v1.ListProcessesResponse], error) {
	return serve(ctx, h, req, func() (ports.ListResult[query.ProcessView], error) {
		f := query.ProcessFilter{Filter: sorted(req.Msg.GetFilter(), req.Msg.GetOrderBy()), SHA256: req.Msg.GetSha256(), DriftOnly: req.Msg.GetDriftOnly()}
		return h.uc.ListProcesses(ctx, f, pageReq(req.Msg.GetPage()))
	}, func(r ports.ListResult[query.ProcessView], _ time.Time) *v1.ListProcessesResponse {
		return &v1.ListProcessesResponse{Processes: mapSlice(r.Items, processPB), NextPageToken: r.NextToken}
	})
}

func (h *inventoryHandler) ListLoadedFiles(ctx context.Context, req *connect.Request[v1.ListLoadedFilesRequest]) (*connect.Response[v1.ListLoadedFilesResponse], error) {
	return serve(ctx, h, req, func() (ports.ListResult[query.FileView], error) {
		f := query.FileFilter{Filter: sorted(req.Msg.GetFilter(), req.Msg.GetOrderBy()), SHA256: req.Msg.GetSha256(), Kind: fileKinds.domain(req.Msg.GetKind()),
			PURLPrefix: req.Msg.GetPackagePurl()}
		return h.uc.ListFiles(ctx, f, pageReq(req.Msg.GetPage()))
	}, func(r ports.ListResult[query.FileView], _ time.Time) *v1.ListLoadedFilesResponse {
		return &v1.ListLoadedFilesResponse{LoadedFiles: mapSlice(r.Items, filePB), NextPageToken: r.NextToken}
	})
}

// sorted is a list's filter with its order.
func sorted(f *v1.Filter, orderBy string) query.Filter {
	qf := filter(f)
	qf.OrderBy = orderBy
	return qf
}
