/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Test-only BPF object that compiles and links but that the verifier refuses: the program uses a
 * syscall argument (a scalar) as a pointer. test/kernel/sensors-errors.test.ts loads it to check
 * that the addon's error becomes a VerifierError carrying the verifier log. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tp/syscalls/sys_enter_getppid")
int oa_bad_deref(struct trace_event_raw_sys_enter *ctx)
{
	return *(int *)ctx->args[0]; /* R1 invalid mem access 'scalar' */
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
