// Wire decoder: the only module that knows byte offsets of bpf/include/events.h. A batch is
// raw records back to back; each starts with struct oa_hdr whose `size` frames it.
// Every offset and length it reads comes from LAYOUT, which test/kernel/layout.test.ts checks
// against the compiled BTF (sizes, offsets, array dimensions).
// Nothing here throws on bad bytes: unknown ops, bad sizes and truncation are counted.
import {
  Op,
  type CapabilityRecord,
  type ExecRecord,
  type ExitRecord,
  type FileRecord,
  type FileSyscall,
  type ForkRecord,
  type KernelRecord,
  type NetSyscall,
  type NetworkRecord,
  type RecordHeader,
  type SockAddr,
  type SyscallRecord,
  type TaskStateRecord,
} from './record';

/** Byte offsets/sizes per wire struct (events.h), keyed by C struct and field name. */
export const LAYOUT = {
  oa_hdr: {
    size: 80,
    fields: {
      op: [0, 2], size: [2, 2], flags: [4, 4], ktime_ns: [8, 8], tgid: [16, 4], tid: [20, 4],
      ppid: [24, 4], ns_tgid: [28, 4], ns_ppid: [32, 4], uid: [36, 4], gid: [40, 4],
      pid_ns: [44, 4], mnt_ns: [48, 4], rule_id: [52, 4], cgroup_id: [56, 8], comm: [64, 16],
    },
  },
  oa_exec: {
    size: 3192,
    fields: {
      hdr: [0, 80], ret: [80, 4], fd: [84, 4], at_flags: [88, 4], nr: [92, 2], argc: [94, 2],
      path: [96, 256], cwd: [352, 256], tty: [608, 16], args: [624, 2560],
      exe_owner_uid: [3184, 4], pad: [3188, 4],
    },
  },
  oa_fork: { size: 88, fields: { hdr: [0, 80], child_tgid: [80, 4], child_ns_tgid: [84, 4] } },
  oa_exit: { size: 88, fields: { hdr: [0, 80], exit_code: [80, 4], pad: [84, 4] } },
  oa_file: {
    size: 624,
    fields: {
      hdr: [0, 80], ret: [80, 4], dirfd: [84, 4], flags: [88, 4], mode: [92, 4],
      owner_uid: [96, 4], owner_gid: [100, 4], file_owner_uid: [104, 4], nr: [108, 2],
      pad: [110, 2], path: [112, 256], cwd: [368, 256],
    },
  },
  oa_net: {
    size: 240,
    fields: {
      hdr: [0, 80], ret: [80, 4], fd: [84, 4], domain: [88, 4], type: [92, 4], protocol: [96, 4],
      backlog: [100, 4], nr: [104, 2], sa_family: [106, 2], sa_port: [108, 2], sa_len: [110, 2],
      sa_addr: [112, 16], sun_path: [128, 108], pad: [236, 4],
    },
  },
  oa_cap: {
    size: 96,
    fields: { hdr: [0, 80], cap: [80, 4], ret: [84, 4], cap_opt: [88, 4], pad: [92, 4] },
  },
  oa_syscall: {
    size: 912,
    fields: { hdr: [0, 80], ret: [80, 8], nr: [88, 2], pad: [90, 6], args: [96, 48], strs: [144, 768] },
  },
  oa_op_counters: {
    size: 32,
    fields: { emitted: [0, 8], invisible: [8, 8], dedup: [16, 8], args_lost: [24, 8] },
  },
  oa_vis_key: { size: 8, fields: { pid_ns: [0, 4], mnt_ns: [4, 4] } },
  oa_epochs: { size: 32, fields: { epoch: [0, 32] } },
} as const satisfies Record<string, { size: number; fields: Record<string, readonly [number, number]> }>;

/** Element counts of the array fields (outer dimension, as in events.h), checked against BTF. */
export const ARRAY_ELEMS = {
  'oa_exec.args': 20,
  'oa_syscall.args': 6,
  'oa_syscall.strs': 3,
  'oa_epochs.epoch': 8,
} as const;

// Every offset and length the decoder reads, taken once from LAYOUT: the table the BTF test
// checks is the table the decoder uses. Module-level constants keep the hot path free of lookups.
const HF = LAYOUT.oa_hdr.fields;
const H_OP = HF.op[0];
const H_SIZE = HF.size[0];
const H_FLAGS = HF.flags[0];
const H_KTIME = HF.ktime_ns[0];
const H_TGID = HF.tgid[0];
const H_TID = HF.tid[0];
const H_PPID = HF.ppid[0];
const H_NS_TGID = HF.ns_tgid[0];
const H_NS_PPID = HF.ns_ppid[0];
const H_UID = HF.uid[0];
const H_GID = HF.gid[0];
const H_PID_NS = HF.pid_ns[0];
const H_MNT_NS = HF.mnt_ns[0];
const H_RULE_ID = HF.rule_id[0];
const H_CGROUP = HF.cgroup_id[0];
const H_COMM = HF.comm[0];
const H_COMM_LEN = HF.comm[1];
const HDR_SIZE = LAYOUT.oa_hdr.size;

const XF = LAYOUT.oa_exec.fields;
const X_RET = XF.ret[0];
const X_FD = XF.fd[0];
const X_AT_FLAGS = XF.at_flags[0];
const X_EXE_OWNER_UID = XF.exe_owner_uid[0];
const X_NR = XF.nr[0];
const X_ARGC = XF.argc[0];
const X_PATH = XF.path[0];
const X_PATH_LEN = XF.path[1];
const X_CWD = XF.cwd[0];
const X_CWD_LEN = XF.cwd[1];
const X_TTY = XF.tty[0];
const X_TTY_LEN = XF.tty[1];
const X_ARGS = XF.args[0];
export const ARGS_MAX = ARRAY_ELEMS['oa_exec.args'];
export const ARG_LEN = XF.args[1] / ARGS_MAX;

const KF = LAYOUT.oa_fork.fields;
const K_CHILD_TGID = KF.child_tgid[0];
const K_CHILD_NS_TGID = KF.child_ns_tgid[0];
const E_EXIT_CODE = LAYOUT.oa_exit.fields.exit_code[0];

const FF = LAYOUT.oa_file.fields;
const F_RET = FF.ret[0];
const F_DIRFD = FF.dirfd[0];
const F_FLAGS = FF.flags[0];
const F_MODE = FF.mode[0];
const F_OWNER_UID = FF.owner_uid[0];
const F_OWNER_GID = FF.owner_gid[0];
const F_FILE_OWNER_UID = FF.file_owner_uid[0];
const F_NR = FF.nr[0];
const F_PATH = FF.path[0];
const F_PATH_LEN = FF.path[1];
const F_CWD = FF.cwd[0];
const F_CWD_LEN = FF.cwd[1];

const NF = LAYOUT.oa_net.fields;
const N_RET = NF.ret[0];
const N_FD = NF.fd[0];
const N_DOMAIN = NF.domain[0];
const N_TYPE = NF.type[0];
const N_PROTOCOL = NF.protocol[0];
const N_BACKLOG = NF.backlog[0];
const N_NR = NF.nr[0];
const N_SA_FAMILY = NF.sa_family[0];
const N_SA_PORT = NF.sa_port[0];
const N_SA_LEN = NF.sa_len[0];
const N_SA_ADDR = NF.sa_addr[0];
const N_SUN_PATH = NF.sun_path[0];
const N_SUN_PATH_LEN = NF.sun_path[1];
/** struct sockaddr_un: sun_family (2 bytes) then sun_path. */
const SUN_PATH_OFFSET = 2;

const CF = LAYOUT.oa_cap.fields;
const C_CAP = CF.cap[0];
const C_RET = CF.ret[0];
const C_CAP_OPT = CF.cap_opt[0];

const SF = LAYOUT.oa_syscall.fields;
const S_RET = SF.ret[0];
const S_NR = SF.nr[0];
const S_ARGS = SF.args[0];
const S_ARG_LEN = SF.args[1] / ARRAY_ELEMS['oa_syscall.args'];
const S_STRS = SF.strs[0];
export const SYS_STR_LEN = SF.strs[1] / ARRAY_ELEMS['oa_syscall.strs'];

const RECORD_SIZE: Partial<Record<number, number>> = {
  [Op.ProcessExec]: LAYOUT.oa_exec.size,
  [Op.ProcessFork]: LAYOUT.oa_fork.size,
  [Op.ProcessExit]: LAYOUT.oa_exit.size,
  [Op.File]: LAYOUT.oa_file.size,
  [Op.Network]: LAYOUT.oa_net.size,
  [Op.Capability]: LAYOUT.oa_cap.size,
  [Op.Syscall]: LAYOUT.oa_syscall.size,
  [Op.TaskState]: LAYOUT.oa_syscall.size,
};

/** x86_64 syscall numbers the file/network/exec sensors emit. */
export const FILE_SYSCALLS: Readonly<Record<number, FileSyscall>> = {
  2: 'open', 257: 'openat', 437: 'openat2', 87: 'unlink', 263: 'unlinkat', 84: 'rmdir',
  92: 'chown', 260: 'fchownat', 94: 'lchown', 93: 'fchown', 90: 'chmod', 268: 'fchmodat', 91: 'fchmod',
  // Written by bpf/lsm.bpf.c for the denials it reports itself (no sensor hooks these).
  83: 'mkdir', 258: 'mkdirat', 82: 'rename', 264: 'renameat', 316: 'renameat2',
};
export const NET_SYSCALLS: Readonly<Record<number, NetSyscall>> = {
  41: 'socket', 42: 'connect', 49: 'bind', 50: 'listen', 43: 'accept', 288: 'accept4',
};
const EXEC_SYSCALLS: Readonly<Record<number, 'execve' | 'execveat'>> = { 59: 'execve', 322: 'execveat' };

/** Closed set of decode error reasons (metric label values). */
export type DecodeErrorReason = 'truncated' | 'bad_size' | 'unknown_op' | 'unknown_syscall';

export interface DecodeResult {
  records: KernelRecord[];
  errors: { reason: DecodeErrorReason; count: number }[];
}

const AF_INET = 2;
const AF_INET6 = 10;
const AF_UNIX = 1;

/** oa_file records are variable (bpf/file.bpf.c file__exit): the full struct when cwd is set,
 *  else cut after the path's NUL, rounded up to 8 bytes, i.e. at least 8 path bytes and at most
 *  up to cwd (sizes are multiples of 8, checked by the caller). */
function fileSizeOk(size: number): boolean {
  return size >= F_PATH + 8 && size <= F_CWD;
}

function cstr(buf: Buffer, off: number, len: number): string {
  const end = buf.indexOf(0, off);
  return buf.toString('utf8', off, end < 0 || end > off + len ? off + len : end);
}

function header(b: Buffer, o: number): RecordHeader {
  const flags = b.readUInt32LE(o + H_FLAGS);
  return {
    op: b.readUInt16LE(o + H_OP) as Op,
    flags,
    recordFlags: flags,
    ktimeNs: b.readBigUInt64LE(o + H_KTIME),
    tgid: b.readUInt32LE(o + H_TGID),
    tid: b.readUInt32LE(o + H_TID),
    ppid: b.readUInt32LE(o + H_PPID),
    nsTgid: b.readUInt32LE(o + H_NS_TGID),
    nsPpid: b.readUInt32LE(o + H_NS_PPID),
    uid: b.readUInt32LE(o + H_UID),
    gid: b.readUInt32LE(o + H_GID),
    pidNs: b.readUInt32LE(o + H_PID_NS),
    mntNs: b.readUInt32LE(o + H_MNT_NS),
    ruleId: b.readUInt32LE(o + H_RULE_ID),
    cgroupId: b.readBigUInt64LE(o + H_CGROUP),
    comm: cstr(b, o + H_COMM, H_COMM_LEN),
  };
}

/** RFC 5952 text of a 16-byte IPv6 address (IPv4-mapped as ::ffff:a.b.c.d). */
export function ipv6Text(b: Buffer, o: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(b.readUInt16BE(o + i * 2));
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return `::ffff:${b[o + 12]}.${b[o + 13]}.${b[o + 14]}.${b[o + 15]}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

function sockaddr(b: Buffer, o: number): SockAddr {
  const family = b.readUInt16LE(o + N_SA_FAMILY);
  const port = b.readUInt16LE(o + N_SA_PORT);
  const saLen = b.readUInt16LE(o + N_SA_LEN);
  const a = o + N_SA_ADDR;
  if (family === AF_INET) return { family, port, addr: `${b[a]}.${b[a + 1]}.${b[a + 2]}.${b[a + 3]}`, unixPath: '' };
  if (family === AF_INET6) return { family, port, addr: ipv6Text(b, a), unixPath: '' };
  if (family === AF_UNIX) {
    const p = o + N_SUN_PATH;
    if (b[p] === 0 && saLen > SUN_PATH_OFFSET + 1) {
      // Abstract name: sun_path[0] == 0, length = addrlen - sizeof(sa_family) - 1.
      const n = Math.min(saLen - SUN_PATH_OFFSET - 1, N_SUN_PATH_LEN - 1);
      return { family, port: 0, addr: '', unixPath: '@' + b.toString('utf8', p + 1, p + 1 + n) };
    }
    return { family, port: 0, addr: '', unixPath: cstr(b, p, Math.max(0, Math.min(N_SUN_PATH_LEN, saLen - SUN_PATH_OFFSET))) };
  }
  return { family, port: 0, addr: '', unixPath: '' };
}

type Decoded = KernelRecord | 'unknown_syscall';

// Each record is the header object with its op's members assigned after it, in one fixed order
// per op: V8 then gives every record of an op the same hidden class (object spread of the header
// into a literal that redefines `op`/`flags` built dictionary-mode objects, ~20 µs each here).
function decodeOne(b: Buffer, o: number, op: number, size: number): Decoded {
  switch (op) {
    case Op.ProcessExec: {
      const syscall = EXEC_SYSCALLS[b.readUInt16LE(o + X_NR)];
      if (!syscall) return 'unknown_syscall';
      const argc = Math.min(b.readUInt16LE(o + X_ARGC), ARGS_MAX);
      const args: string[] = [];
      for (let i = 0; i < argc; i++) args.push(cstr(b, o + X_ARGS + i * ARG_LEN, ARG_LEN));
      const r = header(b, o) as ExecRecord;
      r.syscall = syscall;
      r.ret = b.readInt32LE(o + X_RET);
      r.path = cstr(b, o + X_PATH, X_PATH_LEN);
      r.args = args;
      r.cwd = cstr(b, o + X_CWD, X_CWD_LEN);
      r.tty = cstr(b, o + X_TTY, X_TTY_LEN);
      r.fd = b.readInt32LE(o + X_FD);
      r.atFlags = b.readUInt32LE(o + X_AT_FLAGS);
      r.exeOwnerUid = b.readInt32LE(o + X_EXE_OWNER_UID);
      return r;
    }
    case Op.ProcessFork: {
      const r = header(b, o) as ForkRecord;
      r.childTgid = b.readUInt32LE(o + K_CHILD_TGID);
      r.childNsTgid = b.readUInt32LE(o + K_CHILD_NS_TGID);
      return r;
    }
    case Op.ProcessExit: {
      const r = header(b, o) as ExitRecord;
      r.exitCode = b.readInt32LE(o + E_EXIT_CODE);
      return r;
    }
    case Op.File: {
      const syscall = FILE_SYSCALLS[b.readUInt16LE(o + F_NR)];
      if (!syscall) return 'unknown_syscall';
      const r = header(b, o) as FileRecord;
      r.flags = b.readUInt32LE(o + F_FLAGS); // the syscall's flags word (RecordFlag bits: recordFlags)
      r.syscall = syscall;
      r.ret = b.readInt32LE(o + F_RET);
      r.dirfd = b.readInt32LE(o + F_DIRFD);
      r.mode = b.readUInt32LE(o + F_MODE);
      r.ownerUid = b.readInt32LE(o + F_OWNER_UID);
      r.ownerGid = b.readInt32LE(o + F_OWNER_GID);
      // A record without cwd ends after the path's NUL (rounded up to 8): see fileSizeOk.
      r.path = cstr(b, o + F_PATH, Math.min(F_PATH_LEN, size - F_PATH));
      r.cwd = size >= F_CWD + F_CWD_LEN ? cstr(b, o + F_CWD, F_CWD_LEN) : '';
      r.fileOwnerUid = b.readInt32LE(o + F_FILE_OWNER_UID);
      return r;
    }
    case Op.Network: {
      const syscall = NET_SYSCALLS[b.readUInt16LE(o + N_NR)];
      if (!syscall) return 'unknown_syscall';
      const r = header(b, o) as NetworkRecord;
      r.syscall = syscall;
      r.ret = b.readInt32LE(o + N_RET);
      r.domain = b.readUInt32LE(o + N_DOMAIN);
      r.type = b.readUInt32LE(o + N_TYPE);
      r.protocol = b.readUInt32LE(o + N_PROTOCOL);
      r.fd = b.readInt32LE(o + N_FD);
      r.backlog = b.readInt32LE(o + N_BACKLOG);
      r.sockaddr = sockaddr(b, o);
      return r;
    }
    case Op.Capability: {
      const r = header(b, o) as CapabilityRecord;
      r.cap = b.readInt32LE(o + C_CAP);
      r.ret = b.readInt32LE(o + C_RET);
      r.capOpt = b.readUInt32LE(o + C_CAP_OPT);
      return r;
    }
    case Op.TaskState: {
      const r = header(b, o) as TaskStateRecord;
      r.nr = b.readUInt16LE(o + S_NR);
      r.cwd = cstr(b, o + S_STRS, SYS_STR_LEN);
      r.pidNsForChildren = b.readUInt32LE(o + S_ARGS); // low 32 bits of the u64 argument
      return r;
    }
    default: {
      const a = (i: number): bigint => b.readBigUInt64LE(o + S_ARGS + i * S_ARG_LEN);
      const s = (i: number): string => cstr(b, o + S_STRS + i * SYS_STR_LEN, SYS_STR_LEN);
      const r = header(b, o) as SyscallRecord;
      r.nr = b.readUInt16LE(o + S_NR);
      r.ret = Number(b.readBigInt64LE(o + S_RET));
      r.args = [a(0), a(1), a(2), a(3), a(4), a(5)];
      r.strs = [s(0), s(1), s(2)];
      return r;
    }
  }
}

/**
 * Decodes a batch of raw records from byte `start`, at most `max` of them; never throws. `next` is
 * where the following record starts, buf.length once the batch is done (or its framing lost).
 */
export function decodeBatch(buf: Buffer, start = 0, max = Infinity): DecodeResult & { next: number } {
  const records: KernelRecord[] = [];
  const counts = new Map<DecodeErrorReason, number>();
  const bump = (r: DecodeErrorReason): void => void counts.set(r, (counts.get(r) ?? 0) + 1);
  let o = start;
  let taken = 0;
  while (o < buf.length) {
    if (taken >= max) return { records, errors: [...counts].map(([reason, count]) => ({ reason, count })), next: o };
    taken++;
    if (buf.length - o < HDR_SIZE) {
      bump('truncated');
      break;
    }
    const op = buf.readUInt16LE(o + H_OP);
    const size = buf.readUInt16LE(o + H_SIZE);
    if (size < HDR_SIZE || size % 8 !== 0) {
      bump('bad_size'); // framing lost: the rest of the batch cannot be trusted
      break;
    }
    if (size > buf.length - o) {
      bump('truncated');
      break;
    }
    const want = RECORD_SIZE[op];
    if (want === undefined) bump('unknown_op');
    else if (want !== size && !(op === Op.File && fileSizeOk(size))) bump('bad_size');
    else {
      const r = decodeOne(buf, o, op, size);
      if (r === 'unknown_syscall') bump('unknown_syscall');
      else records.push(r);
    }
    o += size;
  }
  return { records, errors: [...counts].map(([reason, count]) => ({ reason, count })), next: buf.length };
}
