// Wire decoder: the only module that knows byte offsets of bpf/include/events.h. A batch is
// raw records back to back; each starts with struct oa_hdr whose `size` frames it.
// test/kernel/layout.test.ts checks every offset and size below against the compiled BTF.
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
    size: 3184,
    fields: {
      hdr: [0, 80], ret: [80, 4], fd: [84, 4], at_flags: [88, 4], nr: [92, 2], argc: [94, 2],
      path: [96, 256], cwd: [352, 256], tty: [608, 16], args: [624, 2560],
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
    fields: { emitted: [0, 8], invisible: [8, 8], dedup: [16, 8], pad: [24, 8] },
  },
  oa_vis_key: { size: 8, fields: { pid_ns: [0, 4], mnt_ns: [4, 4] } },
} as const satisfies Record<string, { size: number; fields: Record<string, readonly [number, number]> }>;

/** Element sizes of the array fields. */
export const ARG_LEN = 128;
export const ARGS_MAX = 20;
export const SYS_STR_LEN = 256;

const RECORD_SIZE: Partial<Record<number, number>> = {
  [Op.ProcessExec]: LAYOUT.oa_exec.size,
  [Op.ProcessFork]: LAYOUT.oa_fork.size,
  [Op.ProcessExit]: LAYOUT.oa_exit.size,
  [Op.File]: LAYOUT.oa_file.size,
  [Op.Network]: LAYOUT.oa_net.size,
  [Op.Capability]: LAYOUT.oa_cap.size,
  [Op.Syscall]: LAYOUT.oa_syscall.size,
};

/** x86_64 syscall numbers the file/network/exec sensors emit. */
export const FILE_SYSCALLS: Readonly<Record<number, FileSyscall>> = {
  2: 'open', 257: 'openat', 437: 'openat2', 87: 'unlink', 263: 'unlinkat', 84: 'rmdir',
  92: 'chown', 260: 'fchownat', 94: 'lchown', 93: 'fchown', 90: 'chmod', 268: 'fchmodat', 91: 'fchmod',
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

function cstr(buf: Buffer, off: number, len: number): string {
  const end = buf.indexOf(0, off);
  return buf.toString('utf8', off, end < 0 || end > off + len ? off + len : end);
}

function header(b: Buffer, o: number): RecordHeader {
  return {
    op: b.readUInt16LE(o) as Op,
    flags: b.readUInt32LE(o + 4),
    recordFlags: b.readUInt32LE(o + 4),
    ktimeNs: b.readBigUInt64LE(o + 8),
    tgid: b.readUInt32LE(o + 16),
    tid: b.readUInt32LE(o + 20),
    ppid: b.readUInt32LE(o + 24),
    nsTgid: b.readUInt32LE(o + 28),
    nsPpid: b.readUInt32LE(o + 32),
    uid: b.readUInt32LE(o + 36),
    gid: b.readUInt32LE(o + 40),
    pidNs: b.readUInt32LE(o + 44),
    mntNs: b.readUInt32LE(o + 48),
    ruleId: b.readUInt32LE(o + 52),
    cgroupId: b.readBigUInt64LE(o + 56),
    comm: cstr(b, o + 64, 16),
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
  const family = b.readUInt16LE(o + 106);
  const port = b.readUInt16LE(o + 108);
  const saLen = b.readUInt16LE(o + 110);
  const a = o + 112;
  if (family === AF_INET) return { family, port, addr: `${b[a]}.${b[a + 1]}.${b[a + 2]}.${b[a + 3]}`, unixPath: '' };
  if (family === AF_INET6) return { family, port, addr: ipv6Text(b, a), unixPath: '' };
  if (family === AF_UNIX) {
    const p = o + 128;
    if (b[p] === 0 && saLen > 3) {
      // Abstract name: sun_path[0] == 0, length = addrlen - sizeof(sa_family) - 1.
      const n = Math.min(saLen - 3, 107);
      return { family, port: 0, addr: '', unixPath: '@' + b.toString('utf8', p + 1, p + 1 + n) };
    }
    return { family, port: 0, addr: '', unixPath: cstr(b, p, Math.max(0, Math.min(108, saLen - 2))) };
  }
  return { family, port: 0, addr: '', unixPath: '' };
}

type Decoded = KernelRecord | 'unknown_syscall';

function decodeOne(b: Buffer, o: number, op: number): Decoded {
  const h = header(b, o);
  switch (op) {
    case Op.ProcessExec: {
      const syscall = EXEC_SYSCALLS[b.readUInt16LE(o + 92)];
      if (!syscall) return 'unknown_syscall';
      const argc = Math.min(b.readUInt16LE(o + 94), ARGS_MAX);
      const args: string[] = [];
      for (let i = 0; i < argc; i++) args.push(cstr(b, o + 624 + i * ARG_LEN, ARG_LEN));
      const r: ExecRecord = {
        ...h, op: Op.ProcessExec, syscall, ret: b.readInt32LE(o + 80), path: cstr(b, o + 96, 256),
        args, cwd: cstr(b, o + 352, 256), tty: cstr(b, o + 608, 16), fd: b.readInt32LE(o + 84),
        atFlags: b.readUInt32LE(o + 88),
      };
      return r;
    }
    case Op.ProcessFork: {
      const r: ForkRecord = { ...h, op: Op.ProcessFork, childTgid: b.readUInt32LE(o + 80), childNsTgid: b.readUInt32LE(o + 84) };
      return r;
    }
    case Op.ProcessExit: {
      const r: ExitRecord = { ...h, op: Op.ProcessExit, exitCode: b.readInt32LE(o + 80) };
      return r;
    }
    case Op.File: {
      const syscall = FILE_SYSCALLS[b.readUInt16LE(o + 108)];
      if (!syscall) return 'unknown_syscall';
      const r: FileRecord = {
        ...h, op: Op.File, syscall, ret: b.readInt32LE(o + 80), dirfd: b.readInt32LE(o + 84),
        flags: b.readUInt32LE(o + 88), mode: b.readUInt32LE(o + 92), ownerUid: b.readInt32LE(o + 96),
        ownerGid: b.readInt32LE(o + 100), path: cstr(b, o + 112, 256), cwd: cstr(b, o + 368, 256),
        fileOwnerUid: b.readInt32LE(o + 104),
      };
      return r;
    }
    case Op.Network: {
      const syscall = NET_SYSCALLS[b.readUInt16LE(o + 104)];
      if (!syscall) return 'unknown_syscall';
      const r: NetworkRecord = {
        ...h, op: Op.Network, syscall, ret: b.readInt32LE(o + 80), domain: b.readUInt32LE(o + 88),
        type: b.readUInt32LE(o + 92), protocol: b.readUInt32LE(o + 96), fd: b.readInt32LE(o + 84),
        backlog: b.readInt32LE(o + 100), sockaddr: sockaddr(b, o),
      };
      return r;
    }
    case Op.Capability: {
      const r: CapabilityRecord = {
        ...h, op: Op.Capability, cap: b.readInt32LE(o + 80), ret: b.readInt32LE(o + 84), capOpt: b.readUInt32LE(o + 88),
      };
      return r;
    }
    default: {
      const a = (i: number): bigint => b.readBigUInt64LE(o + 96 + i * 8);
      const s = (i: number): string => cstr(b, o + 144 + i * SYS_STR_LEN, SYS_STR_LEN);
      const r: SyscallRecord = {
        ...h, op: Op.Syscall, nr: b.readUInt16LE(o + 88), ret: Number(b.readBigInt64LE(o + 80)),
        args: [a(0), a(1), a(2), a(3), a(4), a(5)], strs: [s(0), s(1), s(2)],
      };
      return r;
    }
  }
}

/** Decodes a batch of raw records; never throws. */
export function decodeBatch(buf: Buffer): DecodeResult {
  const records: KernelRecord[] = [];
  const counts = new Map<DecodeErrorReason, number>();
  const bump = (r: DecodeErrorReason): void => void counts.set(r, (counts.get(r) ?? 0) + 1);
  let o = 0;
  while (o < buf.length) {
    if (buf.length - o < LAYOUT.oa_hdr.size) {
      bump('truncated');
      break;
    }
    const op = buf.readUInt16LE(o);
    const size = buf.readUInt16LE(o + 2);
    if (size < LAYOUT.oa_hdr.size || size % 8 !== 0) {
      bump('bad_size'); // framing lost: the rest of the batch cannot be trusted
      break;
    }
    if (size > buf.length - o) {
      bump('truncated');
      break;
    }
    const want = RECORD_SIZE[op];
    if (want === undefined) bump('unknown_op');
    else if (want !== size) bump('bad_size');
    else {
      const r = decodeOne(buf, o, op);
      if (r === 'unknown_syscall') bump('unknown_syscall');
      else records.push(r);
    }
    o += size;
  }
  return { records, errors: [...counts].map(([reason, count]) => ({ reason, count })) };
}
