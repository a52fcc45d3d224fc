// Package owner resolves a pod to its top-level workload by following
// controller owner references: Pod → ReplicaSet → Deployment, Pod → Job →
// CronJob, Pod → StatefulSet or DaemonSet, or the pod itself when nothing
// controls it.
//
// Resolution never guesses. An owner reference names its owner exactly (kind,
// name and uid), so the workload is always an owner some reference names.
// The cache is consulted only to read an owner's own references, and only an
// object with the referenced uid counts (a name can be reused). Where the
// chain breaks (an owner not seen yet, or gone while the garbage collector
// catches up), the workload is the last owner named, and a note says why the
// chain stopped there.
package owner

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// The kinds the controller watches, by group. An owner of another group or
// kind (a custom resource such as an Argo Rollout) is a workload in its own
// right: the chain stops there, since nothing above it can be seen.
var (
	Deployment  = schema.GroupKind{Group: "apps", Kind: "Deployment"}
	ReplicaSet  = schema.GroupKind{Group: "apps", Kind: "ReplicaSet"}
	StatefulSet = schema.GroupKind{Group: "apps", Kind: "StatefulSet"}
	DaemonSet   = schema.GroupKind{Group: "apps", Kind: "DaemonSet"}
	Job         = schema.GroupKind{Group: "batch", Kind: "Job"}
	CronJob     = schema.GroupKind{Group: "batch", Kind: "CronJob"}
	Pod         = schema.GroupKind{Group: "", Kind: "Pod"}
	Node        = schema.GroupKind{Group: "", Kind: "Node"}
)

// Watched says whether the controller holds objects of this kind in a
// cache, so that a reference to one can be checked.
func Watched(gk schema.GroupKind) bool {
	switch gk {
	case Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob:
		return true
	}
	return false
}

// intermediate says whether objects of this kind are usually controlled by a
// higher workload, so the chain goes on through them.
func intermediate(gk schema.GroupKind) bool { return gk == ReplicaSet || gk == Job }

// Object is what resolution needs to know of an owner the cache holds.
type Object struct {
	UID    types.UID
	Owners []metav1.OwnerReference
}

// Lookup finds an object of a watched kind in the caller's cache.
type Lookup interface {
	Get(gk schema.GroupKind, namespace, name string) (Object, bool)
}

// Workload names a top-level workload.
type Workload struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	UID        types.UID
}

// GroupKind of the workload.
func (w Workload) GroupKind() schema.GroupKind {
	gv, _ := schema.ParseGroupVersion(w.APIVersion)
	return schema.GroupKind{Group: gv.Group, Kind: w.Kind}
}

func (w Workload) String() string {
	return fmt.Sprintf("%s %s/%s (uid %s)", w.Kind, w.Namespace, w.Name, w.UID)
}

// Result is a pod's resolved workload.
type Result struct {
	Workload Workload
	// Known is true when the workload is an object of a watched kind that the
	// cache holds (so its own details are at hand), false when the workload
	// is the pod itself, a custom owner, or a watched owner the cache does not
	// hold (then Note says so).
	Known bool
	// Note says why the chain stopped short of its top; empty when it did not.
	Note string
}

// maxDepth bounds the walk: owner references can form a loop (they are
// only data), and no real chain is deeper than three.
const maxDepth = 8

// Resolve finds the top-level workload of a pod.
func Resolve(pod metav1.Object, lookup Lookup) Result {
	self := Result{Workload: Workload{
		APIVersion: "v1", Kind: "Pod", Namespace: pod.GetNamespace(), Name: pod.GetName(), UID: pod.GetUID(),
	}}
	ref := controllerOf(pod.GetOwnerReferences())
	if ref == nil {
		return self
	}
	gk := groupKind(*ref)
	if gk == Node {
		// A static (mirror) pod names the node that runs it as its owner; the
		// node does not manage it as a workload, so the pod stands alone.
		return self
	}
	ns := pod.GetNamespace()
	for depth := 0; ; depth++ {
		cur := Workload{APIVersion: ref.APIVersion, Kind: ref.Kind, Namespace: ns, Name: ref.Name, UID: ref.UID}
		if !Watched(gk) {
			// A custom owner: a workload of its own, above which nothing is seen.
			return Result{Workload: cur}
		}
		obj, ok := lookup.Get(gk, ns, ref.Name)
		if !ok {
			return Result{Workload: cur, Note: fmt.Sprintf("%s is not in the cache (not seen yet, or deleted); its owners cannot be followed", cur)}
		}
		if obj.UID != ref.UID {
			return Result{Workload: cur, Note: fmt.Sprintf("%s is gone (the object of that name now has uid %s); its owners cannot be followed", cur, obj.UID)}
		}
		next := controllerOf(obj.Owners)
		if !intermediate(gk) || next == nil {
			return Result{Workload: cur, Known: true}
		}
		if depth >= maxDepth {
			return Result{Workload: cur, Known: true, Note: "owner references form a loop; stopped at " + cur.String()}
		}
		ref, gk = next, groupKind(*next)
	}
}

// controllerOf returns the managing owner reference, if any. Owner
// references without controller=true (e.g. garbage-collection links) do not
// make an object part of a workload.
func controllerOf(refs []metav1.OwnerReference) *metav1.OwnerReference {
	for i := range refs {
		if c := refs[i].Controller; c != nil && *c {
			return &refs[i]
		}
	}
	return nil
}

func groupKind(ref metav1.OwnerReference) schema.GroupKind {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		// Unparseable: keep the text so it can never match a watched kind.
		return schema.GroupKind{Group: "invalid:" + ref.APIVersion, Kind: ref.Kind}
	}
	return schema.GroupKind{Group: gv.Group, Kind: ref.Kind}
}
