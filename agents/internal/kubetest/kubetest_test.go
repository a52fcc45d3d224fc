package kubetest

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

const testDigest = "sha256:4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac"

// The harness itself: a Deployment on a kwok node becomes Running pods with
// the image id the test chose, as a kubelet would report it.
func TestControlPlaneRunsDeploymentsOnKwokNodes(t *testing.T) {
	c := StartT(t, Options{ControllerManager: true, Kwok: true})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	kube := c.Client()

	v, err := kube.Discovery().ServerVersion()
	if err != nil || v.GitVersion != Version {
		t.Fatalf("server version %v, %v; want %s", v, err, Version)
	}
	if _, err := kube.CoreV1().Nodes().Create(ctx, FakeNode("node-a"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dep := Deployment("default", "web", 3, "node-a", map[string]string{"web": "docker.io/library/nginx@" + testDigest})
	if _, err := kube.AppsV1().Deployments("default").Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var pods []corev1.Pod
	err = wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		list, err := kube.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			return false, err
		}
		pods = list.Items
		running := 0
		for _, p := range pods {
			if p.Status.Phase == corev1.PodRunning {
				running++
			}
		}
		return running == 3, nil
	})
	if err != nil {
		t.Fatalf("pods not running: %v; pods: %+v; components: %v", err, pods, c.Running())
	}
	st := pods[0].Status.ContainerStatuses
	if len(st) != 1 || st[0].ImageID != "docker.io/library/nginx@"+testDigest || !strings.HasPrefix(st[0].ContainerID, "containerd://") {
		t.Fatalf("container status %+v", st)
	}
	node, err := kube.CoreV1().Nodes().Get(ctx, "node-a", metav1.GetOptions{})
	if err != nil || node.Status.NodeInfo.KernelVersion == "" {
		t.Fatalf("node %+v, %v", node.Status, err)
	}
}
