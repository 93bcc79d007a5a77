// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* BPF-LSM enforcer: denies before the operation happens (the syscall returns EACCES, "Permission
 * denied", as KubeArmor's BPF-LSM: kubearmor-compat.md §3.4; nothing is executed, opened,
 * created, removed, changed or connected). Loads and attaches wherever CONFIG_BPF_LSM=y, but the
 * kernel calls the hooks only with "bpf" in the active LSM list (lsm=): src/enforcer/detect.ts
 * checks that list, then loads and attaches this object. Same maps and lookup as the sensors (bpf/include/rules.h); denies only while
 * oa_enforce == OA_ENF_LSM.
 *
 * Hooks (security/security.c calls each after the DAC checks; the path_* hooks exist with
 * CONFIG_SECURITY_PATH=y, as in Debian's kernels): bprm_check_security (exec), file_open,
 * path_unlink, path_rmdir, path_mknod, path_mkdir, path_rename, path_chmod, path_chown,
 * socket_connect and capable. capable runs after commoncap's cap_capable (stacked LSMs stop at the first error),
 * so it only ever refuses what commoncap granted.
 *
 * Reporting: a denied syscall that a sensor hooks (exec, open, unlink, rmdir, chmod, chown,
 * connect) is reported by that sensor's record (ret -EACCES, Matched, rule id); the capability
 * sensor sets -EACCES itself from the verdict (OA_V_DENY). mkdir and rename have no sensor: their
 * hooks write the file record a sensor would have written (lsm__report). The rings and counters
 * are the sensors' own (src/enforcer/enforcer.ts opens this object with reuseMaps). */
#define OA_BTF_CAST 0 /* this object walks no dentry chain of its own: no kfunc needed */
#include "lib/common.h"

char LICENSE[] SEC("license") = "GPL";

#define OA_EACCES 13
#define OA_EPERM 1
#define OA_MAX_ERRNO 4095
#define OA_AF_INET 2
#define OA_AF_INET6 10
#define OA_NR_RENAME 82
#define OA_NR_MKDIR 83
#define OA_NR_RENAMEAT 264
#define OA_NR_MKDIRAT 258
#define OA_NR_RENAMEAT2 316

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
static __always_inline int lsm__target(struct oa_rules_scratch *s, struct dentry *d,
				       struct vfsmount *mnt)
{
	int off = rules__d_path(s, d, mnt);

	if (off < 0)
		return -1;
	rules__zero(s->tpath, OA_RULE_PATH_MAX / 8);
	bpf_probe_read_kernel_str(s->tpath, OA_RULE_PATH_MAX, &s->walk[off & (OA_RULE_PATH_MAX - 1)]);
	return 0;
}

/* OA_D_DENY (with *rule_id) when a path rule of `kind` refuses `access` to s->tpath. */
static __always_inline __u32 lsm__decide_path(struct oa_rules_scratch *s, __u32 kind, __u32 access,
					      __u32 *rule_id)
{
	struct oa_rule_hit hit = {};
	int found = rules__find_path(s, kind, s->tpath, &hit);

	return rules__decide(s, kind, found, &hit, access, rule_id) & OA_D_DENY;
}

/* Owner uid of the inode behind a dentry, -1 for a negative dentry (mkdir's new name). */
static __always_inline __s32 lsm__owner(struct dentry *d)
{
	struct inode *ino = BPF_CORE_READ(d, d_inode);

	return ino ? (__s32)BPF_CORE_READ(ino, i_uid.val) : -1;
}

/* The file record of a denied mkdir/rename (no sensor hooks those syscalls): what the file
 * sensor writes for an unlink, with the syscall number and arguments from the task's pt_regs
 * (the syscall is still running: orig_ax holds its number). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct oa_file);
} oa_lsm_build SEC(".maps");

static __always_inline void lsm__report(const char *path, __u32 rule_id)
{
	struct pt_regs *r = (struct pt_regs *)bpf_task_pt_regs(oa_task());
	__u32 zero = 0, pid_ns, mnt_ns, nr = r->orig_ax;
	struct oa_file *e = bpf_map_lookup_elem(&oa_lsm_build, &zero);
	int flags = OA_F_MATCHED;
	long n;

	if (!e)
		return;
	if (!(vis__get(&pid_ns, &mnt_ns) & OA_VIS_FILE))
		flags |= OA_F_RULE_ONLY;
	hdr__fill(&e->hdr, OA_OP_FILE, sizeof(*e), pid_ns, mnt_ns);
	e->hdr.flags = flags;
	e->hdr.rule_id = rule_id;
	e->ret = -OA_EACCES;
	e->dirfd = nr == OA_NR_MKDIRAT || nr == OA_NR_RENAMEAT || nr == OA_NR_RENAMEAT2 ? (int)r->di
											 : OA_AT_FDCWD;
	e->flags = nr == OA_NR_RENAMEAT2 ? r->r8 : 0;
	e->mode = nr == OA_NR_MKDIR ? r->si : nr == OA_NR_MKDIRAT ? r->dx : 0;
	e->owner_uid = -1;
	e->owner_gid = -1;
	e->file_owner_uid = -1;
	e->nr = nr;
	e->pad = 0;
	e->cwd[0] = 0;
	n = bpf_probe_read_kernel_str(e->path, sizeof(e->path), path);
	if (n <= 0) {
		e->path[0] = 0;
		n = 1;
	}
	n = __builtin_offsetof(struct oa_file, path) + ((n + 7) & ~7L);
	if (n > sizeof(*e))
		n = sizeof(*e);
	e->hdr.size = n;
	rb__output(e, n, OA_OP_FILE, flags);
}

/* Denies `access` to (dentry, mnt) when a rule of `kind` says so; `report`: also writes the
 * denial's record (lsm__report), for the syscalls no sensor hooks. */
static __always_inline int lsm__path_verdict(__u32 kind, struct dentry *d, struct vfsmount *mnt,
					     __u32 access, int report)
{
	struct oa_rules_scratch *s;
	__u32 rule_id;

	if (rules__enforce_mode() != OA_ENF_LSM)
		return 0;
	s = rules__scratch();
	if (!s || lsm__target(s, d, mnt))
		return 0;
	if (!lsm__decide_path(s, kind, access, &rule_id))
		return 0;
	if (report)
		lsm__report(s->tpath, rule_id);
	return lsm__deny_if(1);
}

/* mkdir and rename: refused and reported when a file rule refuses the write to (d, mnt). */
static __always_inline int lsm__reported_write(struct dentry *d, struct vfsmount *mnt)
{
	return lsm__path_verdict(OA_RK_FILE, d, mnt, rules__access(OA_ACC_WRITE, lsm__owner(d)), 1);
}

SEC("lsm/bprm_check_security")
int BPF_PROG(oa_lsm_bprm_check, struct linux_binprm *bprm, int ret)
{
	struct file *f = BPF_CORE_READ(bprm, file);

	if (ret)
		return lsm__earlier(ret);
	return lsm__path_verdict(OA_RK_PROCESS, BPF_CORE_READ(f, f_path.dentry),
				 BPF_CORE_READ(f, f_path.mnt),
				 rules__access(OA_ACC_READ, BPF_CORE_READ(f, f_inode, i_uid.val)), 0);
}

SEC("lsm/file_open")
int BPF_PROG(oa_lsm_file_open, struct file *file, int ret)
{
	if (ret)
		return lsm__earlier(ret);
	return lsm__path_verdict(OA_RK_FILE, BPF_CORE_READ(file, f_path.dentry),
				 BPF_CORE_READ(file, f_path.mnt),
				 rules__access(BPF_CORE_READ(file, f_flags),
					       BPF_CORE_READ(file, f_inode, i_uid.val)),
				 0);
}

/* unlink/rmdir/chmod/chown modify the target: write access, as the file sensor checks them.
 * `ret` of an earlier program on the hook is passed on. */
static __always_inline int lsm__write(int ret, struct dentry *d, struct vfsmount *mnt)
{
	if (ret)
		return lsm__earlier(ret);
	return lsm__path_verdict(OA_RK_FILE, d, mnt, rules__access(OA_ACC_WRITE, lsm__owner(d)), 0);
}

SEC("lsm/path_unlink")
int BPF_PROG(oa_lsm_path_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	return lsm__write(ret, dentry, BPF_CORE_READ(dir, mnt));
}

SEC("lsm/path_rmdir")
int BPF_PROG(oa_lsm_path_rmdir, const struct path *dir, struct dentry *dentry, int ret)
{
	return lsm__write(ret, dentry, BPF_CORE_READ(dir, mnt));
}

SEC("lsm/path_chmod")
int BPF_PROG(oa_lsm_path_chmod, const struct path *path, umode_t mode, int ret)
{
	return lsm__write(ret, BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt));
}

/* kuid_t/kgid_t are one-int structs passed by value: one argument slot each. */
SEC("lsm/path_chown")
int BPF_PROG(oa_lsm_path_chown, const struct path *path, unsigned int uid, unsigned int gid, int ret)
{
	return lsm__write(ret, BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt));
}

/* open(O_CREAT) of a new name (may_o_create) and mknod(2): refused before the inode exists, so
 * a Block on a directory leaves nothing behind. The open's exit record reports the denial. */
SEC("lsm/path_mknod")
int BPF_PROG(oa_lsm_path_mknod, const struct path *dir, struct dentry *dentry, umode_t mode,
	     unsigned int dev, int ret)
{
	if (ret)
		return lsm__earlier(ret);
	return lsm__path_verdict(OA_RK_FILE, dentry, BPF_CORE_READ(dir, mnt),
				 rules__access(OA_ACC_WRITE, -1), 0);
}

SEC("lsm/path_mkdir")
int BPF_PROG(oa_lsm_path_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode,
	     int ret)
{
	if (ret)
		return lsm__earlier(ret);
	return lsm__reported_write(dentry, BPF_CORE_READ(dir, mnt));
}

/* Both names are checked: a rule on either the old or the new path refuses the rename. */
SEC("lsm/path_rename")
int BPF_PROG(oa_lsm_path_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags, int ret)
{
	int r;

	if (ret)
		return lsm__earlier(ret);
	r = lsm__reported_write(old_dentry, BPF_CORE_READ(old_dir, mnt));
	if (r)
		return r;
	return lsm__reported_write(new_dentry, BPF_CORE_READ(new_dir, mnt));
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

/* The capability sensor reports the check (its record says -EACCES when this refuses it). */
SEC("lsm/capable")
int BPF_PROG(oa_lsm_capable, const struct cred *cred, struct user_namespace *ns, int cap,
	     unsigned int opts, int ret)
{
	struct oa_rules_scratch *s;
	struct oa_rule_hit hit = {};
	__u32 rule_id;
	int found;

	if (ret)
		return lsm__earlier(ret);
	if (rules__enforce_mode() != OA_ENF_LSM)
		return 0;
	s = rules__scratch();
	if (!s)
		return 0;
	found = rules__find_num(s, OA_RK_CAPABILITY, cap, &hit);
	return lsm__deny_if(rules__decide(s, OA_RK_CAPABILITY, found, &hit, 0, &rule_id) & OA_D_DENY);
}
