/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Raw syscall arguments saved at sys_enter_* and consumed at the matching sys_exit_*, in task
 * local storage of the calling thread (a thread is in at most one syscall). Slot
 * OA_ARGS_DEDICATED serves the per-syscall tracepoints of the syscall sensor, OA_ARGS_GENERIC
 * the raw_tp pair, so a syscall seen by both cannot collide (the file and network sensors keep
 * nothing: they read the arguments from pt_regs at exit, args__from_regs). A task-storage get is a pointer lookup in the task's own
 * storage cache; the hash map keyed by tid it replaces cost ~230 ns per enter and ~370 ns per
 * exit in bench/openat (bpf_stats, update + lookup + delete). Storage is freed with the task. */
#ifndef __OA_ARGS_H
#define __OA_ARGS_H

#include "common.h"

#define OA_ARGS_DEDICATED 0
#define OA_ARGS_GENERIC 1

struct oa_sys_args {
	__u64 nr;
	__u64 a[6];
	__u32 epoch; /* oa_epochs.epoch[kind] at enter */
	__u32 live;  /* 1 from enter until the exit consumed it */
};

struct oa_task_args {
	struct oa_sys_args slot[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct oa_task_args);
} oa_args SEC(".maps");

static __always_inline __u32 args__epoch(__u32 kind)
{
	__u32 zero = 0;
	struct oa_epochs *e = bpf_map_lookup_elem(&oa_epochs, &zero);
	return e ? e->epoch[kind & 7] : 0;
}

/* The current thread's slot; created on first use when `create`. NULL when the storage cannot
 * be had (allocation failure, or the task-storage lock already held on this CPU). */
static __always_inline struct oa_sys_args *args__slot(__u32 slot, int create)
{
	struct oa_task_args *t = bpf_task_storage_get(&oa_args, oa_task(), 0,
						      create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	return t ? &t->slot[slot & 1] : NULL;
}

/* Reads only the first `n` (constant) args: a tracepoint program whose ctx reads go past the
 * syscall's own fields is refused. Returns 0, or -1 when the arguments could not be kept (the
 * caller counts the event as lost). */
static __always_inline int args__store(__u32 slot, struct trace_event_raw_sys_enter *ctx, int n,
				       __u32 kind)
{
	struct oa_sys_args *v = args__slot(slot, 1);

	if (!v)
		return -1;
	v->nr = (__u32)ctx->id; /* __syscall_nr at 8 */
	v->epoch = args__epoch(kind);
	if (n > 0)
		v->a[0] = ctx->args[0];
	if (n > 1)
		v->a[1] = ctx->args[1];
	if (n > 2)
		v->a[2] = ctx->args[2];
	if (n > 3)
		v->a[3] = ctx->args[3];
	if (n > 4)
		v->a[4] = ctx->args[4];
	if (n > 5)
		v->a[5] = ctx->args[5];
	v->live = 1;
	return 0;
}

/* Copies the stored args of `slot` into `out` and marks them consumed. Returns 0 when they are
 * live, of syscall `nr` and of the current epoch of `kind`; -1 when there are none (the enter
 * did not want the event); ARGS_STALE when they are live but not usable. */
#define ARGS_STALE -2
static __always_inline int args__take(__u32 slot, __u64 nr, struct oa_sys_args *out, __u32 kind)
{
	struct oa_sys_args *v = args__slot(slot, 0);

	if (!v || !v->live)
		return -1;
	*out = *v;
	v->live = 0;
	return out->nr == nr && out->epoch == args__epoch(kind) ? 0 : ARGS_STALE;
}

/* x86_64 syscall arguments of the current task at sys_exit: the entry code saved them in its
 * pt_regs (di, si, dx, r10, r8, r9) and the syscall reads them through a const pointer, so
 * they are the values the syscall ran with (after any seccomp/ptrace rewrite at entry); only
 * ax holds the return value. One exit program therefore sees what an enter+exit pair saw,
 * without the enter tracepoint, its program and the per-task argument slot. */
static __always_inline void args__from_regs(struct oa_sys_args *a, __u64 nr)
{
	struct pt_regs *r = (struct pt_regs *)bpf_task_pt_regs(oa_task());

	a->nr = nr;
	a->a[0] = r->di;
	a->a[1] = r->si;
	a->a[2] = r->dx;
	a->a[3] = r->r10;
	a->a[4] = r->r8;
	a->a[5] = r->r9;
}

#define OA_W_VISIBLE 1
#define OA_W_RULES 2

/* Exit-only sensors: OA_W_* bits of why the event is wanted (the task's visibility has
 * `vis_bit`, or rule kind `kind` has rules), and the task's namespaces (`ns`: pid ns << 32 |
 * mnt ns); 0, counted as invisible for `op` unless it is the agent itself, when neither. */
static __always_inline __u32 sensor__want(__u32 vis_bit, __u32 kind, __u32 op, __u64 *ns)
{
	__u32 pid_ns = 0, mnt_ns = 0, want = 0;

	*ns = 0;
	if (task__is_self())
		return 0;
	if (vis__get(&pid_ns, &mnt_ns) & vis_bit)
		want |= OA_W_VISIBLE;
	if (rules__active(kind))
		want |= OA_W_RULES;
	if (!want)
		counter__add(op, OA_C_INVISIBLE);
	*ns = (__u64)pid_ns << 32 | mnt_ns;
	return want;
}

/* An exit-only sensor's program on syscalls/sys_exit_<name>: decides visibility, then calls the
 * sensor's global `fn(id, ret, want, ns)` (no tail call, no second visibility lookup). */
#define OA_EXIT_HOOK(name, vis_bit, kind, op, fn)                          \
	SEC("tp/syscalls/sys_exit_" #name)                                 \
	int oa_exit_##name(struct trace_event_raw_sys_exit *ctx)           \
	{                                                                  \
		__u64 ns;                                                  \
		__u32 want = sensor__want(vis_bit, kind, op, &ns);         \
                                                                           \
		return want ? fn((__u32)ctx->id, ctx->ret, want, ns) : 0;  \
	}

#endif /* __OA_ARGS_H */
