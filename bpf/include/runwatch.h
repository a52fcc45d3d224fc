/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * What every Runwatch eBPF object shares: the event layouts user space
 * decodes (agents/sensor/kernel/events.go mirrors them byte for byte), the
 * maps, the load-time constants, and the helpers that resolve a struct path
 * to a string and describe a file.
 *
 * Each hook family is its own object (process.bpf.c, fileload_*.bpf.c). The
 * loader loads the process object first and hands its maps to the file-load
 * object it picked, so all programs write to one ring buffer and one set of
 * counters.
 */
#ifndef RUNWATCH_H
#define RUNWATCH_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

/* Buffer sizes. RW_PATH_MAX is a power of two so offsets can be masked,
 * which is how the verifier is convinced that writes stay in bounds. */
#define RW_PATH_MAX 4096
#define RW_NAME_MAX 255
#define RW_ARGV_MAX 1024
#define RW_PATH_DEPTH 64

enum rw_event_type {
	RW_EVENT_EXEC = 1,
	RW_EVENT_EXIT = 2,
	RW_EVENT_FILE = 3,
};

/* How a file was loaded (rw_file_event.op). */
enum rw_file_op {
	RW_OP_OPEN = 1,      /* opened; emitted for archive suffixes when filtering */
	RW_OP_MMAP_EXEC = 2, /* mapped with PROT_EXEC */
	RW_OP_MMAP = 3,      /* mapped without PROT_EXEC (only when not filtering) */
	RW_OP_SCRIPT = 4,    /* the script of an exec that went through an interpreter */
};

/* rw_header.flags */
#define RW_F_PATH_TRUNCATED (1U << 0) /* deeper or longer than the buffers */
#define RW_F_ARGV_TRUNCATED (1U << 1)
#define RW_F_OVL_UPPER (1U << 2) /* overlayfs file that lives in the upper (writable) layer */
#define RW_F_DELETED (1U << 3)   /* no link left: deleted, or a memfd */
#define RW_F_OVERLAY (1U << 4)   /* the file is on an overlayfs mount */

/* Indices of the per-CPU counters map. */
enum rw_counter {
	RW_CNT_RINGBUF_DROPS = 0, /* bpf_ringbuf_output failed: the ring was full */
	RW_CNT_FILTERED = 1,      /* file events suppressed by the in-kernel filter */
	RW_CNT_EMITTED = 2,       /* events written to the ring */
	RW_CNT_MAX = 4,
};

struct rw_header {
	__u32 type;
	__u32 flags;
	__u64 boot_ns;      /* bpf_ktime_get_boot_ns() */
	__u64 cgroup_id;    /* cgroup v2 id (kernfs inode number) */
	__u64 cgroup_v1_id; /* the memory controller's v1 cgroup id, 0 without one */
	__u32 pid;          /* thread id */
	__u32 tgid;         /* process id */
	__u32 ppid;         /* real parent's process id */
	__u32 uid;
	char comm[16];
};

/* Identity of a file as the kernel sees it; the user-space hash cache is
 * keyed by it, so a file is hashed once however often it is loaded. */
struct rw_file_id {
	__u64 ino;
	__u64 size;
	__s64 mtime_sec;
	__u32 mtime_nsec;
	__u32 dev;   /* kernel dev_t: major << 20 | minor */
	__u32 magic; /* super block magic of the file's file system */
	__u32 _pad;
};

struct rw_exec_event {
	struct rw_header h;
	struct rw_file_id file;
	__u16 path_len; /* bytes of path, no terminator */
	__u16 argv_len; /* bytes of argv: NUL-separated arguments */
	__u32 _pad;
	char argv[RW_ARGV_MAX];
	char path[RW_PATH_MAX]; /* last, so only path_len bytes are sent */
};

struct rw_exit_event {
	struct rw_header h;
	__u32 exit_code;
	__u32 _pad;
};

struct rw_file_event {
	struct rw_header h;
	struct rw_file_id file;
	__u32 op;
	__u16 path_len;
	__u16 _pad;
	char path[RW_PATH_MAX];
};

/* Key of the in-kernel dedup: one event per (address space, file). A new
 * exec gets a new mm, so every new program reports its loads again. */
struct rw_seen_key {
	__u64 mm;
	__u64 ino;
	__u32 dev;
	__u32 op;
};

/* Scratch space: events are built here, not on the 512-byte stack, and
 * sent with bpf_ringbuf_output trimmed to their used length. */
struct rw_scratch {
	char walk[RW_PATH_MAX + RW_NAME_MAX + 1];
	union {
		struct rw_exec_event exec;
		struct rw_file_event file;
	};
};

/* Load-time constants, set by the loader before the programs load. */
volatile const __u32 rw_self_tgid = 0; /* the sensor: its own file reads are not events */
volatile const __u32 rw_filter = 1;    /* 1: filter file events in the kernel */
volatile const __u32 rw_host_mntns = 0; /* inode of the host's mount namespace */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RW_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rw_scratch);
} scratch SEC(".maps");

static __always_inline void rw_count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);
	if (v)
		*v += 1; /* per-CPU: no atomics needed */
}

static __always_inline struct rw_scratch *rw_get_scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&scratch, &zero);
}

/* Wake the reader only once this much is waiting, or for an exec in a
 * container (another mount namespace than the host's): a wake-up per event
 * would cost more than most events, but user space must pin a container's
 * root before a short-lived container can vanish. The reader also polls
 * every few milliseconds, so a quiet node's events are not held back. */
#define RW_WAKEUP_BYTES (64 << 10)

static __always_inline int rw_output_wake(void *data, __u64 size, int wake)
{
	__u64 flags = (wake || bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= RW_WAKEUP_BYTES) ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&events, data, size, flags) != 0) {
		rw_count(RW_CNT_RINGBUF_DROPS);
		return -1;
	}
	rw_count(RW_CNT_EMITTED);
	return 0;
}

static __always_inline int rw_output(void *data, __u64 size)
{
	return rw_output_wake(data, size, 0);
}

/* The memory controller's cgroup of a task. On a cgroup v1 or hybrid host
 * containers are only told apart there; on a pure v2 host user space
 * ignores it. */
static __always_inline __u64 rw_cgroup_v1_id(struct task_struct *task)
{
	if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		return 0;
	int idx = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	struct css_set *cset = BPF_CORE_READ(task, cgroups);
	struct cgroup_subsys_state *css = NULL;
	if (idx < 0 || idx >= CGROUP_SUBSYS_COUNT)
		return 0;
	bpf_probe_read_kernel(&css, sizeof(css), &cset->subsys[idx]);
	if (!css)
		return 0;
	return BPF_CORE_READ(css, cgroup, kn, id);
}

static __always_inline void rw_fill_header(struct rw_header *h, __u32 type)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	h->type = type;
	h->flags = 0;
	h->boot_ns = bpf_ktime_get_boot_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->cgroup_v1_id = rw_cgroup_v1_id(task);
	h->pid = (__u32)pid_tgid;
	h->tgid = pid_tgid >> 32;
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	h->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/* inode timestamps moved between kernel versions: i_mtime (a timespec64)
 * until 6.6, __i_mtime in 6.6, i_mtime_sec/i_mtime_nsec since 6.7. */
struct inode___v67 {
	time64_t i_mtime_sec;
	u32 i_mtime_nsec;
};
struct inode___v66 {
	struct timespec64 __i_mtime;
};
struct inode___old {
	struct timespec64 i_mtime;
};

#define RW_OVERLAYFS_MAGIC 0x794c7630

static __always_inline void rw_fill_file_id(struct file *file, struct rw_file_id *id, __u32 *flags)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);

	id->ino = BPF_CORE_READ(inode, i_ino);
	id->size = BPF_CORE_READ(inode, i_size);
	id->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	id->magic = (__u32)BPF_CORE_READ(inode, i_sb, s_magic);
	if (bpf_core_field_exists(struct inode___v67, i_mtime_sec)) {
		struct inode___v67 *i = (void *)inode;
		id->mtime_sec = BPF_CORE_READ(i, i_mtime_sec);
		id->mtime_nsec = BPF_CORE_READ(i, i_mtime_nsec);
	} else if (bpf_core_field_exists(struct inode___v66, __i_mtime)) {
		struct inode___v66 *i = (void *)inode;
		id->mtime_sec = BPF_CORE_READ(i, __i_mtime.tv_sec);
		id->mtime_nsec = BPF_CORE_READ(i, __i_mtime.tv_nsec);
	} else {
		struct inode___old *i = (void *)inode;
		id->mtime_sec = BPF_CORE_READ(i, i_mtime.tv_sec);
		id->mtime_nsec = BPF_CORE_READ(i, i_mtime.tv_nsec);
	}
	if (BPF_CORE_READ(inode, i_nlink) == 0)
		*flags |= RW_F_DELETED;
	if (id->magic == RW_OVERLAYFS_MAGIC) {
		*flags |= RW_F_OVERLAY;
		/* An overlay inode with an upper dentry was written or copied up
		 * after the container started: it is not (only) the image's. */
		if (bpf_core_type_exists(struct ovl_inode)) {
			struct ovl_inode *oi = container_of(inode, struct ovl_inode, vfs_inode);
			if (BPF_CORE_READ(oi, __upperdentry))
				*flags |= RW_F_OVL_UPPER;
		}
	}
}

/* State of one path walk, shared with the bpf_loop callback. */
struct rw_walk {
	struct dentry *root_dentry;
	struct vfsmount *root_mnt;
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	struct mount *mnt_parent;
	__u32 off;
	__u32 flags;
	int done;
};

/* One step up the tree: cross a mount, or prepend one name. */
static long rw_walk_step(__u64 index, void *data)
{
	struct rw_walk *w = data;
	struct rw_scratch *s = rw_get_scratch();

	if (!s)
		return 1;
	/* Fields of *w are copied to locals before BPF_CORE_READ: inside the
	 * macro every member access is recorded as a CO-RE relocation, and
	 * struct rw_walk is not a kernel type. */
	struct dentry *dentry = w->dentry;
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct mount *mnt = w->mnt;

	if (dentry == w->root_dentry && vfsmnt == w->root_mnt) {
		w->done = 1;
		return 1;
	}
	struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
	if (dentry == mnt_root || dentry == parent) {
		if (mnt == w->mnt_parent) { /* the namespace's root mount */
			w->done = 1;
			return 1;
		}
		struct mount *child = mnt;
		mnt = w->mnt_parent;
		w->dentry = BPF_CORE_READ(child, mnt_mountpoint);
		w->mnt = mnt;
		w->mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
		w->vfsmnt = &mnt->mnt;
		return 0;
	}
	struct qstr name = BPF_CORE_READ(dentry, d_name);
	__u32 len = name.len;
	__u32 off = w->off;
	if (len > RW_NAME_MAX || len + 1 > off || off > RW_PATH_MAX - 1) {
		w->flags |= RW_F_PATH_TRUNCATED;
		w->done = 1;
		return 1;
	}
	off -= len;
	bpf_probe_read_kernel(&s->walk[off & (RW_PATH_MAX - 1)], len & RW_NAME_MAX, name.name);
	off -= 1;
	s->walk[off & (RW_PATH_MAX - 1)] = '/';
	w->off = off;
	w->dentry = parent;
	return 0;
}

/*
 * rw_walk_path resolves a struct path to a string, as d_path would, but
 * stops at the task's root, so a path inside a container is relative to
 * the container's root. The name is written backwards from the end of
 * s->walk; the return value is the offset where it starts. The walk is
 * bounded by RW_PATH_DEPTH steps (mount crossings count) and RW_PATH_MAX
 * bytes; beyond that the path is cut at the top and flagged. bpf_loop
 * (Linux 5.17) keeps the verifier's work independent of the depth.
 */
static __always_inline __u32 rw_walk_path(const struct path *path, struct rw_scratch *s, __u32 *flags)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct rw_walk w = {};

	w.root_dentry = BPF_CORE_READ(task, fs, root.dentry);
	w.root_mnt = BPF_CORE_READ(task, fs, root.mnt);
	struct vfsmount *vfsmnt = BPF_CORE_READ(path, mnt);
	struct mount *mnt = container_of(vfsmnt, struct mount, mnt);
	w.dentry = BPF_CORE_READ(path, dentry);
	w.vfsmnt = vfsmnt;
	w.mnt = mnt;
	w.mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
	w.off = RW_PATH_MAX - 1;
	s->walk[RW_PATH_MAX - 1] = 0;
	bpf_loop(RW_PATH_DEPTH, rw_walk_step, &w, 0);
	if (!w.done)
		w.flags |= RW_F_PATH_TRUNCATED;
	*flags |= w.flags;
	__u32 off = w.off;
	if (off > RW_PATH_MAX - 1)
		off = RW_PATH_MAX - 1;
	if (off == RW_PATH_MAX - 1) { /* the root itself */
		off -= 1;
		s->walk[off & (RW_PATH_MAX - 1)] = '/';
	}
	return off;
}

/* rw_copy_path copies the walked name into dst (RW_PATH_MAX bytes) and
 * returns its length. */
static __always_inline __u16 rw_copy_path(struct rw_scratch *s, __u32 off, char *dst)
{
	__u32 len = (RW_PATH_MAX - 1) - off;
	len &= RW_PATH_MAX - 1;
	bpf_probe_read_kernel(dst, len, &s->walk[off & (RW_PATH_MAX - 1)]);
	return (__u16)len;
}

/* rw_emit_file sends a file event for file, loaded by the current task. */
static __always_inline int rw_emit_file(struct file *file, __u32 op)
{
	struct rw_scratch *s = rw_get_scratch();
	if (!s || !file)
		return 0;
	struct rw_file_event *ev = &s->file;
	rw_fill_header(&ev->h, RW_EVENT_FILE);
	rw_fill_file_id(file, &ev->file, &ev->h.flags);
	ev->op = op;
	ev->_pad = 0;
	__u32 off = rw_walk_path(&file->f_path, s, &ev->h.flags);
	ev->path_len = rw_copy_path(s, off, ev->path);
	__u64 size = offsetof(struct rw_file_event, path) + (ev->path_len & (RW_PATH_MAX - 1));
	if (size > sizeof(*ev))
		size = sizeof(*ev);
	return rw_output(ev, size);
}

#endif /* RUNWATCH_H */
