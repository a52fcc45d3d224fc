// Package privtest decides whether a test that needs root and a BPF-capable
// kernel can run here. Outside CI it skips with the reason; in CI
// (CI=true) the same condition fails the test, because CI runs as root and
// a skip there would hide that the sensor was never exercised.
package privtest

import (
	"log/slog"
	"os"
	"testing"
)

// RequireBPF stops the test unless it runs as root with BTF available.
func RequireBPF(t testing.TB) {
	t.Helper()
	var reason string
	switch {
	case os.Geteuid() != 0:
		reason = "needs root to load eBPF programs (run the tests as root, e.g. in CI)"
	default:
		if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
			reason = "the kernel exposes no BTF (/sys/kernel/btf/vmlinux): CO-RE programs cannot load"
		}
	}
	if reason == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI must run this test, but: %s", reason)
	}
	t.Skip(reason)
}

// Logger writes the code under test's logs to the test log.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
}
