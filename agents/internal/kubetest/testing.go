package kubetest

import (
	"context"
	"os"
	"testing"
	"time"
)

// StartT starts a control plane for a test and stops it when the test ends.
// Without the binaries it fails under CI (CI=true), where these tests must
// run, and skips elsewhere with the command that builds them.
func StartT(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if _, err := BinDir(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
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
