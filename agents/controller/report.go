package controller

import (
	"hash/fnv"
	"log/slog"
	"sort"

	runwatchv1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"google.golang.org/protobuf/proto"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/runwatch/runwatch/agents/controller/inventory"
	"github.com/runwatch/runwatch/agents/controller/owner"
)

// reporter turns cache state into inventory batches. It is used by one
// goroutine (the platform session) only.
//
// The workloads it reports are of two sorts. Cached objects that are the
// top of their owner chain (Deployments, StatefulSets, DaemonSets, CronJobs,
// and ReplicaSets and Jobs nothing controls) are reported from the object.
// Every other workload a pod resolves to (the pod itself when bare, a custom
// owner, an owner the cache does not hold) is derived from the pods that
// name it: reported while at least one pod does, deleted after the last.
type reporter struct {
	w       *watcher
	log     *slog.Logger
	enqueue func(key)

	derived map[types.UID]*derivedWorkload
	podTop  map[types.UID]types.UID // pod uid → the derived workload it counts for
	// sent holds a hash of each object's last reported state, so an object
	// whose reported fields did not change (a node heartbeat, a status
	// condition) is not sent again, and a delete is sent only for what the
	// platform was told about.
	sent map[key]uint64
}

type derivedWorkload struct {
	key  key
	info *runwatchv1.WorkloadInfo
	pods map[types.UID]struct{}
}

func newReporter(w *watcher, log *slog.Logger, enqueue func(key)) *reporter {
	r := &reporter{w: w, log: log, enqueue: enqueue}
	r.reset()
	return r
}

func (r *reporter) reset() {
	r.derived = map[types.UID]*derivedWorkload{}
	r.podTop = map[types.UID]types.UID{}
	r.sent = map[key]uint64{}
}

// batchSize counts the objects of a batch.
func batchSize(req *runwatchv1.ReportInventoryRequest) int {
	return len(req.Nodes) + len(req.Namespaces) + len(req.Workloads) + len(req.Pods) + len(req.Deleted)
}

// snapshot streams a full snapshot of the caches to send, in chunks of
// at most max objects; last is set on the final chunk. It starts over: what
// was sent before no longer counts. Only one chunk is held at a time, so a
// large cluster's snapshot costs the memory of one chunk, not of the
// cluster.
//
// Workloads go before the pods that name them: pods are resolved first,
// which yields the derived workloads, and reported last, as resolved then.
// The snapshot enqueues nothing; what changes meanwhile is pending already,
// and its delta follows the snapshot.
func (r *reporter) snapshot(max int, send func(req *runwatchv1.ReportInventoryRequest, last bool) error) (objects int, err error) {
	r.reset()
	cur := &runwatchv1.ReportInventoryRequest{}
	add := func(k key, m proto.Message) error {
		if batchSize(cur) >= max {
			if err := send(cur, false); err != nil {
				return err
			}
			cur = &runwatchv1.ReportInventoryRequest{}
		}
		r.sent[k] = hash(m)
		objects++
		switch m := m.(type) {
		case *runwatchv1.NodeInfo:
			cur.Nodes = append(cur.Nodes, m)
		case *runwatchv1.NamespaceInfo:
			cur.Namespaces = append(cur.Namespaces, m)
		case *runwatchv1.WorkloadInfo:
			cur.Workloads = append(cur.Workloads, m)
		case *runwatchv1.PodInfo:
			cur.Pods = append(cur.Pods, m)
		}
		return nil
	}
	pods := sortedList(r.w.pods)
	resolved := make([]owner.Result, len(pods))
	for i, obj := range pods {
		p := obj.(*corev1.Pod)
		resolved[i] = owner.Resolve(p, r.w)
		r.track(p, resolved[i], false)
	}
	for _, obj := range sortedList(r.w.nodes) {
		n := obj.(*corev1.Node)
		if err := add(key{kind: kindNode, name: n.Name}, inventory.Node(n)); err != nil {
			return objects, err
		}
	}
	for _, obj := range sortedList(r.w.nss) {
		ns := obj.(*corev1.Namespace)
		if err := add(key{kind: kindNamespace, name: ns.Name}, inventory.Namespace(ns)); err != nil {
			return objects, err
		}
	}
	for _, k := range r.w.kinds {
		if k.gk == owner.Pod || k.gk == owner.Node || k.gk == namespaceGK {
			continue
		}
		for _, obj := range sortedList(k) {
			m, info, ok := ownWorkload(k.gk, obj)
			if !ok {
				continue
			}
			if err := add(workloadKey(k.gk, m), info); err != nil {
				return objects, err
			}
		}
	}
	derived := make([]*derivedWorkload, 0, len(r.derived))
	for _, d := range r.derived {
		derived = append(derived, d)
	}
	sort.Slice(derived, func(i, j int) bool { return derived[i].key.uid < derived[j].key.uid })
	for _, d := range derived {
		if err := add(d.key, d.info); err != nil {
			return objects, err
		}
	}
	for i, obj := range pods {
		p := obj.(*corev1.Pod)
		info := r.convert(p, resolved[i])
		if err := add(podKey(p), info); err != nil {
			return objects, err
		}
	}
	return objects, send(cur, true)
}

// delta builds one batch of at most max objects from the pending keys.
// Keys whose object did not change since it was last reported add nothing.
func (r *reporter) delta(take func(int) []key, max int) *runwatchv1.ReportInventoryRequest {
	req := &runwatchv1.ReportInventoryRequest{}
	for {
		room := max - batchSize(req)
		if room <= 0 {
			return req
		}
		keys := take(room)
		if len(keys) == 0 {
			return req
		}
		for _, k := range keys {
			r.apply(req, k)
		}
	}
}

// apply adds the current state of one object to a delta: an upsert when it
// exists (and changed), a delete when it does not (and was reported).
func (r *reporter) apply(req *runwatchv1.ReportInventoryRequest, k key) {
	switch k.kind {
	case kindNode:
		if obj, ok := r.w.get(r.w.nodes, "", k.name); ok {
			if info := inventory.Node(obj.(*corev1.Node)); r.changed(k, info) {
				req.Nodes = append(req.Nodes, info)
			}
			return
		}
		r.remove(req, k, &runwatchv1.ObjectRef{Kind: runwatchv1.ObjectKind_OBJECT_KIND_NODE, Name: k.name})
	case kindNamespace:
		if obj, ok := r.w.get(r.w.nss, "", k.name); ok {
			if info := inventory.Namespace(obj.(*corev1.Namespace)); r.changed(k, info) {
				req.Namespaces = append(req.Namespaces, info)
			}
			return
		}
		r.remove(req, k, &runwatchv1.ObjectRef{Kind: runwatchv1.ObjectKind_OBJECT_KIND_NAMESPACE, Name: k.name})
	case kindPod:
		if obj, ok := r.w.get(r.w.pods, k.namespace, k.name); ok && obj.(*corev1.Pod).UID == k.uid {
			p := obj.(*corev1.Pod)
			info, res := r.pod(p)
			r.track(p, res, true)
			if r.changed(k, info) {
				req.Pods = append(req.Pods, info)
				if res.Note != "" {
					r.log.Info("pod attributed to the last owner that could be resolved",
						"pod", p.Namespace+"/"+p.Name, "workload", res.Workload.String(), "reason", res.Note)
				}
			}
			return
		}
		r.untrack(k.uid)
		r.remove(req, k, &runwatchv1.ObjectRef{Kind: runwatchv1.ObjectKind_OBJECT_KIND_POD, Uid: string(k.uid), Name: k.name})
	case kindWorkload:
		if info, ok := r.cachedWorkload(k); ok {
			if r.changed(k, info) {
				req.Workloads = append(req.Workloads, info)
			}
			return
		}
		if d := r.derived[k.uid]; d != nil {
			if r.changed(k, d.info) {
				req.Workloads = append(req.Workloads, d.info)
			}
			return
		}
		r.remove(req, k, &runwatchv1.ObjectRef{Kind: runwatchv1.ObjectKind_OBJECT_KIND_WORKLOAD, Uid: string(k.uid), Name: k.name})
	}
}

// ownWorkload converts a cached workload object that is reported from the
// object itself: the top of its owner chain (topLevel).
func ownWorkload(gk schema.GroupKind, obj any) (metav1.Object, *runwatchv1.WorkloadInfo, bool) {
	m, err := meta.Accessor(obj)
	if err != nil || !topLevel(gk, m) {
		return nil, nil, false
	}
	info, err := inventory.Workload(obj)
	if err != nil {
		return nil, nil, false
	}
	return m, info, true
}

// cachedWorkload is the workload k names as the cache holds it, when it
// is reported from the object: the same uid, and the top of its chain.
func (r *reporter) cachedWorkload(k key) (*runwatchv1.WorkloadInfo, bool) {
	wk := r.w.byGK[k.gk]
	if wk == nil {
		return nil, false
	}
	obj, ok := r.w.get(wk, k.namespace, k.name)
	if !ok {
		return nil, false
	}
	m, info, ok := ownWorkload(k.gk, obj)
	return info, ok && m.GetUID() == k.uid
}

// pod resolves and converts a pod.
func (r *reporter) pod(p *corev1.Pod) (*runwatchv1.PodInfo, owner.Result) {
	res := owner.Resolve(p, r.w)
	return r.convert(p, res), res
}

// convert converts a resolved pod, logging what could not be parsed.
func (r *reporter) convert(p *corev1.Pod, res owner.Result) *runwatchv1.PodInfo {
	info, warnings := inventory.Pod(p, res)
	for _, w := range warnings {
		r.log.Warn("pod status not understood; the field is reported empty",
			"pod", p.Namespace+"/"+p.Name, "container", w.Container, "err", w.Message)
	}
	return info
}

// track counts a pod for its derived workload, if its workload is one, and
// releases the one it counted for before. With enqueue, the workloads whose
// existence or details may have changed become pending.
func (r *reporter) track(p *corev1.Pod, res owner.Result, enqueue bool) {
	var top types.UID
	if !res.Known || res.Note != "" {
		top = res.Workload.UID
		d := r.derived[top]
		if d == nil {
			d = &derivedWorkload{key: key{kind: kindWorkload, gk: res.Workload.GroupKind(),
				namespace: res.Workload.Namespace, name: res.Workload.Name, uid: top}, pods: map[types.UID]struct{}{}}
			r.derived[top] = d
		}
		var self *corev1.Pod
		if top == p.UID {
			self = p
		}
		d.info = inventory.WorkloadFromRef(res.Workload, self)
		d.pods[p.UID] = struct{}{}
		if enqueue {
			r.enqueue(d.key)
		}
	}
	if old, ok := r.podTop[p.UID]; ok && old != top {
		r.release(old, p.UID, enqueue)
	}
	if top != "" {
		r.podTop[p.UID] = top
	} else {
		delete(r.podTop, p.UID)
	}
}

// untrack forgets a deleted pod.
func (r *reporter) untrack(pod types.UID) {
	if old, ok := r.podTop[pod]; ok {
		r.release(old, pod, true)
		delete(r.podTop, pod)
	}
}

func (r *reporter) release(workload, pod types.UID, enqueue bool) {
	d := r.derived[workload]
	if d == nil {
		return
	}
	delete(d.pods, pod)
	if len(d.pods) == 0 {
		delete(r.derived, workload)
		if enqueue {
			r.enqueue(d.key)
		}
	}
}

// changed records the state about to be reported, and says whether it
// differs from what was reported last.
func (r *reporter) changed(k key, m proto.Message) bool {
	h := hash(m)
	if old, ok := r.sent[k]; ok && old == h {
		return false
	}
	r.sent[k] = h
	return true
}

func (r *reporter) remove(req *runwatchv1.ReportInventoryRequest, k key, ref *runwatchv1.ObjectRef) {
	if _, ok := r.sent[k]; !ok {
		return // never reported: nothing to delete
	}
	delete(r.sent, k)
	req.Deleted = append(req.Deleted, ref)
}

func hash(m proto.Message) uint64 {
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

// sortedList lists a cache in key order, so snapshots are reproducible.
func sortedList(k *watchedKind) []any {
	idx := k.informer.GetIndexer()
	keys := idx.ListKeys()
	sort.Strings(keys)
	out := make([]any, 0, len(keys))
	for _, id := range keys {
		if obj, ok, err := idx.GetByKey(id); err == nil && ok {
			out = append(out, obj)
		}
	}
	return out
}
