// Fuzz of the wire decoder (decodeBatch): valid records built from its exported LAYOUT table,
// then truncated, mutated and replaced by random bytes. Deterministic seeds; bounded iterations.
// Invariants: decodeBatch never throws, always returns, every framed record is either decoded or
// counted in `errors`, and valid framing is decoded exactly.
import assert from 'node:assert/strict';
import { decodeBatch, FILE_SYSCALLS, LAYOUT, NET_SYSCALLS, ARG_LEN, ARGS_MAX, type DecodeResult } from '../../src/events/decode';
import { Op } from '../../src/events/record';
import { Prng } from './prng';

const SEED = 0x0a7e1a;
const OPS = [Op.ProcessExec, Op.ProcessFork, Op.ProcessExit, Op.File, Op.Network, Op.Capability, Op.Syscall] as const;
const STRUCT: Record<(typeof OPS)[number], keyof typeof LAYOUT> = {
  [Op.ProcessExec]: 'oa_exec', [Op.ProcessFork]: 'oa_fork', [Op.ProcessExit]: 'oa_exit', [Op.File]: 'oa_file',
  [Op.Network]: 'oa_net', [Op.Capability]: 'oa_cap', [Op.Syscall]: 'oa_syscall',
};
const F = LAYOUT.oa_hdr.fields;

interface Built { buf: Buffer; op: number; tgid: number; nrOff?: number }

function put(b: Buffer, off: number, len: number, s: string): void {
  b.write(s.slice(0, len - 1), off, len - 1, 'utf8');
}

function randText(r: Prng, max: number): string {
  const n = r.int(max);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(0x21 + r.int(0x5d));
  return s;
}

/** One valid record of `op` (sizes, syscall numbers and framing as events.h defines them). */
function build(r: Prng, op: (typeof OPS)[number]): Built {
  const L = LAYOUT[STRUCT[op]] as { size: number; fields: Record<string, readonly [number, number]> };
  const b = r.bytes(L.size); // payload noise: the decoder must not care
  const tgid = 1 + r.int(4_000_000);
  b.writeUInt16LE(op, F.op[0]);
  b.writeUInt16LE(L.size, F.size[0]);
  b.writeUInt32LE(tgid, F.tgid[0]);
  b.fill(0, F.comm[0], F.comm[0] + F.comm[1]);
  put(b, F.comm[0], F.comm[1], randText(r, 16));
  const f = L.fields;
  let nrOff: number | undefined;
  switch (op) {
    case Op.ProcessExec: {
      nrOff = f.nr![0];
      b.writeUInt16LE(r.chance(0.5) ? 59 : 322, nrOff);
      b.writeUInt16LE(r.int(ARGS_MAX + 10), f.argc![0]); // argc above ARGS_MAX must be clamped
      break;
    }
    case Op.File:
      nrOff = f.nr![0];
      b.writeUInt16LE(Number(r.pick(Object.keys(FILE_SYSCALLS))), nrOff);
      break;
    case Op.Network:
      nrOff = f.nr![0];
      b.writeUInt16LE(Number(r.pick(Object.keys(NET_SYSCALLS))), nrOff);
      b.writeUInt16LE(r.pick([0, 1, 2, 10, 17, 0xffff]), f.sa_family![0]);
      b.writeUInt16LE(r.int(0x10000), f.sa_len![0]); // abstract unix names use sa_len: any value
      break;
    default:
      break;
  }
  return { buf: b, op, tgid, nrOff };
}

function batch(r: Prng, n: number): Built[] {
  const out: Built[] = [];
  for (let i = 0; i < n; i++) out.push(build(r, r.pick(OPS)));
  return out;
}

function errCount(res: DecodeResult): number {
  return res.errors.reduce((a, e) => a + e.count, 0);
}

function decodeChecked(buf: Buffer, ctx: string): DecodeResult {
  let res: DecodeResult;
  try {
    res = decodeBatch(buf);
  } catch (e) {
    assert.fail(`decodeBatch threw (${ctx}): ${(e as Error).stack}`);
  }
  for (const e of res.errors) {
    assert.ok(['truncated', 'bad_size', 'unknown_op', 'unknown_syscall'].includes(e.reason), `${ctx}: reason ${e.reason}`);
    assert.ok(Number.isInteger(e.count) && e.count > 0, `${ctx}: count ${e.count}`);
  }
  for (const rec of res.records) {
    assert.ok((OPS as readonly number[]).includes(rec.op), `${ctx}: op ${rec.op}`);
    assert.equal(typeof rec.comm, 'string');
    if (rec.op === Op.ProcessExec) {
      assert.ok(rec.args.length <= ARGS_MAX, `${ctx}: ${rec.args.length} args`);
      for (const a of rec.args) assert.ok(Buffer.byteLength(a) <= ARG_LEN * 3, `${ctx}: arg length`);
    }
  }
  return res;
}

describe('reliability: decoder fuzz (decodeBatch)', function () {
  this.timeout(20_000);

  it('decodes 2000 batches of valid records exactly (op, tgid, order), no errors', () => {
    const r = new Prng(SEED);
    for (let it = 0; it < 2000; it++) {
      const recs = batch(r, 1 + r.int(12));
      const res = decodeChecked(Buffer.concat(recs.map((x) => x.buf)), `seed ${SEED} it ${it}`);
      assert.deepEqual(res.errors, [], `seed ${SEED} it ${it}`);
      assert.deepEqual(res.records.map((x) => [x.op, x.tgid]), recs.map((x) => [x.op, x.tgid]), `seed ${SEED} it ${it}`);
    }
  });

  it('truncated batches: every complete record before the cut decodes, the cut counts one "truncated"', () => {
    const r = new Prng(SEED + 1);
    for (let it = 0; it < 3000; it++) {
      const recs = batch(r, 1 + r.int(8));
      const whole = Buffer.concat(recs.map((x) => x.buf));
      const cut = r.int(whole.length);
      const res = decodeChecked(whole.subarray(0, cut), `seed ${SEED + 1} it ${it} cut ${cut}`);
      let end = 0;
      let complete = 0;
      for (const x of recs) {
        if (end + x.buf.length > cut) break;
        end += x.buf.length;
        complete++;
      }
      assert.equal(res.records.length, complete, `seed ${SEED + 1} it ${it} cut ${cut}`);
      assert.deepEqual(res.errors, end === cut ? [] : [{ reason: 'truncated', count: 1 }], `seed ${SEED + 1} it ${it} cut ${cut}`);
    }
  });

  it('payload mutations (header op/size kept): framing holds; each record decodes or counts unknown_syscall', () => {
    const r = new Prng(SEED + 2);
    for (let it = 0; it < 3000; it++) {
      const recs = batch(r, 1 + r.int(8));
      for (const x of recs) {
        const flips = 1 + r.int(16);
        for (let k = 0; k < flips; k++) {
          const off = 4 + r.int(x.buf.length - 4); // bytes 0..3 are op and size
          x.buf[off] = r.u32() & 0xff;
        }
      }
      const res = decodeChecked(Buffer.concat(recs.map((x) => x.buf)), `seed ${SEED + 2} it ${it}`);
      const unknown = res.errors.find((e) => e.reason === 'unknown_syscall')?.count ?? 0;
      assert.equal(res.errors.filter((e) => e.reason !== 'unknown_syscall').length, 0, `seed ${SEED + 2} it ${it}: ${JSON.stringify(res.errors)}`);
      assert.equal(res.records.length + unknown, recs.length, `seed ${SEED + 2} it ${it}`);
    }
  });

  it('any-byte mutations and random bytes: never throws, every frame decoded or counted', () => {
    const r = new Prng(SEED + 3);
    let totalErrors = 0;
    for (let it = 0; it < 4000; it++) {
      let buf: Buffer;
      if (it % 2 === 0) {
        buf = Buffer.concat(batch(r, 1 + r.int(6)).map((x) => x.buf));
        const flips = 1 + r.int(8);
        for (let k = 0; k < flips; k++) buf[r.int(buf.length)] = r.u32() & 0xff;
        if (r.chance(0.3)) buf = buf.subarray(0, r.int(buf.length + 1));
      } else {
        buf = r.bytes(r.int(8192));
        if (r.chance(0.5) && buf.length >= 4) {
          // Plausible header so the fuzzer reaches past framing checks.
          buf.writeUInt16LE(r.pick(OPS), 0);
          buf.writeUInt16LE(r.pick([80, 88, 96, 240, 624, 912, 3184, 8, 0xfff8]), 2);
        }
      }
      const res = decodeChecked(buf, `seed ${SEED + 3} it ${it}`);
      if (buf.length > 0) assert.ok(res.records.length + errCount(res) >= 1, `seed ${SEED + 3} it ${it}: nothing decoded nor counted`);
      assert.ok(res.records.length <= Math.floor(buf.length / LAYOUT.oa_hdr.size), `seed ${SEED + 3} it ${it}`);
      totalErrors += errCount(res);
    }
    assert.ok(totalErrors > 0);
  });

  it('records with sizes that do not match their op count bad_size and keep framing', () => {
    const r = new Prng(SEED + 4);
    const good = build(r, Op.ProcessFork);
    const odd = Buffer.alloc(96);
    odd.writeUInt16LE(Op.ProcessFork, 0);
    odd.writeUInt16LE(96, 2); // a multiple of 8 but not sizeof(struct oa_fork)
    const unknownOp = Buffer.alloc(88);
    unknownOp.writeUInt16LE(999, 0);
    unknownOp.writeUInt16LE(88, 2);
    const res = decodeChecked(Buffer.concat([odd, unknownOp, good.buf]), 'fixed');
    assert.deepEqual(res.errors, [{ reason: 'bad_size', count: 1 }, { reason: 'unknown_op', count: 1 }]);
    assert.deepEqual(res.records.map((x) => [x.op, x.tgid]), [[Op.ProcessFork, good.tgid]]);
  });
});
