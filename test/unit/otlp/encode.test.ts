import assert from 'node:assert/strict';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LogsRequestEncoder } from '../../../src/otlp/encode';
import { toLogRecord } from '../../../src/otlp/record';
import type { AgentEvent } from '../../../src/events/types';
import { loadEvents, fixture } from '../../fixtures/events';

const RES = { 'service.name': 'otelarmor', 'service.version': '0.1.0', 'k8s.node.name': 'nöde-ä' };
const SCOPE = { name: 'otelarmor', version: '0.1.0' };

function sdkBytes(evs: AgentEvent[], commandLine: boolean): Buffer {
  const resource = resourceFromAttributes(RES);
  const recs = evs.map((e) => toLogRecord(e, { commandLine, resource, scope: SCOPE }));
  return Buffer.from(ProtobufLogsSerializer.serializeRequest(recs)!);
}

describe('otlp/encode: direct encoder vs the OTel SDK serializer', () => {
  for (const commandLine of [false, true]) {
    it(`is byte-identical on the recorded fixtures (commandLine=${commandLine})`, () => {
      const evs = loadEvents();
      const enc = new LogsRequestEncoder(RES, SCOPE, { commandLine });
      assert.deepEqual(enc.encode(evs), sdkBytes(evs, commandLine));
    });
  }

  it('is byte-identical on varied traffic (cached attribute runs branch and repeat)', () => {
    const fx = loadEvents();
    const evs: AgentEvent[] = [];
    for (let i = 0; i < 2000; i++) {
      const t = fx[i % fx.length]!;
      const ka = { ...t.ka, PodName: t.ka.PodName ? `pod-${i % 7}` : undefined, ProcessName: `/usr/bin/p${i % 13}`, UpdatedTime: `t${i}` };
      if (i % 3 === 0) delete ka.Owner;
      if (i % 5 === 0) delete ka.PodName;
      evs.push({ ...t, ka, timeNs: t.timeNs + BigInt(i) });
    }
    const enc = new LogsRequestEncoder(RES, SCOPE, { commandLine: true });
    for (let i = 0; i < evs.length; i += 500) {
      const part = evs.slice(i, i + 500);
      assert.deepEqual(enc.encode(part), sdkBytes(part, true));
    }
  });

  it('is byte-identical on edge values: UTF-8, negative and large ints, long strings, big batches', () => {
    const base = fixture('alert');
    const odd: AgentEvent = {
      ...base,
      ka: {
        ...base.ka, PID: -1, UID: 4294967294, HostPID: 2 ** 40, Message: 'ümlaut ☃ '.repeat(40),
        Data: 'x'.repeat(20000), ATags: [], EventData: { Ключ: 'значение' },
      },
      timeNs: 0n,
      observedNs: 18446744073709551615n,
    };
    const evs: AgentEvent[] = [odd];
    for (let i = 0; i < 3000; i++) evs.push({ ...base, ka: { ...base.ka, HostPID: i }, timeNs: base.timeNs + BigInt(i) });
    const enc = new LogsRequestEncoder(RES, SCOPE, { commandLine: false });
    assert.deepEqual(enc.encode(evs), sdkBytes(evs, false));
    // The encoder is reusable: a second request is independent of the first.
    assert.deepEqual(enc.encode([base]), sdkBytes([base], false));
  });

  it('is byte-identical on short non-ASCII strings: 2-, 3- and 4-byte UTF-8, lone surrogates (U+FFFD)', () => {
    const base = fixture('alert');
    const texts = ['é', 'a→b', '😀x', 'x\ud800', '\udc00y', '\u07ff\u0800\uffff', 'ж☃😀\ud83d', '→'.repeat(256), `${'→'.repeat(255)}😀`];
    const evs = texts.map((t, i) => ({ ...base, ka: { ...base.ka, Message: t, ProcessName: `/p${t}`, HostPID: i } }));
    const enc = new LogsRequestEncoder(RES, SCOPE, { commandLine: false });
    assert.deepEqual(enc.encode(evs), sdkBytes(evs, false));
  });

  it('is byte-identical where UTF-8 makes a length prefix longer than the ASCII guess (KeyValue, body, array element)', () => {
    // Prefixes are sized for UTF-8 length = string length and corrected after the bytes: sweep
    // lengths across the 1- to 2-byte varint boundary (128) of each nesting level with 1-, 2- and
    // 3-byte characters, in cached (Message) and uncached (Resource) attributes, in the body
    // (ProcessName is in it) and in string array elements (ATags).
    const base = fixture('alert');
    const evs: AgentEvent[] = [];
    for (let k = 1; k <= 140; k++) {
      for (const ch of ['a', 'é', '→']) {
        const t = ch.repeat(k);
        evs.push({ ...base, ka: { ...base.ka, Message: t, Resource: `/r${t}`, ProcessName: `/p${t}`, ATags: [t, 'x'], HostPID: k } });
      }
    }
    const enc = new LogsRequestEncoder(RES, SCOPE, { commandLine: false });
    for (let i = 0; i < evs.length; i += 97) {
      const part = evs.slice(i, i + 97);
      assert.deepEqual(enc.encode(part), sdkBytes(part, false));
    }
    assert.deepEqual(new LogsRequestEncoder(RES, SCOPE, { commandLine: false }).encode(evs), sdkBytes(evs, false));
  });

  it('cached attribute bytes survive arena turnover and per-key resets (values beyond the caps)', () => {
    // More distinct values than one key keeps (4,096) and more cached bytes than one arena holds
    // (1 MiB): the encoder drops and refills its caches; output stays byte-identical.
    const base = fixture('alert');
    const evs: AgentEvent[] = [];
    for (let i = 0; i < 12_000; i++) {
      evs.push({ ...base, ka: { ...base.ka, HostPID: i, Message: `m${i}`.padEnd(120, '.'), Source: `/bin/s${i % 5000}` } });
    }
    const enc = new LogsRequestEncoder(RES, SCOPE, { commandLine: false });
    for (let i = 0; i < evs.length; i += 2048) {
      const part = evs.slice(i, i + 2048);
      assert.deepEqual(enc.encode(part), sdkBytes(part, false));
    }
    // Repeats after the resets.
    const again = evs.slice(0, 3000);
    assert.deepEqual(enc.encode(again), sdkBytes(again, false));
  });

  it('reuses the memory of released requests (never a pool slab), with correct bytes', () => {
    const fx = loadEvents();
    const evs: AgentEvent[] = [];
    for (let i = 0; i < 600; i++) evs.push({ ...fx[i % fx.length]!, timeNs: fx[i % fx.length]!.timeNs + BigInt(i) });
    const enc = new LogsRequestEncoder(RES, SCOPE, { commandLine: false });
    const a = enc.encode(evs.slice(0, 300));
    enc.release(a);
    const b = enc.encode(evs.slice(300));
    assert.equal(b.buffer, a.buffer);
    assert.deepEqual(b, sdkBytes(evs.slice(300), false));
    // A one-record request lives in Node's shared 8 KiB pool: never handed out again (a
    // three-record request, 4-8 KiB, would fit in that slab but gets memory of its own).
    const small = enc.encode(evs.slice(0, 1));
    assert.ok(small.buffer.byteLength < 64 * 1024);
    enc.release(small);
    const c = enc.encode(evs.slice(0, 3));
    assert.ok(c.length > 4096 && c.length < 8192 - 1024, `${c.length}`);
    assert.notEqual(c.buffer, small.buffer);
    assert.deepEqual(c, sdkBytes(evs.slice(0, 3), false));
  });

  it('runs of identical events reuse the last body and path bytes, and a change in any piece is seen', () => {
    const base = fixture('open');
    const v = (res: string, proc: string, result: string): AgentEvent =>
      ({ ...base, ka: { ...base.ka, Resource: res, ProcessName: proc, Result: result }, extras: { ...base.extras, path: res } });
    const evs = [
      v('/etc/a', '/bin/x', 'Passed'), v('/etc/a', '/bin/x', 'Passed'), v('/etc/a', '/bin/x', 'Passed'),
      v('/etc/b', '/bin/x', 'Passed'), v('/etc/b', '/bin/y', 'Passed'), v('/etc/b', '/bin/y', 'Permission denied'),
      v('/etc/a', '/bin/x', 'Passed'), v(`/etc/${'é'.repeat(300)}`, '/bin/x', 'Passed'), v(`/etc/${'é'.repeat(300)}`, '/bin/x', 'Passed'),
      v('/etc/a', '/bin/x', 'Passed'),
    ];
    const enc = new LogsRequestEncoder(RES, SCOPE, { commandLine: false });
    assert.deepEqual(enc.encode(evs), sdkBytes(evs, false));
    for (let i = 0; i < evs.length; i++) assert.deepEqual(enc.encode([evs[i]!]), sdkBytes([evs[i]!], false), `event ${i} alone`);
  });
});
