// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* BPF-LSM enforcer: denies before the operation happens (the syscall returns EACCES, "Permission
 * denied", as KubeArmor's BPF-LSM: kubearmor-compat.md §3.4; nothing is executed, opened or
 * connected). Loads only on kernels with CONFIG_BPF_LSM=y and "bpf" in the
 * active LSM list; src/enforcer/detect.ts probes exactly that by loading and attaching this
 * object. Same maps and lookup as the sensors (bpf/include/rules.h); denies only while
 * oa_enforce == OA_ENF_LSM. Emits nothing: the sensors' records carry ret = -EACCES and the
 * Matched flag. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "rules.h"

char LICENSE[] SEC("license") = "GPL";

#define OA_EACCES 13
#define OA_EPERM 1
#define OA_MAX_ERRNO 4095
#define OA_AF_INET 2
#define OA_AF_INET6 10

/* An LSM program's return value must lie in [-MAX_ERRNO, 0]; the verifier checks it at program
 * exit since 6.12 ("bpf, lsm: Add check for BPF LSM return value"). Both helpers branch where
 * the compiler would otherwise compute the result without one ((deny << 56 >> 63) & -13),
 * whose bounds the verifier cannot narrow to {-13, 0}. */
static __always_inline int lsm__deny_if(int deny)
{
	if (deny) {
		asm volatile("" ::: "memory");
		return -OA_EACCES;
	}
	return 0;
}

/* `ret`: what an earlier BPF program on the same hook returned; passed on when it is an error. */
static __always_inline int lsm__earlier(int ret)
{
	if (ret < -OA_MAX_ERRNO || ret > 0) {
		asm volatile("" ::: "memory");
		return -OA_EPERM;
	}
	return ret;
}

/* Resolves (dentry, mnt) into s->tpath; 0 on success. */
static __always_inline int lsm__target(struct oa_rules_scratch *s, const struct path *p)
{
	int off = rules__d_path(s, BPF_CORE_READ(p, dentry), BPF_CORE_READ(p, mnt));

	if (off < 0)
		return -1;
	rules__zero(s->tpath, OA_RULE_PATH_MAX / 8);
	bpf_probe_read_kernel_str(s->tpath, OA_RULE_PATH_MAX, &s->walk[off & (OA_RULE_PATH_MAX - 1)]);
	return 0;
}

/* access: the rules__access word. */
static __always_inline int lsm__path_verdict(__u32 kind, const struct path *p, __u32 access)
{
	struct oa_rules_scratch *s;
	struct oa_rule_hit hit = {};
	__u32 rule_id;
	int found;

	if (rules__enforce_mode() != OA_ENF_LSM)
		return 0;
	s = rules__scratch();
	if (!s || lsm__target(s, p))
		return 0;
	found = rules__find_path(s, kind, s->tpath, &hit);
	return lsm__deny_if(rules__decide(s, kind, found, &hit, access, &rule_id) & OA_D_DENY);
}

SEC("lsm/bprm_check_security")
int BPF_PROG(oa_lsm_bprm_check, struct linux_binprm *bprm, int ret)
{
	struct file *f = BPF_CORE_READ(bprm, file);

	if (ret)
		return lsm__earlier(ret);
	return lsm__path_verdict(OA_RK_PROCESS, &f->f_path,
				 rules__access(OA_ACC_READ, BPF_CORE_READ(f, f_inode, i_uid.val)));
}

SEC("lsm/file_open")
int BPF_PROG(oa_lsm_file_open, struct file *file, int ret)
{
	if (ret)
		return lsm__earlier(ret);
	return lsm__path_verdict(OA_RK_FILE, &file->f_path,
				 rules__access(BPF_CORE_READ(file, f_flags),
					       BPF_CORE_READ(file, f_inode, i_uid.val)));
}

SEC("lsm/socket_connect")
int BPF_PROG(oa_lsm_socket_connect, struct socket *sock, struct sockaddr *address, int addrlen,
	     int ret)
{
	struct oa_rules_scratch *s;
	struct oa_rule_hit hit = {};
	__u16 family = BPF_CORE_READ(address, sa_family);
	__u32 rule_id;
	int found;

	if (ret)
		return lsm__earlier(ret);
	if ((family != OA_AF_INET && family != OA_AF_INET6) || rules__enforce_mode() != OA_ENF_LSM)
		return 0;
	s = rules__scratch();
	if (!s)
		return 0;
	found = rules__find_num(s, OA_RK_NETWORK, BPF_CORE_READ(sock, sk, sk_protocol), &hit);
	if (!found)
		found = rules__find_num_again(s, OA_NET_NUM_SOCKTYPE_BASE + BPF_CORE_READ(sock, type),
					      &hit);
	return lsm__deny_if(rules__decide(s, OA_RK_NETWORK, found, &hit, 0, &rule_id) & OA_D_DENY);
}
