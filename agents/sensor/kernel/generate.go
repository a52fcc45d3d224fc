package kernel

// The eBPF objects are compiled from bpf/ by bpf2go and committed, so that
// building the sensor needs only Go. `./task generate:bpf` (clang, llvm and
// libbpf-dev installed) runs these again; CI fails when the result differs.
// Only x86_64 is generated: the syscall-exit hook reads x86_64 registers and
// the committed vmlinux.h is an x86_64 kernel's.

//go:generate go tool bpf2go -tags linux -target amd64 -go-package kernel -type rw_header -type rw_file_id -type rw_exec_event -type rw_file_event process ../../../bpf/process.bpf.c -- -I../../../bpf/include -Wall -Werror
//go:generate go tool bpf2go -tags linux -target amd64 -go-package kernel fileloadTp ../../../bpf/fileload_tp.bpf.c -- -I../../../bpf/include -Wall -Werror
//go:generate go tool bpf2go -tags linux -target amd64 -go-package kernel fileloadLsm ../../../bpf/fileload_lsm.bpf.c -- -I../../../bpf/include -Wall -Werror
//go:generate go tool bpf2go -tags linux -target amd64 -go-package kernel fileloadFentry ../../../bpf/fileload_fentry.bpf.c -- -I../../../bpf/include -Wall -Werror
