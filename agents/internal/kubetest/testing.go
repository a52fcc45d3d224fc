package kubetest

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/runwatch/runwatch/agents/internal/testenv"
)

// StartT starts a control plane for a test and stops it when the test ends.
// Without the binaries it fails under CI, where these tests must run, and
// skips elsewhere with the command that builds them (testenv.Missing).
func StartT(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if _, err := BinDir(); err != nil {
		testenv.Missing(t, err)
	}
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := Start(ctx, t.TempDir(), opts)
	if err != nil {
		t.Fatalf("start the test control plane: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}

// WaitPodsRunning waits up to a minute until exactly n pods of namespace
// match selector and all of them run (kwok plays their kubelet), and
// returns them.
func WaitPodsRunning(tb testing.TB, kube kubernetes.Interface, namespace, selector string, n int) []corev1.Pod {
	tb.Helper()
	var pods []corev1.Pod
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		list, err := kube.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false, nil // the API server may be busy; ask again
		}
		pods = pods[:0]
		for _, p := range list.Items {
			if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
				pods = append(pods, p)
			}
		}
		return len(pods) == n && len(list.Items) == n, nil
	})
	if err != nil {
		tb.Fatalf("waiting for %d running pods %q in %s: %v (have %d)", n, selector, namespace, err, len(pods))
	}
	return pods
}
