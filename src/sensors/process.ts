// Process records (bpf/process.bpf.c): exec → a KubeArmor "Process" event; fork, exit and task
// state (chdir/fchdir/setns) only maintain the process tree (KubeArmor emits no event for them).
//   execve:   Resource "<path> <argv[1..]>", Data "syscall=SYS_EXECVE"
//   execveat: Data "syscall=SYS_EXECVEAT fd=<dirfd> flag=<AT_* flags or 0>"
//   Source = the parent's exec path (logUpdate.go BuildLogBase for SysExecve/SysExecveAt).
import type { ExecRecord, ExitRecord, ForkRecord, TaskStateRecord } from '../events/record';
import { execAtFlagsString } from '../format/at-flags';
import { syscallName, syscallNumber } from '../format/syscalls';
import { absolutePath, isInt, type HandlerContext, type HandlerResult } from './common';

/** "path arg1 arg2" (argv[0] replaced by the path). */
export function execResource(execPath: string, args: readonly string[]): string {
  return args.length > 1 ? `${execPath} ${args.slice(1).join(' ')}` : execPath;
}

export function handleExec(rec: ExecRecord, ctx: HandlerContext): HandlerResult {
  if (typeof rec.path !== 'string' || !Array.isArray(rec.args) || !isInt(rec.ret)) return 'exec_fields';
  const args = rec.args;
  const cwd = rec.cwd || ctx.node?.cwd || '';
  const execPath = absolutePath(rec.path, cwd);
  if (rec.ret >= 0) {
    ctx.node = ctx.tree.onExec(rec.tgid, execPath, args, rec.cwd, rec.tty, rec.comm);
  }
  const nr = syscallNumber(rec.syscall === 'execveat' ? 'execveat' : 'execve') ?? 59;
  let data = `syscall=${syscallName(nr)}`;
  if (rec.syscall === 'execveat') data += ` fd=${rec.fd} flag=${execAtFlagsString(rec.atFlags)}`;
  return {
    operation: 'Process',
    resource: execResource(execPath, args),
    data,
    ret: rec.ret,
    syscall: rec.syscall,
    cwd: rec.cwd || undefined,
    sourceIsParent: true,
    extras: isInt(rec.exeOwnerUid) ? { args: [...args], path: execPath, fileOwnerUid: rec.exeOwnerUid } : { args: [...args], path: execPath },
  };
}

export function handleFork(rec: ForkRecord, ctx: HandlerContext): HandlerResult {
  if (!isInt(rec.childTgid) || rec.childTgid <= 0) return 'fork_fields';
  ctx.tree.onFork(rec.tgid, rec.childTgid, rec.childNsTgid, rec.nsTgid);
  return null;
}

export function handleExit(rec: ExitRecord, ctx: HandlerContext): HandlerResult {
  ctx.tree.onExit(rec.tgid);
  return null;
}

const NR_SETNS = 308;

/** chdir/fchdir: the process's cwd from now on. setns into a container's pid namespace: a new
 *  ExecEvent.ExecID (kubearmor-compat.md §3.1: ktime | pid, KubeArmor's kubearmor_exec_pids
 *  value), which the process's children inherit at fork. */
export function handleTaskState(rec: TaskStateRecord, ctx: HandlerContext): HandlerResult {
  if (!isInt(rec.nr) || typeof rec.cwd !== 'string') return 'task_fields';
  const node = ctx.node;
  if (!node) return null;
  if (rec.nr === NR_SETNS) node.execId = (rec.ktimeNs | BigInt(rec.tgid)).toString();
  else if (rec.cwd !== '') node.cwd = rec.cwd;
  return null;
}
