package controller

import (
	"fmt"
	"log/slog"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/runwatch/runwatch/agents/controller/owner"
)

// objKind is the kind of inventory object a key names.
type objKind uint8

const (
	kindNode objKind = iota + 1
	kindNamespace
	kindWorkload
	kindPod
)

// namespaceGK names namespaces among the watched kinds.
var namespaceGK = schema.GroupKind{Kind: "Namespace"}

// key names one inventory object. Nodes and namespaces are named by name;
// pods and workloads by uid (a name can be reused by a new object, which is
// a different object), with the namespace and name to find it in the cache.
type key struct {
	kind      objKind
	gk        schema.GroupKind // workloads only
	namespace string
	name      string
	uid       types.UID
}

func (k key) String() string {
	switch k.kind {
	case kindNode:
		return "node/" + k.name
	case kindNamespace:
		return "namespace/" + k.name
	case kindPod:
		return fmt.Sprintf("pod/%s/%s(%s)", k.namespace, k.name, k.uid)
	}
	return fmt.Sprintf("%s/%s/%s(%s)", k.gk.Kind, k.namespace, k.name, k.uid)
}

func workloadKey(gk schema.GroupKind, m metav1.Object) key {
	return key{kind: kindWorkload, gk: gk, namespace: m.GetNamespace(), name: m.GetName(), uid: m.GetUID()}
}

func podKey(m metav1.Object) key {
	return key{kind: kindPod, namespace: m.GetNamespace(), name: m.GetName(), uid: m.GetUID()}
}

// byController indexes objects by the uid of their controller owner, so an
// owner's change can reach the pods whose attribution depends on it.
const byController = "runwatch.io/controller-uid"

func controllerUID(obj any) ([]string, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, nil
	}
	if ref := metav1.GetControllerOfNoCopy(m); ref != nil {
		return []string{string(ref.UID)}, nil
	}
	return nil, nil
}

// watchedKind is one informer and what the controller says about it.
type watchedKind struct {
	name     string // plural, as in heartbeats and metrics: "pods"
	gk       schema.GroupKind
	informer cache.SharedIndexInformer
	// required kinds must be watched for a snapshot to be sent: without
	// pods, nodes or namespaces a snapshot would mark everything gone.
	required bool

	mu      sync.Mutex
	lastErr error // the last list/watch error, cleared once synced
}

func (w *watchedKind) setErr(err error) {
	w.mu.Lock()
	w.lastErr = err
	w.mu.Unlock()
}

func (w *watchedKind) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastErr
}

// watcher holds the informers.
type watcher struct {
	factory informers.SharedInformerFactory
	kinds   []*watchedKind
	byGK    map[schema.GroupKind]*watchedKind
	nodes   *watchedKind
	nss     *watchedKind
	pods    *watchedKind
}

func newWatcher(kube kubernetes.Interface, log *slog.Logger, enqueue func(key)) (*watcher, error) {
	f := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithTransform(slim))
	w := &watcher{factory: f, byGK: map[schema.GroupKind]*watchedKind{}}
	add := func(name string, gk schema.GroupKind, inf cache.SharedIndexInformer, required bool) *watchedKind {
		k := &watchedKind{name: name, gk: gk, informer: inf, required: required}
		w.kinds = append(w.kinds, k)
		w.byGK[gk] = k
		// A list or watch that fails (RBAC, an API the server lacks) is
		// retried by the informer; remember why, for logs and heartbeats.
		_ = inf.SetWatchErrorHandler(func(_ *cache.Reflector, err error) {
			k.setErr(err)
			log.Warn("cannot watch "+name+"; retrying", "err", err)
		})
		return k
	}
	w.nodes = add("nodes", owner.Node, f.Core().V1().Nodes().Informer(), true)
	w.nss = add("namespaces", namespaceGK, f.Core().V1().Namespaces().Informer(), true)
	w.pods = add("pods", owner.Pod, f.Core().V1().Pods().Informer(), true)
	add("deployments", owner.Deployment, f.Apps().V1().Deployments().Informer(), false)
	add("replicasets", owner.ReplicaSet, f.Apps().V1().ReplicaSets().Informer(), false)
	add("statefulsets", owner.StatefulSet, f.Apps().V1().StatefulSets().Informer(), false)
	add("daemonsets", owner.DaemonSet, f.Apps().V1().DaemonSets().Informer(), false)
	add("jobs", owner.Job, f.Batch().V1().Jobs().Informer(), false)
	add("cronjobs", owner.CronJob, f.Batch().V1().CronJobs().Informer(), false)

	for _, gk := range []schema.GroupKind{owner.Pod, owner.ReplicaSet, owner.Job} {
		if err := w.byGK[gk].informer.AddIndexers(cache.Indexers{byController: controllerUID}); err != nil {
			return nil, fmt.Errorf("index %s by owner: %w", gk, err)
		}
	}
	h := &handlers{w: w, enqueue: enqueue}
	for _, k := range w.kinds {
		if _, err := k.informer.AddEventHandler(h.forKind(k)); err != nil {
			return nil, fmt.Errorf("watch %s: %w", k.name, err)
		}
	}
	return w, nil
}

// get returns the cached object of a kind by namespace and name.
func (w *watcher) get(k *watchedKind, namespace, name string) (any, bool) {
	id := name
	if namespace != "" {
		id = namespace + "/" + name
	}
	obj, ok, err := k.informer.GetIndexer().GetByKey(id)
	if err != nil || !ok {
		return nil, false
	}
	return obj, true
}

// Get implements owner.Lookup on the caches.
func (w *watcher) Get(gk schema.GroupKind, namespace, name string) (owner.Object, bool) {
	k := w.byGK[gk]
	if k == nil {
		return owner.Object{}, false
	}
	obj, ok := w.get(k, namespace, name)
	if !ok {
		return owner.Object{}, false
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return owner.Object{}, false
	}
	return owner.Object{UID: m.GetUID(), Owners: m.GetOwnerReferences()}, true
}

// unsynced lists the kinds whose caches are not filled yet.
func (w *watcher) unsynced(requiredOnly bool) []*watchedKind {
	var out []*watchedKind
	for _, k := range w.kinds {
		if requiredOnly && !k.required {
			continue
		}
		if !k.informer.HasSynced() {
			out = append(out, k)
		}
	}
	return out
}

// counts is how many objects each cache holds.
func (w *watcher) counts() map[string]int64 {
	out := make(map[string]int64, len(w.kinds))
	for _, k := range w.kinds {
		out[k.name] = int64(len(k.informer.GetIndexer().ListKeys()))
	}
	return out
}

// handlers turn informer events into pending keys.
type handlers struct {
	w       *watcher
	enqueue func(key)
}

func (h *handlers) forKind(k *watchedKind) cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) { h.changed(k, nil, obj) },
		UpdateFunc: func(old, obj any) {
			h.changed(k, old, obj)
		},
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			h.changed(k, nil, obj)
		},
	}
}

// changed marks an object, and every pod whose attribution may depend on
// it, as pending. An add or delete of an owner can change which workload its
// pods resolve to; an update only when its own controller changed
// (adoption or orphaning).
func (h *handlers) changed(k *watchedKind, old, obj any) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return
	}
	switch k.gk {
	case owner.Node:
		h.enqueue(key{kind: kindNode, name: m.GetName()})
		return
	case namespaceGK:
		h.enqueue(key{kind: kindNamespace, name: m.GetName()})
		return
	case owner.Pod:
		h.enqueue(podKey(m))
		return
	}
	h.enqueue(workloadKey(k.gk, m))
	if old != nil {
		om, err := meta.Accessor(old)
		if err != nil || sameController(om, m) {
			return
		}
	}
	h.dependents(m.GetUID(), 0)
}

func sameController(a, b metav1.Object) bool {
	ra, rb := metav1.GetControllerOfNoCopy(a), metav1.GetControllerOfNoCopy(b)
	if ra == nil || rb == nil {
		return ra == nil && rb == nil
	}
	return ra.UID == rb.UID
}

// dependents enqueues the pods controlled by uid, directly or through the
// ReplicaSets and Jobs it controls.
func (h *handlers) dependents(uid types.UID, depth int) {
	if depth > 2 {
		return
	}
	for _, obj := range byIndex(h.w.pods, string(uid)) {
		if m, err := meta.Accessor(obj); err == nil {
			h.enqueue(podKey(m))
		}
	}
	for _, gk := range []schema.GroupKind{owner.ReplicaSet, owner.Job} {
		for _, obj := range byIndex(h.w.byGK[gk], string(uid)) {
			if m, err := meta.Accessor(obj); err == nil {
				h.dependents(m.GetUID(), depth+1)
			}
		}
	}
}

func byIndex(k *watchedKind, uid string) []any {
	objs, err := k.informer.GetIndexer().ByIndex(byController, uid)
	if err != nil {
		return nil
	}
	return objs
}

// topLevel says whether a cached workload object is reported as a workload
// in its own right: the kinds that are always the top of an owner chain the
// controller follows, and ReplicaSets and Jobs that nothing controls.
func topLevel(gk schema.GroupKind, m metav1.Object) bool {
	switch gk {
	case owner.Deployment, owner.StatefulSet, owner.DaemonSet, owner.CronJob:
		return true
	case owner.ReplicaSet, owner.Job:
		return metav1.GetControllerOfNoCopy(m) == nil
	}
	return false
}

// slim keeps of each object only what the inventory reports, so the caches
// of a large cluster stay small: no managed fields, annotations, pod specs
// beyond container names and images, ReplicaSet templates, or node image
// lists.
func slim(obj any) (any, error) {
	switch o := obj.(type) {
	case *corev1.Pod:
		out := &corev1.Pod{ObjectMeta: slimMeta(o.ObjectMeta)}
		out.Spec.NodeName = o.Spec.NodeName
		out.Spec.InitContainers = slimContainers(o.Spec.InitContainers)
		out.Spec.Containers = slimContainers(o.Spec.Containers)
		for _, c := range o.Spec.EphemeralContainers {
			out.Spec.EphemeralContainers = append(out.Spec.EphemeralContainers, corev1.EphemeralContainer{
				EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: c.Name, Image: c.Image}})
		}
		out.Status.Phase = o.Status.Phase
		out.Status.InitContainerStatuses = slimStatuses(o.Status.InitContainerStatuses)
		out.Status.ContainerStatuses = slimStatuses(o.Status.ContainerStatuses)
		out.Status.EphemeralContainerStatuses = slimStatuses(o.Status.EphemeralContainerStatuses)
		return out, nil
	case *corev1.Node:
		out := &corev1.Node{ObjectMeta: slimMeta(o.ObjectMeta)}
		out.Spec.ProviderID = o.Spec.ProviderID
		out.Status.NodeInfo = o.Status.NodeInfo
		for _, c := range o.Status.Conditions {
			if c.Type == corev1.NodeReady {
				out.Status.Conditions = []corev1.NodeCondition{{Type: c.Type, Status: c.Status}}
			}
		}
		return out, nil
	case *corev1.Namespace:
		return &corev1.Namespace{ObjectMeta: slimMeta(o.ObjectMeta)}, nil
	case *appsv1.Deployment:
		return &appsv1.Deployment{ObjectMeta: slimMeta(o.ObjectMeta), Spec: appsv1.DeploymentSpec{Replicas: o.Spec.Replicas}}, nil
	case *appsv1.ReplicaSet:
		return &appsv1.ReplicaSet{ObjectMeta: slimMeta(o.ObjectMeta), Spec: appsv1.ReplicaSetSpec{Replicas: o.Spec.Replicas}}, nil
	case *appsv1.StatefulSet:
		return &appsv1.StatefulSet{ObjectMeta: slimMeta(o.ObjectMeta), Spec: appsv1.StatefulSetSpec{Replicas: o.Spec.Replicas}}, nil
	case *appsv1.DaemonSet:
		return &appsv1.DaemonSet{ObjectMeta: slimMeta(o.ObjectMeta),
			Status: appsv1.DaemonSetStatus{DesiredNumberScheduled: o.Status.DesiredNumberScheduled}}, nil
	case *batchv1.Job:
		return &batchv1.Job{ObjectMeta: slimMeta(o.ObjectMeta)}, nil
	case *batchv1.CronJob:
		return &batchv1.CronJob{ObjectMeta: slimMeta(o.ObjectMeta)}, nil
	}
	// Tombstones and anything else pass unchanged.
	return obj, nil
}

func slimMeta(m metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:              m.Name,
		Namespace:         m.Namespace,
		UID:               m.UID,
		ResourceVersion:   m.ResourceVersion,
		Labels:            m.Labels,
		OwnerReferences:   m.OwnerReferences,
		CreationTimestamp: m.CreationTimestamp,
		DeletionTimestamp: m.DeletionTimestamp,
	}
}

func slimContainers(cs []corev1.Container) []corev1.Container {
	if len(cs) == 0 {
		return nil
	}
	out := make([]corev1.Container, len(cs))
	for i, c := range cs {
		out[i] = corev1.Container{Name: c.Name, Image: c.Image}
	}
	return out
}

func slimStatuses(ss []corev1.ContainerStatus) []corev1.ContainerStatus {
	if len(ss) == 0 {
		return nil
	}
	out := make([]corev1.ContainerStatus, len(ss))
	for i, s := range ss {
		out[i] = corev1.ContainerStatus{
			Name: s.Name, Image: s.Image, ImageID: s.ImageID, ContainerID: s.ContainerID,
			RestartCount: s.RestartCount, State: s.State,
		}
		// Only whether a container waits matters, not the kubelet's message.
		if w := s.State.Waiting; w != nil {
			out[i].State.Waiting = &corev1.ContainerStateWaiting{Reason: w.Reason}
		}
		if t := s.State.Terminated; t != nil {
			out[i].State.Terminated = &corev1.ContainerStateTerminated{ExitCode: t.ExitCode, Reason: t.Reason, StartedAt: t.StartedAt, FinishedAt: t.FinishedAt}
		}
	}
	return out
}
