/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Raw syscall arguments saved at sys_enter_* and consumed at the matching sys_exit_*, keyed by
 * tid (a thread is in at most one syscall). The generic raw_tp pair uses tid | OA_ARGS_GENERIC
 * so that a syscall seen by both a dedicated tracepoint and the filter pair cannot collide. */
#ifndef __OA_ARGS_H
#define __OA_ARGS_H

#include "common.h"

#define OA_ARGS_GENERIC (1ULL << 32)

struct oa_sys_args {
	__u64 nr;
	__u64 a[6];
	__u32 epoch; /* oa_epochs.epoch[kind] at enter */
	__u32 pad;
};

static __always_inline __u32 args__epoch(__u32 kind)
{
	__u32 zero = 0;
	struct oa_epochs *e = bpf_map_lookup_elem(&oa_epochs, &zero);
	return e ? e->epoch[kind & 7] : 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct oa_sys_args);
} oa_args SEC(".maps");

/* Reads only the first `n` (constant) args: a tracepoint program whose ctx reads go past the
 * event's record is refused at attach time with EACCES (perf_event max_ctx_offset check). */
static __always_inline void args__store(__u64 key, struct trace_event_raw_sys_enter *ctx, int n,
					__u32 kind)
{
	struct oa_sys_args v = { .nr = (__u32)ctx->id, .epoch = args__epoch(kind) }; /* __syscall_nr at 8 */

	if (n > 0)
		v.a[0] = ctx->args[0];
	if (n > 1)
		v.a[1] = ctx->args[1];
	if (n > 2)
		v.a[2] = ctx->args[2];
	if (n > 3)
		v.a[3] = ctx->args[3];
	if (n > 4)
		v.a[4] = ctx->args[4];
	if (n > 5)
		v.a[5] = ctx->args[5];
	bpf_map_update_elem(&oa_args, &key, &v, BPF_ANY);
}

/* Copies the stored args for `key` into `out` and deletes them. Returns 0 when found, the
 * syscall number matches `nr` and the entry is of the current epoch of `kind`; -1 when there is
 * none (the enter did not want the event); ARGS_STALE when there is one but it is not usable. */
#define ARGS_STALE -2
static __always_inline int args__take(__u64 key, __u64 nr, struct oa_sys_args *out, __u32 kind)
{
	struct oa_sys_args *v = bpf_map_lookup_elem(&oa_args, &key);
	if (!v)
		return -1;
	*out = *v;
	bpf_map_delete_elem(&oa_args, &key);
	return out->nr == nr && out->epoch == args__epoch(kind) ? 0 : ARGS_STALE;
}

static __always_inline __u64 args__tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

#endif /* __OA_ARGS_H */
