/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The same event, an openat returning to user space, observed through each kind of hook a
 * kernel may offer; each program only counts what it saw (per-CPU counter, index = its slot), so
 * bench/hooks/run.ts compares what observing through that hook costs and that it sees every
 * open of the loop:
 *   tp/syscalls/sys_exit_openat   the file sensor's hook (syscall tracepoint: every task takes the
 *                                 slow syscall exit path while one is attached)
 *   raw_tp/sys_exit               every syscall's exit, filtered to openat
 *   fexit/do_sys_openat2          BPF trampoline on the function openat calls (6.1: BTF, x86)
 *   lsm/file_open                 BPF-LSM hook: every successful open's permission check */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

/* Counts every task's opens: the VM runs nothing but the loop meanwhile. */
static __always_inline void count(__u32 slot)
{
	__u64 *c = bpf_map_lookup_elem(&seen, &slot);

	if (c)
		(*c)++;
}

SEC("tp/syscalls/sys_exit_openat")
int hooks_tp(void *ctx)
{
	count(0);
	return 0;
}

SEC("raw_tp/sys_exit")
int hooks_raw(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];

	if (BPF_CORE_READ(regs, orig_ax) == 257)
		count(1);
	return 0;
}

SEC("fexit/do_sys_openat2")
int BPF_PROG(hooks_fexit, int dfd, const char *filename, struct open_how *how, long ret)
{
	count(2);
	return 0;
}

SEC("lsm/file_open")
int BPF_PROG(hooks_lsm, struct file *file, int ret)
{
	count(3);
	return 0;
}
