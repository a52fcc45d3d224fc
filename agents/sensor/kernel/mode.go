package kernel

import "fmt"

// HookMode is the family of kernel hooks file loads are observed with.
type HookMode int

const (
	// HookAuto picks the best mode the kernel allows.
	HookAuto HookMode = iota
	// HookLSM uses BPF LSM hooks (file_open, mmap_file).
	HookLSM
	// HookFentry uses fentry trampolines on security_file_open and
	// security_mmap_file.
	HookFentry
	// HookTracepoint uses the raw syscall-exit tracepoint, filtered to
	// open, openat, openat2 and mmap.
	HookTracepoint
)

func (m HookMode) String() string {
	switch m {
	case HookAuto:
		return "auto"
	case HookLSM:
		return "lsm"
	case HookFentry:
		return "fentry"
	case HookTracepoint:
		return "tracepoint"
	}
	return fmt.Sprintf("mode(%d)", int(m))
}

// ParseHookMode reads a --hook-mode value.
func ParseHookMode(s string) (HookMode, error) {
	for _, m := range []HookMode{HookAuto, HookLSM, HookFentry, HookTracepoint} {
		if m.String() == s {
			return m, nil
		}
	}
	return HookAuto, fmt.Errorf("unknown hook mode %q (auto, lsm, fentry, tracepoint)", s)
}
