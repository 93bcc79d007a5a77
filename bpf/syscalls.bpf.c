/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Syscall sensor: setuid, setgid, ptrace, mount, umount2 through their own tracepoints, plus a
 * generic raw_tp sys_enter/sys_exit pair for the numbers in oa_syscall_filter (user space
 * attaches that pair only while the filter is non-empty). */
#include "lib/common.h"
#include "lib/args.h"

#define NR_PTRACE 101
#define NR_SETUID 105
#define NR_SETGID 106
#define NR_MOUNT 165
#define NR_UMOUNT2 166

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 512);
	__type(key, __u32);
	__type(value, __u32);
} oa_syscall_filter SEC(".maps");

static __noinline int sys__exit(__u32 slot, long id, long ret)
{
	__u32 pid_ns, mnt_ns, rid = 0, verdict = 0;
	struct oa_sys_args a;
	struct oa_syscall *e;
	int visible, rules, flags, took;

	took = args__take(slot, id, &a, OA_RK_SYSCALL);
	if (took) {
		if (took == ARGS_STALE)
			counter__add(OA_OP_SYSCALL, OA_C_ARGS_LOST);
		return 0;
	}
	visible = vis__get(&pid_ns, &mnt_ns) & OA_VIS_SYSCALL;
	rules = rules__active(OA_RK_SYSCALL);
	if (!visible && !rules) {
		counter__add(OA_OP_SYSCALL, OA_C_INVISIBLE);
		return 0;
	}
	if (rules)
		verdict = rules__check_num(OA_RK_SYSCALL, a.nr, &rid);
	flags = verdict__apply(visible, verdict, OA_OP_SYSCALL);
	if (flags < 0)
		return 0;
	e = rb__reserve(OA_OP_SYSCALL, sizeof(*e), flags & OA_F_MATCHED);
	if (!e)
		return 0;
	hdr__fill(&e->hdr, OA_OP_SYSCALL, sizeof(*e), pid_ns, mnt_ns);
	e->hdr.flags = flags;
	e->hdr.rule_id = rid;
	e->ret = ret;
	e->nr = a.nr;
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	for (int i = 0; i < 6; i++)
		e->args[i] = a.a[i];
	e->strs[0][0] = e->strs[1][0] = e->strs[2][0] = 0;
	if (a.nr == NR_MOUNT) {
		if (bpf_probe_read_user_str(e->strs[0], OA_SYS_STR_LEN, (void *)a.a[0]) == OA_SYS_STR_LEN ||
		    bpf_probe_read_user_str(e->strs[1], OA_SYS_STR_LEN, (void *)a.a[1]) == OA_SYS_STR_LEN ||
		    bpf_probe_read_user_str(e->strs[2], OA_SYS_STR_LEN, (void *)a.a[2]) == OA_SYS_STR_LEN)
			e->hdr.flags |= OA_F_TRUNCATED;
	} else if (a.nr == NR_UMOUNT2) {
		if (bpf_probe_read_user_str(e->strs[0], OA_SYS_STR_LEN, (void *)a.a[0]) == OA_SYS_STR_LEN)
			e->hdr.flags |= OA_F_TRUNCATED;
	}
	rb__submit(e, OA_OP_SYSCALL, sizeof(*e));
	return 0;
}

SEC("tp")
int oa_tail_sys_exit(struct trace_event_raw_sys_exit *ctx)
{
	return sys__exit(OA_ARGS_DEDICATED, (__u32)ctx->id, ctx->ret);
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__array(values, int(struct trace_event_raw_sys_exit *));
} oa_sys_tail SEC(".maps") = {
	.values = { [0] = (void *)&oa_tail_sys_exit },
};

#define OA_SYS_HOOK(name, nargs)                                           \
	SEC("tp/syscalls/sys_enter_" #name)                                \
	int oa_enter_##name(struct trace_event_raw_sys_enter *ctx)         \
	{                                                                  \
		if (sensor__wanted(OA_VIS_SYSCALL, OA_RK_SYSCALL)) {       \
			if (args__store(OA_ARGS_DEDICATED, ctx, nargs,     \
					OA_RK_SYSCALL))                    \
				counter__add(OA_OP_SYSCALL, OA_C_ARGS_LOST); \
		} else if (!task__is_self())                               \
			counter__add(OA_OP_SYSCALL, OA_C_INVISIBLE);       \
		return 0;                                                  \
	}                                                                  \
	SEC("tp/syscalls/sys_exit_" #name)                                 \
	int oa_exit_##name(struct trace_event_raw_sys_exit *ctx)           \
	{                                                                  \
		bpf_tail_call(ctx, &oa_sys_tail, tail__index0());          \
		return 0;                                                  \
	}

OA_SYS_HOOK(setuid, 1)
OA_SYS_HOOK(setgid, 1)
OA_SYS_HOOK(ptrace, 4)
OA_SYS_HOOK(mount, 5)
OA_SYS_HOOK(umount, 2) /* x86_64 umount2(2) is the "umount" syscall event */

/* raw_tp sys_enter args: (struct pt_regs *regs, long id); x86_64 syscall args are in
 * di, si, dx, r10, r8, r9. */
SEC("raw_tp/sys_enter")
int oa_raw_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (void *)ctx->args[0];
	__u32 nr = ctx->args[1];
	struct oa_sys_args *v;

	if (!bpf_map_lookup_elem(&oa_syscall_filter, &nr))
		return 0;
	if (!sensor__wanted(OA_VIS_SYSCALL, OA_RK_SYSCALL)) {
		if (!task__is_self())
			counter__add(OA_OP_SYSCALL, OA_C_INVISIBLE);
		return 0;
	}
	v = args__slot(OA_ARGS_GENERIC, 1);
	if (!v) {
		counter__add(OA_OP_SYSCALL, OA_C_ARGS_LOST);
		return 0;
	}
	v->nr = nr;
	v->epoch = args__epoch(OA_RK_SYSCALL);
	v->a[0] = BPF_CORE_READ(regs, di);
	v->a[1] = BPF_CORE_READ(regs, si);
	v->a[2] = BPF_CORE_READ(regs, dx);
	v->a[3] = BPF_CORE_READ(regs, r10);
	v->a[4] = BPF_CORE_READ(regs, r8);
	v->a[5] = BPF_CORE_READ(regs, r9);
	v->live = 1;
	return 0;
}

/* raw_tp sys_exit args: (struct pt_regs *regs, long ret); the number is regs->orig_ax. */
SEC("raw_tp/sys_exit")
int oa_raw_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (void *)ctx->args[0];
	__u32 nr = BPF_CORE_READ(regs, orig_ax);

	if (!bpf_map_lookup_elem(&oa_syscall_filter, &nr))
		return 0;
	return sys__exit(OA_ARGS_GENERIC, nr, ctx->args[1]);
}
