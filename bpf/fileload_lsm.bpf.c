// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
/*
 * File loads from BPF LSM hooks: the preferred mode where the kernel runs
 * with the bpf LSM enabled. The hooks are handed the struct file, so no
 * syscall filtering or descriptor lookup is needed, and they run only for
 * opens and mappings rather than for every system call. They observe and
 * always allow (return 0).
 */
#include "fileload.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("lsm/file_open")
int BPF_PROG(rw_lsm_file_open, struct file *file)
{
	rw_file_loaded(file, RW_OP_OPEN);
	return 0;
}

SEC("lsm/mmap_file")
int BPF_PROG(rw_lsm_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot, unsigned long flags)
{
	if (file)
		rw_file_loaded(file, (prot & RW_PROT_EXEC) ? RW_OP_MMAP_EXEC : RW_OP_MMAP);
	return 0;
}
