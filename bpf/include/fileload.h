/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * The file-load decision every file-load hook family shares: which opens
 * and mappings become events, and the in-kernel filter that keeps the ring
 * buffer for what matters.
 */
#ifndef RUNWATCH_FILELOAD_H
#define RUNWATCH_FILELOAD_H

#include "runwatch.h"

#define RW_PROT_EXEC 0x4

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct rw_seen_key);
	__type(value, __u8);
} seen SEC(".maps");

/* rw_is_archive says whether the file's name ends in .jar, .war or .ear:
 * the archives a JVM opens and maps without PROT_EXEC. */
static __always_inline int rw_is_archive(struct file *file)
{
	struct qstr name = BPF_CORE_READ(file, f_path.dentry, d_name);
	char tail[4] = {};

	if (name.len < 5)
		return 0;
	if (bpf_probe_read_kernel(tail, sizeof(tail), name.name + name.len - 4) != 0)
		return 0;
	if (tail[0] != '.' || tail[3] != 'r')
		return 0;
	return (tail[1] == 'j' && tail[2] == 'a') || (tail[1] == 'w' && tail[2] == 'a') ||
	       (tail[1] == 'e' && tail[2] == 'a');
}

/* rw_file_loaded reports that the current task opened or mapped file. */
static __always_inline int rw_file_loaded(struct file *file, __u32 op)
{
	if (!file)
		return 0;
	if ((bpf_get_current_pid_tgid() >> 32) == rw_self_tgid)
		return 0;
	if (rw_filter) {
		if (op == RW_OP_MMAP || (op == RW_OP_OPEN && !rw_is_archive(file))) {
			rw_count(RW_CNT_FILTERED);
			return 0;
		}
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		struct rw_seen_key key = {
			.mm = (__u64)BPF_CORE_READ(task, mm),
			.ino = BPF_CORE_READ(file, f_inode, i_ino),
			.dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev),
			.op = op,
		};
		__u8 one = 1;
		/* A lookup first: it takes no lock, and repeats are the common case. */
		if (bpf_map_lookup_elem(&seen, &key) || bpf_map_update_elem(&seen, &key, &one, BPF_NOEXIST) != 0) {
			rw_count(RW_CNT_FILTERED); /* this process already reported it */
			return 0;
		}
	}
	return rw_emit_file(file, op);
}

#endif /* RUNWATCH_FILELOAD_H */
