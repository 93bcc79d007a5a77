/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* File sensor: open family, unlink family, chown family, chmod family (x86_64 numbers).
 * sys_exit only: the exit program reads the arguments from the task's pt_regs (args__from_regs) and
 * emits one oa_file with the return value; there is no enter program. A successful
 * open reports the absolute path of the new fd's struct file and its inode owner; every other
 * case reports the path argument as given plus the cwd when it is relative to AT_FDCWD. */
#include "lib/path.h"
#include "lib/args.h"

#define NR_OPEN 2
#define NR_OPENAT 257
#define NR_OPENAT2 437
#define NR_UNLINK 87
#define NR_UNLINKAT 263
#define NR_RMDIR 84
#define NR_CHOWN 92
#define NR_FCHOWN 93
#define NR_LCHOWN 94
#define NR_FCHOWNAT 260
#define NR_CHMOD 90
#define NR_FCHMOD 91
#define NR_FCHMODAT 268

/* Argument positions per syscall: path pointer, dirfd, flags, mode, uid/gid, fd. */
static __always_inline const char *file__decode(struct oa_sys_args *a, struct oa_file *e, int *fd)
{
	const char *path = NULL;
	*fd = -1;
	switch (a->nr) {
	case NR_OPEN:
		path = (const char *)a->a[0];
		e->flags = a->a[1];
		e->mode = a->a[2];
		break;
	case NR_OPENAT:
		e->dirfd = a->a[0];
		path = (const char *)a->a[1];
		e->flags = a->a[2];
		e->mode = a->a[3];
		break;
	case NR_OPENAT2: {
		struct open_how how = {};
		e->dirfd = a->a[0];
		path = (const char *)a->a[1];
		bpf_probe_read_user(&how, sizeof(how), (void *)a->a[2]);
		e->flags = how.flags;
		e->mode = how.mode;
		break;
	}
	case NR_UNLINK:
	case NR_RMDIR:
		path = (const char *)a->a[0];
		break;
	case NR_UNLINKAT:
		e->dirfd = a->a[0];
		path = (const char *)a->a[1];
		e->flags = a->a[2];
		break;
	case NR_CHOWN:
	case NR_LCHOWN:
		path = (const char *)a->a[0];
		e->owner_uid = a->a[1];
		e->owner_gid = a->a[2];
		break;
	case NR_FCHOWN:
		*fd = e->dirfd = a->a[0];
		e->owner_uid = a->a[1];
		e->owner_gid = a->a[2];
		break;
	case NR_FCHOWNAT:
		e->dirfd = a->a[0];
		path = (const char *)a->a[1];
		e->owner_uid = a->a[2];
		e->owner_gid = a->a[3];
		e->flags = a->a[4];
		break;
	case NR_CHMOD:
		path = (const char *)a->a[0];
		e->mode = a->a[1];
		break;
	case NR_FCHMOD:
		*fd = e->dirfd = a->a[0];
		e->mode = a->a[1];
		break;
	case NR_FCHMODAT:
		e->dirfd = a->a[0];
		path = (const char *)a->a[1];
		e->mode = a->a[2];
		break;
	}
	return path;
}

_Static_assert(__builtin_offsetof(struct oa_file, cwd) == __builtin_offsetof(struct oa_file, path) + OA_PATH_LEN &&
		       sizeof(struct oa_file) == __builtin_offsetof(struct oa_file, cwd) + OA_PATH_LEN,
	       "oa_file: path and cwd are the last 2 * OA_PATH_LEN bytes (file__exit walks into them)");

static __always_inline int file__is_open(__u64 nr)
{
	return nr == NR_OPEN || nr == NR_OPENAT || nr == NR_OPENAT2;
}

/* The record is built here, per CPU, and copied to the ring at its length (rb__output). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct oa_file);
} oa_file_build SEC(".maps");

/* One file syscall exit that sensor__want wanted (`want`: OA_W_*; `ns`: pid ns << 32 | mnt ns).
 * A global function: verified once per exit program, on its own, whatever state its caller is
 * in; every sys_exit_* record has the same layout (__syscall_nr at 8, ret at 16).
 * Wire: a record without cwd ends after the path's NUL, rounded up to 8 bytes (OA_FILE_SIZE is
 * the most); a path of /etc/hostname makes a 128-byte record instead of 624. */
__noinline int file__exit(long id, long ret, __u32 want, __u64 ns)
{
	struct oa_scratch *s = scratch__get();
	__u32 pid_ns = ns >> 32, mnt_ns = (__u32)ns, rid = 0, verdict = 0, zero = 0, plen = 0;
	int visible = want & OA_W_VISIBLE, rules = want & OA_W_RULES;
	struct oa_sys_args a;
	struct oa_file *e;
	struct file *f = NULL;
	const char *upath;
	int flags, fd, cut = 0, r;
	__u64 len;

	e = bpf_map_lookup_elem(&oa_file_build, &zero);
	if (!s || !e) {
		rb__lost(OA_OP_FILE);
		return 0;
	}
	args__from_regs(&a, id);
	hdr__fill(&e->hdr, OA_OP_FILE, sizeof(*e), pid_ns, mnt_ns);
	e->hdr.flags = 0;
	e->hdr.rule_id = 0;
	e->ret = ret;
	e->dirfd = 0;
	e->flags = 0;
	e->mode = 0;
	e->owner_uid = -1;
	e->owner_gid = -1;
	e->file_owner_uid = -1;
	e->nr = a.nr;
	e->pad = 0;
	e->path[0] = 0;
	e->cwd[0] = 0;
	upath = file__decode(&a, e, &fd);

	if (file__is_open(a.nr) && ret >= 0)
		f = file__from_fd(ret);
	else if (fd >= 0)
		f = file__from_fd(fd);
	if (f) {
		/* Built in place: path and cwd are the 2 * OA_PATH_LEN bytes the walk needs; cwd
		 * (unused with an fd) is cleared after it. s->abs only feeds the rule check. */
		r = path__resolve_wide(oa_word_at(&f->f_path.dentry), oa_word_at(&f->f_path.mnt),
				       (struct oa_path_wide *)e->path);
		if (r >= 0) {
			cut = r & 1;
			plen = r >> 1;
		} else {
			e->path[0] = 0;
		}
		e->cwd[0] = 0;
		if (file__is_open(a.nr)) {
			struct inode *ino = oa_rd(f, f_inode);

			e->file_owner_uid = oa_rd(ino, i_uid.val);
		}
		if (rules)
			bpf_probe_read_kernel(s->abs, OA_PATH_LEN, e->path);
	} else if (upath) {
		r = bpf_probe_read_user_str(e->path, sizeof(e->path), upath);
		if (r == OA_PATH_LEN)
			cut = 1;
		if (r > 0)
			plen = r - 1;
		else
			e->path[0] = 0;
		if (e->path[0] == '/') {
			bpf_probe_read_kernel(s->abs, OA_PATH_LEN, e->path);
		} else if (e->dirfd == OA_AT_FDCWD || a.nr == NR_OPEN || a.nr == NR_UNLINK ||
			   a.nr == NR_RMDIR || a.nr == NR_CHOWN || a.nr == NR_LCHOWN ||
			   a.nr == NR_CHMOD) {
			if (path__cwd(e->cwd) > 0)
				cut = 1;
			path__join(s->abs, e->cwd, e->path);
		} else {
			s->abs[0] = 0;
		}
	} else {
		s->abs[0] = 0;
	}
	if (rules && s->abs[0] == '/')
		verdict = rules__check_path(OA_RK_FILE, s->abs,
					    rules__access(file__is_open(a.nr) ? e->flags : OA_ACC_WRITE,
							  e->file_owner_uid), &rid);
	flags = verdict__apply(visible, verdict, OA_OP_FILE);
	if (flags < 0)
		return 0;
	plen &= OA_PATH_LEN - 1;
	len = e->cwd[0] ? sizeof(*e) : __builtin_offsetof(struct oa_file, path) + ((plen + 8) & ~7U);
	if (len > sizeof(*e))
		len = sizeof(*e);
	e->hdr.size = len;
	e->hdr.flags = flags | (cut > 0 ? OA_F_TRUNCATED : 0);
	e->hdr.rule_id = rid;
	rb__output(e, len, OA_OP_FILE, flags);
	return 0;
}

/* Each exit program decides the invisible case (the common one on a node) itself, then calls
 * file__exit: no tail call (an indirect jump through a prog array) and no second visibility
 * lookup. */
#define OA_FILE_HOOK(name) OA_EXIT_HOOK(name, OA_VIS_FILE, OA_RK_FILE, OA_OP_FILE, file__exit)

OA_FILE_HOOK(open)
OA_FILE_HOOK(openat)
OA_FILE_HOOK(openat2)
OA_FILE_HOOK(unlink)
OA_FILE_HOOK(unlinkat)
OA_FILE_HOOK(rmdir)
OA_FILE_HOOK(chown)
OA_FILE_HOOK(fchown)
OA_FILE_HOOK(lchown)
OA_FILE_HOOK(fchownat)
OA_FILE_HOOK(chmod)
OA_FILE_HOOK(fchmod)
OA_FILE_HOOK(fchmodat)
