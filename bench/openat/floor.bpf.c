/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Empty programs on the tracepoints the file sensor uses for openat: what attaching anything to
 * them costs on this kernel (syscall tracepoint dispatch, the slow syscall path that an enabled
 * syscall tracepoint forces on every task), the floor under bench/openat's "not visible" ratio. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tp/syscalls/sys_enter_openat")
int floor_enter_openat(void *ctx)
{
	return 0;
}

SEC("tp/syscalls/sys_exit_openat")
int floor_exit_openat(void *ctx)
{
	return 0;
}

/* The same floor through raw tracepoints (sys_enter/sys_exit: every syscall, no per-syscall
 * perf record; args[1] is the syscall number on enter, a dispatching sensor's first test). */
SEC("raw_tp/sys_enter")
int floor_raw_enter(struct bpf_raw_tracepoint_args *ctx)
{
	return ctx->args[1] == 257 ? 0 : 0;
}

SEC("raw_tp/sys_exit")
int floor_raw_exit(struct bpf_raw_tracepoint_args *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
