package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

// Summary is what Seed stored, for the tests' assertions.
type Summary struct {
	Clusters []string `json:"clusters"`
	// SensorNodes is how many nodes have a sensor in operation; Restricted
	// how many of them are over the default entitlement (10 nodes).
	SensorNodes int    `json:"sensorNodes"`
	Restricted  int    `json:"restricted"`
	Workloads   int    `json:"workloads"`
	Processes   int    `json:"processes"`
	FileLoads   int    `json:"fileLoads"`
	Drifted     int    `json:"drifted"`
	NginxImage  string `json:"nginxImage"`
	// LongPath is an executable path of 600 characters.
	LongPath string `json:"longPath"`
	// LongWorkload is a workload name of 200 characters.
	LongWorkload string `json:"longWorkload"`
	// CurlSHA256 is the hash of /usr/bin/curl everywhere it ran.
	CurlSHA256 string `json:"curlSha256"`
	// The test registry, and the digests of its images that run: one whose
	// tag moved since (with its vulnerable binary loaded), and a canary.
	Registry    string `json:"registry"`
	MovedImage  string `json:"movedImage"`
	CanaryImage string `json:"canaryImage"`
}

func hash(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])
}

func digestOf(ref string) string { return "sha256:" + hash("image", ref) }

// image is a reference and the digest containers run for it.
type image struct{ ref, digest string }

// imageSet maps the seed's short image names to images: the public ones
// below (with digests no registry here holds), and those pushed to the
// test registry.
type imageSet map[string]image

func publicImages() imageSet {
	set := imageSet{}
	for k, ref := range images {
		set[k] = image{ref, digestOf(ref)}
	}
	return set
}

var images = map[string]string{
	"nginx":    "docker.io/library/nginx:1.27",
	"redis":    "docker.io/library/redis:7.4",
	"postgres": "docker.io/library/postgres:17.2",
	"checkout": "ghcr.io/acme/checkout-api:v2.14.0",
	"payments": "ghcr.io/acme/payments-worker:v0.9.3",
	"exporter": "quay.io/prometheus/node-exporter:v1.8.2",
	"python":   "docker.io/library/python:3.13-slim",
	"internal": "registry.internal.example.com/platform-team/data/pipelines/very/deeply/nested/feature-store-materializer:2025.11.26-build.48213",
}

type workloadSpec struct {
	ns, kind, name, image string
	replicas              int
}

const longNamespace = "a-namespace-name-that-is-as-long-as-kubernetes-allows-sixty3x"

var longWorkloadName = "recommendation-engine-feature-store-materializer-for-the-european-storefront-" +
	"with-a-name-long-enough-to-test-how-every-table-clips-it-without-breaking-the-layout-or-hiding-" +
	"what-matters-0001"

func prodWorkloads() []workloadSpec {
	ws := []workloadSpec{
		{"shop", "Deployment", "web", "nginx", 3},
		{"shop", "Deployment", "checkout-api", "checkout", 2},
		{"shop", "StatefulSet", "redis", "redis", 1},
		{"payments", "Deployment", "payments-worker", "payments", 2},
		{"payments", "StatefulSet", "ledger-db", "postgres", 1},
		{"payments", "Deployment", "fraud-scorer", "python", 1},
		{"monitoring", "DaemonSet", "node-exporter", "exporter", 4},
		{"batch", "CronJob", "nightly-report", "python", 1},
		{"batch", "Pod", "debug-shell", "python", 1},
		{longNamespace, "Deployment", longWorkloadName, "internal", 1},
	}
	// Enough small services that the list has more than one page.
	imgs := []string{"nginx", "checkout", "python", "redis"}
	for i := range 52 {
		ws = append(ws, workloadSpec{"services", "Deployment", fmt.Sprintf("svc-%02d", i), imgs[i%len(imgs)], 1 + i%2})
	}
	return ws
}

var commonBinaries = []string{
	"/usr/sbin/nginx", "/bin/sh", "/usr/bin/curl", "/usr/local/bin/python3.13", "/usr/bin/env", "/bin/bash",
	"/usr/bin/wget", "/usr/local/bin/redis-server", "/usr/lib/postgresql/17/bin/postgres", "/app/checkout-api",
	"/app/payments-worker", "/bin/node_exporter", "/usr/bin/openssl", "/bin/ps", "/usr/bin/id",
}

var libraries = []struct {
	path string
	kind v1.FileKind
	purl string
}{
	{"/usr/lib/x86_64-linux-gnu/libssl.so.3", v1.FileKind_FILE_KIND_SHARED_LIBRARY, "pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64"},
	{"/usr/lib/x86_64-linux-gnu/libcrypto.so.3", v1.FileKind_FILE_KIND_SHARED_LIBRARY, "pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64"},
	{"/lib/x86_64-linux-gnu/libc.so.6", v1.FileKind_FILE_KIND_SHARED_LIBRARY, "pkg:deb/debian/libc6@2.36-9+deb12u9?arch=amd64"},
	{"/lib/x86_64-linux-gnu/libz.so.1", v1.FileKind_FILE_KIND_SHARED_LIBRARY, "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64"},
	{"/usr/local/lib/python3.13/site-packages/requests/__init__.py", v1.FileKind_FILE_KIND_INTERPRETED_MODULE, "pkg:pypi/requests@2.32.3"},
	{"/app/lib/log4j-core-2.17.1.jar", v1.FileKind_FILE_KIND_JAR, "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1"},
	{"/usr/local/bin/entrypoint.sh", v1.FileKind_FILE_KIND_SCRIPT, ""},
}

type container struct {
	id, podUID, node string
	// image is the seed's short image name.
	image string
}

// Seed fills the platform through its APIs: three clusters (one with
// sensors and the process records, one with a controller only, one that
// never connected), then the runtime records of the first in batches.
func Seed(ctx context.Context, log *slog.Logger, url, adminToken string, records int, reg *registryImages) (*Summary, *fleet, error) {
	admin := newAdmin(url, adminToken)
	imgs := publicImages()
	workloads := prodWorkloads()
	if reg != nil {
		// The registry is a trusted one: the images it holds are trusted, the
		// public ones (which it does not hold) untrusted.
		if _, err := admin.PutIntegration(ctx, connect.NewRequest(&v1.PutIntegrationRequest{Name: "corp-registry", Kind: v1.IntegrationKind_INTEGRATION_KIND_OCI,
			Url: reg.url, Trusted: true})); err != nil {
			return nil, nil, fmt.Errorf("put integration: %w", err)
		}
		imgs["langserver"] = image{reg.host + "/shop/langserver:1.0", reg.moved}
		imgs["canary"] = image{reg.host + "/shop/langserver:1.1", reg.canary}
		workloads = append(workloads, workloadSpec{"shop", "Deployment", "langserver", "langserver", 2}, workloadSpec{"shop", "Deployment", "langserver-canary", "canary", 1})
	}
	sum := &Summary{Clusters: []string{"prod-eu", "staging", "dev-laptop", "edge-hosts"}, NginxImage: digestOf(images["nginx"]), LongWorkload: longWorkloadName}
	fl := &fleet{}
	now := time.Now()

	prodToken, err := createToken(ctx, admin, "prod-eu", "production, eu-west-1")
	if err != nil {
		return nil, nil, err
	}
	prod := newAgents(url, prodToken)
	if _, err := prod.controller.RegisterCluster(ctx, connect.NewRequest(&v1.RegisterClusterRequest{
		ClusterUid: "5f0c6a43-prod-eu-kube-system", ClusterName: "prod-eu", KubernetesVersion: "v1.34.2", Provider: "aws", ControllerVersion: "0.1.0"})); err != nil {
		return nil, nil, fmt.Errorf("register prod-eu: %w", err)
	}
	sensorNodes := []string{"ip-10-0-1-11", "ip-10-0-1-12", "ip-10-0-2-21", "ip-10-0-2-22"}
	allNodes := append(append([]string{}, sensorNodes...), "ip-10-0-3-31")
	snap, containers := snapshot("prod", allNodes, sensorNodes, workloads, imgs, now)
	sum.Workloads += workloadCount(snap)
	if _, err := prod.controller.ReportInventory(ctx, connect.NewRequest(snap)); err != nil {
		return nil, nil, fmt.Errorf("report prod-eu inventory: %w", err)
	}

	maxBatch := 10000
	for _, n := range sensorNodes {
		res, err := prod.sensor.RegisterNode(ctx, connect.NewRequest(&v1.RegisterNodeRequest{NodeName: n, KernelVersion: "6.8.0-1019-aws", OsImage: "Ubuntu 24.04.1 LTS",
			Architecture: "amd64", SensorVersion: "0.1.0", Mode: v1.SensorMode_SENSOR_MODE_KUBERNETES, HookMode: v1.HookMode_HOOK_MODE_TRACEPOINT, BootId: hash("boot", n)[:32]}))
		if err != nil {
			return nil, nil, fmt.Errorf("register node %s: %w", n, err)
		}
		if m := int(res.Msg.MaxBatchRecords); m > 0 && m < maxBatch {
			maxBatch = m
		}
	}

	// The runtime records, spread over the containers, each node sending
	// its own containers' records.
	perNode := map[string][]*v1.ProcessExecution{}
	filesPerNode := map[string][]*v1.FileLoad{}
	for i := range records {
		c := containers[i%len(containers)]
		k := i / len(containers)
		p := process(c, k, i, now)
		if p.Drift {
			sum.Drifted++
		}
		if i == 7 {
			p.ExecutablePath = "/opt/" + strings.Repeat("deeply-nested-directory/", 24) + "tool-with-a-very-long-path"
			p.Sha256 = hash("file", p.ExecutablePath)
			p.Argv = []string{p.ExecutablePath, "--config", "/etc/app/config.yaml"}
			p.Comm = "tool-with-a-ver"
			sum.LongPath = p.ExecutablePath
		}
		perNode[c.node] = append(perNode[c.node], p)
	}
	sum.CurlSHA256 = hash("file", "/usr/bin/curl")
	for _, c := range containers {
		// The langserver's binary is loaded where the moved tag runs; the
		// canary never runs it, so its vulnerabilities are not applicable.
		if reg != nil && c.image == "langserver" {
			filesPerNode[c.node] = append(filesPerNode[c.node], &v1.FileLoad{
				Container: &v1.ContainerRef{ContainerId: c.id, PodUid: c.podUID, Runtime: v1.ContainerRuntime_CONTAINER_RUNTIME_CONTAINERD},
				Path:      "/app/langserver", Sha256: reg.binarySHA256, Kind: v1.FileKind_FILE_KIND_EXECUTABLE, LoadedByPath: "/app/langserver",
				FirstSeen: timestamppb.New(now.Add(-time.Hour)), LastSeen: timestamppb.New(now), Count: 40})
		}
		for _, l := range libraries {
			last := now.Add(-time.Duration(len(filesPerNode[c.node])%600) * time.Minute)
			var purls []string
			if l.purl != "" {
				purls = []string{l.purl}
			}
			filesPerNode[c.node] = append(filesPerNode[c.node], &v1.FileLoad{
				Container: &v1.ContainerRef{ContainerId: c.id, PodUid: c.podUID, Runtime: v1.ContainerRuntime_CONTAINER_RUNTIME_CONTAINERD},
				Path:      l.path, Sha256: hash("file", l.path), Kind: l.kind, PackagePurls: purls, LoadedByPath: "/bin/sh",
				FirstSeen: timestamppb.New(last.Add(-time.Hour)), LastSeen: timestamppb.New(last), Count: 3})
		}
	}
	batch := 0
	for _, n := range sensorNodes {
		execs, files := perNode[n], filesPerNode[n]
		sum.FileLoads += len(files)
		for len(execs) > 0 || len(files) > 0 {
			req := &v1.ReportRuntimeRequest{BatchId: fmt.Sprintf("e2e-runtime-%06d", batch), NodeName: n}
			room := maxBatch
			take := min(room, len(execs))
			req.Executions, execs = execs[:take], execs[take:]
			room -= take
			take = min(room, len(files))
			req.FileLoads, files = files[:take], files[take:]
			res, err := prod.sensor.ReportRuntime(ctx, connect.NewRequest(req))
			if err != nil {
				return nil, nil, fmt.Errorf("report runtime of %s, batch %d: %w", n, batch, err)
			}
			sum.Processes += int(res.Msg.AcceptedExecutions)
			batch++
			log.Info("runtime batch stored", "node", n, "executions", len(req.Executions), "file_loads", len(req.FileLoads), "processes_so_far", sum.Processes)
		}
	}
	for i, n := range sensorNodes {
		hb := &v1.NodeHeartbeatRequest{NodeName: n, SensorVersion: "0.1.0", Status: v1.SensorStatus_SENSOR_STATUS_RUNNING,
			Mode: v1.SensorMode_SENSOR_MODE_KUBERNETES, HookMode: v1.HookMode_HOOK_MODE_TRACEPOINT, EventsReceived: uint64(1000000 + i*7919), Drops: &v1.DropCounters{}}
		if i == 2 {
			hb.Status, hb.Message = v1.SensorStatus_SENSOR_STATUS_DEGRADED, "ring buffer full 3 times in the last hour"
			hb.Drops.RingBuffer = 1234
		}
		fl.add(prod.sensor, hb)
	}
	prodHB := &v1.HeartbeatRequest{ControllerVersion: "0.1.0", Status: v1.ControllerStatus_CONTROLLER_STATUS_CONNECTED}
	fl.controllers = append(fl.controllers, controllerBeat{prod.controller, prodHB})

	// staging: a controller, no sensors.
	stagingToken, err := createToken(ctx, admin, "staging", "")
	if err != nil {
		return nil, nil, err
	}
	staging := newAgents(url, stagingToken)
	if _, err := staging.controller.RegisterCluster(ctx, connect.NewRequest(&v1.RegisterClusterRequest{
		ClusterUid: "9b1d2e77-staging-kube-system", ClusterName: "staging", KubernetesVersion: "v1.33.5", Provider: "kind", ControllerVersion: "0.1.0"})); err != nil {
		return nil, nil, fmt.Errorf("register staging: %w", err)
	}
	stagingWorkloads := []workloadSpec{
		{"shop", "Deployment", "web", "nginx", 1},
		{"shop", "Deployment", "checkout-api", "checkout", 1},
		{"payments", "Deployment", "payments-worker", "payments", 1},
	}
	snap, _ = snapshot("staging", []string{"kind-control-plane", "kind-worker"}, nil, stagingWorkloads, imgs, now)
	sum.Workloads += workloadCount(snap)
	if _, err := staging.controller.ReportInventory(ctx, connect.NewRequest(snap)); err != nil {
		return nil, nil, fmt.Errorf("report staging inventory: %w", err)
	}
	fl.controllers = append(fl.controllers, controllerBeat{staging.controller, &v1.HeartbeatRequest{ControllerVersion: "0.1.0",
		Status: v1.ControllerStatus_CONTROLLER_STATUS_DEGRADED, Message: "RBAC denies list on cronjobs.batch"}})

	// dev-laptop: a token, no agent ever connected.
	if _, err := createToken(ctx, admin, "dev-laptop", "Jane's kind cluster"); err != nil {
		return nil, nil, err
	}

	// edge-hosts: sensors on plain Linux hosts, no controller. With the
	// four of prod-eu they are 12 nodes in operation, over the default
	// entitlement of 10: the two that started last are restricted.
	edgeToken, err := createToken(ctx, admin, "edge-hosts", "bare-metal build hosts")
	if err != nil {
		return nil, nil, err
	}
	edge := newAgents(url, edgeToken)
	for i := range 8 {
		n := fmt.Sprintf("build-host-%02d", i+1)
		if _, err := edge.sensor.RegisterNode(ctx, connect.NewRequest(&v1.RegisterNodeRequest{NodeName: n, KernelVersion: "6.1.0-28-amd64", OsImage: "Debian GNU/Linux 12 (bookworm)",
			Architecture: "amd64", SensorVersion: "0.1.0", Mode: v1.SensorMode_SENSOR_MODE_HOST, HookMode: v1.HookMode_HOOK_MODE_TRACEPOINT, BootId: hash("boot", n)[:32]})); err != nil {
			return nil, nil, fmt.Errorf("register host %s: %w", n, err)
		}
		fl.add(edge.sensor, &v1.NodeHeartbeatRequest{NodeName: n, SensorVersion: "0.1.0", Status: v1.SensorStatus_SENSOR_STATUS_RUNNING,
			Mode: v1.SensorMode_SENSOR_MODE_HOST, HookMode: v1.HookMode_HOOK_MODE_TRACEPOINT, Drops: &v1.DropCounters{}})
	}
	sum.SensorNodes = len(sensorNodes) + 8
	sum.Restricted = sum.SensorNodes - 10
	if err := fl.beat(ctx); err != nil {
		return nil, nil, err
	}
	return sum, fl, nil
}

type sensorBeat struct {
	client runwatchv1connect.SensorServiceClient
	req    *v1.NodeHeartbeatRequest
}

type controllerBeat struct {
	client runwatchv1connect.ControllerServiceClient
	req    *v1.HeartbeatRequest
}

// fleet is every agent of the seeded clusters, heartbeating as they do.
type fleet struct {
	sensors     []sensorBeat
	controllers []controllerBeat
}

func (f *fleet) add(c runwatchv1connect.SensorServiceClient, req *v1.NodeHeartbeatRequest) {
	f.sensors = append(f.sensors, sensorBeat{c, req})
}

// beat sends one heartbeat of every agent, in order (the order decides
// which nodes are newest, and so restricted).
func (f *fleet) beat(ctx context.Context) error {
	for _, s := range f.sensors {
		if _, err := s.client.NodeHeartbeat(ctx, connect.NewRequest(s.req)); err != nil {
			return fmt.Errorf("heartbeat of %s: %w", s.req.NodeName, err)
		}
	}
	for _, c := range f.controllers {
		if _, err := c.client.Heartbeat(ctx, connect.NewRequest(c.req)); err != nil {
			return fmt.Errorf("controller heartbeat: %w", err)
		}
	}
	return nil
}

func (f *fleet) heartbeat(ctx context.Context, log *slog.Logger, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := f.beat(ctx); err != nil && ctx.Err() == nil {
				log.Warn("heartbeat failed", "err", err)
			}
		}
	}
}

// snapshot builds one complete inventory snapshot of a cluster and
// returns the containers scheduled on nodes with a sensor.
func snapshot(cluster string, nodes, sensorNodes []string, specs []workloadSpec, imgs imageSet, now time.Time) (*v1.ReportInventoryRequest, []container) {
	hasSensor := map[string]bool{}
	for _, n := range sensorNodes {
		hasSensor[n] = true
	}
	req := &v1.ReportInventoryRequest{BatchId: "e2e-snapshot-" + cluster, SnapshotId: "e2e-snap-" + cluster, SnapshotComplete: true}
	created := timestamppb.New(now.Add(-72 * time.Hour))
	for _, n := range nodes {
		req.Nodes = append(req.Nodes, &v1.NodeInfo{Name: n, Uid: hash("node", cluster, n)[:32], KernelVersion: "6.8.0-1019-aws", OsImage: "Ubuntu 24.04.1 LTS",
			Architecture: "amd64", ContainerRuntimeVersion: "containerd://2.1.4", KubeletVersion: "v1.34.2", Provider: "aws", Ready: true, CreatedAt: created})
	}
	seenNS := map[string]bool{}
	var ctrs []container
	podNo := 0
	for _, w := range specs {
		if !seenNS[w.ns] {
			seenNS[w.ns] = true
			req.Namespaces = append(req.Namespaces, &v1.NamespaceInfo{Name: w.ns, Uid: hash("ns", cluster, w.ns)[:32], CreatedAt: created})
		}
		wuid := hash("workload", cluster, w.ns, w.name)[:36]
		if w.kind != "Pod" {
			req.Workloads = append(req.Workloads, &v1.WorkloadInfo{Uid: wuid, Kind: w.kind, ApiVersion: "apps/v1", Namespace: w.ns, Name: w.name,
				Labels: map[string]string{"app.kubernetes.io/name": w.name}, DesiredReplicas: int32(w.replicas), CreatedAt: created})
		}
		for r := range w.replicas {
			podUID := hash("pod", cluster, w.ns, w.name, fmt.Sprint(r))[:36]
			podName := fmt.Sprintf("%s-%s-%d", w.name, hash("rs", w.name)[:5], r)
			wkUID, wkKind, wkName := wuid, w.kind, w.name
			if w.kind == "Pod" {
				podName, wkUID = w.name, podUID
			}
			if len(podName) > 253 {
				podName = podName[:253]
			}
			node := nodes[podNo%len(nodes)]
			if w.kind == "DaemonSet" {
				node = nodes[r%len(nodes)]
			}
			podNo++
			img := imgs[w.image]
			cid := hash("container", podUID)
			req.Pods = append(req.Pods, &v1.PodInfo{Uid: podUID, Namespace: w.ns, Name: podName, NodeName: node, WorkloadUid: wkUID, WorkloadKind: wkKind,
				WorkloadName: wkName, Phase: "Running", CreatedAt: created, Containers: []*v1.ContainerInfo{{
					Name: w.image, Kind: v1.ContainerKind_CONTAINER_KIND_REGULAR, Image: img.ref, ImageDigest: img.digest,
					ImageId: repositoryOf(img.ref) + "@" + img.digest, ContainerId: cid, Runtime: "containerd",
					State: v1.ContainerState_CONTAINER_STATE_RUNNING, RestartCount: int32(podNo % 3), StartedAt: timestamppb.New(now.Add(-time.Duration(podNo) * time.Hour))}}})
			if hasSensor[node] {
				ctrs = append(ctrs, container{id: cid, podUID: podUID, node: node, image: w.image})
			}
		}
	}
	return req, ctrs
}

// process is the k-th distinct executable of a container: the common
// binaries first, then numbered workers; every 250th is drift.
func process(c container, k, i int, now time.Time) *v1.ProcessExecution {
	path := fmt.Sprintf("/app/bin/worker-%05d", k)
	if k < len(commonBinaries) {
		path = commonBinaries[k]
	}
	drift := i%250 == 249
	if drift {
		path = fmt.Sprintf("/tmp/.cache/kworkerd-%d", k)
	}
	// Spread over two days; one in ten is running now.
	age := time.Duration(i%2880) * time.Minute
	if i%10 == 0 {
		age = time.Duration(i%4) * time.Minute
	}
	last := now.Add(-age)
	p := &v1.ProcessExecution{
		Container:      &v1.ContainerRef{ContainerId: c.id, PodUid: c.podUID, Runtime: v1.ContainerRuntime_CONTAINER_RUNTIME_CONTAINERD},
		ExecutablePath: path, Sha256: hash("file", path), Argv: []string{path, "--config", "/etc/app/config.yaml", fmt.Sprintf("--shard=%d", k)},
		Uid: uint32(1000 * (i % 2)), Pid: uint32(1000 + i), ParentPid: 1, ParentExecutablePath: "/bin/sh", Comm: lastElem(path),
		FirstSeen: timestamppb.New(last.Add(-time.Duration(i%300) * time.Minute)), LastSeen: timestamppb.New(last), Count: uint64(1 + i%17), Drift: drift,
	}
	if !drift && k < len(commonBinaries) {
		p.PackagePurls = []string{"pkg:deb/debian/" + lastElem(path) + "@1.0.0"}
	}
	return p
}

func lastElem(p string) string {
	s := p[strings.LastIndex(p, "/")+1:]
	if len(s) > 15 {
		s = s[:15]
	}
	return s
}

// workloadCount counts a snapshot's workloads as the platform does: its
// workload objects and its bare pods (each its own workload).
func workloadCount(snap *v1.ReportInventoryRequest) int {
	n := len(snap.Workloads)
	for _, p := range snap.Pods {
		if p.WorkloadKind == "Pod" {
			n++
		}
	}
	return n
}

// repositoryOf drops the tag of a reference ("host:5000/a/b:1" -> "host:5000/a/b").
func repositoryOf(ref string) string {
	slash := strings.LastIndex(ref, "/")
	if colon := strings.LastIndex(ref, ":"); colon > slash {
		return ref[:colon]
	}
	return ref
}
