// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Network denial for the kill-on-attempt enforcer: cgroup v2 sock_addr programs attached to the
 * root cgroup run in the caller's context before connect(2), sendto/sendmsg(2) with an address
 * and bind(2) on AF_INET/AF_INET6 sockets. A denial sets the syscall's return value to -EACCES
 * with bpf_set_retval (cgroup programs, Linux >= 5.18) and returns 0: the caller sees EACCES
 * ("Permission denied"), as under KubeArmor's BPF-LSM (kubearmor-compat.md §3.4). Without
 * bpf_set_retval the kernel's default for a 0 return is -EPERM. The sensors' connect/bind
 * record carries that ret. Nothing is emitted here.
 *
 * Lookup (src/kernel/rule-types.ts, network): container of the caller, RuleKind.Network,
 * num = sk protocol (IPPROTO_*), then NET_NUM_SOCKTYPE_BASE + sk type (SOCK_*), each with
 * source = caller's exe path then ""; first hit decides (Block denies, Allow/Audit pass); no
 * hit: posture AllowListBlock denies. oa_enforce != OA_ENF_AUDIT is required to deny.
 * AF_UNIX and other families never reach these hooks. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "rules.h"

char LICENSE[] SEC("license") = "GPL";

#define OA_SOCK_ALLOW 1
#define OA_SOCK_DENY 0
#define OA_EACCES 13

static __always_inline int netblock(struct bpf_sock_addr *ctx)
{
	struct oa_rules_scratch *s;
	struct oa_rule_hit hit = {};
	__u32 protocol = ctx->protocol;
	__u32 type = ctx->type;
	__u32 rule_id;
	int found;

	if (rules__enforce_mode() == OA_ENF_AUDIT)
		return OA_SOCK_ALLOW;
	s = rules__scratch();
	if (!s)
		return OA_SOCK_ALLOW;
	found = rules__find_num(s, OA_RK_NETWORK, protocol, &hit);
	if (!found)
		found = rules__find_num_again(s, OA_NET_NUM_SOCKTYPE_BASE + type, &hit);
	if (rules__decide(s, OA_RK_NETWORK, found, &hit, 0, &rule_id) & OA_D_DENY) {
		bpf_set_retval(-OA_EACCES);
		return OA_SOCK_DENY;
	}
	return OA_SOCK_ALLOW;
}

SEC("cgroup/connect4")
int oa_nb_connect4(struct bpf_sock_addr *ctx)
{
	return netblock(ctx);
}

SEC("cgroup/connect6")
int oa_nb_connect6(struct bpf_sock_addr *ctx)
{
	return netblock(ctx);
}

SEC("cgroup/sendmsg4")
int oa_nb_sendmsg4(struct bpf_sock_addr *ctx)
{
	return netblock(ctx);
}

SEC("cgroup/sendmsg6")
int oa_nb_sendmsg6(struct bpf_sock_addr *ctx)
{
	return netblock(ctx);
}

SEC("cgroup/bind4")
int oa_nb_bind4(struct bpf_sock_addr *ctx)
{
	return netblock(ctx);
}

SEC("cgroup/bind6")
int oa_nb_bind6(struct bpf_sock_addr *ctx)
{
	return netblock(ctx);
}

/* Start-up probe of the kill-on-attempt mode (src/enforcer/detect.ts): loading proves the
 * verifier accepts bpf_send_signal in a raw tracepoint, attaching proves raw tracepoints work.
 * task_rename is rare; the condition never holds (oa_enforce is 0..2) and signal 0 is a no-op. */
SEC("raw_tp/task_rename")
int oa_nb_probe_signal(void *ctx)
{
	if (rules__enforce_mode() == 0xffffffffU)
		bpf_send_signal(0);
	return 0;
}
