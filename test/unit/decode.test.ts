import assert from 'node:assert/strict';
import { ARG_LEN, decodeBatch, ipv6Text, LAYOUT, SYS_STR_LEN } from '../../src/events/decode';
import { Op, type CapabilityRecord, type FileRecord, type NetworkRecord } from '../../src/events/record';

/** A payload field name, or `hdr.<name>` for a header field. */
type Field = string;

/** A zeroed record of `struct` with each named field written at its LAYOUT offset. */
function record(struct: keyof typeof LAYOUT, op: number, put: (w: (field: Field, v: number | bigint | string, as?: 'i') => void) => void): Buffer {
  const L = LAYOUT[struct] as { size: number; fields: Record<string, readonly [number, number]> };
  const b = Buffer.alloc(L.size);
  const H = LAYOUT.oa_hdr.fields as Record<string, readonly [number, number]>;
  const w = (field: Field, v: number | bigint | string, as?: 'i'): void => {
    const [off, len] = (field.startsWith('hdr.') ? H[field.slice(4)] : L.fields[field])!;
    if (typeof v === 'string') b.write(v, off, len, 'utf8');
    else if (typeof v === 'bigint') b.writeBigUInt64LE(v, off);
    else if (len === 2) b.writeUInt16LE(v, off);
    else if (as === 'i') b.writeInt32LE(v, off);
    else b.writeUInt32LE(v, off);
  };
  w('hdr.op', op);
  w('hdr.size', L.size);
  put(w);
  return b;
}


function hdr(op: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  b.writeUInt16LE(op, 0);
  b.writeUInt16LE(size, 2);
  b.writeUInt32LE(1, 4);
  b.writeBigUInt64LE(123456789n, 8);
  b.writeUInt32LE(42, 16);
  b.writeUInt32LE(43, 20);
  b.writeUInt32LE(1, 24);
  b.write('comm-x', 64);
  b.writeUInt32LE(7, 52);
  return b;
}

function cap(capNo: number): Buffer {
  const b = hdr(Op.Capability, LAYOUT.oa_cap.size);
  b.writeInt32LE(capNo, 80);
  b.writeInt32LE(-1, 84);
  return b;
}

describe('decodeBatch', () => {
  it('every field is read at its LAYOUT offset (the table layout.test.ts checks against BTF)', () => {
    const head = (w: (f: Field, v: number | bigint | string) => void, op: number): void => {
      w('hdr.flags', 0x5); w('hdr.ktime_ns', 0x1122334455667788n); w('hdr.tgid', 1001); w('hdr.tid', 1002); w('hdr.ppid', 1003);
      w('hdr.ns_tgid', 1004); w('hdr.ns_ppid', 1005); w('hdr.uid', 1006); w('hdr.gid', 1007); w('hdr.pid_ns', 1008 + op);
      w('hdr.mnt_ns', 1009); w('hdr.rule_id', 1010); w('hdr.cgroup_id', 0x99887766n); w('hdr.comm', 'c-' + op);
    };
    const hdrWant = (op: number) => ({
      op, flags: 5, recordFlags: 5, ktimeNs: 0x1122334455667788n, tgid: 1001, tid: 1002, ppid: 1003, nsTgid: 1004, nsPpid: 1005,
      uid: 1006, gid: 1007, pidNs: 1008 + op, mntNs: 1009, ruleId: 1010, cgroupId: 0x99887766n, comm: 'c-' + op,
    });
    const X = LAYOUT.oa_exec.fields;
    const exec = record('oa_exec', Op.ProcessExec, (w) => {
      head(w, Op.ProcessExec); w('ret', -8, 'i'); w('fd', -100, 'i'); w('at_flags', 0x1000); w('nr', 322); w('argc', 2);
      w('path', '/bin/x'); w('cwd', '/w'); w('tty', 'pts7'); w('exe_owner_uid', 1011, 'i');
    });
    exec.write('a0', X.args[0]);
    exec.write('a1', X.args[0] + ARG_LEN);
    const fork = record('oa_fork', Op.ProcessFork, (w) => { head(w, Op.ProcessFork); w('child_tgid', 77); w('child_ns_tgid', 7); });
    const exit = record('oa_exit', Op.ProcessExit, (w) => { head(w, Op.ProcessExit); w('exit_code', 256, 'i'); });
    const file = record('oa_file', Op.File, (w) => {
      head(w, Op.File); w('ret', -13, 'i'); w('dirfd', 9, 'i'); w('flags', 0o101); w('mode', 0o640); w('owner_uid', 11, 'i');
      w('owner_gid', 12, 'i'); w('file_owner_uid', 13, 'i'); w('nr', 257); w('path', 'p/q'); w('cwd', '/c');
    });
    const net = record('oa_net', Op.Network, (w) => {
      head(w, Op.Network); w('ret', 4, 'i'); w('fd', 3, 'i'); w('domain', 2); w('type', 1); w('protocol', 6); w('backlog', 9, 'i');
      w('nr', 42); w('sa_family', 2); w('sa_port', 8443); w('sa_len', 16);
    });
    Buffer.from([192, 0, 2, 9]).copy(net, LAYOUT.oa_net.fields.sa_addr[0]);
    const cp = record('oa_cap', Op.Capability, (w) => { head(w, Op.Capability); w('cap', 21, 'i'); w('ret', -1, 'i'); w('cap_opt', 4); });
    const S = LAYOUT.oa_syscall.fields;
    const sc = record('oa_syscall', Op.Syscall, (w) => { head(w, Op.Syscall); w('nr', 166); });
    sc.writeBigInt64LE(-22n, S.ret[0]);
    for (let i = 0; i < 6; i++) sc.writeBigUInt64LE(BigInt(100 + i), S.args[0] + i * 8);
    sc.write('s0', S.strs[0]);
    sc.write('s2', S.strs[0] + 2 * SYS_STR_LEN);
    const { records, errors } = decodeBatch(Buffer.concat([exec, fork, exit, file, net, cp, sc]));
    assert.deepEqual(errors, []);
    assert.deepEqual(records, [
      { ...hdrWant(Op.ProcessExec), syscall: 'execveat', ret: -8, path: '/bin/x', args: ['a0', 'a1'], cwd: '/w', tty: 'pts7', fd: -100, atFlags: 0x1000, exeOwnerUid: 1011 },
      { ...hdrWant(Op.ProcessFork), childTgid: 77, childNsTgid: 7 },
      { ...hdrWant(Op.ProcessExit), exitCode: 256 },
      {
        ...hdrWant(Op.File), flags: 0o101, syscall: 'openat', ret: -13, dirfd: 9, mode: 0o640, ownerUid: 11, ownerGid: 12,
        path: 'p/q', cwd: '/c', fileOwnerUid: 13,
      },
      {
        ...hdrWant(Op.Network), syscall: 'connect', ret: 4, domain: 2, type: 1, protocol: 6, fd: 3, backlog: 9,
        sockaddr: { family: 2, port: 8443, addr: '192.0.2.9', unixPath: '' },
      },
      { ...hdrWant(Op.Capability), cap: 21, ret: -1, capOpt: 4 },
      { ...hdrWant(Op.Syscall), nr: 166, ret: -22, args: [100n, 101n, 102n, 103n, 104n, 105n], strs: ['s0', '', 's2'] },
    ]);
  });

  it('decodes back-to-back records field by field', () => {
    const f = hdr(Op.File, LAYOUT.oa_file.size);
    f.writeInt32LE(-13, 80);
    f.writeInt32LE(-100, 84);
    f.writeUInt32LE(0o1, 88);
    f.writeInt32LE(-1, 96);
    f.writeInt32LE(-1, 100);
    f.writeInt32LE(-1, 104);
    f.writeUInt16LE(257, 108);
    f.write('rel/x\0garbage', 112);
    f.write('/cwd', 368);
    const { records, errors } = decodeBatch(Buffer.concat([cap(21), f]));
    assert.deepEqual(errors, []);
    assert.equal(records.length, 2);
    const c = records[0] as CapabilityRecord;
    assert.deepEqual([c.op, c.cap, c.ret, c.tgid, c.tid, c.ppid, c.comm, c.ruleId, c.recordFlags, c.ktimeNs], [Op.Capability, 21, -1, 42, 43, 1, 'comm-x', 7, 1, 123456789n]);
    const e = records[1] as FileRecord;
    assert.deepEqual([e.syscall, e.ret, e.dirfd, e.flags, e.recordFlags, e.path, e.cwd, e.ownerUid, e.fileOwnerUid], ['openat', -13, -100, 1, 1, 'rel/x', '/cwd', -1, -1]);
  });

  it('file records without cwd end after the path (rounded to 8): decoded by their size; sizes outside 120..368 are bad', () => {
    const short = (path: string, size: number): Buffer => {
      const f = hdr(Op.File, size);
      f.writeInt32LE(3, 80);
      f.writeUInt16LE(257, 108);
      f.write(path, 112);
      return f;
    };
    const host = short('/etc/hostname\0', 128); // 13 bytes + NUL -> 16 path bytes
    const exact = short('/abcdefg', 120); // no NUL: bounded by the record's end
    const longest = short(`/${'p'.repeat(254)}\0`, 368); // the path field's whole 256 bytes
    const { records, errors } = decodeBatch(Buffer.concat([host, exact, longest, cap(2)]));
    assert.deepEqual(errors, []);
    assert.deepEqual(records.slice(0, 3).map((r) => [(r as FileRecord).path, (r as FileRecord).cwd, (r as FileRecord).ret]), [
      ['/etc/hostname', '', 3],
      ['/abcdefg', '', 3],
      [`/${'p'.repeat(254)}`, '', 3],
    ]);
    assert.equal((records[3] as CapabilityRecord).cap, 2);
    for (const size of [112, 376, 616]) {
      assert.deepEqual(decodeBatch(short('/x\0', size)).errors, [{ reason: 'bad_size', count: 1 }], `size ${size}`);
    }
  });

  it('network sockaddr text: IPv4, IPv6 (RFC 5952), AF_UNIX path bounded by sa_len, abstract', () => {
    const mk = (family: number, fill: (b: Buffer) => void): NetworkRecord => {
      const b = hdr(Op.Network, LAYOUT.oa_net.size);
      b.writeUInt16LE(42, 104);
      b.writeUInt16LE(family, 106);
      fill(b);
      return decodeBatch(b).records[0] as NetworkRecord;
    };
    const v4 = mk(2, (b) => {
      b.writeUInt16LE(8080, 108);
      Buffer.from([10, 0, 0, 7]).copy(b, 112);
    });
    assert.deepEqual(v4.sockaddr, { family: 2, port: 8080, addr: '10.0.0.7', unixPath: '' });
    const u = mk(1, (b) => {
      b.writeUInt16LE(2 + 4, 110);
      b.write('/run/xyz', 128); // sa_len says 4 name bytes
    });
    assert.deepEqual(u.sockaddr, { family: 1, port: 0, addr: '', unixPath: '/run' });
    const ab = mk(1, (b) => {
      b.writeUInt16LE(2 + 1 + 3, 110);
      b.write('\0abc', 128);
    });
    assert.equal(ab.sockaddr.unixPath, '@abc');
    const six = (hex: string): string => ipv6Text(Buffer.from(hex, 'hex'), 0);
    assert.equal(six('00000000000000000000000000000001'), '::1');
    assert.equal(six('20010db8000000000001000000000001'), '2001:db8::1:0:0:1');
    assert.equal(six('20010db8000100010001000100010001'), '2001:db8:1:1:1:1:1:1');
    assert.equal(six('00000000000000000000ffffc0000201'), '::ffff:192.0.2.1');
    assert.equal(six('00000000000000000000000000000000'), '::');
    assert.equal(six('20010db8000000010000000000000001'), '2001:db8:0:1::1');
  });

  it('truncated, garbage and unknown input is counted, never thrown', () => {
    const good = cap(1);
    const unknown = hdr(99, 88);
    const badSize = hdr(Op.Capability, 88); // cap records are 96 bytes
    const unknownSyscall = hdr(Op.File, LAYOUT.oa_file.size);
    unknownSyscall.writeUInt16LE(9999, 108);
    const r = decodeBatch(Buffer.concat([good, unknown, badSize, unknownSyscall, good, good.subarray(0, 50)]));
    assert.equal(r.records.length, 2);
    assert.deepEqual(
      r.errors.sort((a, b) => a.reason.localeCompare(b.reason)),
      [
        { reason: 'bad_size', count: 1 },
        { reason: 'truncated', count: 1 },
        { reason: 'unknown_op', count: 1 },
        { reason: 'unknown_syscall', count: 1 },
      ],
    );
    const cut = decodeBatch(good.subarray(0, 90));
    assert.deepEqual(cut, { records: [], errors: [{ reason: 'truncated', count: 1 }], next: 90 });
    const zero = decodeBatch(Buffer.alloc(200));
    assert.deepEqual(zero, { records: [], errors: [{ reason: 'bad_size', count: 1 }], next: 200 });
    for (let seed = 1; seed < 200; seed++) {
      const junk = Buffer.alloc(4096);
      let x = seed;
      for (let i = 0; i < junk.length; i++) junk[i] = (x = (x * 1103515245 + 12345) & 0x7fffffff) & 0xff;
      assert.doesNotThrow(() => decodeBatch(junk));
    }
    assert.deepEqual(decodeBatch(Buffer.alloc(0)), { records: [], errors: [], next: 0 });
    // In windows of `max` records from `start`: the same records and errors as in one call.
    const all = Buffer.concat([good, unknown, badSize, unknownSyscall, good, good, good.subarray(0, 50)]);
    const whole = decodeBatch(all);
    for (const max of [1, 2, 3, 100]) {
      const got: unknown[] = [];
      const errs = new Map<string, number>();
      let off = 0;
      let calls = 0;
      while (off < all.length) {
        const w = decodeBatch(all, off, max);
        assert.ok(w.next > off && w.records.length <= max, `max ${max}: ${off} -> ${w.next}`);
        got.push(...w.records);
        for (const e of w.errors) errs.set(e.reason, (errs.get(e.reason) ?? 0) + e.count);
        off = w.next;
        calls++;
      }
      assert.deepEqual(got, whole.records);
      assert.deepEqual([...errs].sort(), whole.errors.map((e) => [e.reason, e.count]).sort());
      assert.equal(calls, Math.ceil(7 / max));
    }
  });
});
