package rpc

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/runwatch/runwatch/domain"
	"github.com/runwatch/runwatch/domain/inventory"
	"github.com/runwatch/runwatch/domain/runtime"
	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
)

var fuzzNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// FuzzRuntimeIngest feeds arbitrary bytes through what a ReportRuntime
// call goes through before the store: protobuf decoding, conversion and
// validation. Whatever it accepts must be safe to store; whatever it
// refuses must be refused as invalid input, never as a crash.
func FuzzRuntimeIngest(f *testing.F) {
	seed := &v1.ReportRuntimeRequest{BatchId: "batch-0001", NodeName: "node-1",
		Executions: []*v1.ProcessExecution{{Container: &v1.ContainerRef{ContainerId: strings.Repeat("a", 64), Runtime: v1.ContainerRuntime_CONTAINER_RUNTIME_CONTAINERD},
			ExecutablePath: "/bin/sh", Sha256: strings.Repeat("b", 64), Argv: []string{"sh", "-c", "true"}, Count: 2,
			FirstSeen: timestamppb.New(fuzzNow), LastSeen: timestamppb.New(fuzzNow), PackagePurls: []string{"pkg:deb/debian/dash@0.5.12"}}},
		FileLoads: []*v1.FileLoad{{Container: &v1.ContainerRef{Runtime: v1.ContainerRuntime_CONTAINER_RUNTIME_HOST}, Path: "/lib/libc.so.6",
			Kind: v1.FileKind_FILE_KIND_SHARED_LIBRARY}}}
	b, _ := proto.Marshal(seed)
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x02, 'x', 'y'})
	f.Fuzz(func(t *testing.T, data []byte) {
		var req v1.ReportRuntimeRequest
		if proto.Unmarshal(data, &req) != nil {
			return
		}
		batch := RuntimeBatch(&req)
		sent := batch.Records()
		rejected, err := batch.Normalize(runtime.DefaultLimits, fuzzNow)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("refused with a non-input error: %v", err)
			}
			return
		}
		check := func(c runtime.ContainerRef, path, sha string, count uint64, first, last time.Time) {
			if !strings.HasPrefix(path, "/") || !utf8.ValidString(path) || len(path) > runtime.DefaultLimits.MaxPathLen {
				t.Fatalf("accepted path %q", path)
			}
			if sha != "" && !inventory.IsHex64(sha) {
				t.Fatalf("accepted sha256 %q", sha)
			}
			if count == 0 || count > runtime.DefaultLimits.MaxCount || first.After(last) || last.After(fuzzNow.Add(time.Hour)) {
				t.Fatalf("accepted count %d, seen %v..%v", count, first, last)
			}
			if c.Runtime == "" || strings.HasPrefix(string(c.Runtime), "unknown enum") || (c.Runtime == runtime.RuntimeHost && c.ContainerID != "") {
				t.Fatalf("accepted container %+v", c)
			}
		}
		for _, p := range batch.Processes {
			check(p.Container, p.ExecutablePath, p.SHA256, p.Count, p.FirstSeen, p.LastSeen)
		}
		for _, fl := range batch.Files {
			check(fl.Container, fl.Path, fl.SHA256, fl.Count, fl.FirstSeen, fl.LastSeen)
			if strings.HasPrefix(string(fl.Kind), "unknown enum") {
				t.Fatalf("accepted file kind %q", fl.Kind)
			}
		}
		if batch.Records() > runtime.DefaultLimits.MaxRecords {
			t.Fatalf("accepted %d records", batch.Records())
		}
		// Nothing is lost unaccounted: every record is kept or rejected.
		if batch.Records()+len(rejected) != sent {
			t.Fatalf("%d sent, %d kept, %d rejected", sent, batch.Records(), len(rejected))
		}
		for _, r := range rejected {
			if r.Reason == "" || r.Index < 0 {
				t.Fatalf("rejection without a reason: %+v", r)
			}
		}
	})
}

// FuzzInventoryIngest does the same for ReportInventory.
func FuzzInventoryIngest(f *testing.F) {
	seed := &v1.ReportInventoryRequest{BatchId: "batch-0001", SnapshotId: "snap-0001", SnapshotComplete: true,
		Nodes: []*v1.NodeInfo{{Name: "n1"}}, Workloads: []*v1.WorkloadInfo{{Uid: "u", Kind: "Deployment", Namespace: "ns", Name: "w"}},
		Pods: []*v1.PodInfo{{Uid: "p", Namespace: "ns", Name: "p", WorkloadUid: "u", WorkloadKind: "Deployment", WorkloadName: "w",
			Containers: []*v1.ContainerInfo{{Name: "c", Kind: v1.ContainerKind_CONTAINER_KIND_REGULAR, ImageDigest: "sha256:" + strings.Repeat("c", 64)}}}}}
	b, _ := proto.Marshal(seed)
	f.Add(b)
	f.Add([]byte{0x42, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		var req v1.ReportInventoryRequest
		if proto.Unmarshal(data, &req) != nil {
			return
		}
		batch := inventoryBatch(&req)
		sent := batch.Objects()
		rejected, err := batch.Validate(inventory.DefaultLimits)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("refused with a non-input error: %v", err)
			}
			return
		}
		for _, p := range batch.Pods {
			if p.UID == "" || p.Workload.UID == "" {
				t.Fatalf("accepted pod %+v", p)
			}
			for _, c := range p.Containers {
				if inventory.ValidateDigest(c.ImageDigest) != nil || strings.HasPrefix(string(c.Kind), "unknown enum") || c.Kind == "" {
					t.Fatalf("accepted container %+v", c)
				}
			}
		}
		for _, d := range batch.Deleted {
			if d.Kind == "" || strings.HasPrefix(string(d.Kind), "unknown enum") {
				t.Fatalf("accepted delete %+v", d)
			}
		}
		if batch.Objects()+len(rejected) != sent {
			t.Fatalf("%d sent, %d kept, %d rejected", sent, batch.Objects(), len(rejected))
		}
	})
}
