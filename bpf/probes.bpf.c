// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Feature probes (src/kernel/features.ts): each program is loaded and attached on its own
 * (autoload) to learn whether the running kernel takes that kind of hook there; none of them
 * does anything. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

/* BPF trampoline on the function the capability sensor falls back to when the kernel has no
 * capability/cap_capable tracepoint (before 6.13). */
SEC("fexit/cap_capable")
int BPF_PROG(oa_probe_fexit_cap_capable, const struct cred *cred, struct user_namespace *ns,
	     int cap, unsigned int opts, int ret)
{
	return 0;
}
