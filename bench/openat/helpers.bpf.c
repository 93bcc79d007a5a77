/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What one helper call or access pattern costs inside a BPF program on this kernel: the
 * program on sys_exit_getppid runs operation `mode` 64 times in a bpf_loop between two
 * bpf_ktime_get_ns() readings and accumulates ns and count per mode (helpers.ts subtracts mode
 * 0, the loop's own cost). Measured warm (the same cache lines every time), so these are floors:
 * in a sensor the code and data are colder. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct big {
	char a[512];
	char b[512];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct big);
} scratch SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u32);
} vis SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 24);
} rb SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} ts SEC(".maps");

__u64 total[32], count[32];
const volatile __u32 mode = 0;

static long op(__u32 i, void *ctx)
{
	__u32 zero = 0;
	struct big *s = bpf_map_lookup_elem(&scratch, &zero);
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 k = 5;

	if (!s)
		return 1;
	switch (mode) {
	case 1: s->a[0] = bpf_ktime_get_boot_ns(); break;
	case 2: bpf_get_current_comm(s->a, 16); break;
	case 3: __builtin_memcpy(s->a, t->comm, 16); break;
	case 4: s->a[0] = bpf_get_current_cgroup_id(); break;
	case 5: s->a[0] = t->cgroups->dfl_cgrp->kn->id; break;
	case 6: s->a[0] = bpf_get_current_pid_tgid() + bpf_get_current_uid_gid(); break;
	case 7: s->a[0] = t->tgid + t->pid + t->cred->uid.val + t->cred->gid.val; break;
	case 8: { long x; bpf_probe_read_kernel(&x, 8, &t->fs); s->a[0] = x; break; }
	case 9: s->a[0] = (long)t->fs->root.dentry->d_parent->d_name.name; break;
	case 10: bpf_probe_read_kernel(s->a, 256, s->b); break;
	case 11: bpf_probe_read_kernel_str(s->a, 256, t->comm); break;
	case 12: { __u32 *v = bpf_map_lookup_elem(&vis, &k); if (v) s->a[0] = *v; break; }
	case 13: { __u64 *v = bpf_task_storage_get(&ts, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE); if (v) s->a[0] = *v; break; }
	case 14: { void *r = bpf_ringbuf_reserve(&rb, 624, 0); if (r) bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP); break; }
	case 15: s->a[0] = bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA); break;
	case 17: s->a[0] = bpf_get_current_task_btf()->pid; break;
	case 18: s->a[0] = bpf_get_current_pid_tgid(); break;
	case 16: { struct pt_regs *r = (struct pt_regs *)bpf_task_pt_regs(t); s->a[0] = r->di + r->si; break; }
	}
	return 0;
}

SEC("tp/syscalls/sys_exit_getppid")
int helpers(void *ctx)
{
	__u64 t0 = bpf_ktime_get_ns();
	bpf_loop(64, op, NULL, 0);
	__u64 t1 = bpf_ktime_get_ns();
	total[mode & 31] += t1 - t0;
	count[mode & 31] += 64;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
