// Decoded kernel records: the contract between the wire decoder (src/events/decode.ts, which
// mirrors bpf/include/events.h byte for byte) and the enrichment stage (src/sensors/*.ts).
// Field meanings are kernel facts; string fields are already NUL-trimmed UTF-8 (invalid bytes
// replaced). Numbers that can exceed 2^53 are bigint.

/** Record op codes. Values are wire values (bpf/include/events.h `enum oa_op`); never reuse one. */
export enum Op {
  ProcessExec = 1, // sched/sched_process_exec (success) or sys_exit_execve(at) with ret < 0
  ProcessFork = 2, // sched/sched_process_fork (new thread group only)
  ProcessExit = 3, // sched/sched_process_exit, group leader only
  File = 10, // open/openat/openat2/unlink/unlinkat/rmdir/chown/fchownat/chmod family (enter+exit)
  Network = 20, // socket/connect/bind/listen/accept/accept4 (enter+exit)
  Capability = 30, // capability/cap_capable, deduped per (tgid, cap) in kernel
  Syscall = 40, // setuid/setgid/ptrace/mount/umount2 and filter-map syscalls (enter+exit)
  TaskState = 41, // sys_exit_chdir/fchdir/setns with ret 0: process-tree state, never an event
}

/** Header flags (OA_F_*). */
export const RecordFlag = {
  /** A compiled policy rule matched this event in the kernel; `ruleId` says which. */
  Matched: 1 << 0,
  /** The kernel enforcer sent SIGKILL to the caller (kill-on-attempt). */
  Killed: 1 << 1,
  /** A string or argument list was cut at its fixed wire size. */
  Truncated: 1 << 2,
  /** The event is only here because a rule matched (category not visible). */
  RuleOnly: 1 << 3,
} as const;

export interface RecordHeader {
  op: Op;
  /** RecordFlag bits — except on FileRecord, whose `flags` is the syscall's flags word; use
   *  `recordFlags` to read RecordFlag bits on every record. */
  flags: number;
  /** RecordFlag bits (hdr.flags on the wire); always set by decodeBatch (optional only so that
   *  hand-built records in tests need not carry it). */
  recordFlags?: number;
  /** CLOCK_BOOTTIME nanoseconds (bpf_ktime_get_boot_ns). src/events/clock.ts turns it into wall time. */
  ktimeNs: bigint;
  /** Host-namespace thread-group id (process id) and thread id. */
  tgid: number;
  tid: number;
  /** Host-namespace tgid of real_parent. */
  ppid: number;
  /** Ids as seen in the task's own pid namespace (equal to the host ids on the host). */
  nsTgid: number;
  nsPpid: number;
  uid: number;
  gid: number;
  /** Inode numbers of the task's pid and mnt namespaces. */
  pidNs: number;
  mntNs: number;
  cgroupId: bigint;
  /** task->comm, up to 15 bytes. */
  comm: string;
  /** Compiled rule id when flags & Matched (0 otherwise); see src/policy/compile.ts. */
  ruleId: number;
}

/** Syscall names as KubeArmor prints them after `SYS_` (lower case here). */
export type FileSyscall =
  | 'open' | 'openat' | 'openat2' | 'unlink' | 'unlinkat' | 'rmdir'
  | 'chown' | 'fchownat' | 'lchown' | 'fchown' | 'chmod' | 'fchmodat' | 'fchmod'
  /** Only from bpf/lsm.bpf.c: a mkdir/rename the BPF-LSM enforcer refused (path = the refused
   *  name, already absolute). */
  | 'mkdir' | 'mkdirat' | 'rename' | 'renameat' | 'renameat2';
export type NetSyscall = 'socket' | 'connect' | 'bind' | 'listen' | 'accept' | 'accept4';

export interface ExecRecord extends RecordHeader {
  op: Op.ProcessExec;
  syscall: 'execve' | 'execveat';
  /** 0 on success, -errno when the exec failed (then path/args come from the enter side). */
  ret: number;
  /** Absolute path of the new image (mm->exe_file path) on success; the filename argument on failure. */
  path: string;
  /** argv, at most 20 entries, argv[0] included. */
  args: string[];
  /** Process cwd with no trailing slash ("/" for the root). Empty when unreadable. */
  cwd: string;
  /** TTY name, e.g. "pts0"; empty when none. */
  tty: string;
  /** execveat only: dirfd and AT_* flags. */
  fd: number;
  atFlags: number;
  /** i_uid of the new image's inode (ownerOnly process rules); -1 on a failed exec. Always set
   *  by decodeBatch (optional only for hand-built records). */
  exeOwnerUid?: number;
}

export interface ForkRecord extends RecordHeader {
  op: Op.ProcessFork;
  /** The child's host tgid and its tgid in its own pid namespace. Header = parent. */
  childTgid: number;
  childNsTgid: number;
}

export interface ExitRecord extends RecordHeader {
  op: Op.ProcessExit;
  /** task->exit_code (raw wait status). */
  exitCode: number;
}

export interface FileRecord extends RecordHeader {
  op: Op.File;
  syscall: FileSyscall;
  /** Return value: fd or 0 on success, -errno on failure. */
  ret: number;
  /** dirfd argument (AT_FDCWD = -100) for *at syscalls; the fd for fchown/fchmod; else 0. */
  dirfd: number;
  /** open flags (open/openat/openat2), unlinkat/fchownat/fchmodat AT_* flags; else 0. */
  flags: number;
  /** mode argument (open/openat/openat2, chmod family); else 0. */
  mode: number;
  /** chown family: requested uid/gid (-1 = unchanged). */
  ownerUid: number;
  ownerGid: number;
  /** Path argument exactly as passed (may be relative). */
  path: string;
  /** cwd of the caller when `path` is relative and dirfd is AT_FDCWD, else empty. */
  cwd: string;
  /** Owner uid of the file's inode after a successful open (ownerOnly rules); -1 when unknown. */
  fileOwnerUid: number;
}

export interface SockAddr {
  /** AF_* number (AF_UNSPEC when there was no address). */
  family: number;
  /** Host-order port for AF_INET/AF_INET6. */
  port: number;
  /** Dotted IPv4 or RFC 5952 IPv6 text; empty for other families. */
  addr: string;
  /** AF_UNIX path; abstract sockets start with "@". */
  unixPath: string;
}

export interface NetworkRecord extends RecordHeader {
  op: Op.Network;
  syscall: NetSyscall;
  ret: number;
  /** socket(): domain/type/protocol. Others: fd. */
  domain: number;
  type: number;
  protocol: number;
  fd: number;
  /** listen(): backlog. */
  backlog: number;
  /** connect/bind: the address passed; accept/accept4: the peer address returned. */
  sockaddr: SockAddr;
}

export interface CapabilityRecord extends RecordHeader {
  op: Op.Capability;
  /** CAP_* number. */
  cap: number;
  /** cap_capable return: 0 granted, -EPERM denied. */
  ret: number;
  /** CAP_OPT_* bits from the tracepoint. */
  capOpt: number;
}

export interface SyscallRecord extends RecordHeader {
  op: Op.Syscall;
  /** x86_64 syscall number. */
  nr: number;
  ret: number;
  /** Raw integer arguments. */
  args: [bigint, bigint, bigint, bigint, bigint, bigint];
  /** Up to three user strings read for this syscall (mount: source, target, fstype; umount2: target). */
  strs: [string, string, string];
}

/** Process state the tree keeps but no event carries (wire: struct oa_syscall layout, op 41). */
export interface TaskStateRecord extends RecordHeader {
  op: Op.TaskState;
  /** 80 chdir, 81 fchdir, 308 setns; the syscall returned 0. */
  nr: number;
  /** chdir/fchdir: the new cwd (no trailing slash, "/" for the root), relative to the task's root. */
  cwd: string;
  /** setns: inode of the pid namespace the caller's future children join (never the initial one). */
  pidNsForChildren: number;
}

export type KernelRecord =
  | ExecRecord
  | ForkRecord
  | ExitRecord
  | FileRecord
  | NetworkRecord
  | CapabilityRecord
  | SyscallRecord
  | TaskStateRecord;
