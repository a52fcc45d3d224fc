package inventory

import (
	"errors"
	"strings"
	"testing"

	"github.com/runwatch/runwatch/domain"
)

const digest = "sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1"

func validPod() Pod {
	return Pod{
		UID: "pod-uid-1", Namespace: "shop", Name: "web-7d9f-abc", NodeName: "node-1",
		Workload: WorkloadRef{UID: "dep-uid", Kind: "Deployment", Name: "web"},
		Containers: []Container{{
			Name: "nginx", Kind: ContainerRegular, Image: "nginx:1.27", ImageDigest: digest,
			ContainerID: strings.Repeat("a", 64), Runtime: "containerd", State: StateRunning,
		}},
	}
}

func TestBatchValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(b *Batch)
		wantErr string
	}{
		{"valid delta", func(b *Batch) {}, ""},
		{"valid snapshot chunk", func(b *Batch) { b.SnapshotID = "snap-0001"; b.SnapshotComplete = true; b.Deleted = nil }, ""},
		{"short batch id", func(b *Batch) { b.ID = "x" }, "batch_id must be 8 to 128"},
		{"batch id with a space", func(b *Batch) { b.ID = "abc def ghi" }, "batch_id may hold only"},
		{"complete without snapshot", func(b *Batch) { b.SnapshotComplete = true }, "without a snapshot_id"},
		{"snapshot with deletes", func(b *Batch) { b.SnapshotID = "snap-0001" }, "carries no deletes"},
		{"too many objects", func(b *Batch) { b.Namespaces = make([]Namespace, 20000) }, "objects, at most"},
		{"node without name", func(b *Batch) { b.Nodes = []Node{{}, {Name: "ok"}} }, "node has no name"},
		{"pod without uid", func(b *Batch) { b.Pods[0].UID = "" }, "has no uid"},
		{"pod without workload", func(b *Batch) { b.Pods[0].Workload = WorkloadRef{} }, "has no workload"},
		{"bad digest", func(b *Batch) { b.Pods[0].Containers[0].ImageDigest = "sha256:xyz" }, "is not sha256:<64 lowercase hex>"},
		{"upper-case digest", func(b *Batch) {
			b.Pods[0].Containers[0].ImageDigest = strings.ToUpper(digest)
		}, "is not sha256"},
		{"container id with a slash", func(b *Batch) { b.Pods[0].Containers[0].ContainerID = "containerd://abc" }, "container id"},
		{"unknown container kind", func(b *Batch) { b.Pods[0].Containers[0].Kind = "sidecar" }, "unknown kind"},
		{"unknown container state", func(b *Batch) { b.Pods[0].Containers[0].State = "paused" }, "unknown state"},
		{"duplicate container", func(b *Batch) { b.Pods[0].Containers = append(b.Pods[0].Containers, b.Pods[0].Containers[0]) }, "twice"},
		{"negative restarts", func(b *Batch) { b.Pods[0].Containers[0].RestartCount = -1 }, "restart count"},
		{"too many containers", func(b *Batch) {
			for i := range 200 {
				b.Pods[0].Containers = append(b.Pods[0].Containers, Container{Name: "c" + strings.Repeat("x", i), Kind: ContainerRegular})
			}
		}, "containers, at most"},
		{"invalid utf-8 label", func(b *Batch) { b.Pods[0].Labels = map[string]string{"a": "\xff"} }, "not UTF-8"},
		{"huge image", func(b *Batch) { b.Pods[0].Containers[0].Image = strings.Repeat("i", 5000) }, "at most 4096"},
		{"workload without kind", func(b *Batch) { b.Workloads = []Workload{{UID: "u", Name: "n", Namespace: "ns"}} }, "has no kind"},
		{"delete of unknown kind", func(b *Batch) { b.Deleted = []ObjectRef{{Kind: "secret", Name: "x"}} }, "unknown object kind"},
		{"delete pod by name", func(b *Batch) { b.Deleted = []ObjectRef{{Kind: KindPod, Name: "x"}} }, "deleted by uid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Batch{ID: "batch-0001", Pods: []Pod{validPod()}, Deleted: []ObjectRef{{Kind: KindPod, UID: "old"}}}
			tt.mutate(&b)
			before := b.Objects()
			rejected, err := b.Validate(DefaultLimits)
			if tt.wantErr == "" {
				if err != nil || len(rejected) > 0 {
					t.Fatalf("Validate: %v %v", err, rejected)
				}
				return
			}
			switch {
			case err != nil:
				// The batch as a whole is wrong.
				if !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, domain.ErrInvalid) {
					t.Fatalf("Validate = %v, want ErrInvalid containing %q", err, tt.wantErr)
				}
			case len(rejected) == 1:
				// One object is wrong: it goes, the rest stays.
				if !strings.Contains(rejected[0].Reason, tt.wantErr) {
					t.Fatalf("rejected %+v, want a reason containing %q", rejected[0], tt.wantErr)
				}
				if b.Objects() != before-1 {
					t.Errorf("%d objects left of %d, want all but the rejected one", b.Objects(), before)
				}
			default:
				t.Fatalf("Validate = %v, %v; want an error or one rejection containing %q", err, rejected, tt.wantErr)
			}
		})
	}
}

func TestValidateRegistration(t *testing.T) {
	if err := ValidateRegistration(Registration{ClusterUID: "5f0c6b1e-uid"}); err != nil {
		t.Errorf("valid registration: %v", err)
	}
	if err := ValidateRegistration(Registration{}); err == nil {
		t.Error("a registration without cluster uid was accepted")
	}
	if err := ValidateRegistration(Registration{ClusterUID: strings.Repeat("u", 200)}); err == nil {
		t.Error("a 200-character cluster uid was accepted")
	}
}
