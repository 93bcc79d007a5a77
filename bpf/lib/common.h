/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Shared maps, load-time knobs and the emit path of every sensor. Layering:
 * common.h (maps, task facts, visibility, emit) -> path.h (dentry walks) -> <category>.bpf.c. */
#ifndef __OA_COMMON_H
#define __OA_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "events.h"
#include "rules.h"

#define OA_SIGKILL 9
#define OA_AT_FDCWD -100

/* Forced ring-buffer wakeup once this many bytes wait unread; set by user space before load
 * (1/8 of the ring by default). Below it records are submitted with BPF_RB_NO_WAKEUP and the
 * consumer drains on its poll timeout. */
const volatile __u64 oa_wakeup_bytes = 2 * 1024 * 1024;

/* The agent's own tgid (0 = none): its reads of /proc, its sockets and its children's setup are
 * not workload activity, and recording them would feed the agent its own output. */
const volatile __u32 oa_self_tgid = 0;

/* oa_task() declared const: the current task does not change within a program
 * run, so the compiler keeps one call's result for every use in a function instead of calling
 * the helper (~6 ns here, bench/openat/helpers) for each. */
static struct task_struct *(*const oa_task)(void) __attribute__((const)) =
	(void *)BPF_FUNC_get_current_task_btf;

static __always_inline int task__is_self(void)
{
	return oa_self_tgid && oa_task()->tgid == oa_self_tgid;
}

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024 * 1024);
} oa_events SEC(".maps");

/* Priority lane: every record that matched a rule (alert, kill, deny) and every process
 * lifecycle record (exec, fork, exit: what attributes all other events) goes here, so a flood
 * of plain logs can neither push them out of the kernel nor queue ahead of them in user space
 * (the agent drains this ring first; an alert follows its process's exec in the same ring).
 * Invariant: nothing else is submitted to it. When it is full they fall back to oa_events. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} oa_alerts SEC(".maps");

/* bpf_ringbuf_reserve failures, index = op. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OA_OP_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} oa_drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OA_OP_SLOTS);
	__type(key, __u32);
	__type(value, struct oa_op_counters);
} oa_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct oa_vis_key);
	__type(value, __u32);
} oa_visibility SEC(".maps");

/* Single entry: the host's visibility bits (what key {0, 0} of oa_visibility would hold). An
 * array lookup is inlined by the verifier; the hash lookup costs ~40 ns per event here (perf,
 * bench/openat), and host tasks are looked up on every hooked syscall of the node. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} oa_vis_host SEC(".maps");

/* Single entry: bitmask (1 << OA_RK_*) of rule kinds that have at least one compiled rule or
 * posture. An invisible event whose kind has no rule is dropped before any path walk. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} oa_rule_kinds SEC(".maps");

/* Single entry: struct oa_epochs (include/events.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct oa_epochs);
} oa_epochs SEC(".maps");

#define OA_PATH_DEPTH 32
struct oa_scratch {
	char walk[OA_PATH_LEN * 2];  /* path__resolve output, 2x so masked writes stay in bounds */
	char abs[OA_PATH_LEN * 2];   /* absolute path handed to rules__check_path */
	struct dentry *dents[OA_PATH_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct oa_scratch);
} oa_scratch_map SEC(".maps");

static __always_inline struct oa_scratch *scratch__get(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&oa_scratch_map, &zero);
}

static __always_inline void counter__add(__u32 op, int which)
{
	struct oa_op_counters *c = bpf_map_lookup_elem(&oa_counters, &op);
	if (!c)
		return;
	if (which == 0)
		c->emitted++;
	else if (which == 1)
		c->invisible++;
	else if (which == 2)
		c->dedup++;
	else
		c->args_lost++;
}
#define OA_C_EMITTED 0
#define OA_C_INVISIBLE 1
#define OA_C_DEDUP 2
#define OA_C_ARGS_LOST 3

/* Two builds of every sensor source (bpf/Makefile): OA_BTF_CAST=1 (sensors.bpf.o) and
 * OA_BTF_CAST=0 (sensors-probe-read.bpf.o); user space loads the first where the kernel's BTF
 * has the kfunc bpf_rdonly_cast, the second elsewhere (src/kernel/variant.ts).
 *
 * bpf_rdonly_cast (kfunc, 6.2+, callable from every program type): a kernel address as an
 * untrusted BTF pointer of type `btf_id`. Loads through it are JITed as single fault-safe
 * loads (a bad address reads 0) instead of one bpf_probe_read_kernel call per field; pointer
 * fields loaded through it are BTF pointers again, so a dentry/mount chain is walked by plain
 * loads. A pointer kept in map memory comes back as a number and is cast again.
 * Without it (6.1) the same walks read each field with bpf_probe_read_kernel (BPF_CORE_READ):
 * oa_cast() only changes the C type and oa_rd(p, field) is a helper call instead of a load.
 * Pointers from the current task (oa_task(), bpf_get_current_task_btf, 5.11+) are BTF
 * pointers in both builds. */
#ifndef OA_BTF_CAST
#define OA_BTF_CAST 1
#endif
#if OA_BTF_CAST
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;
#define oa_cast(type, p) ((type *)bpf_rdonly_cast((const void *)(p), bpf_core_type_id_kernel(type)))
#define oa_rd(p, field) ((p)->field)
/* The unsigned long at kernel address `p` (e.g. a pointer field, as a number) by one direct
 * load: any struct whose first member is an unsigned long serves as the cast type; load_weight
 * (weight) is in every kernel. */
#define oa_word_at(p) (oa_cast(struct load_weight, (p))->weight)
#else
#define oa_cast(type, p) ((type *)(unsigned long)(p))
#define oa_rd(p, field) BPF_CORE_READ(p, field)
static __always_inline unsigned long oa_word_at_(const void *p)
{
	unsigned long v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), p);
	return v;
}
#define oa_word_at(p) oa_word_at_(p)
#endif

/* Identity of a task in its own pid namespace: numbers[level] of its struct pid. Levels 0
 * (initial namespace) and 1 (a container's own) are constant indices into the flexible array,
 * read by direct loads; a variable index is not allowed on a BTF pointer, so deeper nesting
 * reads the element with bpf_probe_read_kernel. */
static __always_inline __u32 pid__nr_at(struct pid *pp, __u32 level)
{
	struct pid *p = oa_cast(struct pid, pp);
	int nr = 0;

	if (!pp || level > oa_rd(p, level))
		return 0;
	if (level == 0)
		return oa_rd(p, numbers[0].nr);
	if (level == 1)
		return oa_rd(p, numbers[1].nr);
	struct upid *up = (void *)((char *)p + bpf_core_field_offset(struct pid, numbers));
	bpf_probe_read_kernel(&nr, sizeof(nr), &up[level & 31].nr);
	return nr;
}

static __always_inline __u32 task__pid_ns(struct task_struct *t, __u32 *level)
{
	struct pid *p = BPF_CORE_READ(t, thread_pid);
	__u32 l = BPF_CORE_READ(p, level);
	struct upid *up = (void *)((char *)p + bpf_core_field_offset(struct pid, numbers));
	struct pid_namespace *ns = NULL;
	bpf_probe_read_kernel(&ns, sizeof(ns), &up[l & 31].ns);
	*level = l;
	return BPF_CORE_READ(ns, ns.inum);
}

static __always_inline __u32 task__mnt_ns(struct task_struct *t)
{
	return BPF_CORE_READ(t, nsproxy, mnt_ns, ns.inum);
}

/* The current task's facts through oa_task(): a BTF pointer whose fields are
 * read by direct loads (JITed, fault-safe: a NULL or bad pointer on the way reads 0) instead of
 * one bpf_probe_read_kernel call per hop; the hot invisible path runs these on every hooked
 * syscall. A variable index (struct pid numbers[level]) is not allowed on a BTF pointer: levels
 * 0 and 1 are constant indices, deeper ones are read with bpf_probe_read_kernel. */
static __always_inline __u32 cur__pid_ns(__u32 *level)
{
	struct pid *p = oa_task()->thread_pid;
	__u32 l = p->level;
	struct upid *up = (void *)((char *)p + bpf_core_field_offset(struct pid, numbers));
	struct pid_namespace *ns = NULL;

	*level = l;
	if (l == 0)
		return p->numbers[0].ns->ns.inum;
	if (l == 1)
		return p->numbers[1].ns->ns.inum;
	bpf_probe_read_kernel(&ns, sizeof(ns), &up[l & 31].ns);
	return BPF_CORE_READ(ns, ns.inum);
}

static __always_inline __u32 cur__mnt_ns(void)
{
	return oa_task()->nsproxy->mnt_ns->ns.inum;
}

/* Visibility bits for the current task; host tasks read oa_vis_host, containers their own key
 * of oa_visibility, or without one the default key. `pid_ns`/`mnt_ns` return the raw inode numbers. */
static __always_inline __u32 vis__get(__u32 *pid_ns, __u32 *mnt_ns)
{
	__u32 level;
	struct oa_vis_key k = {};
	__u32 *v;

	*pid_ns = cur__pid_ns(&level);
	*mnt_ns = cur__mnt_ns();
	if (task__is_self())
		return 0;
	if (*pid_ns == OA_PROC_PID_INIT_INO) {
		__u32 zero = 0;
		v = bpf_map_lookup_elem(&oa_vis_host, &zero);
		return v ? *v : 0;
	}
	k.pid_ns = *pid_ns;
	k.mnt_ns = *mnt_ns;
	v = bpf_map_lookup_elem(&oa_visibility, &k);
	if (v)
		return *v;
	k.pid_ns = OA_VIS_DEFAULT;
	k.mnt_ns = OA_VIS_DEFAULT;
	v = bpf_map_lookup_elem(&oa_visibility, &k);
	return v ? *v : 0;
}

static __always_inline int rules__active(__u32 kind)
{
	__u32 zero = 0;
	__u32 *m = bpf_map_lookup_elem(&oa_rule_kinds, &zero);
	return m && (*m & (1U << kind));
}

/* Should an event of `vis_bit`/rule `kind` be looked at any further? Cheap pre-check done at
 * syscall enter, before any argument is stored. */
static __always_inline int sensor__wanted(__u32 vis_bit, __u32 kind)
{
	__u32 pid_ns, mnt_ns;
	if (task__is_self())
		return 0;
	return (vis__get(&pid_ns, &mnt_ns) & vis_bit) || rules__active(kind);
}

/* Every field is a direct load through the current task's BTF pointer except the clock: on this
 * VM a helper call costs 20-40 ns (bench/openat/micro), a BTF load ~1 ns. Each load reads what
 * the helper it replaces reads: tgid/pid (get_current_pid_tgid), cred->uid/gid
 * (get_current_uid_gid: the real cred), cgroups->dfl_cgrp->kn->id (get_current_cgroup_id, the
 * cgroup v2 id), and comm, which __set_task_comm zero-pads like get_current_comm's copy. */
static __always_inline void hdr__fill(struct oa_hdr *h, __u16 op, __u16 size, __u32 pid_ns,
				      __u32 mnt_ns)
{
	struct task_struct *t = oa_task();
	struct task_struct *parent = t->real_parent;
	const struct cred *cred = t->cred;
	__u32 level = t->thread_pid->level;

	h->op = op;
	h->size = size;
	h->ktime_ns = bpf_ktime_get_boot_ns();
	h->tgid = t->tgid;
	h->tid = t->pid;
	h->ppid = parent->tgid;
	h->ns_tgid = pid__nr_at(t->group_leader->thread_pid, level);
	h->ns_ppid = pid__nr_at(parent->group_leader->thread_pid, level);
	h->uid = cred->uid.val;
	h->gid = cred->gid.val;
	h->pid_ns = pid_ns;
	h->mnt_ns = mnt_ns;
	h->cgroup_id = t->cgroups->dfl_cgrp->kn->id;
	__builtin_memcpy(h->comm, t->comm, sizeof(h->comm));
}

/* Index 0 of a tail-call array, as a value the verifier cannot prove constant. With a constant
 * key the JIT turns bpf_tail_call into a patched direct jump tracked by the array (poke
 * descriptors); on this kernel such arrays were seen to outlive the agent (emptied, no program
 * or fd referring to them) after teardown under load. The indirect form has no poke tracking.
 * bpf_ktime_get_ns() >> 63 is always 0 (2^63 ns is ~292 years). */
static __always_inline __u32 tail__index0(void)
{
	return (__u32)(bpf_ktime_get_ns() >> 63);
}

static __always_inline void rb__lost(__u32 op)
{
	__u64 *d = bpf_map_lookup_elem(&oa_drops, &op);
	if (d)
		(*d)++;
}

/* Reserve a record whose lane is known: `prio` (matched, or process lifecycle) in oa_alerts
 * (else oa_events), any other in oa_events. A failure is counted per op. */
static __always_inline void *rb__reserve(__u32 op, __u64 size, int prio)
{
	void *r = NULL;
	if (prio)
		r = bpf_ringbuf_reserve(&oa_alerts, size, 0);
	if (!r)
		r = bpf_ringbuf_reserve(&oa_events, size, 0);
	if (!r)
		rb__lost(op);
	return r;
}

/* BPF_RB_NO_WAKEUP, or BPF_RB_FORCE_WAKEUP once: when a record of `size` bytes (plus its 8-byte
 * ring header) takes the unread bytes of oa_events across oa_wakeup_bytes. `avail` is
 * BPF_RB_AVAIL_DATA with the record already reserved. Not one wakeup per record above the
 * threshold: while user space is behind, the drain waits for JS rather than for the ring, the
 * backlog stays above the threshold, and every submit would queue the ring's irq_work on the
 * submitting CPU (bench/openat, agent behind: the loop's own CPU time per iteration went from
 * ~3.6 to ~6.3 us). The drain's poll of the ring fd is level-triggered, so a crossing missed
 * between two CPUs costs at most its poll period. Records in oa_alerts are picked up within
 * their drain's poll period. */
static __always_inline __u64 rb__wake_flags(__u64 avail, __u64 size)
{
	return avail >= oa_wakeup_bytes && avail < oa_wakeup_bytes + size + 16 ? BPF_RB_FORCE_WAKEUP
									       : BPF_RB_NO_WAKEUP;
}

static __always_inline void rb__submit(void *r, __u32 op, __u64 size)
{
	bpf_ringbuf_submit(r, rb__wake_flags(bpf_ringbuf_query(&oa_events, BPF_RB_AVAIL_DATA), size));
	counter__add(op, OA_C_EMITTED);
}

/* Copies a record built in per-CPU memory (`size` bytes, variable) to its lane once its
 * `hdr_flags` are known: matched to oa_alerts (oa_events when that is full), any other to
 * oa_events; a record neither ring takes is counted lost. */
static __always_inline void rb__output(void *e, __u64 size, __u32 op, int hdr_flags)
{
	if ((hdr_flags & OA_F_MATCHED) && bpf_ringbuf_output(&oa_alerts, e, size, 0) == 0) {
		counter__add(op, OA_C_EMITTED);
		return;
	}
	if (bpf_ringbuf_output(&oa_events, e, size,
			       rb__wake_flags(bpf_ringbuf_query(&oa_events, BPF_RB_AVAIL_DATA) + size + 8,
					      size)) == 0) {
		counter__add(op, OA_C_EMITTED);
		return;
	}
	rb__lost(op);
}

/* Decide the fate of an event after the rule check: returns header flags to set, or -1 when
 * the event must not leave the kernel. Sends SIGKILL to the current task on OA_V_KILL. */
static __always_inline int verdict__apply(int visible, __u32 verdict, __u32 op)
{
	int flags = 0;
	if (verdict & OA_V_KILL) {
		bpf_send_signal(OA_SIGKILL);
		flags |= OA_F_KILLED;
	}
	if (verdict & (OA_V_MATCH | OA_V_KILL)) {
		flags |= OA_F_MATCHED;
		if (!visible)
			flags |= OA_F_RULE_ONLY;
		return flags;
	}
	if (!visible) {
		counter__add(op, OA_C_INVISIBLE);
		return -1;
	}
	return 0;
}

#endif /* __OA_COMMON_H */
