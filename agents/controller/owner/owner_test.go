package owner

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// cache is an in-memory Lookup: what an informer's store would hold.
type cache map[string]Object

func key(gk schema.GroupKind, ns, name string) string { return gk.String() + "/" + ns + "/" + name }

func (c cache) Get(gk schema.GroupKind, ns, name string) (Object, bool) {
	o, ok := c[key(gk, ns, name)]
	return o, ok
}

func ctrl(apiVersion, kind, name, uid string) metav1.OwnerReference {
	t := true
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: types.UID(uid), Controller: &t}
}

func plain(apiVersion, kind, name, uid string) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: types.UID(uid)}
}

func pod(owners ...metav1.OwnerReference) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "p", UID: "pod-uid", OwnerReferences: owners}}
}

func TestResolve(t *testing.T) {
	rsOwnedByDeploy := Object{UID: "rs-1", Owners: []metav1.OwnerReference{ctrl("apps/v1", "Deployment", "web", "dep-1")}}
	full := cache{
		key(ReplicaSet, "shop", "web-abc"):  rsOwnedByDeploy,
		key(Deployment, "shop", "web"):      {UID: "dep-1"},
		key(ReplicaSet, "shop", "lone"):     {UID: "rs-2"},
		key(Job, "shop", "report-1"):        {UID: "job-1", Owners: []metav1.OwnerReference{ctrl("batch/v1", "CronJob", "report", "cj-1")}},
		key(CronJob, "shop", "report"):      {UID: "cj-1"},
		key(Job, "shop", "once"):            {UID: "job-2"},
		key(StatefulSet, "shop", "db"):      {UID: "ss-1"},
		key(DaemonSet, "shop", "agent"):     {UID: "ds-1"},
		key(ReplicaSet, "shop", "canary-1"): {UID: "rs-3", Owners: []metav1.OwnerReference{ctrl("argoproj.io/v1alpha1", "Rollout", "canary", "ro-1")}},
		key(ReplicaSet, "shop", "orphan"):   {UID: "rs-4", Owners: []metav1.OwnerReference{ctrl("apps/v1", "Deployment", "deleted", "dep-gone")}},
		key(ReplicaSet, "shop", "reused"):   {UID: "rs-new"},
		key(ReplicaSet, "shop", "loop"):     {UID: "rs-loop", Owners: []metav1.OwnerReference{ctrl("apps/v1", "ReplicaSet", "loop", "rs-loop")}},
		key(ReplicaSet, "shop", "gc-only"):  {UID: "rs-5", Owners: []metav1.OwnerReference{plain("apps/v1", "Deployment", "web", "dep-1")}},
	}
	self := Workload{APIVersion: "v1", Kind: "Pod", Namespace: "shop", Name: "p", UID: "pod-uid"}
	tests := []struct {
		name      string
		pod       *corev1.Pod
		want      Workload
		wantKnown bool
		wantNote  string // a substring; empty means no note
	}{
		{"bare pod", pod(), self, false, ""},
		{"deployment through its replicaset", pod(ctrl("apps/v1", "ReplicaSet", "web-abc", "rs-1")),
			Workload{"apps/v1", "Deployment", "shop", "web", "dep-1"}, true, ""},
		{"replicaset without an owner", pod(ctrl("apps/v1", "ReplicaSet", "lone", "rs-2")),
			Workload{"apps/v1", "ReplicaSet", "shop", "lone", "rs-2"}, true, ""},
		{"cronjob through its job", pod(ctrl("batch/v1", "Job", "report-1", "job-1")),
			Workload{"batch/v1", "CronJob", "shop", "report", "cj-1"}, true, ""},
		{"job without an owner", pod(ctrl("batch/v1", "Job", "once", "job-2")),
			Workload{"batch/v1", "Job", "shop", "once", "job-2"}, true, ""},
		{"statefulset", pod(ctrl("apps/v1", "StatefulSet", "db", "ss-1")),
			Workload{"apps/v1", "StatefulSet", "shop", "db", "ss-1"}, true, ""},
		{"daemonset", pod(ctrl("apps/v1", "DaemonSet", "agent", "ds-1")),
			Workload{"apps/v1", "DaemonSet", "shop", "agent", "ds-1"}, true, ""},
		{"custom owner of the pod", pod(ctrl("argoproj.io/v1alpha1", "Workflow", "wf", "wf-1")),
			Workload{"argoproj.io/v1alpha1", "Workflow", "shop", "wf", "wf-1"}, false, ""},
		{"custom owner of the replicaset", pod(ctrl("apps/v1", "ReplicaSet", "canary-1", "rs-3")),
			Workload{"argoproj.io/v1alpha1", "Rollout", "shop", "canary", "ro-1"}, false, ""},
		{"a kind of the same name in another group is custom", pod(ctrl("example.com/v1", "ReplicaSet", "web-abc", "x-1")),
			Workload{"example.com/v1", "ReplicaSet", "shop", "web-abc", "x-1"}, false, ""},
		{"an unparseable apiVersion is custom", pod(ctrl("a/b/c", "ReplicaSet", "web-abc", "x-2")),
			Workload{"a/b/c", "ReplicaSet", "shop", "web-abc", "x-2"}, false, ""},
		{"replicaset not in the cache", pod(ctrl("apps/v1", "ReplicaSet", "unseen", "rs-9")),
			Workload{"apps/v1", "ReplicaSet", "shop", "unseen", "rs-9"}, false, "not in the cache"},
		{"deployment not in the cache", pod(ctrl("apps/v1", "ReplicaSet", "orphan", "rs-4")),
			Workload{"apps/v1", "Deployment", "shop", "deleted", "dep-gone"}, false, "not in the cache"},
		{"statefulset not in the cache", pod(ctrl("apps/v1", "StatefulSet", "gone", "ss-9")),
			Workload{"apps/v1", "StatefulSet", "shop", "gone", "ss-9"}, false, "not in the cache"},
		{"a name reused by another object", pod(ctrl("apps/v1", "ReplicaSet", "reused", "rs-old")),
			Workload{"apps/v1", "ReplicaSet", "shop", "reused", "rs-old"}, false, "now has uid rs-new"},
		{"an owner loop stops", pod(ctrl("apps/v1", "ReplicaSet", "loop", "rs-loop")),
			Workload{"apps/v1", "ReplicaSet", "shop", "loop", "rs-loop"}, true, "loop"},
		{"a non-controller reference above is not followed", pod(ctrl("apps/v1", "ReplicaSet", "gc-only", "rs-5")),
			Workload{"apps/v1", "ReplicaSet", "shop", "gc-only", "rs-5"}, true, ""},
		{"a static pod stands alone", pod(ctrl("v1", "Node", "node-1", "node-uid")), self, false, ""},
		{"non-controller references only", pod(plain("apps/v1", "ReplicaSet", "web-abc", "rs-1")), self, false, ""},
		{"the controller reference among others", pod(plain("v1", "ConfigMap", "c", "cm-1"), ctrl("apps/v1", "ReplicaSet", "web-abc", "rs-1")),
			Workload{"apps/v1", "Deployment", "shop", "web", "dep-1"}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Resolve(tt.pod, full)
			if got.Workload != tt.want {
				t.Errorf("workload = %+v, want %+v", got.Workload, tt.want)
			}
			if got.Known != tt.wantKnown {
				t.Errorf("known = %v, want %v", got.Known, tt.wantKnown)
			}
			switch {
			case tt.wantNote == "" && got.Note != "":
				t.Errorf("note = %q, want none", got.Note)
			case tt.wantNote != "" && !strings.Contains(got.Note, tt.wantNote):
				t.Errorf("note = %q, want it to say %q", got.Note, tt.wantNote)
			}
		})
	}
}

func TestResolveEmptyCache(t *testing.T) {
	// Before any owner is seen, a pod is attributed to what its own reference
	// names, never to itself.
	got := Resolve(pod(ctrl("apps/v1", "ReplicaSet", "web-abc", "rs-1")), cache{})
	if got.Workload.Kind != "ReplicaSet" || got.Workload.UID != "rs-1" || got.Known || got.Note == "" {
		t.Fatalf("Resolve with an empty cache = %+v", got)
	}
}

func TestWorkloadGroupKind(t *testing.T) {
	w := Workload{APIVersion: "apps/v1", Kind: "Deployment"}
	if w.GroupKind() != Deployment {
		t.Fatalf("GroupKind() = %v", w.GroupKind())
	}
	if (Workload{APIVersion: "v1", Kind: "Pod"}).GroupKind() != Pod {
		t.Fatal("Pod GroupKind")
	}
}

// FuzzResolve builds owner graphs from fuzz input (owner references are
// data any user can write, loops and lies included) and checks that
// resolution ends, and names only the pod itself or an owner some
// reference names; a Known workload is one the cache holds.
func FuzzResolve(f *testing.F) {
	f.Add([]byte{0, 1, 1, 2, 2, 0})
	f.Add([]byte{1, 1, 1, 1, 1, 1, 1, 1})
	f.Add([]byte{4, 0, 3, 3, 5, 2, 0, 7})
	kinds := []struct{ api, kind string }{
		{"apps/v1", "ReplicaSet"}, {"apps/v1", "Deployment"}, {"batch/v1", "Job"}, {"batch/v1", "CronJob"},
		{"apps/v1", "StatefulSet"}, {"example.com/v1", "Rollout"}, {"v1", "Node"}, {"apps/v1", "DaemonSet"},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		name := func(b byte) string { return "o" + string(rune('a'+b%6)) }
		ref := func(b, c byte) metav1.OwnerReference {
			k := kinds[int(b)%len(kinds)]
			return ctrl(k.api, k.kind, name(c), "uid-"+name(c+b))
		}
		c := cache{}
		named := map[types.UID]bool{}
		p := pod(ref(data[0], data[1]))
		named[p.OwnerReferences[0].UID] = true
		for i := 2; i+3 < len(data); i += 4 {
			k := kinds[int(data[i])%len(kinds)]
			gk := schema.GroupKind{Group: strings.Split(k.api, "/")[0], Kind: k.kind}
			if k.api == "v1" {
				gk.Group = ""
			}
			obj := Object{UID: types.UID("uid-" + name(data[i+1]+data[i])), Owners: []metav1.OwnerReference{ref(data[i+2], data[i+3])}}
			c[key(gk, "shop", name(data[i+1]))] = obj
			named[obj.Owners[0].UID] = true
		}
		got := Resolve(p, c)
		w := got.Workload
		if w.UID == p.UID {
			if w.Kind != "Pod" || got.Known {
				t.Fatalf("self workload %+v", got)
			}
			return
		}
		if !named[w.UID] {
			t.Fatalf("workload %+v is named by no reference", w)
		}
		if got.Known {
			if o, ok := c.Get(w.GroupKind(), w.Namespace, w.Name); !ok || o.UID != w.UID {
				t.Fatalf("known workload %+v is not in the cache", w)
			}
		}
	})
}
