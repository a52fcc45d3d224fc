// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
/*
 * File loads from the syscall exit tracepoint: the fallback that works
 * wherever BTF tracepoints do. sys_exit fires for every system call, so the
 * first thing done is to drop every call that is not open, openat, openat2
 * or mmap. The file is then found from the returned (open) or passed
 * (mmap) descriptor. x86_64 syscall numbers and registers.
 */
#include "fileload.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define RW_NR_MMAP 9
#define RW_NR_OPEN 2
#define RW_NR_OPENAT 257
#define RW_NR_OPENAT2 437

static __always_inline struct file *rw_fd_file(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	struct file *file = NULL;

	if (fd < 0 || (unsigned int)fd >= max)
		return NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(rw_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = BPF_CORE_READ(regs, orig_ax);

	if (nr == RW_NR_OPEN || nr == RW_NR_OPENAT || nr == RW_NR_OPENAT2) {
		if (ret < 0)
			return 0;
		return rw_file_loaded(rw_fd_file((int)ret), RW_OP_OPEN);
	}
	if (nr == RW_NR_MMAP) {
		/* A failed mmap returns -errno, which as an address is in the last page. */
		if ((unsigned long)ret >= (unsigned long)-4095)
			return 0;
		unsigned long prot = BPF_CORE_READ(regs, dx);
		long fd = (long)BPF_CORE_READ(regs, r8);
		if (fd < 0)
			return 0; /* anonymous */
		return rw_file_loaded(rw_fd_file((int)fd), (prot & RW_PROT_EXEC) ? RW_OP_MMAP_EXEC : RW_OP_MMAP);
	}
	return 0;
}
