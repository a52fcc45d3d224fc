package controller

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	runwatchv1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"

	"github.com/runwatch/runwatch/agents/internal/kubetest"
)

var update = flag.Bool("update", false, "rewrite deployments/manifests from the chart")

const chartDir = "../../deployments/helm/runwatch"

// plainManifests are the files under deployments/manifests, each the chart
// rendered with a set of values.
var plainManifests = []struct {
	path, what string
	set        []string
}{
	{"../../deployments/manifests/runwatch-controller.yaml", "the controller only", []string{"sensor.enabled=false"}},
	{"../../deployments/manifests/runwatch.yaml", "the controller and the sensor DaemonSet", []string{"sensor.enabled=true"}},
}

// helmTemplate renders the agents' chart; it returns helm's error output
// on failure.
func helmTemplate(t *testing.T, release, namespace string, set ...string) ([]byte, error) {
	t.Helper()
	return helmTemplateChart(t, chartDir, release, namespace, set...)
}

// helmTemplateChart renders a chart of deployments/helm.
func helmTemplateChart(t *testing.T, chart, release, namespace string, set ...string) ([]byte, error) {
	t.Helper()
	bin, err := kubetest.BinDir()
	if err != nil {
		t.Skip(err)
	}
	args := []string{"template", release, chart, "--namespace", namespace}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	cmd := exec.Command(filepath.Join(bin, "helm"), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, &helmError{msg: stderr.String()}
	}
	return out, nil
}

type helmError struct{ msg string }

func (e *helmError) Error() string { return "helm: " + e.msg }

func decodeYAML(t *testing.T, b []byte) []*unstructured.Unstructured {
	t.Helper()
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatalf("decode rendered manifests: %v", err)
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
}

// applier creates objects through the dynamic client, for real or as a
// server-side dry run with strict field validation (unknown or duplicate
// fields fail, as they would on a real install).
type applier struct {
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

func newApplier(t *testing.T) *applier {
	c := needCluster(t)
	cfg := c.RESTConfig()
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &applier{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(c.Client().Discovery()))}
}

func (a *applier) create(ctx context.Context, obj *unstructured.Unstructured, dryRun bool) error {
	gvk := obj.GroupVersionKind()
	mapping, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return err
	}
	opts := metav1.CreateOptions{FieldValidation: "Strict"}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	var ri dynamic.ResourceInterface = a.dyn.Resource(mapping.Resource)
	if mapping.Scope.Name() == "namespace" {
		ri = a.dyn.Resource(mapping.Resource).Namespace(obj.GetNamespace())
	}
	_, err = ri.Create(ctx, obj, opts)
	return err
}

func kindsOf(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetKind())
	}
	slices.Sort(out)
	return out
}

// dryRunChart renders a chart of deployments/helm with values set into a
// namespace of its own (named after base), checks the kinds it renders,
// and has the API server validate every object (server-side dry run,
// strict field validation). It returns the objects.
func dryRunChart(t *testing.T, a *applier, kube kubernetes.Interface, chart, release, base string, set, kinds []string) []*unstructured.Unstructured {
	t.Helper()
	space := ns(t, base)
	mustCreateNamespace(t, kube, space)
	out, err := helmTemplateChart(t, chart, release, space, set...)
	if err != nil {
		t.Fatal(err)
	}
	objs := decodeYAML(t, out)
	if got := kindsOf(objs); !slices.Equal(got, kinds) {
		t.Errorf("rendered kinds %v, want %v", got, kinds)
	}
	for _, o := range objs {
		if err := a.create(ctx(t), o, true); err != nil {
			t.Errorf("the API server rejects %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
	return objs
}

// TestChartDryRun renders the chart with several sets of values and has the
// real API server validate every object (server-side dry run, strict).
func TestChartDryRun(t *testing.T) {
	kube := needCluster(t).Client()
	a := newApplier(t)
	cases := []struct {
		name  string
		set   []string
		kinds []string
	}{
		{"token", []string{"platform.url=https://runwatch.example.com", "platform.token=rwt_secret", "clusterName=prod", "sensor.enabled=false"},
			[]string{"ClusterRole", "ClusterRoleBinding", "Deployment", "Secret", "ServiceAccount"}},
		{"controller and sensor", []string{"platform.url=https://runwatch.example.com", "platform.token=rwt_secret", "sensor.enabled=true",
			"platform.tls.caBundle=-----BEGIN CERTIFICATE-----", "platform.tls.clientCertSecret=my-client-cert"},
			[]string{"ClusterRole", "ClusterRole", "ClusterRoleBinding", "ClusterRoleBinding", "DaemonSet", "Deployment", "Secret", "Secret", "ServiceAccount", "ServiceAccount"}},
		{"sensor only, with its own token Secret", []string{"platform.url=https://runwatch.example.com", "controller.enabled=false",
			"sensor.enabled=true", "sensor.platform.tokenSecret=sensor-token"},
			[]string{"ClusterRole", "ClusterRoleBinding", "DaemonSet", "ServiceAccount"}},
		{"existing secret, CA bundle, client certificate", []string{"platform.url=https://runwatch.example.com",
			"platform.existingSecret=my-token", "platform.existingSecretKey=value", "platform.tls.caBundle=-----BEGIN CERTIFICATE-----",
			"platform.tls.clientCertSecret=my-client-cert", "clusterId=cluster-42", "sensor.enabled=false"},
			[]string{"ClusterRole", "ClusterRoleBinding", "Deployment", "Secret", "ServiceAccount"}},
		{"CA secret, no service account, scheduling, resources", []string{"platform.url=http://runwatch.lab:8080",
			"platform.token=t", "platform.tls.caSecret=my-ca", "platform.tls.insecureSkipVerify=true",
			"controller.serviceAccount.create=false", "controller.serviceAccount.name=existing-sa",
			"controller.nodeSelector.kubernetes\\.io/os=linux", "controller.tolerations[0].operator=Exists",
			"controller.resources.limits.memory=512Mi", "controller.extraArgs[0]=--max-pending=5000",
			"controller.logLevel=debug", "imagePullSecrets[0].name=regcred", "sensor.enabled=false"},
			[]string{"ClusterRole", "ClusterRoleBinding", "Deployment", "Secret"}},
		{"controller disabled", []string{"platform.url=https://runwatch.example.com", "platform.token=t", "controller.enabled=false", "sensor.enabled=false"},
			[]string{"Secret"}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dryRunChart(t, a, kube, chartDir, "rw"+string(rune('a'+i)), "chart", tc.set, tc.kinds)
		})
	}
}

// TestChartRejectsIncompleteValues: helm fails with a message saying what
// to set.
func TestChartRejectsIncompleteValues(t *testing.T) {
	needCluster(t)
	for _, tc := range []struct {
		set  []string
		want string
	}{
		{nil, "platform.url"},
		{[]string{"platform.url=runwatch.example.com", "platform.token=t"}, "must start with https://"},
		{[]string{"platform.url=https://runwatch.example.com"}, "a registration token is required"},
		{[]string{"platform.url=https://runwatch.example.com", "platform.token=t", "platform.existingSecret=s"}, "not both"},
	} {
		_, err := helmTemplate(t, "rw", "default", tc.set...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("helm template --set %v: %v, want an error saying %q", tc.set, err, tc.want)
		}
	}
}

// renderPlainManifests renders one of deployments/manifests: the chart
// for the namespace "runwatch", reading the token from a Secret the user
// creates, behind a Namespace.
func renderPlainManifests(t *testing.T, file, what string, set []string) []byte {
	set = append([]string{"platform.url=https://runwatch.example.com", "platform.existingSecret=runwatch-registration"}, set...)
	out, err := helmTemplate(t, "runwatch", "runwatch", set...)
	if err != nil {
		t.Fatal(err)
	}
	header := `# Runwatch: ` + what + `. Plain manifests rendered from
# deployments/helm/runwatch (regenerate with ./task generate:manifests; a
# test fails when they differ from the chart).
#
#   1. Set the platform URL (RUNWATCH_PLATFORM below) to yours.
#   2. kubectl apply -f ` + file + `
#   3. kubectl -n runwatch create secret generic runwatch-registration \
#        --from-literal=token=<the cluster's registration token>
#      (the agents' pods start once the Secret exists)
apiVersion: v1
kind: Namespace
metadata:
  name: runwatch
  labels:
    app.kubernetes.io/name: runwatch
`
	return append([]byte(header), out...)
}

// TestPlainManifests: the committed plain manifests are what the chart
// renders, and the API server accepts them.
func TestPlainManifests(t *testing.T) {
	kube := needCluster(t).Client()
	a := newApplier(t)
	for _, m := range plainManifests {
		want := renderPlainManifests(t, filepath.Base(m.path), m.what, m.set)
		if *update {
			if err := os.WriteFile(m.path, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(m.path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s differs from the chart's rendering: run ./task generate:manifests", m.path)
		}
		objs := decodeYAML(t, got)
		if objs[0].GetKind() != "Namespace" {
			t.Fatalf("%s starts with %s, want the Namespace", m.path, objs[0].GetKind())
		}
		if _, err := kube.CoreV1().Namespaces().Get(ctx(t), "runwatch", metav1.GetOptions{}); err != nil {
			if err := a.create(ctx(t), objs[0], false); err != nil {
				t.Fatal(err)
			}
		}
		for _, o := range objs[1:] {
			if err := a.create(ctx(t), o, true); err != nil {
				t.Errorf("the API server rejects %s %s of %s: %v", o.GetKind(), o.GetName(), m.path, err)
			}
		}
	}
}

// TestChartRBACSuffices installs the chart's RBAC for real and runs the
// controller as its ServiceAccount: it must watch every kind (no DEGRADED
// status), with a role that only reads.
func TestChartRBACSuffices(t *testing.T) {
	c := needCluster(t)
	kube := c.Client()
	space := ns(t, "rbac")
	mustCreateNamespace(t, kube, space)
	out, err := helmTemplate(t, space, space, "platform.url=https://runwatch.example.com", "platform.token=t", "sensor.enabled=false")
	if err != nil {
		t.Fatal(err)
	}
	a := newApplier(t)
	var saName string
	for _, o := range decodeYAML(t, out) {
		switch o.GetKind() {
		case "ServiceAccount":
			saName = o.GetName()
		case "ClusterRole":
			var role rbacv1.ClusterRole
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &role); err != nil {
				t.Fatal(err)
			}
			for _, r := range role.Rules {
				for _, v := range r.Verbs {
					if v != "get" && v != "list" && v != "watch" {
						t.Errorf("the ClusterRole grants %q on %v: the controller only reads", v, r.Resources)
					}
				}
			}
		case "Deployment", "Secret":
			continue // the controller runs in the test process
		}
		if err := a.create(ctx(t), o, false); err != nil {
			t.Fatalf("create %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
	token, err := c.ServiceAccountToken(ctx(t), space, saName)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder(t, "tok")
	startController(t, rec, "tok", Config{SyncTimeout: 5 * time.Second}, c.RESTConfigFor(token))
	rec.waitFor(t, 30*time.Second, "a snapshot and a heartbeat", func() bool { return rec.snapshots() == 1 && len(rec.heartbeats) > 0 })
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if hb := rec.heartbeats[0]; hb.Status != runwatchv1.ControllerStatus_CONTROLLER_STATUS_CONNECTED || hb.Message != "" {
		t.Errorf("heartbeat as the chart's ServiceAccount = %v, want CONNECTED", hb)
	}
}

// readerToken makes a ServiceAccount in space that may get, list and watch
// the given resources (by API group) cluster-wide, and returns a token of
// it: the controller run with it sees the cluster as that role allows.
func readerToken(t *testing.T, c *kubetest.Cluster, space string, resources map[string][]string) string {
	t.Helper()
	kube := c.Client()
	name := space + "-reader"
	if _, err := kube.CoreV1().ServiceAccounts(space).Create(ctx(t), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var rules []rbacv1.PolicyRule
	for _, group := range slices.Sorted(maps.Keys(resources)) {
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{group}, Resources: resources[group], Verbs: []string{"get", "list", "watch"}})
	}
	if _, err := kube.RbacV1().ClusterRoles().Create(ctx(t), &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.RbacV1().ClusterRoleBindings().Create(ctx(t), &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: name},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: space}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	token, err := c.ServiceAccountToken(ctx(t), space, name)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// TestDegradedWithoutReplicaSets runs the controller with a role that may
// not read ReplicaSets: it reports DEGRADED, says why, and attributes the
// pods of a Deployment to their ReplicaSet (the last owner it can name),
// with a note, never to a guess.
func TestDegradedWithoutReplicaSets(t *testing.T) {
	c := needCluster(t)
	kube := c.Client()
	space := ns(t, "norbac")
	node := space + "-node"
	mustCreateNamespace(t, kube, space)
	mustCreateNode(t, kube, node)
	if _, err := kube.AppsV1().Deployments(space).Create(ctx(t),
		kubetest.Deployment(space, "web", 1, node, map[string]string{"web": "docker.io/library/nginx@" + digestA}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := kubetest.WaitPodsRunning(t, kube, space, "app=web", 1)

	token := readerToken(t, c, space, map[string][]string{
		"":      {"nodes", "namespaces", "pods"},
		"apps":  {"deployments", "statefulsets", "daemonsets"},
		"batch": {"jobs", "cronjobs"},
	})
	rec := newRecorder(t, "tok")
	startController(t, rec, "tok", Config{SyncTimeout: 2 * time.Second}, c.RESTConfigFor(token))
	rec.waitFor(t, 30*time.Second, "a snapshot and a heartbeat", func() bool { return rec.snapshots() == 1 && len(rec.heartbeats) > 0 })
	rec.mu.Lock()
	defer rec.mu.Unlock()
	hb := rec.heartbeats[0]
	if hb.Status != runwatchv1.ControllerStatus_CONTROLLER_STATUS_DEGRADED || !strings.Contains(hb.Message, "replicasets") {
		t.Errorf("heartbeat without ReplicaSets = %v, want DEGRADED naming replicasets", hb)
	}
	p := rec.view.pods[string(pods[0].UID)]
	rs := pods[0].OwnerReferences[0]
	if p == nil || p.WorkloadKind != "ReplicaSet" || p.WorkloadUid != string(rs.UID) || !strings.Contains(p.OwnerResolutionNote, "not in the cache") {
		t.Errorf("pod without ReplicaSets = %v, want its ReplicaSet %s with a note", p, rs.Name)
	}
	if p != nil && p.Containers[0].ImageDigest != digestA {
		t.Errorf("digest = %q", p.Containers[0].ImageDigest)
	}
}

// TestNoSnapshotWithoutPods: when RBAC denies pods, the controller must not
// send a snapshot (it would mark every container gone); it stays unready
// and says why.
func TestNoSnapshotWithoutPods(t *testing.T) {
	c := needCluster(t)
	kube := c.Client()
	space := ns(t, "nopods")
	mustCreateNamespace(t, kube, space)
	token := readerToken(t, c, space, map[string][]string{
		"":      {"nodes", "namespaces"},
		"apps":  {"deployments", "replicasets", "statefulsets", "daemonsets"},
		"batch": {"jobs", "cronjobs"},
	})
	rec := newRecorder(t, "tok")
	run := startController(t, rec, "tok", Config{SyncTimeout: time.Second}, c.RESTConfigFor(token))
	eventually(t, 10*time.Second, "unready, naming pods", func() error {
		err := run.ctl.Ready()
		if err == nil || !strings.Contains(err.Error(), "cannot watch pods") {
			return fmt.Errorf("Ready() = %v", err)
		}
		return nil
	})
	time.Sleep(2 * time.Second)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.calls != 0 {
		t.Errorf("%d calls to the platform while pods cannot be listed; want none", rec.calls)
	}
}
