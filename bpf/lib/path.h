/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Absolute paths from struct path without bpf_d_path (not callable from tracepoints): walk
 * d_parent up to the task's fs->root, crossing mounts through mnt_mountpoint/mnt_parent, at
 * most OA_PATH_DEPTH components; the result is relative to the caller's root (container
 * paths for containers, like KubeArmor). */
#ifndef __OA_PATH_H
#define __OA_PATH_H

#include "common.h"

struct path__walk_ctx {
	struct oa_scratch *s;
	char *out; /* 2 * OA_PATH_LEN bytes: see path__resolve_wide */
	struct dentry *d, *root_d;
	struct vfsmount *vm, *root_m;
	struct mount *m;
	__u32 n;
	__u32 pos;
	int cut;
};

/* bpf_loop callback (5.17+): one step up the tree; records component dentries in s->dents. */
static long path__up(__u32 i, struct path__walk_ctx *c)
{
	struct dentry *d = c->d, *mroot, *parent;
	struct vfsmount *vm = c->vm;
	struct mount *m = c->m, *mp;

	if (d == c->root_d && vm == c->root_m)
		return 1;
	mroot = oa_rd(vm, mnt_root);
	parent = oa_rd(d, d_parent);
	if (d == mroot || d == parent) {
		mp = oa_rd(m, mnt_parent);
		if (d != mroot) {
			/* Disconnected dentry (its own parent, not a mount root): a memfd or another
			 * pseudo file; d_path() shows it as "/" + its name ("/memfd:x (deleted)"). */
			if (c->n < OA_PATH_DEPTH) {
				c->s->dents[c->n & (OA_PATH_DEPTH - 1)] = d;
				c->n++;
			}
			return 1;
		}
		if (mp == m)
			return 1;
		c->d = oa_rd(m, mnt_mountpoint);
		c->m = mp;
		c->vm = &mp->mnt;
		return 0;
	}
	if (c->n >= OA_PATH_DEPTH) {
		c->cut = 1;
		return 1;
	}
	c->s->dents[c->n & (OA_PATH_DEPTH - 1)] = d;
	c->n++;
	c->d = parent;
	return 0;
}

/* bpf_loop callback: appends "/" + name of component i (root first) to c->out. */
static long path__emit(__u32 i, struct path__walk_ctx *c)
{
	struct dentry *cd;
	__u32 pos = c->pos, len;
	unsigned long name;
	long r;

	if (i >= c->n)
		return 1;
	cd = oa_cast(struct dentry, c->s->dents[(c->n - 1 - i) & (OA_PATH_DEPTH - 1)]);
	c->out[pos & (OA_PATH_LEN - 1)] = '/';
	pos++;
	name = (unsigned long)oa_rd(cd, d_name.name);
	len = oa_rd(cd, d_name.len);
	if (OA_BTF_CAST && bpf_core_field_exists(cd->d_shortname) &&
	    name == (unsigned long)cd + bpf_core_field_offset(struct dentry, d_shortname) &&
	    len < sizeof(cd->d_shortname)) {
		/* Short names (< 40 bytes, DNAME_INLINE_LEN) live in the dentry itself: five word
		 * loads instead of a string-copy helper. Bytes past `len` are scratch. */
		__u64 *w = (__u64 *)&c->out[pos & (OA_PATH_LEN - 1)];
		w[0] = cd->d_shortname.words[0];
		w[1] = cd->d_shortname.words[1];
		w[2] = cd->d_shortname.words[2];
		w[3] = cd->d_shortname.words[3];
		w[4] = cd->d_shortname.words[4];
		pos += len;
	} else {
		r = bpf_probe_read_kernel_str(&c->out[pos & (OA_PATH_LEN - 1)], OA_PATH_LEN, (void *)name);
		if (r > 1)
			pos += r - 1;
	}
	c->pos = pos;
	if (pos >= OA_PATH_LEN - 1) {
		c->cut = 1;
		return 1;
	}
	return 0;
}

/* 2 * OA_PATH_LEN bytes: masked offsets below OA_PATH_LEN plus a copy of up to OA_PATH_LEN. */
struct oa_path_wide {
	char b[OA_PATH_LEN * 2];
};

/* Writes the NUL-terminated path of (dentry `d`, vfsmount `vm`, kernel addresses) into `w`;
 * what lies past the NUL is scratch. The path itself is at most OA_PATH_LEN bytes with its NUL.
 * Returns -1 on error, else (path length without the NUL) << 1 | 1 when the path was cut (depth
 * or length).
 * A global function: the verifier checks it once, on its own, instead of once per caller
 * state (the file exit program reaches it in many; checked inline it took that program to the
 * 1,000,000-instruction limit). Hence numbers (oa_word_at) and a sized buffer as arguments: a BTF
 * pointer argument needs the 6.16+ arg:untrusted tag. */
__noinline int path__resolve_wide(unsigned long d, unsigned long vm, struct oa_path_wide *w)
{
	struct task_struct *t = oa_task();
	struct path__walk_ctx c = {};
	char *out;
	__u32 pos;

	if (!w)
		return -1;
	out = w->b;
	c.s = scratch__get();
	if (!c.s || !d || !vm)
		return -1;
	c.out = out;
	c.root_d = t->fs->root.dentry;
	c.root_m = t->fs->root.mnt;
	c.d = oa_cast(struct dentry, d);
	c.vm = oa_cast(struct vfsmount, vm);
	c.m = oa_cast(struct mount, vm - bpf_core_field_offset(struct mount, mnt));
	bpf_loop(OA_PATH_DEPTH + 8, path__up, &c, 0);
	bpf_loop(OA_PATH_DEPTH, path__emit, &c, 0);
	pos = c.pos;
	if (pos == 0) {
		out[0] = '/';
		pos = 1;
	}
	if (pos < OA_PATH_LEN) {
		asm volatile("" : "+r"(pos)); /* keep the mask: the verifier needs it */
		out[pos & (OA_PATH_LEN - 1)] = 0;
	}
	out[OA_PATH_LEN - 1] = 0;
	if (pos > OA_PATH_LEN - 1)
		pos = OA_PATH_LEN - 1;
	return pos << 1 | (c.cut ? 1 : 0);
}

/* path__resolve_wide into the scratch walk buffer, copied to `out` (OA_PATH_LEN bytes); returns
 * 1 when cut, 0 otherwise, -1 on error. */
static __always_inline int path__resolve(unsigned long d, unsigned long vm, char *out)
{
	struct oa_scratch *s = scratch__get();
	int cut;

	if (!s)
		return -1;
	cut = path__resolve_wide(d, vm, (struct oa_path_wide *)s->walk);
	bpf_probe_read_kernel(out, OA_PATH_LEN, s->walk);
	return cut < 0 ? cut : cut & 1;
}

/* struct file behind `fd` in the current task (a BTF pointer), or NULL. fdt->fd is a plain
 * array of pointers, whose elements are not BTF fields: the element's address is cast to a
 * struct whose first member is a struct file pointer (kiocb.ki_filp, offset 0 by CO-RE), so
 * the element is one direct load too instead of a bpf_probe_read_kernel call. */
static __always_inline struct file *file__from_fd(int fd)
{
	struct fdtable *fdt = oa_task()->files->fdt;
	unsigned long slot;

	if (fd < 0 || (__u32)fd >= fdt->max_fds)
		return NULL;
	slot = (unsigned long)fdt->fd + (__u32)fd * sizeof(struct file *);
	return oa_rd(oa_cast(struct kiocb, slot - bpf_core_field_offset(struct kiocb, ki_filp)), ki_filp);
}

/* cwd of the current task into `out`; returns path__resolve's result. */
static __always_inline int path__cwd(char *out)
{
	struct fs_struct *fs = oa_task()->fs;
	if (!fs)
		return -1;
	return path__resolve(oa_word_at(&fs->pwd.dentry), oa_word_at(&fs->pwd.mnt), out);
}

/* Join cwd (already in `cwd`) and the relative `rel` into `out` (both OA_PATH_LEN). */
static __always_inline void path__join(char *out, const char *cwd, const char *rel)
{
	struct oa_scratch *s = scratch__get();
	long r;
	__u32 pos;

	if (!s)
		return;
	r = bpf_probe_read_kernel_str(s->walk, OA_PATH_LEN, cwd);
	pos = r > 1 ? r - 1 : 0;
	if (pos > 1 || (pos == 1 && s->walk[0] != '/')) {
		s->walk[pos & (OA_PATH_LEN - 1)] = '/';
		pos++;
	}
	bpf_probe_read_kernel_str(&s->walk[pos & (OA_PATH_LEN - 1)], OA_PATH_LEN, rel);
	bpf_probe_read_kernel(out, OA_PATH_LEN, s->walk);
	out[OA_PATH_LEN - 1] = 0;
}

#endif /* __OA_PATH_H */
