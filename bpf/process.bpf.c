// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
/*
 * Process hooks: every exec and every process exit. They run in every hook
 * mode: sched_process_exec fires once the new program is in place, so the
 * resolved executable, its argv and the new task's cgroup are all at hand,
 * and the BTF tracepoints load wherever BPF with BTF does.
 */
#include "runwatch.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Fields of linux_binprm that not every kernel has. */
struct linux_binprm___v58 {
	struct file *executable;
};

SEC("tp_btf/sched_process_exec")
int BPF_PROG(rw_sched_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct rw_scratch *s = rw_get_scratch();
	if (!s)
		return 0;
	struct rw_exec_event *ev = &s->exec;
	struct file *file = BPF_CORE_READ(bprm, file);

	rw_fill_header(&ev->h, RW_EVENT_EXEC);
	rw_fill_file_id(file, &ev->file, &ev->h.flags);
	ev->_pad = 0;

	/* argv lies in the new program's stack, written by exec moments ago. */
	struct mm_struct *mm = BPF_CORE_READ(p, mm);
	unsigned long arg_start = BPF_CORE_READ(mm, arg_start);
	unsigned long arg_end = BPF_CORE_READ(mm, arg_end);
	__u32 argv_len = 0;
	if (arg_end > arg_start) {
		unsigned long n = arg_end - arg_start;
		if (n > RW_ARGV_MAX - 1) {
			n = RW_ARGV_MAX - 1;
			ev->h.flags |= RW_F_ARGV_TRUNCATED;
		}
		argv_len = n & (RW_ARGV_MAX - 1);
		if (bpf_probe_read_user(ev->argv, argv_len, (void *)arg_start) != 0)
			argv_len = 0;
	}
	ev->argv_len = argv_len;

	__u32 off = rw_walk_path(&file->f_path, s, &ev->h.flags);
	ev->path_len = rw_copy_path(s, off, ev->path);
	__u64 size = offsetof(struct rw_exec_event, path) + (ev->path_len & (RW_PATH_MAX - 1));
	if (size > sizeof(*ev))
		size = sizeof(*ev);
	int in_container = BPF_CORE_READ(p, nsproxy, mnt_ns, ns.inum) != rw_host_mntns;

	/* When the exec went through an interpreter (#! or binfmt_misc), bprm->file
	 * is the interpreter and bprm->executable the script: report the script as
	 * a file the program loaded, before the exec itself. */
	if (bpf_core_field_exists(struct linux_binprm___v58, executable)) {
		struct linux_binprm___v58 *b = (void *)bprm;
		struct file *script = BPF_CORE_READ(b, executable);
		if (script && script != file && (bpf_get_current_pid_tgid() >> 32) != rw_self_tgid) {
			/* The exec event is still in s->exec; the script event uses s->file,
			 * which shares the union, so send the exec first. */
			rw_output_wake(ev, size, in_container);
			return rw_emit_file(script, RW_OP_SCRIPT);
		}
	}
	return rw_output_wake(ev, size, in_container);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(rw_sched_process_exit, struct task_struct *p)
{
	/* Only the last thread of a process ends the process. */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	struct rw_exit_event ev = {};
	rw_fill_header(&ev.h, RW_EVENT_EXIT);
	ev.exit_code = BPF_CORE_READ(p, exit_code);
	return rw_output(&ev, sizeof(ev));
}
