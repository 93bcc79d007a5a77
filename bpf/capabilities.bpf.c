/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Capability sensor: capability/cap_capable (fields cred, target_ns, capable_ns, cap, ret; no
 * opts since the 6.x rework). Runs in the task doing the check. Deduped per (tgid, cap, denied)
 * with an LRU: the first grant and the first denial per process are emitted, repeats counted. */
#include "lib/common.h"

struct oa_cap_key {
	__u32 tgid;
	__u16 cap;
	__u16 denied;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct oa_cap_key);
	__type(value, __u8);
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

SEC("tp/capability/cap_capable")
int oa_cap_capable(struct oa_cap_capable_args *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct oa_cap_key k = {
		.tgid = bpf_get_current_pid_tgid() >> 32,
		.cap = ctx->cap,
		.denied = ctx->ret != 0,
	};
	__u32 pid_ns, mnt_ns, rid = 0, verdict = 0;
	int visible, rules, flags;
	__u8 one = 1;
	struct oa_cap *e;

	if (k.tgid == 0)
		return 0;
	rules = rules__active(OA_RK_CAPABILITY);
	if (!rules && bpf_map_lookup_elem(&oa_cap_seen, &k)) {
		counter__add(OA_OP_CAP, OA_C_DEDUP);
		return 0;
	}
	visible = vis__get(t, &pid_ns, &mnt_ns) & OA_VIS_CAPABILITIES;
	if (!visible && !rules) {
		counter__add(OA_OP_CAP, OA_C_INVISIBLE);
		return 0;
	}
	if (rules)
		verdict = rules__check_num(OA_RK_CAPABILITY, k.cap, &rid);
	if (!verdict && bpf_map_lookup_elem(&oa_cap_seen, &k)) {
		counter__add(OA_OP_CAP, OA_C_DEDUP);
		return 0;
	}
	flags = verdict__apply(visible, verdict, OA_OP_CAP);
	if (flags < 0)
		return 0;
	bpf_map_update_elem(&oa_cap_seen, &k, &one, BPF_ANY);
	e = rb__reserve(OA_OP_CAP, sizeof(*e), flags & OA_F_MATCHED);
	if (!e)
		return 0;
	hdr__fill(&e->hdr, OA_OP_CAP, sizeof(*e), pid_ns, mnt_ns);
	e->hdr.flags = flags;
	e->hdr.rule_id = rid;
	e->cap = ctx->cap;
	e->ret = ctx->ret;
	e->cap_opt = 0;
	e->pad = 0;
	rb__submit(e, OA_OP_CAP);
	return 0;
}
