import assert from 'node:assert/strict';
import { decodeBatch, ipv6Text, LAYOUT } from '../../src/events/decode';
import { Op, type CapabilityRecord, type FileRecord, type NetworkRecord } from '../../src/events/record';

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
    assert.deepEqual(cut, { records: [], errors: [{ reason: 'truncated', count: 1 }] });
    const zero = decodeBatch(Buffer.alloc(200));
    assert.deepEqual(zero, { records: [], errors: [{ reason: 'bad_size', count: 1 }] });
    for (let seed = 1; seed < 200; seed++) {
      const junk = Buffer.alloc(4096);
      let x = seed;
      for (let i = 0; i < junk.length; i++) junk[i] = (x = (x * 1103515245 + 12345) & 0x7fffffff) & 0xff;
      assert.doesNotThrow(() => decodeBatch(junk));
    }
    assert.deepEqual(decodeBatch(Buffer.alloc(0)), { records: [], errors: [] });
  });
});
