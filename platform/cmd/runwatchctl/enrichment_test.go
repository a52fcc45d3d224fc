package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/runwatch/runwatch/adapters/catalog/catalogtest"
	"github.com/runwatch/runwatch/adapters/oci/ocitest"
	"github.com/runwatch/runwatch/platform"
	"github.com/runwatch/runwatch/platform/platformtest"
	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
)

// The enrichment commands against a running platform, a real registry
// and a Go binary built now against golang.org/x/text v0.3.5.
func TestCLIEnrichment(t *testing.T) {
	in := platformtest.StartWith(t, "sqlite", func(c *platform.Config) { c.Enrichment.Poll = 50 * time.Millisecond })
	reg := ocitest.Start(t, nil)
	bin := catalogtest.GoBinary(t, t.TempDir())
	data, _ := os.ReadFile(bin)
	img := reg.Push(t, "shop/lang", "1.0", catalogtest.Layer(t, catalogtest.File{Name: "app/langserver", Data: data, Mode: 0o755}))

	t.Setenv("REGISTRY_SECRET", "very-secret-password")
	for _, args := range [][]string{
		{"integration", "put", "corp", "--kind", "oci", "--url", reg.URL, "--username", "robot", "--secret-env", "REGISTRY_SECRET", "--trusted"},
		{"webhook", "put", "ops", "--url", "http://127.0.0.1:9/hook", "--format", "slack", "--kinds", "drift,untrusted_image"},
	} {
		if out, errs, code := ctl(t, in, args...); code != 0 {
			t.Fatalf("%v: %d %s %s", args, code, out, errs)
		}
	}
	out, _, _ := ctl(t, in, "integration", "list")
	if !strings.Contains(out, "corp") || !strings.Contains(out, "true") || strings.Contains(out, "very-secret") {
		t.Fatalf("integration list:\n%s", out)
	}
	out, _, _ = ctl(t, in, "webhook", "list")
	if !strings.Contains(out, "slack") || !strings.Contains(out, "drift,untrusted_image") {
		t.Fatalf("webhook list:\n%s", out)
	}
	if _, errs, code := ctl(t, in, "integration", "put", "x", "--secret-env", "NOT_SET_ANYWHERE"); code == 0 || !strings.Contains(errs, "NOT_SET_ANYWHERE") {
		t.Fatalf("a missing secret variable: %d %s", code, errs)
	}

	ctx := context.Background()
	controller, sensor := platformtest.Agents(in.URL, in.CreateToken(t, "prod"))
	cid := strings.Repeat("c", 64)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := controller.RegisterCluster(ctx, connect.NewRequest(&v1.RegisterClusterRequest{ClusterUid: "uid-prod", ClusterName: "prod"}))
	must(err)
	_, err = controller.ReportInventory(ctx, connect.NewRequest(&v1.ReportInventoryRequest{BatchId: "inventory-0001",
		Workloads: []*v1.WorkloadInfo{{Uid: "dep-lang", Kind: "Deployment", Namespace: "shop", Name: "lang"}},
		Pods: []*v1.PodInfo{{Uid: "pod-1", Namespace: "shop", Name: "lang-1", NodeName: "node-1", WorkloadUid: "dep-lang", WorkloadKind: "Deployment",
			WorkloadName: "lang", Phase: "Running", Containers: []*v1.ContainerInfo{{Name: "lang", Kind: v1.ContainerKind_CONTAINER_KIND_REGULAR,
				Image: reg.Host + "/shop/lang:1.0", ImageDigest: img.Digest, ContainerId: cid, Runtime: "containerd", State: v1.ContainerState_CONTAINER_STATE_RUNNING}}}}}))
	must(err)
	_, err = sensor.RegisterNode(ctx, connect.NewRequest(&v1.RegisterNodeRequest{NodeName: "node-1"}))
	must(err)
	sum := sha256.Sum256(data)
	now := timestamppb.Now()
	_, err = sensor.ReportRuntime(ctx, connect.NewRequest(&v1.ReportRuntimeRequest{BatchId: "runtime-0001", NodeName: "node-1",
		FileLoads: []*v1.FileLoad{{Container: &v1.ContainerRef{ContainerId: cid, Runtime: v1.ContainerRuntime_CONTAINER_RUNTIME_CONTAINERD},
			Path: "/app/langserver", Sha256: hex.EncodeToString(sum[:]), Kind: v1.FileKind_FILE_KIND_EXECUTABLE, FirstSeen: now, LastSeen: now, Count: 1}}}))
	must(err)

	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _, _ = ctl(t, in, "vulns", "--workload", "lang", "--applicable", "--id", "CVE-2022-32149")
		if strings.Contains(out, "GO-2022-1059") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no applicable CVE-2022-32149:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, w := range []string{"GO-2022-1059 (CVE-2022-32149)", "applicable", "pkg:golang/golang.org/x/text@v0.3.5", "0.3.8", "/app/langserver", "funnel:", "CC-BY-4.0"} {
		if !strings.Contains(out, w) {
			t.Errorf("vulns output lacks %q:\n%s", w, out)
		}
	}
	out, errs, code := ctl(t, in, "risk", "--workload", "lang", "--cluster", "prod")
	if code != 0 || !strings.Contains(out, "trusted") || !strings.Contains(out, "corp:") {
		t.Fatalf("risk: %d %s\n%s", code, errs, out)
	}
	file := filepath.Join(t.TempDir(), "sbom.json")
	if _, errs, code := ctl(t, in, "sbom", "--image", img.Digest, "--out", file); code != 0 {
		t.Fatalf("sbom: %s", errs)
	}
	raw, _ := os.ReadFile(file)
	var bom map[string]any
	if json.Unmarshal(raw, &bom) != nil || bom["bomFormat"] != "CycloneDX" || !strings.Contains(string(raw), "pkg:golang/golang.org/x/text@v0.3.5") {
		t.Fatalf("sbom:\n%.500s", raw)
	}
	out, _, code = ctl(t, in, "vex", "--workload", "lang")
	if code != 0 || !strings.Contains(out, `"status": "affected"`) || !strings.Contains(out, "openvex") {
		t.Fatalf("vex:\n%.800s", out)
	}
	if _, errs, code := ctl(t, in, "vex"); code == 0 || !strings.Contains(errs, "--image") {
		t.Fatalf("vex without a scope: %d %s", code, errs)
	}
	out, _, _ = ctl(t, in, "vuln-sources")
	if !strings.Contains(out, "go-vulndb") || !strings.Contains(out, "CC-BY-4.0") {
		t.Fatalf("vuln-sources:\n%s", out)
	}
	for _, args := range [][]string{{"webhook", "delete", "ops"}, {"integration", "delete", "corp"}} {
		if _, errs, code := ctl(t, in, args...); code != 0 {
			t.Fatalf("%v: %s", args, errs)
		}
	}
	if _, _, code := ctl(t, in, "integration", "delete", "corp"); code == 0 {
		t.Fatal("deleting a missing integration succeeded")
	}
}
