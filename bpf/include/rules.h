/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Compiled policy rules as the kernel interprets them. Keep in sync with src/kernel/rule-types.ts
 * (lookup order and flag values are documented there) and src/kernel/rules.ts (byte encoding).
 * Sensors call rules__check_path() / rules__check_num() / rules__check_net() once they know the
 * event's target; the verdict says whether the event must leave the kernel although its category
 * is invisible (OA_V_MATCH) and whether the kill-on-attempt enforcer must stop the caller
 * (OA_V_KILL).
 * bpf/netblock.bpf.c and bpf/lsm.bpf.c use the same maps and lookup (rules__find_*).
 *
 * The includer must include vmlinux.h, <bpf/bpf_helpers.h> and <bpf/bpf_core_read.h> first.
 *
 * Maps (one instance per object; the enforcer objects reuse the sensors' instances by fd):
 *   oa_rules       HASH  struct oa_rule_key (528 B)    -> struct oa_rule_val (8 B)
 *   oa_postures    HASH  struct oa_posture_key (16 B)  -> struct oa_posture_val (4 B)
 *   oa_enforce     ARRAY [1] u32 OA_ENF_* (0 until the enforcer sets it: no kill by default)
 *   oa_exe_cache   LRU   u32 tgid -> struct oa_exe_ent (exe path of that tgid)
 *   oa_rules_buf   PERCPU_ARRAY [1] struct oa_rules_scratch (keys are too big for the stack)
 *
 * Verdict: first hit decides (order in rules__find_path). On a hit,
 *   satisfied = (!ReadOnly || read access) && (!OwnerOnly || OA_ACC_OWNER)
 *   (the access word of rules__access: read = O_ACCMODE == O_RDONLY)
 *   Allow        satisfied -> 0; not satisfied -> posture
 *   Block/Audit  (ReadOnly || OwnerOnly) && satisfied -> exempt -> posture;
 *                otherwise Block -> MATCH|KILL, Audit -> MATCH
 *   (KILL only for process/file/capability/syscall and only when oa_enforce == OA_ENF_KILL;
 *   network denial is bpf/netblock.bpf.c's job)
 * Posture of (C, K) (no hit, or a hit that fell to it): AllowListAudit -> MATCH,
 * AllowListBlock -> MATCH|KILL, None -> 0, or MATCH when OA_PM_USER is set (the kind has rules
 * only user space evaluates: every event the kernel does not decide goes up).
 * This is src/policy/kernel-reference.ts's model, rule for rule.
 * rule_id = the hit's rule id; 0 with MATCH set means "default posture or user space decides". */
#ifndef __OA_RULES_H
#define __OA_RULES_H

#define OA_RK_PROCESS 1
#define OA_RK_FILE 2
#define OA_RK_NETWORK 3
#define OA_RK_CAPABILITY 4
#define OA_RK_SYSCALL 5

/* verdict bits */
#define OA_V_MATCH (1U << 0)
#define OA_V_KILL (1U << 1)
#define OA_V_DENY (1U << 2) /* BPF-LSM mode: lsm.bpf.c's hook refuses this operation (EACCES) */

/* oa_rule_val.flags (src/kernel/rule-types.ts RuleFlag) */
#define OA_RF_BLOCK (1U << 0)
#define OA_RF_AUDIT (1U << 1)
#define OA_RF_ALLOW (1U << 2)
#define OA_RF_DIR (1U << 3)
#define OA_RF_RECURSIVE (1U << 4)
#define OA_RF_READ_ONLY (1U << 5)
#define OA_RF_OWNER_ONLY (1U << 6)
#define OA_RF_EXEC_NAME (1U << 7) /* process target is an exec basename (no '/') */

/* oa_posture_val.mode: low byte PostureMode (src/kernel/rule-types.ts), plus OA_PM_USER */
#define OA_PM_NONE 0
#define OA_PM_AUDIT 1
#define OA_PM_BLOCK 2
#define OA_PM_MODE_MASK 0xffU
#define OA_PM_USER (1U << 8) /* PostureUserSpace: send undecided events to user space */

/* Access word of rules__check_path (rules__access). */
#define OA_ACC_READ 0  /* O_RDONLY: exec, read-only opens */
#define OA_ACC_WRITE 1 /* O_WRONLY: unlink, rmdir, chmod, chown modify the target */
#define OA_ACC_OWNER (1U << 30) /* the caller's uid owns the target (unknown owner: not set) */

/* oa_enforce[0] (src/enforcer/mode.ts) */
#define OA_ENF_AUDIT 0 /* never kill, never deny */
#define OA_ENF_KILL 1  /* sensors SIGKILL on OA_V_KILL; netblock denies */
#define OA_ENF_LSM 2   /* lsm.bpf.c denies; sensors only flag */

#define OA_RULE_PATH_MAX 256 /* target/source bytes including the NUL (RULE_PATH_MAX) */
#define OA_RULE_DIR_DEPTH 16 /* ancestor levels tried (RULE_DIR_DEPTH) */
#define OA_NET_NUM_SOCKTYPE_BASE 256
#define OA_RULES_MAX_ENTRIES 16384
#define OA_POSTURES_MAX_ENTRIES 4096
#define OA_EXE_CACHE_ENTRIES 8192
#define OA_PATH_WALK_MAX 48 /* dentry components walked for an exe path */
#define OA_RULES_PID_INIT_INO 0xEFFFFFFCU /* PROC_PID_INIT_INO: the host pid ns */
#define OA_O_ACCMODE 3

/* Wire layout, little endian, no implicit padding (src/kernel/rules.ts encodes it):
 *   0 pid_ns u32 | 4 mnt_ns u32 | 8 kind u32 | 12 num u32 | 16 target[256] | 272 source[256]
 * target/source are NUL-terminated and zero-filled to 256 bytes; "" = all zero. Path rules
 * have num = 0; number rules have target = "". Directory targets end with '/'. */
struct oa_rule_key {
	__u32 pid_ns;
	__u32 mnt_ns;
	__u32 kind;
	__u32 num;
	char target[OA_RULE_PATH_MAX];
	char source[OA_RULE_PATH_MAX];
};
#define OA_RULE_KEY_SIZE 528

struct oa_rule_val {
	__u32 rule_id;
	__u32 flags;
};
#define OA_RULE_VAL_SIZE 8

struct oa_posture_key {
	__u32 pid_ns;
	__u32 mnt_ns;
	__u32 kind;
	__u32 pad;
};
#define OA_POSTURE_KEY_SIZE 16

struct oa_posture_val {
	__u32 mode;
};
#define OA_POSTURE_VAL_SIZE 4

struct oa_exe_ent {
	__u64 file; /* struct file * of mm->exe_file when cached: a new exec installs a new file */
	__u64 ino;
	char path[OA_RULE_PATH_MAX];
};

struct oa_rules_scratch {
	struct oa_rule_key ks; /* (T, S) */
	struct oa_rule_key ka; /* (T, "") */
	struct oa_rule_key kx; /* (basename(T), S) then (basename(T), "") for execname rules */
	struct oa_exe_ent ent;
	char walk[2 * OA_RULE_PATH_MAX];
	char tpath[OA_RULE_PATH_MAX]; /* target path for callers without their own (lsm.bpf.c) */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OA_RULES_MAX_ENTRIES);
	__type(key, struct oa_rule_key);
	__type(value, struct oa_rule_val);
} oa_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OA_POSTURES_MAX_ENTRIES);
	__type(key, struct oa_posture_key);
	__type(value, struct oa_posture_val);
} oa_postures SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} oa_enforce SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, OA_EXE_CACHE_ENTRIES);
	__type(key, __u32);
	__type(value, struct oa_exe_ent);
} oa_exe_cache SEC(".maps");

/* Per-CPU scratch. BPF programs run with migration disabled; a preempting program on the same
 * CPU using the same object's scratch could overwrite it, at worst making one lookup miss. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct oa_rules_scratch);
} oa_rules_buf SEC(".maps");

/* Result of a map lookup sequence. */
struct oa_rule_hit {
	__u32 found;
	__u32 rule_id;
	__u32 flags;
};

static __always_inline struct oa_rules_scratch *rules__scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&oa_rules_buf, &zero);
}

static __always_inline __u32 rules__enforce_mode(void)
{
	__u32 zero = 0;
	__u32 *m = bpf_map_lookup_elem(&oa_enforce, &zero);
	return m ? *m : OA_ENF_AUDIT;
}

/* clang turns large zeroing into a memset call BPF cannot make: store u64 words, with a
 * compiler barrier so the stores are not merged back into one. */
static __always_inline void rules__zero(void *p, __u32 words)
{
	__u64 *w = p;
	__u32 i;

#pragma clang loop unroll(full)
	for (i = 0; i < OA_RULE_KEY_SIZE / 8; i++) {
		if (i < words) {
			w[i] = 0;
			asm volatile("" ::: "memory");
		}
	}
}

static __always_inline void rules__zero_key(struct oa_rule_key *k)
{
	rules__zero(k, OA_RULE_KEY_SIZE / 8);
}

/* Container of a task: (active pid ns inode, mnt ns inode); host (initial pid ns) = (0, 0). */
static __always_inline void rules__container(struct task_struct *task, __u32 *pid_ns, __u32 *mnt_ns)
{
	unsigned int level = BPF_CORE_READ(task, thread_pid, level);
	struct upid up = {};
	struct pid *tp = BPF_CORE_READ(task, thread_pid);

	bpf_probe_read_kernel(&up, sizeof(up), &tp->numbers[level & 31]);
	*pid_ns = BPF_CORE_READ(up.ns, ns.inum);
	*mnt_ns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	if (*pid_ns == OA_RULES_PID_INIT_INO) {
		*pid_ns = 0;
		*mnt_ns = 0;
	}
}

struct oa_walk_ctx {
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	int off;  /* start of the path written so far in walk[0..255] */
	int done; /* 1 = reached the namespace root, -1 = does not fit */
};

/* bpf_loop body: one dentry (or one mount crossing) per call, prepending "/name". */
static long rules__walk_step(__u32 idx, void *ctx)
{
	struct oa_walk_ctx *w = ctx;
	struct oa_rules_scratch *s = rules__scratch();
	struct dentry *dentry = w->dentry, *parent, *mnt_root;
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct mount *mnt = w->mnt, *mnt_parent;
	struct qstr name;
	__u32 len;
	int off;

	if (!s) {
		w->done = -1;
		return 1;
	}
	/* BPF_CORE_READ relocates its whole first argument: pass plain locals. */
	mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	parent = BPF_CORE_READ(dentry, d_parent);
	if (dentry == mnt_root || dentry == parent) {
		if (dentry != mnt_root) {
			w->done = 1; /* filesystem root that is not a mount root */
			return 1;
		}
		mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
		if (mnt == mnt_parent) {
			/* A mount without a parent is the root of a mount namespace, or an internal
			 * mount (mnt_ns MNT_NS_INTERNAL, ERR_PTR(-EINVAL)): overlayfs opens each real
			 * file on a private clone of its layer (clone_private_mount), and those opens
			 * pass through security_file_open too; no namespace can name such a path. */
			long ns = (long)BPF_CORE_READ(mnt, mnt_ns);

			w->done = ns == 0 || (ns < 0 && ns >= -4095) ? -1 : 1;
			return 1;
		}
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = mnt_parent;
		w->vfsmnt = &mnt_parent->mnt;
		return 0;
	}
	name = BPF_CORE_READ(dentry, d_name);
	len = name.len;
	off = w->off;
	if (len == 0 || len > OA_RULE_PATH_MAX - 2 || (int)len + 1 > off) {
		w->done = -1;
		return 1;
	}
	off -= len;
	bpf_probe_read_kernel(&s->walk[off & (OA_RULE_PATH_MAX - 1)], len & (OA_RULE_PATH_MAX - 1),
			      name.name);
	off -= 1;
	s->walk[off & (OA_RULE_PATH_MAX - 1)] = '/';
	w->off = off;
	w->dentry = parent;
	return 0;
}

/* Absolute path of (dentry, vfsmnt) as seen from the task's mount namespace root, written
 * NUL-terminated at the end of s->walk[0..255]; returns the start offset (0..254) or -1 when
 * deeper than OA_PATH_WALK_MAX, longer than 255 bytes, or on an internal mount (overlayfs'
 * opens of its layers' real files: the open of the overlay file itself was checked). */
static __always_inline int rules__d_path(struct oa_rules_scratch *s, struct dentry *dentry,
					 struct vfsmount *vfsmnt)
{
	struct oa_walk_ctx w = {
		.dentry = dentry,
		.vfsmnt = vfsmnt,
		.mnt = container_of(vfsmnt, struct mount, mnt),
		.off = OA_RULE_PATH_MAX - 1,
	};

	s->walk[OA_RULE_PATH_MAX - 1] = 0;
	bpf_loop(OA_PATH_WALK_MAX, rules__walk_step, &w, 0);
	if (w.done != 1)
		return -1;
	if (w.off == OA_RULE_PATH_MAX - 1) {
		w.off -= 1;
		s->walk[OA_RULE_PATH_MAX - 2] = '/';
	}
	return w.off;
}

/* Writes the exe path of `task` (mm->exe_file) into dst[256] (zero-filled); returns 1 when
 * known, 0 when the task has no mm/exe or the path does not fit. Cached per tgid in
 * oa_exe_cache, validated against the exe_file pointer and inode so an exec refreshes it. */
static __always_inline int rules__exe_path(struct oa_rules_scratch *s, struct task_struct *task,
					   char *dst)
{
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct oa_exe_ent *cached;
	__u64 ino;
	int off;

	if (!exe)
		return 0;
	ino = BPF_CORE_READ(exe, f_inode, i_ino);
	cached = bpf_map_lookup_elem(&oa_exe_cache, &tgid);
	if (cached && cached->file == (__u64)exe && cached->ino == ino) {
		__builtin_memcpy(dst, cached->path, OA_RULE_PATH_MAX);
		return 1;
	}
	off = rules__d_path(s, BPF_CORE_READ(exe, f_path.dentry), BPF_CORE_READ(exe, f_path.mnt));
	if (off < 0)
		return 0;
	rules__zero(s->ent.path, OA_RULE_PATH_MAX / 8);
	bpf_probe_read_kernel_str(s->ent.path, OA_RULE_PATH_MAX, &s->walk[off & (OA_RULE_PATH_MAX - 1)]);
	s->ent.file = (__u64)exe;
	s->ent.ino = ino;
	bpf_map_update_elem(&oa_exe_cache, &tgid, &s->ent, BPF_ANY);
	__builtin_memcpy(dst, s->ent.path, OA_RULE_PATH_MAX);
	return 1;
}

/* Fills s->ks / s->ka with (C, kind, num, "", S) / (C, kind, num, "", ""); returns whether S is
 * known. The source task is the caller, or its real parent for process rules. */
static __always_inline int rules__prepare(struct oa_rules_scratch *s, __u32 kind, __u32 num)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct task_struct *src = task;
	int has_src;

	rules__zero_key(&s->ks);
	rules__zero_key(&s->ka);
	rules__container(task, &s->ks.pid_ns, &s->ks.mnt_ns);
	s->ks.kind = kind;
	s->ks.num = num;
	if (kind == OA_RK_PROCESS)
		src = BPF_CORE_READ(task, real_parent);
	has_src = rules__exe_path(s, src, s->ks.source);
	s->ka.pid_ns = s->ks.pid_ns;
	s->ka.mnt_ns = s->ks.mnt_ns;
	s->ka.kind = kind;
	s->ka.num = num;
	return has_src;
}

static __always_inline int rules__take(struct oa_rule_val *v, struct oa_rule_hit *hit)
{
	if (!v)
		return 0;
	hit->found = 1;
	hit->rule_id = v->rule_id;
	hit->flags = v->flags;
	return 1;
}

/* (T,S) then (T,"") for the keys as they are now. */
static __always_inline int rules__find_pair(struct oa_rules_scratch *s, int has_src,
					    struct oa_rule_hit *hit)
{
	if (has_src && rules__take(bpf_map_lookup_elem(&oa_rules, &s->ks), hit))
		return 1;
	return rules__take(bpf_map_lookup_elem(&oa_rules, &s->ka), hit);
}

struct oa_dir_walk {
	__u32 len;   /* strlen of the target */
	__u32 depth; /* ancestor levels tried so far (0 = the direct parent is next) */
	__u32 has_src;
	__u32 truncated;
	struct oa_rule_hit hit;
};

/* bpf_loop body, idx 0..len-1 scans target right to left (j = len-1-idx). Invariant: all bytes
 * of both keys' targets after j are zero, so at a '/' the keys hold the ancestor "…/". */
static long rules__dir_step(__u32 idx, void *ctx)
{
	struct oa_dir_walk *w = ctx;
	struct oa_rules_scratch *s = rules__scratch();
	struct oa_rule_val *v;
	__u32 j;

	if (!s || idx >= w->len)
		return 1;
	j = (w->len - 1 - idx) & (OA_RULE_PATH_MAX - 1);
	if (s->ks.target[j] == '/' && (j != w->len - 1 || w->truncated)) {
		int direct = w->depth == 0 && !w->truncated;

		if (w->has_src) {
			v = bpf_map_lookup_elem(&oa_rules, &s->ks);
			if (v && (v->flags & OA_RF_DIR) && (direct || (v->flags & OA_RF_RECURSIVE))) {
				rules__take(v, &w->hit);
				return 1;
			}
		}
		v = bpf_map_lookup_elem(&oa_rules, &s->ka);
		if (v && (v->flags & OA_RF_DIR) && (direct || (v->flags & OA_RF_RECURSIVE))) {
			rules__take(v, &w->hit);
			return 1;
		}
		w->depth++;
		if (w->depth >= OA_RULE_DIR_DEPTH)
			return 1;
	}
	s->ks.target[j] = 0;
	s->ka.target[j] = 0;
	return 0;
}

struct oa_slash_scan {
	__u32 len;
	__u32 last; /* index of the last '/' in ks.target */
};

/* bpf_loop body: index of the last '/' of ks.target[0..len-1], scanning right to left. */
static long rules__slash_step(__u32 idx, void *ctx)
{
	struct oa_slash_scan *w = ctx;
	struct oa_rules_scratch *s = rules__scratch();
	__u32 j;

	if (!s || idx >= w->len)
		return 1;
	j = (w->len - 1 - idx) & (OA_RULE_PATH_MAX - 1);
	if (s->ks.target[j] == '/') {
		w->last = j;
		return 1;
	}
	return 0;
}

/* execname rules (process): (C, K, basename(T), S) then (C, K, basename(T), ""), entries with
 * OA_RF_EXEC_NAME. KubeArmor matches an execname when the exec path ends with "/" + name. */
static __always_inline int rules__find_execname(struct oa_rules_scratch *s, __u32 len, int has_src,
						 struct oa_rule_hit *hit)
{
	struct oa_slash_scan w = { .len = len };
	struct oa_rule_val *v;

	bpf_loop(OA_RULE_PATH_MAX, rules__slash_step, &w, 0);
	if (w.last + 1 >= len)
		return 0;
	s->kx.pid_ns = s->ks.pid_ns;
	s->kx.mnt_ns = s->ks.mnt_ns;
	s->kx.kind = s->ks.kind;
	s->kx.num = 0;
	__builtin_memcpy(s->kx.source, s->ks.source, OA_RULE_PATH_MAX);
	rules__zero(s->kx.target, OA_RULE_PATH_MAX / 8);
	bpf_probe_read_kernel_str(s->kx.target, OA_RULE_PATH_MAX,
				  &s->ks.target[(w.last + 1) & (OA_RULE_PATH_MAX - 1)]);
	if (has_src) {
		v = bpf_map_lookup_elem(&oa_rules, &s->kx);
		if (v && (v->flags & OA_RF_EXEC_NAME))
			return rules__take(v, hit);
	}
	rules__zero(s->kx.source, OA_RULE_PATH_MAX / 8);
	v = bpf_map_lookup_elem(&oa_rules, &s->kx);
	if (v && (v->flags & OA_RF_EXEC_NAME))
		return rules__take(v, hit);
	return 0;
}

/* Rule lookup for an absolute path (rule-types.ts order). Leaves the keys modified. */
static __always_inline int rules__find_path(struct oa_rules_scratch *s, __u32 kind,
					    const char *abs_path, struct oa_rule_hit *hit)
{
	struct oa_dir_walk w = {};
	char last = 0;
	long n;

	w.has_src = rules__prepare(s, kind, 0);
	n = bpf_probe_read_kernel_str(s->ks.target, OA_RULE_PATH_MAX, abs_path);
	if (n <= 1)
		return 0;
	w.len = (__u32)(n - 1);
	if (n == OA_RULE_PATH_MAX) {
		bpf_probe_read_kernel(&last, 1, abs_path + OA_RULE_PATH_MAX - 1);
		w.truncated = last != 0;
	}
	__builtin_memcpy(s->ka.target, s->ks.target, OA_RULE_PATH_MAX);
	if (!w.truncated && rules__find_pair(s, w.has_src, hit))
		return 1;
	if (kind == OA_RK_PROCESS && !w.truncated && rules__find_execname(s, w.len, w.has_src, hit))
		return 1;
	bpf_loop(OA_RULE_PATH_MAX, rules__dir_step, &w, 0);
	if (w.hit.found) {
		*hit = w.hit;
		return 1;
	}
	return 0;
}

/* Rule lookup for a number (network/capability/syscall). */
static __always_inline int rules__find_num(struct oa_rules_scratch *s, __u32 kind, __u32 num,
					   struct oa_rule_hit *hit)
{
	int has_src = rules__prepare(s, kind, num);

	return rules__find_pair(s, has_src, hit);
}

/* Same container/source as the last rules__prepare; only num changes. */
static __always_inline int rules__find_num_again(struct oa_rules_scratch *s, __u32 num,
						 struct oa_rule_hit *hit)
{
	s->ks.num = num;
	s->ka.num = num;
	return rules__find_pair(s, s->ks.source[0] != 0, hit);
}

/* Raw oa_posture_val.mode (PostureMode | OA_PM_USER). */
static __always_inline __u32 rules__posture(struct oa_rules_scratch *s, __u32 kind)
{
	struct oa_posture_key pk = { .pid_ns = s->ka.pid_ns, .mnt_ns = s->ka.mnt_ns, .kind = kind };
	struct oa_posture_val *pv = bpf_map_lookup_elem(&oa_postures, &pk);

	return pv ? pv->mode : OA_PM_NONE;
}

/* Internal decision bit of rules__decide: the policy denies the operation (Block hit or
 * AllowListBlock posture); what that means depends on the enforcer mode. */
#define OA_D_DENY (1U << 8)

/* access: the rules__access word (0 for number kinds). */
static __always_inline __u32 rules__decide(struct oa_rules_scratch *s, __u32 kind, int found,
					   struct oa_rule_hit *hit, __u32 access, __u32 *rule_id)
{
	__u32 pv, mode;

	*rule_id = 0;
	if (found) {
		int write = (access & OA_O_ACCMODE) != 0;
		int ro = (hit->flags & OA_RF_READ_ONLY) != 0;
		int oo = (hit->flags & OA_RF_OWNER_ONLY) != 0;
		int sat = (!ro || !write) && (!oo || (access & OA_ACC_OWNER));

		if (hit->flags & OA_RF_ALLOW) {
			if (sat)
				return 0; /* allowed by the rule: silent */
		} else if (!((ro || oo) && sat)) {
			*rule_id = hit->rule_id;
			if (hit->flags & OA_RF_BLOCK)
				return OA_V_MATCH | OA_D_DENY;
			return OA_V_MATCH;
		}
		/* not allowed by its Allow rule, or exempt from its Block/Audit rule: the posture */
	}
	pv = rules__posture(s, kind);
	mode = pv & OA_PM_MODE_MASK;
	if (mode == OA_PM_AUDIT)
		return OA_V_MATCH;
	if (mode == OA_PM_BLOCK)
		return OA_V_MATCH | OA_D_DENY;
	return (pv & OA_PM_USER) ? OA_V_MATCH : 0;
}

/* Access word for rules__check_path: O_ACCMODE of `flags` (O_RDONLY = read, O_WRONLY/O_RDWR =
 * write) plus OA_ACC_OWNER when owner_uid (the target inode's i_uid, -1 unknown) is the
 * caller's uid (the header's uid: low 32 bits of bpf_get_current_uid_gid, KubeArmor's UID). */
static __always_inline __u32 rules__access(__u32 flags, __s32 owner_uid)
{
	__u32 a = flags & OA_O_ACCMODE;

	if (owner_uid >= 0 && (__u32)owner_uid == (__u32)bpf_get_current_uid_gid())
		a |= OA_ACC_OWNER;
	return a;
}

/* Sensors' verdict: OA_D_DENY becomes OA_V_KILL only in kill-on-attempt mode and never for
 * network (netblock denies those before the syscall does anything); in BPF-LSM mode it becomes
 * OA_V_DENY (a sensor that runs before the LSM hook's verdict is applied, the capability
 * sensor, reports the denial it cannot see). */
static __always_inline __u32 rules__verdict(struct oa_rules_scratch *s, __u32 kind, int found,
					    struct oa_rule_hit *hit, __u32 access, __u32 *rule_id)
{
	__u32 d = rules__decide(s, kind, found, hit, access, rule_id);
	__u32 v = d & OA_V_MATCH;

	__u32 mode = rules__enforce_mode();

	if ((d & OA_D_DENY) && kind != OA_RK_NETWORK && mode == OA_ENF_KILL)
		v |= OA_V_KILL;
	if ((d & OA_D_DENY) && mode == OA_ENF_LSM)
		v |= OA_V_DENY;
	return v;
}

/* Both checks are global BPF functions: the verifier checks each once per program, whatever the
 * caller's state, instead of once per distinct state reaching the call (which multiplied the
 * sensors' verification cost). Arguments must be non-NULL pointers into BPF memory.
 *
 * abs_path points to a NUL-terminated absolute path in BPF memory (per-CPU scratch);
 * access is the rules__access word; rule_id receives the matched rule id or 0. */
__noinline __u32 rules__check_path(__u32 kind, const char *abs_path, __u32 access,
					       __u32 *rule_id)
{
	struct oa_rules_scratch *s;
	struct oa_rule_hit hit = {};
	int found;

	if (!rule_id) /* global-function pointer arguments may be NULL to the verifier */
		return 0;
	*rule_id = 0;
	s = rules__scratch();
	if (!s || !abs_path)
		return 0;
	found = rules__find_path(s, kind, abs_path, &hit);
	return rules__verdict(s, kind, found, &hit, access, rule_id);
}

__noinline __u32 rules__check_num(__u32 kind, __u32 num, __u32 *rule_id)
{
	struct oa_rules_scratch *s;
	struct oa_rule_hit hit = {};
	int found;

	if (!rule_id)
		return 0;
	*rule_id = 0;
	s = rules__scratch();
	if (!s)
		return 0;
	found = rules__find_num(s, kind, num, &hit);
	return rules__verdict(s, kind, found, &hit, 0, rule_id);
}

/* Network events: protocol (IPPROTO_*, 0 = unknown: skipped) then NET_NUM_SOCKTYPE_BASE + type,
 * first hit decides, posture once; never OA_V_KILL (bpf/netblock.bpf.c denies instead).
 * Use this rather than two rules__check_num calls, which would apply the posture twice. */
__noinline __u32 rules__check_net(__u32 protocol, __u32 type, __u32 *rule_id)
{
	struct oa_rules_scratch *s;
	struct oa_rule_hit hit = {};
	int found = 0;

	if (!rule_id)
		return 0;
	*rule_id = 0;
	s = rules__scratch();
	if (!s)
		return 0;
	if (protocol)
		found = rules__find_num(s, OA_RK_NETWORK, protocol, &hit);
	else
		rules__prepare(s, OA_RK_NETWORK, 0);
	if (!found)
		found = rules__find_num_again(s, OA_NET_NUM_SOCKTYPE_BASE + type, &hit);
	return rules__verdict(s, OA_RK_NETWORK, found, &hit, 0, rule_id);
}

#endif /* __OA_RULES_H */
