package rpc

import (
	"context"
	"log/slog"

	"connectrpc.com/connect"

	"github.com/runwatch/runwatch/domain"
	"github.com/runwatch/runwatch/domain/inventory"
	"github.com/runwatch/runwatch/domain/runtime"
	"github.com/runwatch/runwatch/ports"
	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

// ingestHandler serves ControllerService and SensorService.
type ingestHandler struct {
	uc      ports.Ingestion
	log     *slog.Logger
	metrics *Metrics
}

var (
	_ runwatchv1connect.ControllerServiceHandler = (*ingestHandler)(nil)
	_ runwatchv1connect.SensorServiceHandler     = (*ingestHandler)(nil)
)

func (h *ingestHandler) fail(ctx context.Context, procedure string, err error) error {
	h.metrics.ingestRefused(err)
	return toConnect(ctx, h.log, procedure, err)
}

func (h *ingestHandler) RegisterCluster(ctx context.Context, req *connect.Request[v1.RegisterClusterRequest]) (*connect.Response[v1.RegisterClusterResponse], error) {
	m := req.Msg
	s, err := h.uc.RegisterCluster(ctx, PrincipalFrom(ctx), inventory.Registration{ClusterUID: m.GetClusterUid(), ClusterName: m.GetClusterName(),
		KubernetesVersion: m.GetKubernetesVersion(), Provider: m.GetProvider(), ControllerVersion: m.GetControllerVersion()})
	if err != nil {
		return nil, h.fail(ctx, req.Spec().Procedure, err)
	}
	h.log.InfoContext(ctx, "controller registered", "cluster", s.Cluster.Name, "cluster_uid", s.Cluster.UID, "version", m.GetControllerVersion())
	return connect.NewResponse(&v1.RegisterClusterResponse{ClusterId: s.Cluster.ID, ClusterName: s.Cluster.Name,
		HeartbeatInterval: dur(s.HeartbeatInterval), MaxBatchObjects: int32(s.MaxBatch)}), nil
}

func (h *ingestHandler) ReportInventory(ctx context.Context, req *connect.Request[v1.ReportInventoryRequest]) (*connect.Response[v1.ReportInventoryResponse], error) {
	b := inventoryBatch(req.Msg)
	res, err := h.uc.ReportInventory(ctx, PrincipalFrom(ctx), &b)
	if err != nil {
		return nil, h.fail(ctx, req.Spec().Procedure, err)
	}
	h.metrics.batch("inventory", res.Duplicate, res.Applied)
	return connect.NewResponse(&v1.ReportInventoryResponse{Duplicate: res.Duplicate, Applied: int32(res.Applied), MarkedGone: int32(res.MarkedGone),
		Rejected: rejectedPB(res.Rejected)}), nil
}

func (h *ingestHandler) Heartbeat(ctx context.Context, req *connect.Request[v1.HeartbeatRequest]) (*connect.Response[v1.HeartbeatResponse], error) {
	m := req.Msg
	every, err := h.uc.ControllerHeartbeat(ctx, PrincipalFrom(ctx), inventory.ControllerState{Reported: controllerStatuses.domain(m.GetStatus()),
		Version: m.GetControllerVersion(), Message: m.GetMessage(), Pending: m.GetPendingChanges()})
	if err != nil {
		return nil, h.fail(ctx, req.Spec().Procedure, err)
	}
	return connect.NewResponse(&v1.HeartbeatResponse{HeartbeatInterval: dur(every)}), nil
}

func (h *ingestHandler) RegisterNode(ctx context.Context, req *connect.Request[v1.RegisterNodeRequest]) (*connect.Response[v1.RegisterNodeResponse], error) {
	m := req.Msg
	s, err := h.uc.RegisterNode(ctx, PrincipalFrom(ctx), runtime.SensorInfo{NodeName: m.GetNodeName(), KernelVersion: m.GetKernelVersion(),
		OSImage: m.GetOsImage(), Architecture: m.GetArchitecture(), Version: m.GetSensorVersion(), Mode: sensorModes.domain(m.GetMode()),
		HookMode: hookModes.domain(m.GetHookMode()), BootID: m.GetBootId()})
	if err != nil {
		return nil, h.fail(ctx, req.Spec().Procedure, err)
	}
	h.log.InfoContext(ctx, "sensor registered", "cluster", s.Cluster.Name, "node", m.GetNodeName(), "hook_mode", m.GetHookMode().String())
	return connect.NewResponse(&v1.RegisterNodeResponse{ClusterId: s.Cluster.ID, ClusterName: s.Cluster.Name,
		HeartbeatInterval: dur(s.HeartbeatInterval), MaxBatchRecords: int32(s.MaxBatch), Restricted: s.Restricted,
		RestrictionReason: s.RestrictionReason}), nil
}

func (h *ingestHandler) ReportRuntime(ctx context.Context, req *connect.Request[v1.ReportRuntimeRequest]) (*connect.Response[v1.ReportRuntimeResponse], error) {
	b := RuntimeBatch(req.Msg)
	res, err := h.uc.ReportRuntime(ctx, PrincipalFrom(ctx), &b)
	if err != nil {
		return nil, h.fail(ctx, req.Spec().Procedure, err)
	}
	h.metrics.batch("runtime", res.Duplicate, res.Processes+res.Files)
	return connect.NewResponse(&v1.ReportRuntimeResponse{Duplicate: res.Duplicate, AcceptedExecutions: int32(res.Processes),
		AcceptedFileLoads: int32(res.Files), Rejected: rejectedPB(res.Rejected)}), nil
}

func (h *ingestHandler) NodeHeartbeat(ctx context.Context, req *connect.Request[v1.NodeHeartbeatRequest]) (*connect.Response[v1.NodeHeartbeatResponse], error) {
	m := req.Msg
	r, err := h.uc.NodeHeartbeat(ctx, PrincipalFrom(ctx), runtime.Heartbeat{NodeName: m.GetNodeName(), Version: m.GetSensorVersion(),
		Status: sensorStatuses.domain(m.GetStatus()), Message: m.GetMessage(), Mode: sensorModes.domain(m.GetMode()),
		HookMode: hookModes.domain(m.GetHookMode()), Drops: drops(m.GetDrops()), EventsReceived: m.GetEventsReceived(),
		SpooledRecords: m.GetSpooledRecords()})
	if err != nil {
		return nil, h.fail(ctx, req.Spec().Procedure, err)
	}
	return connect.NewResponse(&v1.NodeHeartbeatResponse{HeartbeatInterval: dur(r.Interval), Restricted: r.Restricted,
		RestrictionReason: r.RestrictionReason}), nil
}

func rejectedPB(rs []domain.Rejection) []*v1.RejectedRecord {
	return mapSlice(rs, func(r domain.Rejection) *v1.RejectedRecord {
		return &v1.RejectedRecord{Field: r.Field, Index: int32(r.Index), Reason: r.Reason}
	})
}
