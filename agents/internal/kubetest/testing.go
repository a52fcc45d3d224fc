package kubetest

import (
	"context"
	"testing"
	"time"

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
