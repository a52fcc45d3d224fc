package inventory

import (
	"strings"
	"unicode/utf8"

	"github.com/runwatch/runwatch/domain"
)

// Limits bound what one batch may carry. A batch over a limit is refused
// whole: applying part of it would leave the inventory half-updated.
type Limits struct {
	// MaxObjects is the most objects (upserts plus deletes) in one batch.
	MaxObjects int
	// MaxContainersPerPod bounds a pod's containers.
	MaxContainersPerPod int
	// MaxLabels bounds the labels of one object.
	MaxLabels int
}

// DefaultLimits are generous for real clusters and refuse absurd batches.
var DefaultLimits = Limits{MaxObjects: 10000, MaxContainersPerPod: 128, MaxLabels: 256}

const (
	maxNameLen  = 253  // Kubernetes object names are DNS subdomains.
	maxTextLen  = 4096 // image references, versions, notes
	maxLabelLen = 63 + 253 + 1
	maxValueLen = 64 << 10
)

// ValidateBatchID checks an idempotency key: 8 to 128 characters of
// [A-Za-z0-9._:-]. Anything else is refused so keys are safe to log.
func ValidateBatchID(id string) error {
	if len(id) < 8 || len(id) > 128 {
		return domain.Invalidf("batch_id must be 8 to 128 characters, got %d", len(id))
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == ':') {
			return domain.Invalidf("batch_id may hold only letters, digits and -_.: (got %q)", id)
		}
	}
	return nil
}

// ValidateDigest checks an image manifest digest: "sha256:" and 64
// lowercase hex characters. Empty is allowed (not reported yet).
func ValidateDigest(d string) error {
	if d == "" {
		return nil
	}
	hex, ok := strings.CutPrefix(d, "sha256:")
	if !ok || !IsHex64(hex) {
		return domain.Invalidf("image digest %q is not sha256:<64 lowercase hex>", domain.Clip(d))
	}
	return nil
}

// ValidateSHA256 checks a file's sha256 as hex. Empty is allowed (not
// hashed, or no filter).
func ValidateSHA256(sha string) error {
	if sha != "" && !IsHex64(sha) {
		return domain.Invalidf("sha256 %q is not 64 lowercase hex characters", domain.Clip(sha))
	}
	return nil
}

// IsHex64 says whether s is 64 lowercase hex characters (a sha256 or a
// container id of the runtimes Runwatch knows).
func IsHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// ValidateContainerID checks a runtime container id: empty (not created
// yet), or 1 to 128 characters of [A-Za-z0-9_.-].
func ValidateContainerID(id string) error {
	if len(id) > 128 {
		return domain.Invalidf("container id is %d characters, at most 128", len(id))
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return domain.Invalidf("container id %q holds %q", domain.Clip(id), r)
		}
	}
	return nil
}

// Validate checks a batch against the limits and the rules every object
// must follow. A batch wrong as a whole (its ids, its size, deletes in a
// snapshot) is an error; an object that is wrong is taken out and returned
// as a rejection, and the rest stands. A rejected object of a complete
// snapshot is then not in it, and is marked gone: the inventory never
// holds what could not be checked.
func (b *Batch) Validate(l Limits) ([]domain.Rejection, error) {
	if err := ValidateBatchID(b.ID); err != nil {
		return nil, err
	}
	if b.SnapshotID != "" {
		if err := ValidateBatchID(b.SnapshotID); err != nil {
			return nil, domain.Invalidf("snapshot_id: %v", err)
		}
		if len(b.Deleted) > 0 {
			return nil, domain.Invalidf("a snapshot chunk carries no deletes: what it does not hold is gone when it completes")
		}
	} else if b.SnapshotComplete {
		return nil, domain.Invalidf("snapshot_complete is set without a snapshot_id")
	}
	if n := b.Objects(); n > l.MaxObjects {
		return nil, domain.Invalidf("batch holds %d objects, at most %d", n, l.MaxObjects)
	}
	var rejected []domain.Rejection
	b.Nodes = keepValid(b.Nodes, "nodes", &rejected, func(n *Node) error { return checkNode(*n, l) })
	b.Namespaces = keepValid(b.Namespaces, "namespaces", &rejected, func(ns *Namespace) error { return checkNamespace(*ns, l) })
	b.Workloads = keepValid(b.Workloads, "workloads", &rejected, func(w *Workload) error { return checkWorkload(*w, l) })
	b.Pods = keepValid(b.Pods, "pods", &rejected, func(p *Pod) error { return checkPod(p, l) })
	b.Deleted = keepValid(b.Deleted, "deleted", &rejected, checkDelete)
	return rejected, nil
}

// keepValid keeps the objects check accepts, in order, and records a
// rejection for each other one with its index as sent.
func keepValid[T any](objs []T, field string, rejected *[]domain.Rejection, check func(*T) error) []T {
	kept := objs[:0]
	for i := range objs {
		if err := check(&objs[i]); err != nil {
			*rejected = append(*rejected, domain.Rejection{Field: field, Index: i, Reason: err.Error()})
			continue
		}
		kept = append(kept, objs[i])
	}
	return kept
}

func checkNode(n Node, l Limits) error {
	if err := checkName("node", n.Name); err != nil {
		return err
	}
	if err := checkText(n.UID, n.KernelVersion, n.OSImage, n.Architecture, n.ContainerRuntimeVersion, n.KubeletVersion, n.ProviderID, n.Provider); err != nil {
		return domain.Invalidf("node %s: %v", n.Name, err)
	}
	if err := checkLabels(n.Labels, l); err != nil {
		return domain.Invalidf("node %s: %v", n.Name, err)
	}
	return nil
}

func checkNamespace(ns Namespace, l Limits) error {
	if err := checkName("namespace", ns.Name); err != nil {
		return err
	}
	if err := checkLabels(ns.Labels, l); err != nil {
		return domain.Invalidf("namespace %s: %v", ns.Name, err)
	}
	return nil
}

func checkDelete(d *ObjectRef) error {
	switch d.Kind {
	case KindNode, KindNamespace:
		return checkName(string(d.Kind), d.Name)
	case KindWorkload, KindPod:
		if d.UID == "" || len(d.UID) > maxNameLen {
			return domain.Invalidf("a %s is deleted by uid", d.Kind)
		}
		return nil
	}
	return domain.Invalidf("unknown object kind %q", d.Kind)
}

func checkWorkload(w Workload, l Limits) error {
	if w.UID == "" {
		return domain.Invalidf("workload %s/%s has no uid", w.Namespace, w.Name)
	}
	if w.Kind == "" {
		return domain.Invalidf("workload %s/%s has no kind", w.Namespace, w.Name)
	}
	if err := checkName("workload", w.Name); err != nil {
		return err
	}
	if err := checkName("namespace", w.Namespace); err != nil {
		return err
	}
	if w.DesiredReplicas < 0 {
		return domain.Invalidf("workload %s/%s has %d desired replicas", w.Namespace, w.Name, w.DesiredReplicas)
	}
	if err := checkText(w.UID, w.Kind, w.APIVersion); err != nil {
		return err
	}
	return checkLabels(w.Labels, l)
}

func checkPod(p *Pod, l Limits) error {
	if p.UID == "" {
		return domain.Invalidf("pod %s/%s has no uid", p.Namespace, p.Name)
	}
	if err := checkName("pod", p.Name); err != nil {
		return err
	}
	if err := checkName("namespace", p.Namespace); err != nil {
		return err
	}
	if p.NodeName != "" {
		if err := checkName("node", p.NodeName); err != nil {
			return err
		}
	}
	if p.Workload.UID == "" || p.Workload.Kind == "" || p.Workload.Name == "" {
		return domain.Invalidf("pod %s/%s has no workload (a bare pod is its own workload)", p.Namespace, p.Name)
	}
	if err := checkText(p.UID, p.Phase, p.Workload.UID, p.Workload.Kind, p.Workload.Name, p.OwnerNote); err != nil {
		return err
	}
	if err := checkLabels(p.Labels, l); err != nil {
		return err
	}
	if len(p.Containers) > l.MaxContainersPerPod {
		return domain.Invalidf("pod %s/%s has %d containers, at most %d", p.Namespace, p.Name, len(p.Containers), l.MaxContainersPerPod)
	}
	seen := make(map[string]bool, len(p.Containers))
	for i, c := range p.Containers {
		if c.Name == "" || len(c.Name) > maxNameLen {
			return domain.Invalidf("pod %s/%s containers[%d] has no valid name", p.Namespace, p.Name, i)
		}
		if seen[c.Name] {
			return domain.Invalidf("pod %s/%s names container %q twice", p.Namespace, p.Name, c.Name)
		}
		seen[c.Name] = true
		switch c.Kind {
		case ContainerRegular, ContainerInit, ContainerEphemeral:
		default:
			return domain.Invalidf("pod %s/%s container %s: unknown kind %q", p.Namespace, p.Name, c.Name, c.Kind)
		}
		switch c.State {
		case "", StateWaiting, StateRunning, StateTerminated:
		default:
			return domain.Invalidf("pod %s/%s container %s: unknown state %q", p.Namespace, p.Name, c.Name, c.State)
		}
		if err := ValidateDigest(c.ImageDigest); err != nil {
			return domain.Invalidf("pod %s/%s container %s: %v", p.Namespace, p.Name, c.Name, err)
		}
		if err := ValidateContainerID(c.ContainerID); err != nil {
			return domain.Invalidf("pod %s/%s container %s: %v", p.Namespace, p.Name, c.Name, err)
		}
		if c.RestartCount < 0 {
			return domain.Invalidf("pod %s/%s container %s: restart count %d", p.Namespace, p.Name, c.Name, c.RestartCount)
		}
		if err := checkText(c.Image, c.ImageID, c.Runtime); err != nil {
			return domain.Invalidf("pod %s/%s container %s: %v", p.Namespace, p.Name, c.Name, err)
		}
	}
	return nil
}

func checkName(what, name string) error {
	if name == "" {
		return domain.Invalidf("%s has no name", what)
	}
	if len(name) > maxNameLen {
		return domain.Invalidf("%s name is %d characters, at most %d", what, len(name), maxNameLen)
	}
	if !utf8.ValidString(name) {
		return domain.Invalidf("%s name is not UTF-8", what)
	}
	return nil
}

func checkText(fields ...string) error {
	for _, f := range fields {
		if len(f) > maxTextLen {
			return domain.Invalidf("a field is %d bytes, at most %d", len(f), maxTextLen)
		}
		if !utf8.ValidString(f) {
			return domain.Invalidf("a field is not UTF-8: %q", domain.Clip(f))
		}
	}
	return nil
}

func checkLabels(labels map[string]string, l Limits) error {
	if len(labels) > l.MaxLabels {
		return domain.Invalidf("%d labels, at most %d", len(labels), l.MaxLabels)
	}
	for k, v := range labels {
		if k == "" || len(k) > maxLabelLen || len(v) > maxValueLen {
			return domain.Invalidf("label %q is empty or too long", domain.Clip(k))
		}
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return domain.Invalidf("label %q is not UTF-8", domain.Clip(k))
		}
	}
	return nil
}

// ValidateRegistration checks what a controller says about its cluster.
func ValidateRegistration(r Registration) error {
	if r.ClusterUID == "" {
		return domain.Invalidf("cluster_uid is required (the kube-system namespace UID, or --cluster-id)")
	}
	if len(r.ClusterUID) > 128 {
		return domain.Invalidf("cluster_uid is %d characters, at most 128", len(r.ClusterUID))
	}
	return checkText(r.ClusterUID, r.ClusterName, r.KubernetesVersion, r.Provider, r.ControllerVersion)
}
