// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
/*
 * File loads from fentry trampolines on the LSM entry points: the same
 * functions the LSM hooks see, for kernels that allow trampolines but do
 * not enable the bpf LSM.
 */
#include "fileload.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("fentry/security_file_open")
int BPF_PROG(rw_fentry_file_open, struct file *file)
{
	return rw_file_loaded(file, RW_OP_OPEN);
}

SEC("fentry/security_mmap_file")
int BPF_PROG(rw_fentry_mmap_file, struct file *file, unsigned long prot, unsigned long flags)
{
	if (!file)
		return 0;
	return rw_file_loaded(file, (prot & RW_PROT_EXEC) ? RW_OP_MMAP_EXEC : RW_OP_MMAP);
}
