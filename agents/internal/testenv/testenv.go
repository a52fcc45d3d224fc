// Package testenv holds what the agents' tests share about the place they
// run in: what a test does when something it needs is missing here, and a
// logger that writes the code under test's logs into the test's output.
package testenv

import (
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
)

// Missing stops a test that cannot run here, saying why. Under CI (CI set)
// it fails the test: CI provides everything the agents' tests need (root, a
// BPF-capable kernel, the Kubernetes test binaries), and a skip there would
// hide that the code was never exercised. Elsewhere it skips.
func Missing(tb testing.TB, reason any) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatalf("CI must run this test, but: %v", reason)
	}
	tb.Skip(reason)
}

// Logger writes the logs of the code under test into the test's output, at
// debug level, until the test ends. A goroutine of the code under test may
// log after that (while it shuts down); those lines are dropped, since
// logging to a finished test panics.
func Logger(tb testing.TB) *slog.Logger {
	w := &writer{tb: tb}
	tb.Cleanup(w.close)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type writer struct {
	mu     sync.Mutex
	tb     testing.TB
	closed bool
}

func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.tb.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *writer) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
}
