package platform_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"

	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpcreflect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/runwatch/runwatch/domain/access"
	"github.com/runwatch/runwatch/platform/platformtest"
	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

// call posts Connect JSON and decodes the answer with protojson, as any
// Connect client would.
func call[M any, PM interface {
	*M
	proto.Message
}](t *testing.T, in *platformtest.Instance, method, token, body string) PM {
	t.Helper()
	status, raw := jsonCall(t, in, method, token, body)
	if status != http.StatusOK {
		t.Fatalf("%s: status %d: %s", method, status, raw)
	}
	m := PM(new(M))
	if err := protojson.Unmarshal(raw, m); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return m
}

// TestEndToEnd drives the platform the way agents and people do: agents
// over gRPC on HTTP/2, people with Connect JSON POSTs.
func TestEndToEnd(t *testing.T) {
	for _, dialect := range platformtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			in := platformtest.Start(t, dialect)
			ctx := context.Background()
			token := in.CreateToken(t, "prod")
			controller, sensor := platformtest.Agents(in.URL, token)

			reg, err := controller.RegisterCluster(ctx, connect.NewRequest(&v1.RegisterClusterRequest{ClusterUid: "kube-system-uid-prod", ClusterName: "prod", KubernetesVersion: "v1.37.2", ControllerVersion: "0.1.0"}))
			if err != nil {
				t.Fatal(err)
			}
			if reg.Msg.GetClusterName() != "prod" || reg.Msg.GetHeartbeatInterval().AsDuration() <= 0 || reg.Msg.GetMaxBatchObjects() <= 0 {
				t.Errorf("register = %v", reg.Msg)
			}
			inv, err := controller.ReportInventory(ctx, connect.NewRequest(platformtest.SampleSnapshot()))
			if err != nil {
				t.Fatal(err)
			}
			if inv.Msg.GetApplied() != 5 || inv.Msg.GetDuplicate() {
				t.Errorf("inventory = %v", inv.Msg)
			}
			if _, err := controller.Heartbeat(ctx, connect.NewRequest(&v1.HeartbeatRequest{ControllerVersion: "0.1.0", Status: v1.ControllerStatus_CONTROLLER_STATUS_CONNECTED})); err != nil {
				t.Fatal(err)
			}
			if _, err := sensor.RegisterNode(ctx, connect.NewRequest(&v1.RegisterNodeRequest{NodeName: "node-1", KernelVersion: "6.18.0", SensorVersion: "0.1.0",
				Mode: v1.SensorMode_SENSOR_MODE_KUBERNETES, HookMode: v1.HookMode_HOOK_MODE_TRACEPOINT})); err != nil {
				t.Fatal(err)
			}
			rt, err := sensor.ReportRuntime(ctx, connect.NewRequest(platformtest.SampleRuntime("rt-batch-0001", 120)))
			if err != nil {
				t.Fatal(err)
			}
			if rt.Msg.GetAcceptedExecutions() != 120 || rt.Msg.GetAcceptedFileLoads() != 1 {
				t.Errorf("runtime = %v", rt.Msg)
			}
			// The agent retries: nothing counts twice.
			again, err := sensor.ReportRuntime(ctx, connect.NewRequest(platformtest.SampleRuntime("rt-batch-0001", 120)))
			if err != nil || !again.Msg.GetDuplicate() {
				t.Fatalf("retry = %v, %v; want duplicate", again, err)
			}
			if _, err := sensor.NodeHeartbeat(ctx, connect.NewRequest(&v1.NodeHeartbeatRequest{NodeName: "node-1", Status: v1.SensorStatus_SENSOR_STATUS_RUNNING,
				Drops: &v1.DropCounters{RingBuffer: 3}})); err != nil {
				t.Fatal(err)
			}

			admin := platformtest.AdminToken
			clusters := call[v1.ListClustersResponse](t, in, "InventoryService/ListClusters", admin, `{}`)
			if len(clusters.Clusters) != 1 {
				t.Fatalf("clusters = %+v", clusters.Clusters)
			}
			c := clusters.Clusters[0]
			if c.Uid != "kube-system-uid-prod" || c.Nodes.Total != 1 || c.Nodes.Running != 1 || c.Workloads != 1 || c.Controller.Status != v1.ControllerStatus_CONTROLLER_STATUS_CONNECTED {
				t.Errorf("cluster = %+v", c)
			}
			nodes := call[v1.ListNodesResponse](t, in, "InventoryService/ListNodes", admin, `{"filter":{"cluster":"prod"}}`)
			if len(nodes.Nodes) != 1 || nodes.Nodes[0].Sensor.Drops.RingBuffer != 3 || nodes.Nodes[0].Sensor.HookMode != v1.HookMode_HOOK_MODE_TRACEPOINT || nodes.Nodes[0].Pods != 2 {
				t.Errorf("nodes = %+v", nodes.Nodes)
			}
			wl := call[v1.ListWorkloadsResponse](t, in, "InventoryService/ListWorkloads", admin, `{"filter":{"namespace":"shop","window":"TIME_WINDOW_NOW"}}`)
			if len(wl.Workloads) != 1 || wl.Workloads[0].Pods != 2 || wl.Workloads[0].Processes != 120 || wl.Workloads[0].Images[0] != platformtest.NginxDigest {
				t.Errorf("workloads = %+v", wl.Workloads)
			}
			img := call[v1.GetImageResponse](t, in, "InventoryService/GetImage", admin, `{"digest":"`+platformtest.NginxDigest+`"}`)
			if img.Image.Repository != "docker.io/library/nginx" || len(img.Containers) != 2 || len(img.Workloads) != 1 || len(img.Processes) != 100 ||
				!img.Truncated || len(img.LoadedFiles) != 1 || img.Image.Processes != 120 {
				t.Errorf("image = %v containers, %v workloads, %v processes, %v files, truncated %v, image %+v",
					len(img.Containers), len(img.Workloads), len(img.Processes), len(img.LoadedFiles), img.Truncated, img.Image)
			}
			// Page through the processes of the workload.
			seen := map[string]bool{}
			tok := ""
			for pages := 0; ; pages++ {
				body := fmt.Sprintf(`{"filter":{"workload":"web","text":"tool"},"page":{"size":25,"token":%q}}`, tok)
				page := call[v1.ListProcessesResponse](t, in, "InventoryService/ListProcesses", admin, body)
				for _, p := range page.Processes {
					if seen[p.ExecutablePath] {
						t.Fatalf("%s came twice", p.ExecutablePath)
					}
					seen[p.ExecutablePath] = true
					if p.PodName != "web-1" || p.ImageDigest != platformtest.NginxDigest || p.Count != 1 {
						t.Fatalf("process = %+v", p)
					}
				}
				if tok = page.NextPageToken; tok == "" {
					break
				}
				if pages > 10 {
					t.Fatal("pagination does not end")
				}
			}
			if len(seen) != 120 {
				t.Errorf("paged through %d processes, want 120", len(seen))
			}
			o := call[v1.GetOverviewResponse](t, in, "InventoryService/GetOverview", admin, `{}`)
			if o.Clusters != 1 || o.Workloads != 1 || o.Images != 1 || o.Containers != 2 || o.Processes != 120 || o.LoadedFiles != 1 {
				t.Errorf("overview = %v", o)
			}
		})
	}
}

func jsonCall(t *testing.T, in *platformtest.Instance, method, token, body string) (int, []byte) {
	t.Helper()
	return in.PostJSON(t, "/runwatch.v1."+method, token, body)
}

// grpcFrame wraps raw bytes as one gRPC message.
func grpcFrame(b []byte) []byte {
	out := make([]byte, 5+len(b))
	binary.BigEndian.PutUint32(out[1:5], uint32(len(b)))
	copy(out[5:], b)
	return out
}

// TestBadInput sends what a broken or hostile client sends, and checks the
// code, the message, and that nothing stored changed.
func TestBadInput(t *testing.T) {
	for _, dialect := range platformtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			in := platformtest.Start(t, dialect)
			ctx := context.Background()
			prod := in.CreateToken(t, "prod")
			staging := in.CreateToken(t, "staging")
			controller, sensor := platformtest.Agents(in.URL, prod)
			if _, err := controller.RegisterCluster(ctx, connect.NewRequest(&v1.RegisterClusterRequest{ClusterUid: "uid-prod"})); err != nil {
				t.Fatal(err)
			}
			stagingController, _ := platformtest.Agents(in.URL, staging)
			if _, err := stagingController.RegisterCluster(ctx, connect.NewRequest(&v1.RegisterClusterRequest{ClusterUid: "uid-staging"})); err != nil {
				t.Fatal(err)
			}
			if _, err := controller.ReportInventory(ctx, connect.NewRequest(platformtest.SampleSnapshot())); err != nil {
				t.Fatal(err)
			}
			if _, err := sensor.ReportRuntime(ctx, connect.NewRequest(platformtest.SampleRuntime("rt-good-0001", 3))); err != nil {
				t.Fatal(err)
			}
			// An expired token, made directly in the store.
			text, rec, err := access.NewRegistrationToken(strings.NewReader(strings.Repeat("e", 64)), "", "prod", "", time.Minute, time.Now().Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			tokens, err := in.Platform.Store.ListRegistrationTokens(ctx, "prod")
			if err != nil {
				t.Fatal(err)
			}
			rec.ClusterID = tokens[0].ClusterID
			if err := in.Platform.Store.CreateRegistrationToken(ctx, rec); err != nil {
				t.Fatal(err)
			}
			expired := text
			revoked := in.CreateToken(t, "prod")
			revokedID, _ := access.ParseRegistrationToken(revoked)
			if status, body := jsonCall(t, in, "AdminService/RevokeRegistrationToken", platformtest.AdminToken, `{"id":"`+revokedID+`"}`); status != 200 {
				t.Fatalf("revoke: %d %s", status, body)
			}

			huge := platformtest.SampleRuntime("rt-huge-0001", 0)
			huge.Executions = []*v1.ProcessExecution{{Container: &v1.ContainerRef{Runtime: v1.ContainerRuntime_CONTAINER_RUNTIME_HOST},
				ExecutablePath: "/bin/" + strings.Repeat("x", 17<<20)}}
			tooMany := platformtest.SampleRuntime("rt-many-0001", 10001)
			rtCall := func(token string, req *v1.ReportRuntimeRequest) error {
				_, s := platformtest.Agents(in.URL, token)
				_, err := s.ReportRuntime(ctx, connect.NewRequest(req))
				return err
			}
			tests := []struct {
				name string
				call func() error
				code connect.Code
				msg  string
			}{
				{"no token", func() error { return rtCall("", platformtest.SampleRuntime("rt-x-000001", 1)) }, connect.CodeUnauthenticated, "no credentials"},
				{"garbage token", func() error { return rtCall("nope", platformtest.SampleRuntime("rt-x-000001", 1)) }, connect.CodeUnauthenticated, "unknown token"},
				{"malformed registration token", func() error { return rtCall("rwr_abc", platformtest.SampleRuntime("rt-x-000001", 1)) }, connect.CodeUnauthenticated, "malformed"},
				{"unknown registration token", func() error {
					return rtCall("rwr_aaaaaaaa_"+strings.Repeat("a", 32), platformtest.SampleRuntime("rt-x-000001", 1))
				}, connect.CodeUnauthenticated, "unknown registration token"},
				{"wrong secret", func() error { return rtCall(prod[:len(prod)-4]+"aaaa", platformtest.SampleRuntime("rt-x-000001", 1)) }, connect.CodeUnauthenticated, "unknown registration token"},
				{"expired token", func() error { return rtCall(expired, platformtest.SampleRuntime("rt-x-000001", 1)) }, connect.CodeUnauthenticated, "expired"},
				{"revoked token", func() error { return rtCall(revoked, platformtest.SampleRuntime("rt-x-000001", 1)) }, connect.CodeUnauthenticated, "revoked"},
				{"admin token cannot ingest", func() error { return rtCall(platformtest.AdminToken, platformtest.SampleRuntime("rt-x-000001", 1)) }, connect.CodePermissionDenied, "only a cluster's registration token"},
				{"cluster A claims cluster B", func() error {
					_, err := controller.RegisterCluster(ctx, connect.NewRequest(&v1.RegisterClusterRequest{ClusterUid: "uid-staging"}))
					return err
				}, connect.CodePermissionDenied, "uid-staging"},
				{"oversized message", func() error { return rtCall(prod, huge) }, connect.CodeResourceExhausted, "larger than configured max"},
				{"too many records", func() error { return rtCall(prod, tooMany) }, connect.CodeInvalidArgument, "at most 10000"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					err := tt.call()
					if connect.CodeOf(err) != tt.code || !strings.Contains(err.Error(), tt.msg) {
						t.Errorf("err = %v, want %s containing %q", err, tt.code, tt.msg)
					}
				})
			}

			// A bad record goes alone: the rest of its batch is stored, and
			// the answer says which record and why.
			t.Run("bad records among good ones", func(t *testing.T) {
				req := platformtest.SampleRuntime("rt-mixed-0001", 6)
				req.FileLoads[0].Kind = v1.FileKind(42)
				req.Executions[1].Count = 1 << 60
				req.Executions[2].LastSeen = timestamppb.New(time.Now().Add(48 * time.Hour))
				req.Executions[3].Container.Runtime = v1.ContainerRuntime_CONTAINER_RUNTIME_HOST
				req.Executions[4].ExecutablePath = "bin/relative"
				res, err := sensor.ReportRuntime(ctx, connect.NewRequest(req))
				if err != nil {
					t.Fatal(err)
				}
				want := map[string]string{"file_loads[0]": "unknown file kind", "executions[1]": "absurd", "executions[2]": "ahead of the platform's clock",
					"executions[3]": "host process", "executions[4]": "not absolute"}
				if res.Msg.GetAcceptedExecutions() != 2 || res.Msg.GetAcceptedFileLoads() != 0 || len(res.Msg.GetRejected()) != len(want) {
					t.Fatalf("accepted %d executions, %d files; rejected %v", res.Msg.GetAcceptedExecutions(), res.Msg.GetAcceptedFileLoads(), res.Msg.GetRejected())
				}
				for _, r := range res.Msg.GetRejected() {
					key := fmt.Sprintf("%s[%d]", r.GetField(), r.GetIndex())
					if !strings.Contains(r.GetReason(), want[key]) || want[key] == "" {
						t.Errorf("%s rejected for %q, want %q", key, r.GetReason(), want[key])
					}
				}
				inv := platformtest.SampleSnapshot()
				inv.BatchId, inv.SnapshotId, inv.SnapshotComplete = "bad-inv-0001", "", false
				inv.Pods[0].Containers[0].ImageDigest = "sha256:nothex"
				ires, err := controller.ReportInventory(ctx, connect.NewRequest(inv))
				if err != nil {
					t.Fatal(err)
				}
				if rj := ires.Msg.GetRejected(); len(rj) != 1 || rj[0].GetField() != "pods" || rj[0].GetIndex() != 0 || !strings.Contains(rj[0].GetReason(), "sha256:<64") {
					t.Errorf("inventory rejections = %v", rj)
				}
			})

			// Bytes that are not what they claim, straight over HTTP.
			raw := []struct {
				name, path, ctype, token string
				body                     []byte
				wantStatus               int
				wantCode                 string
			}{
				{"malformed JSON", "/runwatch.v1.InventoryService/ListWorkloads", "application/json", platformtest.AdminToken, []byte(`{"filter":`), 400, "invalid_argument"},
				{"JSON of the wrong shape", "/runwatch.v1.InventoryService/ListWorkloads", "application/json", platformtest.AdminToken, []byte(`{"page":{"size":"many"}}`), 400, "invalid_argument"},
				{"malformed protobuf", "/runwatch.v1.SensorService/ReportRuntime", "application/proto", prod, []byte{0xff, 0xff, 0xff, 0x0f, 0x01}, 400, "invalid_argument"},
				{"agent token on the query API", "/runwatch.v1.InventoryService/ListWorkloads", "application/json", prod, []byte(`{}`), 403, "permission_denied"},
				{"agent token on the admin API", "/runwatch.v1.AdminService/CreateRegistrationToken", "application/json", prod, []byte(`{"clusterName":"x"}`), 403, "permission_denied"},
				{"forged page token", "/runwatch.v1.InventoryService/ListProcesses", "application/json", platformtest.AdminToken, []byte(`{"page":{"token":"bm9wZQ"}}`), 400, "invalid_argument"},
				{"bad cluster name", "/runwatch.v1.AdminService/CreateRegistrationToken", "application/json", platformtest.AdminToken, []byte(`{"clusterName":"Not A Name"}`), 400, "invalid_argument"},
				{"unknown image", "/runwatch.v1.InventoryService/GetImage", "application/json", platformtest.AdminToken, []byte(`{"digest":"sha256:` + strings.Repeat("0", 64) + `"}`), 404, "not_found"},
			}
			for _, tt := range raw {
				t.Run(tt.name, func(t *testing.T) {
					req, _ := http.NewRequest(http.MethodPost, in.URL+tt.path, bytes.NewReader(tt.body))
					req.Header.Set("Content-Type", tt.ctype)
					req.Header.Set("Authorization", "Bearer "+tt.token)
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					defer res.Body.Close()
					var e struct{ Code, Message string }
					_ = json.NewDecoder(res.Body).Decode(&e)
					if res.StatusCode != tt.wantStatus || e.Code != tt.wantCode {
						t.Errorf("status %d code %q (%s), want %d %q", res.StatusCode, e.Code, e.Message, tt.wantStatus, tt.wantCode)
					}
				})
			}
			// A gRPC message that is not protobuf.
			t.Run("malformed gRPC message", func(t *testing.T) {
				req, _ := http.NewRequest(http.MethodPost, in.URL+"/runwatch.v1.SensorService/ReportRuntime", bytes.NewReader(grpcFrame([]byte{0x0a, 0xff, 0xff})))
				req.Header.Set("Content-Type", "application/grpc")
				req.Header.Set("Te", "trailers")
				req.Header.Set("Authorization", "Bearer "+prod)
				res, err := platformtest.H2C().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				_, _ = bytes.NewBuffer(nil).ReadFrom(res.Body)
				if got := res.Trailer.Get("Grpc-Status"); got != "3" { // INVALID_ARGUMENT
					t.Errorf("grpc-status %q (%s), want 3", got, res.Trailer.Get("Grpc-Message"))
				}
			})

			// Nothing stored was lost or changed.
			o := call[v1.GetOverviewResponse](t, in, "InventoryService/GetOverview", platformtest.AdminToken, `{}`)
			// tool-000..002 from the first batch, tool-005 from the mixed one
			// (its tool-000 adds to the existing record).
			if o.Processes != 4 || o.Containers != 2 || o.Workloads != 1 || o.Clusters != 2 {
				t.Errorf("after bad input, overview = %v", o)
			}
			cl := call[v1.ListClustersResponse](t, in, "InventoryService/ListClusters", platformtest.AdminToken, `{"filter":{"cluster":"staging"}}`)
			if len(cl.Clusters) != 1 || cl.Clusters[0].Uid != "uid-staging" || cl.Clusters[0].Workloads != 0 {
				t.Errorf("staging = %+v", cl.Clusters)
			}
		})
	}
}

// TestHealthAndReflection checks the endpoints load balancers and grpcurl use.
func TestHealthAndReflection(t *testing.T) {
	in := platformtest.Start(t, "sqlite")
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready"} {
		res, err := http.Get(in.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b := new(bytes.Buffer)
		_, _ = b.ReadFrom(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(b.String(), want) {
			t.Errorf("%s = %d %q", path, res.StatusCode, b)
		}
	}
	res, err := http.Get(in.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b := new(bytes.Buffer)
	_, _ = b.ReadFrom(res.Body)
	res.Body.Close()
	if !strings.Contains(b.String(), "go_goroutines") {
		t.Errorf("/metrics lacks runtime metrics")
	}
	// gRPC health check over HTTP/2.
	body := grpcFrame(mustMarshal(t, &emptyHealthRequest))
	req, _ := http.NewRequest(http.MethodPost, in.URL+"/grpc.health.v1.Health/Check", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("Te", "trailers")
	hres, err := platformtest.H2C().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	reply := new(bytes.Buffer)
	_, _ = reply.ReadFrom(hres.Body)
	hres.Body.Close()
	// HealthCheckResponse{status: SERVING} is field 1 = 1.
	if hres.Trailer.Get("Grpc-Status") != "0" || !bytes.HasSuffix(reply.Bytes(), []byte{0x08, 0x01}) {
		t.Errorf("health: status %q, reply %x", hres.Trailer.Get("Grpc-Status"), reply.Bytes())
	}
}

var emptyHealthRequest v1.Page // an empty message encodes like HealthCheckRequest{}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestProtocols calls the same procedure over gRPC-Web and the Connect
// protocol, and lists the services with gRPC server reflection over
// HTTP/2, as grpcurl does.
func TestProtocols(t *testing.T) {
	in := platformtest.Start(t, "sqlite")
	in.Seed(t, "prod", 3)
	ctx := context.Background()
	auth := connect.WithInterceptors(bearerFor(platformtest.AdminToken))
	for name, opt := range map[string]connect.ClientOption{"gRPC-Web": connect.WithGRPCWeb(), "Connect": connect.WithProtoJSON()} {
		inv := runwatchv1connect.NewInventoryServiceClient(http.DefaultClient, in.URL, opt, auth)
		res, err := inv.ListWorkloads(ctx, connect.NewRequest(&v1.ListWorkloadsRequest{}))
		if err != nil || len(res.Msg.GetWorkloads()) != 1 || res.Msg.GetWorkloads()[0].GetProcesses() != 3 {
			t.Errorf("%s: %v %v", name, res, err)
		}
	}
	stream := grpcreflect.NewClient(platformtest.H2C(), in.URL).NewStream(ctx)
	defer stream.Close()
	services, err := stream.ListServices()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range services {
		names = append(names, string(s))
	}
	for _, want := range []string{"runwatch.v1.SensorService", "runwatch.v1.InventoryService", "runwatch.v1.AdminService", "runwatch.v1.AuthService"} {
		if !slices.Contains(names, want) {
			t.Errorf("reflection lists %v, without %s", names, want)
		}
	}
}
