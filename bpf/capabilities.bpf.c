/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Capability sensor. Hooks, in order of preference (src/kernel/hooks.ts loads exactly one):
 *   tp/capability/cap_capable (6.13+; fields cred, target_ns, capable_ns, cap, ret), emitted at
 *     the end of cap_capable();
 *   fexit/cap_capable (BPF trampolines; 6.1 and 6.12 have no such tracepoint): the same function
 *     return, with its arguments and result.
 * Both run in the task doing the check and see every result, granted or denied (an LSM
 * "capable" hook would not: stacked LSMs stop at commoncap's denial). Deduped per (tgid, cap, denied):
 * the first grant and the first denial of each capability per process are emitted, repeats of
 * visible processes are counted (OA_C_DEDUP). The seen bits of a process are deleted when it
 * exits, so a reused tgid starts afresh. */
#include "lib/common.h"

/* Capability numbers below 64 fit the masks (CAP_LAST_CAP is 40 on 6.x); others are never deduped.
 * `start` (the group leader's start_boottime) tells a reused tgid from the process that left an
 * entry behind (one that exited while the programs were being attached). */
struct oa_cap_seen_bits {
	__u64 start;
	__u64 mask[2]; /* [0] granted, [1] denied; bit = capability number */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32); /* tgid */
	__type(value, struct oa_cap_seen_bits);
} oa_cap_seen SEC(".maps");

/* Layout of the capability/cap_capable tracepoint record (tracefs format). */
struct oa_cap_capable_args {
	__u64 common;
	__u64 cred;
	__u64 target_ns;
	__u64 capable_ns;
	__s32 cap;
	__s32 ret;
};

/* Marks `bit` seen for (tgid, start); merges into the entry of the same process (a concurrent
 * first insert by another thread), replaces the entry of an earlier process with that tgid. */
static __always_inline void cap__mark(__u32 tgid, __u64 start, int denied, __u64 bit)
{
	struct oa_cap_seen_bits v = { .start = start }, *cur;

	if (denied)
		v.mask[1] = bit;
	else
		v.mask[0] = bit;
	if (!bpf_map_update_elem(&oa_cap_seen, &tgid, &v, BPF_NOEXIST))
		return;
	cur = bpf_map_lookup_elem(&oa_cap_seen, &tgid);
	if (cur && cur->start == start)
		__sync_fetch_and_or(&cur->mask[denied ? 1 : 0], bit);
	else
		bpf_map_update_elem(&oa_cap_seen, &tgid, &v, BPF_ANY);
}

/* One capability check of the current task: capability `cap`, cap_capable()'s result `ret`. */
static __always_inline int cap__event(int cap, int ret)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 pid_ns, mnt_ns, rid = 0, verdict = 0;
	int denied = ret != 0;
	__u64 bit = cap >= 0 && cap < 64 ? 1ULL << cap : 0, start;
	struct oa_cap_seen_bits *seen;
	int visible, rules, flags;
	struct oa_cap *e;

	if (tgid == 0)
		return 0;
	rules = rules__active(OA_RK_CAPABILITY);
	visible = vis__get(&pid_ns, &mnt_ns) & OA_VIS_CAPABILITIES;
	if (!visible && !rules) {
		counter__add(OA_OP_CAP, OA_C_INVISIBLE);
		return 0;
	}
	if (rules)
		verdict = rules__check_num(OA_RK_CAPABILITY, cap, &rid);
	start = BPF_CORE_READ(t, group_leader, start_boottime);
	seen = bpf_map_lookup_elem(&oa_cap_seen, &tgid);
	if (!verdict && bit && seen && seen->start == start && (seen->mask[denied ? 1 : 0] & bit)) {
		counter__add(OA_OP_CAP, OA_C_DEDUP);
		return 0;
	}
	flags = verdict__apply(visible, verdict, OA_OP_CAP);
	if (flags < 0)
		return 0;
	/* A dying process (signal->live == 0: oa_cap_exit has run or is about to) still checks
	 * capabilities while its files and mm are torn down; marking those would leave an entry that
	 * outlives the tgid. */
	if (bit && BPF_CORE_READ(t, signal, live.counter) != 0)
		cap__mark(tgid, start, denied, bit);
	e = rb__reserve(OA_OP_CAP, sizeof(*e), flags & OA_F_MATCHED);
	if (!e)
		return 0;
	hdr__fill(&e->hdr, OA_OP_CAP, sizeof(*e), pid_ns, mnt_ns);
	e->hdr.flags = flags;
	e->hdr.rule_id = rid;
	e->cap = cap;
	/* BPF-LSM's capable hook (bpf/lsm.bpf.c) runs after cap_capable and refuses a denied
	 * capability with -EACCES: that is the check's real result. */
	e->ret = (verdict & OA_V_DENY) ? -13 : ret;
	e->cap_opt = 0;
	e->pad = 0;
	rb__submit(e, OA_OP_CAP, sizeof(*e));
	return 0;
}

SEC("tp/capability/cap_capable")
int oa_cap_capable(struct oa_cap_capable_args *ctx)
{
	return cap__event(ctx->cap, ctx->ret);
}

SEC("fexit/cap_capable")
int BPF_PROG(oa_cap_capable_fexit, const struct cred *cred, struct user_namespace *targ_ns, int cap,
	     unsigned int opts, int ret)
{
	return cap__event(cap, ret);
}

/* raw_tp args (6.x): (struct task_struct *p, bool group_dead); runs in the exiting task. The
 * last thread of the group drops the process's seen bits (whatever its visibility). */
SEC("raw_tp/sched_process_exit")
int oa_cap_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (BPF_CORE_READ(t, signal, live.counter) != 0)
		return 0;
	bpf_map_delete_elem(&oa_cap_seen, &tgid);
	return 0;
}
