// Package privtest decides whether a test that needs root and a BPF-capable
// kernel can run here. Outside CI it skips with the reason; in CI the same
// condition fails the test (testenv.Missing), because CI runs as root and a
// skip there would hide that the sensor was never exercised.
package privtest

import (
	"os"
	"testing"

	"github.com/runwatch/runwatch/agents/internal/testenv"
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
	if reason != "" {
		testenv.Missing(t, reason)
	}
}
