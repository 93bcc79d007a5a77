/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Process sensor: exec, fork, exit. Part of the sensors.bpf.c unit. */
#include "lib/path.h"

#define OA_NR_EXECVE 59
#define OA_NR_EXECVEAT 322

/* Lifecycle records (exec, fork, exit, setns) sit in the priority ring; its poller is woken at
 * once so they reach user space before the log-ring records of the same process, which wait for
 * the log poller's timeout (BPF_RB_NO_WAKEUP): otherwise a short-lived process's file event can
 * be enriched before its exec record (no ProcessName, Source or Cwd). */
static __always_inline void lifecycle__submit(void *e, __u32 op)
{
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	counter__add(op, OA_C_EMITTED);
}

/* argv/filename captured at sys_enter_execve(at), keyed by tid; consumed by
 * sched_process_exec (success, looked up by old_pid) or sys_exit_execve(at) (failure). */
struct oa_exec_args {
	__u16 nr;
	__u16 argc;
	__u32 flags;
	__s32 fd;
	__u32 at_flags;
	char filename[OA_PATH_LEN];
	char args[OA_ARGS_MAX][OA_ARG_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct oa_exec_args);
} oa_exec_args_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct oa_exec_args);
} oa_exec_scratch SEC(".maps");

static __always_inline int exec__enter(__u16 nr, int fd, const char *filename,
				       const char *const *argv, __u32 at_flags)
{
	__u32 zero = 0, tid = (__u32)bpf_get_current_pid_tgid();
	struct oa_exec_args *a;
	const char *p;

	if (!sensor__wanted(OA_VIS_PROCESS, OA_RK_PROCESS))
		return 0;
	a = bpf_map_lookup_elem(&oa_exec_scratch, &zero);
	if (!a)
		return 0;
	a->nr = nr;
	a->fd = fd;
	a->at_flags = at_flags;
	a->flags = 0;
	a->argc = 0;
	if (bpf_probe_read_user_str(a->filename, sizeof(a->filename), filename) == OA_PATH_LEN)
		a->flags |= OA_F_TRUNCATED;
	for (int i = 0; i < OA_ARGS_MAX; i++) {
		p = NULL;
		if (bpf_probe_read_user(&p, sizeof(p), &argv[i]) || !p)
			break;
		if (bpf_probe_read_user_str(a->args[i], OA_ARG_LEN, p) == OA_ARG_LEN)
			a->flags |= OA_F_TRUNCATED;
		a->argc = i + 1;
	}
	if (a->argc == OA_ARGS_MAX) {
		p = NULL;
		bpf_probe_read_user(&p, sizeof(p), &argv[OA_ARGS_MAX]);
		if (p)
			a->flags |= OA_F_TRUNCATED;
	}
	bpf_map_update_elem(&oa_exec_args_map, &tid, a, BPF_ANY);
	return 0;
}

SEC("tp/syscalls/sys_enter_execve")
int oa_enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	return exec__enter(OA_NR_EXECVE, OA_AT_FDCWD, (const char *)ctx->args[0],
			   (const char *const *)ctx->args[1], 0);
}

SEC("tp/syscalls/sys_enter_execveat")
int oa_enter_execveat(struct trace_event_raw_sys_enter *ctx)
{
	return exec__enter(OA_NR_EXECVEAT, (int)ctx->args[0], (const char *)ctx->args[1],
			   (const char *const *)ctx->args[2], (__u32)ctx->args[4]);
}

static __always_inline void exec__fill(struct oa_exec *e, struct oa_exec_args *a)
{
	e->fd = a->fd;
	e->at_flags = a->at_flags;
	e->nr = a->nr;
	e->argc = a->argc;
	e->hdr.flags |= a->flags & OA_F_TRUNCATED;
	bpf_probe_read_kernel(e->args, sizeof(e->args), a->args);
}

static __always_inline void exec__tty(struct oa_exec *e)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
	if (tty)
		bpf_probe_read_kernel_str(e->tty, sizeof(e->tty), tty->name);
}

/* The new image is mapped but has not run a user instruction yet: the right place to resolve
 * mm->exe_file and to kill on a process rule. */
SEC("raw_tp/sched_process_exec")
int oa_sched_exec(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	__u32 old_pid = (__u32)ctx->args[1];
	struct oa_scratch *s = scratch__get();
	struct oa_exec_args *a;
	struct file *exe;
	__u32 pid_ns, mnt_ns, rid = 0, verdict = 0;
	int visible, flags, cut;
	__s32 owner;
	struct oa_exec *e;

	if (!s)
		return 0;
	visible = vis__get(&pid_ns, &mnt_ns) & OA_VIS_PROCESS;
	if (!visible && !rules__active(OA_RK_PROCESS)) {
		counter__add(OA_OP_EXEC, OA_C_INVISIBLE);
		return 0;
	}
	exe = BPF_CORE_READ(t, mm, exe_file);
	cut = path__resolve((unsigned long)BPF_CORE_READ(exe, f_path.dentry), (unsigned long)BPF_CORE_READ(exe, f_path.mnt), s->abs);
	owner = BPF_CORE_READ(exe, f_inode, i_uid.val);
	if (rules__active(OA_RK_PROCESS))
		verdict = rules__check_path(OA_RK_PROCESS, s->abs, rules__access(OA_ACC_READ, owner),
					    &rid);
	flags = verdict__apply(visible, verdict, OA_OP_EXEC);
	a = bpf_map_lookup_elem(&oa_exec_args_map, &old_pid);
	if (flags < 0)
		goto out;
	e = rb__reserve(OA_OP_EXEC, sizeof(*e), 1);
	if (!e)
		goto out;
	hdr__fill(&e->hdr, OA_OP_EXEC, sizeof(*e), pid_ns, mnt_ns);
	e->hdr.flags = flags | (cut > 0 ? OA_F_TRUNCATED : 0);
	e->hdr.rule_id = rid;
	e->ret = 0;
	e->exe_owner_uid = owner;
	e->pad = 0;
	bpf_probe_read_kernel(e->path, sizeof(e->path), s->abs);
	if (a) {
		exec__fill(e, a);
	} else {
		e->fd = OA_AT_FDCWD;
		e->at_flags = 0;
		e->nr = OA_NR_EXECVE;
		e->argc = 0;
	}
	if (path__cwd(e->cwd) > 0)
		e->hdr.flags |= OA_F_TRUNCATED;
	e->tty[0] = 0;
	exec__tty(e);
	lifecycle__submit(e, OA_OP_EXEC);
out:
	if (a)
		bpf_map_delete_elem(&oa_exec_args_map, &old_pid);
	return 0;
}

/* A failed exec returns to the old image: emit with ret < 0 and the filename as given. */
static __always_inline int exec__exit(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), pid_ns, mnt_ns;
	struct oa_exec_args *a;
	struct oa_exec *e;
	int visible;

	a = bpf_map_lookup_elem(&oa_exec_args_map, &tid);
	if (!a)
		return 0;
	if (ret >= 0)
		goto out;
	visible = vis__get(&pid_ns, &mnt_ns) & OA_VIS_PROCESS;
	if (!visible) {
		counter__add(OA_OP_EXEC, OA_C_INVISIBLE);
		goto out;
	}
	e = rb__reserve(OA_OP_EXEC, sizeof(*e), 1);
	if (!e)
		goto out;
	hdr__fill(&e->hdr, OA_OP_EXEC, sizeof(*e), pid_ns, mnt_ns);
	e->hdr.flags = 0;
	e->hdr.rule_id = 0;
	e->ret = ret;
	e->exe_owner_uid = -1;
	e->pad = 0;
	bpf_probe_read_kernel(e->path, sizeof(e->path), a->filename);
	exec__fill(e, a);
	if (path__cwd(e->cwd) > 0)
		e->hdr.flags |= OA_F_TRUNCATED;
	e->tty[0] = 0;
	exec__tty(e);
	lifecycle__submit(e, OA_OP_EXEC);
out:
	bpf_map_delete_elem(&oa_exec_args_map, &tid);
	return 0;
}

SEC("tp/syscalls/sys_exit_execve")
int oa_exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	return exec__exit(ctx->ret);
}

SEC("tp/syscalls/sys_exit_execveat")
int oa_exit_execveat(struct trace_event_raw_sys_exit *ctx)
{
	return exec__exit(ctx->ret);
}

/* raw_tp args: (struct task_struct *parent, struct task_struct *child); runs in the parent. */
SEC("raw_tp/sched_process_fork")
int oa_sched_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *child = (void *)ctx->args[1];
	__u32 pid_ns, mnt_ns, level;
	struct oa_fork *e;

	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0; /* a new thread, not a new process */
	if (!(vis__get(&pid_ns, &mnt_ns) & OA_VIS_PROCESS)) {
		counter__add(OA_OP_FORK, OA_C_INVISIBLE);
		return 0;
	}
	e = rb__reserve(OA_OP_FORK, sizeof(*e), 1);
	if (!e)
		return 0;
	hdr__fill(&e->hdr, OA_OP_FORK, sizeof(*e), pid_ns, mnt_ns);
	e->hdr.flags = 0;
	e->hdr.rule_id = 0;
	e->child_tgid = BPF_CORE_READ(child, tgid);
	task__pid_ns(child, &level);
	e->child_ns_tgid = pid__nr_at(BPF_CORE_READ(child, thread_pid), level);
	lifecycle__submit(e, OA_OP_FORK);
	return 0;
}

/* raw_tp args (6.x): (struct task_struct *p, bool group_dead); runs in the exiting task.
 * Emitted once per process: when the last thread of the group exits. */
SEC("raw_tp/sched_process_exit")
int oa_sched_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	__u32 pid_ns, mnt_ns;
	struct oa_exit *e;

	if (BPF_CORE_READ(t, signal, live.counter) != 0)
		return 0;
	if (!(vis__get(&pid_ns, &mnt_ns) & OA_VIS_PROCESS)) {
		counter__add(OA_OP_EXIT, OA_C_INVISIBLE);
		return 0;
	}
	e = rb__reserve(OA_OP_EXIT, sizeof(*e), 1);
	if (!e)
		return 0;
	hdr__fill(&e->hdr, OA_OP_EXIT, sizeof(*e), pid_ns, mnt_ns);
	e->hdr.flags = 0;
	e->hdr.rule_id = 0;
	e->exit_code = BPF_CORE_READ(t, exit_code);
	e->pad = 0;
	lifecycle__submit(e, OA_OP_EXIT);
	return 0;
}

#define OA_NR_CHDIR 80
#define OA_NR_FCHDIR 81
#define OA_NR_SETNS 308

/* Process state that no event carries but every event needs: the cwd after a successful
 * chdir/fchdir (Cwd of later network/capability/syscall and absolute-path file events), and a
 * successful setns that moves the caller's future children into a non-initial pid namespace
 * (`kubectl exec`, `docker exec`, nsenter: user space starts an ExecEvent.ExecID there, which
 * children inherit at fork). One OA_OP_TASK record each, in the struct oa_syscall layout. Sent
 * when any category of the task is visible or any rule kind is compiled. */
static __always_inline int task__state(__u16 nr, long ret)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	__u32 pid_ns, mnt_ns, zero = 0, ns_children = 0, *kinds;
	struct oa_syscall *e;

	if (ret != 0 || task__is_self())
		return 0;
	if (nr == OA_NR_SETNS) {
		ns_children = BPF_CORE_READ(t, nsproxy, pid_ns_for_children, ns.inum);
		if (ns_children == OA_PROC_PID_INIT_INO)
			return 0;
	}
	kinds = bpf_map_lookup_elem(&oa_rule_kinds, &zero);
	if (!vis__get(&pid_ns, &mnt_ns) && !(kinds && *kinds)) {
		counter__add(OA_OP_TASK, OA_C_INVISIBLE);
		return 0;
	}
	/* setns in the lifecycle lane (before the fork whose child inherits the ExecID); chdir in
	 * the log lane (before the events whose Cwd it changes). */
	e = rb__reserve(OA_OP_TASK, sizeof(*e), nr == OA_NR_SETNS);
	if (!e)
		return 0;
	hdr__fill(&e->hdr, OA_OP_TASK, sizeof(*e), pid_ns, mnt_ns);
	e->hdr.flags = 0;
	e->hdr.rule_id = 0;
	e->ret = 0;
	e->nr = nr;
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	for (int i = 0; i < 6; i++)
		e->args[i] = 0;
	e->args[0] = ns_children;
	e->strs[0][0] = e->strs[1][0] = e->strs[2][0] = 0;
	if (nr != OA_NR_SETNS && path__cwd(e->strs[0]) > 0)
		e->hdr.flags |= OA_F_TRUNCATED;
	if (nr == OA_NR_SETNS)
		lifecycle__submit(e, OA_OP_TASK);
	else
		rb__submit(e, OA_OP_TASK, sizeof(*e));
	return 0;
}

SEC("tp/syscalls/sys_exit_chdir")
int oa_exit_chdir(struct trace_event_raw_sys_exit *ctx)
{
	return task__state(OA_NR_CHDIR, ctx->ret);
}

SEC("tp/syscalls/sys_exit_fchdir")
int oa_exit_fchdir(struct trace_event_raw_sys_exit *ctx)
{
	return task__state(OA_NR_FCHDIR, ctx->ret);
}

SEC("tp/syscalls/sys_exit_setns")
int oa_exit_setns(struct trace_event_raw_sys_exit *ctx)
{
	return task__state(OA_NR_SETNS, ctx->ret);
}
