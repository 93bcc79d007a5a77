// RegoEngine mechanics against the real compiled default pack (opa build -t wasm): per-rule
// timing histogram, the operation prefilter, and the input projection to referenced fields.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPolicy, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import type { AgentEvent } from '../../../src/events/types';
import { startMetricsServer, type MetricsServer } from '../../../src/metrics/server';
import { buildRules } from '../../../src/rego/build';
import { RegoEngine } from '../../../src/rego/engine';
import { eventJson, indexJson, inputJson, projectedEventJson, referencedFields, unionFields, KA_FIELDS, EXTRAS_FIELDS } from '../../../src/rego/input';
import type { PackMeta } from '../../../src/rego/meta';
import { readTarGz } from '../../../src/rego/tar';
import { ROOT, tool } from '../../helpers/env';
import { CASES } from '../../fixtures/rego/cases';
import { O, open } from '../../fixtures/rego/events';

const HIST = 'otelarmor_rego_eval_duration_seconds';

/** `<HIST>_count{rule="…"}` samples of a Prometheus text page, by rule. */
function evalCounts(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(new RegExp(`^${HIST}_count\\{rule="([^"]*)"\\} (\\d+)$`, 'gm'))) out.set(m[1]!, Number(m[2]));
  return out;
}

describe('rego engine: per-rule timing, operation prefilter, input projection (real wasm)', function () {
  let dir: string;
  let bundle: string;
  let meta: PackMeta;
  let policy: LoadedPolicy;
  let srv: MetricsServer | undefined;
  const shadow = (): AgentEvent => open('/etc/shadow', O.RDONLY, { path: '/usr/bin/cat', args: ['cat', '/etc/shadow'], parent: '/usr/bin/bash' });

  before(async function () {
    const opa = tool(this, 'opa');
    dir = mkdtempSync(path.join(os.tmpdir(), 'otelarmor-rego-engine-'));
    bundle = path.join(dir, 'default-bundle.tar.gz');
    buildRules(path.join(ROOT, 'policies', 'rego'), bundle, opa);
    const files = readTarGz(readFileSync(bundle));
    const data = JSON.parse(files.get('/data.json')!.toString()) as { otelarmor_meta: PackMeta };
    meta = data.otelarmor_meta;
    const wasm = files.get('/policy.wasm')!;
    policy = await loadPolicy(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
    policy.setData(data);
  });

  afterEach(async () => { await srv?.close(); srv = undefined; });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  /** Evaluates entrypoint `ep` of the raw policy on `events` serialised by `ser`, with their index. */
  function raw(ep: string, events: AgentEvent[], ser: (e: AgentEvent) => string = eventJson): Record<string, unknown[]> {
    const buf = new TextEncoder().encode(inputJson(events.map(ser), indexJson(events))).buffer as ArrayBuffer;
    const rs = policy.evaluate(buf, ep) as { result: Record<string, unknown[]> }[];
    return rs[0]!.result;
  }

  it('profileEvery 1: every rule gets its own histogram series, one sample per operation group it is in', async () => {
    srv = await startMetricsServer({ address: '127.0.0.1:0', readiness: () => ({ ready: true, detail: {} }) });
    const engine = await RegoEngine.load([bundle], { metrics: srv.metrics, profileEvery: 1 });
    // The cases cover every operation some rule declares.
    const events = CASES.map((c) => c.event);
    const present = new Set<string>(events.map((e) => e.ka.Operation));
    assert.deepEqual(Object.keys(meta.entrypoints).filter((op) => !present.has(op)), []);
    engine.evaluate(events);
    const want = new Map(engine.rules.map((r) => [r.name, r.operations.length]));
    assert.equal(want.get('crontab_modified'), 2); // File and Process
    assert.equal(want.get('credential_file_read'), 1);
    assert.deepEqual(evalCounts(await (await fetch(`http://${srv.address}/metrics`)).text()), want);

    // A second batch with File events only: only the File rules are timed again.
    engine.evaluate([shadow()]);
    const again = new Map(engine.rules.map((r) => [r.name, r.operations.length + (r.operations.includes('File') ? 1 : 0)]));
    assert.deepEqual(evalCounts(await (await fetch(`http://${srv.address}/metrics`)).text()), again);
  });

  it('profileEvery 3: batches 1 and 4 are timed, 2 and 3 are not; profileEvery 0 never', async () => {
    srv = await startMetricsServer({ address: '127.0.0.1:0', readiness: () => ({ ready: true, detail: {} }) });
    const every3 = await RegoEngine.load([bundle], { metrics: srv.metrics, profileEvery: 3 });
    const never = await RegoEngine.load([bundle], { metrics: srv.metrics, profileEvery: 0 });
    for (let k = 0; k < 4; k++) { every3.evaluate([shadow()]); never.evaluate([shadow()]); }
    const fileRules = every3.rules.filter((r) => r.operations.includes('File')).map((r) => r.name);
    assert.equal(fileRules.length, 13);
    assert.deepEqual(evalCounts(await (await fetch(`http://${srv.address}/metrics`)).text()), new Map(fileRules.map((n) => [n, 2])));
  });

  it('prefilter: a File rule is never evaluated on a Process event, even one whose extras describe a file open', async () => {
    srv = await startMetricsServer({ address: '127.0.0.1:0', readiness: () => ({ ready: true, detail: {} }) });
    const engine = await RegoEngine.load([bundle], { metrics: srv.metrics, profileEvery: 1 });
    const ev = shadow();
    ev.ka.Operation = 'Process';
    assert.equal(ev.extras.syscall, 'openat');
    // The rule body alone matches this event: only the per-operation entrypoints keep it out.
    const alone = raw('otelarmor/rules/credential_file_read/alerts', [ev]);
    assert.deepEqual(alone, [{ i: 0, message: 'Credential file /etc/shadow opened by /usr/bin/cat' }]);
    assert.deepEqual(Object.keys(raw(meta.entrypoints.Process!, [ev])).includes('credential_file_read'), false);
    assert.deepEqual(engine.evaluate([ev]).map((m) => m.alert.rule), []);
    // Not even timed: the only series are those of rules declaring Process.
    const timed = evalCounts(await (await fetch(`http://${srv.address}/metrics`)).text());
    assert.deepEqual([...timed.keys()].sort(), engine.rules.filter((r) => r.operations.includes('Process')).map((r) => r.name).sort());
    // Own alerts and throttling notices are not evaluated at all.
    const notice = shadow();
    notice.ka.Type = 'SystemEvent';
    const own = shadow();
    own.ka.Enforcer = 'OPA';
    assert.deepEqual(engine.evaluate([notice, own]), []);
    assert.deepEqual(engine.evaluate([shadow()]).map((m) => m.alert.rule), ['credential_file_read']);
  });

  it('referencedFields: only member names that occur in the sources, in input order', () => {
    const f = referencedFields([
      'package otelarmor.rules.x\nalerts contains {"i": i} if {\n\tsome i, e in input.events\n\te.extras.openFlags > 0\n\tstartswith(e.ProcessName, "/tmp/")\n}\n',
      '# mentions Cwd in a comment\np := object.get(e, "UID", 0)\nq := e.extras.sockaddr.port\n',
    ]);
    assert.deepEqual(f, { ka: ['ProcessName', 'UID', 'Cwd'], extras: ['openFlags', 'sockaddr'] });
    assert.deepEqual(referencedFields(['package p\nx := 1\n']), { ka: [], extras: [] });
    assert.deepEqual(unionFields([{ ka: ['UID'], extras: [] }, { ka: ['ProcessName'], extras: ['path'] }]), { ka: ['ProcessName', 'UID'], extras: ['path'] });
    assert.equal(unionFields([{ ka: ['UID'], extras: [] }, null]), null);
    // The default pack's projection is what its sources name, from the same function.
    assert.deepEqual(meta.fields, referencedFields([...readdirRego(path.join(ROOT, 'policies', 'rego'))]));
    assert.ok(!meta.fields!.ka.includes('NodeID') && !meta.fields!.extras.includes('cgroupId'));
    assert.ok(KA_FIELDS.includes('NodeID') && EXTRAS_FIELDS.includes('cgroupId'));
  });

  it('projection: events carry only the referenced members (extras always present), and every case evaluates the same as with full events', () => {
    const fields = meta.fields!;
    const ev = CASES.find((c) => c.event.ka.ContainerID && c.event.ka.Operation === 'File')!.event;
    const projected = JSON.parse(projectedEventJson(ev, fields)) as Record<string, unknown>;
    const wantKeys = [...fields.ka.filter((k) => (ev.ka as unknown as Record<string, unknown>)[k] !== undefined), 'extras'];
    assert.deepEqual(Object.keys(projected), wantKeys);
    assert.deepEqual(Object.keys(projected.extras as object), fields.extras.filter((k) => (ev.extras as unknown as Record<string, unknown>)[k] !== undefined));
    assert.equal(projected.NamespaceName, undefined);
    assert.equal(projected.ContainerImage, undefined);
    assert.equal(projected.ContainerID, ev.ka.ContainerID);
    assert.deepEqual(JSON.parse(projectedEventJson(ev, null)), JSON.parse(eventJson(ev)));
    assert.ok(projectedEventJson(ev, fields).length < eventJson(ev).length / 2);
    const empty = JSON.parse(projectedEventJson(ev, { ka: [], extras: [] })) as Record<string, unknown>;
    assert.deepEqual(empty, { extras: {} });
    // Strings that need escaping take JSON.stringify's path: quote, backslash, control, surrogates.
    for (const v of ['a"b', 'a\\b', 'tab\there', '\u0001', '\ud83d\ude00', '\ud800', '\u2028', 'é/ü']) {
      const odd = { ka: { ProcessName: v }, extras: { path: v } } as unknown as AgentEvent;
      assert.equal(projectedEventJson(odd, fields), JSON.stringify({ ProcessName: v, extras: { path: v } }), JSON.stringify(v));
    }
    // Byte-identical to JSON.stringify of the projected object, for every case.
    for (const c of CASES) {
      const o: Record<string, unknown> = {};
      for (const k of fields.ka) if ((c.event.ka as unknown as Record<string, unknown>)[k] !== undefined) o[k] = (c.event.ka as unknown as Record<string, unknown>)[k];
      o.extras = Object.fromEntries(fields.extras.filter((k) => (c.event.extras as unknown as Record<string, unknown>)[k] !== undefined).map((k) => [k, (c.event.extras as unknown as Record<string, unknown>)[k]]));
      assert.equal(projectedEventJson(c.event, fields), JSON.stringify(o), c.name);
    }

    for (const [op, ep] of Object.entries(meta.entrypoints)) {
      const events = CASES.map((c) => c.event).filter((e) => e.ka.Operation === op);
      assert.ok(events.length > 0, op);
      const full = raw(ep!, events);
      const proj = raw(ep!, events, (e) => projectedEventJson(e, fields));
      assert.deepEqual(proj, full, op);
      const opProj = raw(ep!, events, (e) => projectedEventJson(e, meta.opFields![op as keyof PackMeta['entrypoints']]!));
      assert.deepEqual(opProj, full, `${op} (per-operation projection)`);
      assert.ok(Object.values(full).some((a) => a.length > 0), `${op}: some rule fires`);
    }
  });

  it('per-operation projection: helpers plus the rules declaring the operation', () => {
    const of = meta.opFields!;
    assert.deepEqual(Object.keys(of).sort(), Object.keys(meta.entrypoints).sort());
    // Only setuid_root (Syscall) reads UID, only Syscall/Process rules read Data.
    assert.ok(of.Syscall!.ka.includes('UID') && !of.File!.ka.includes('UID'));
    assert.ok(of.Process!.ka.includes('Data') && !of.File!.ka.includes('Data'));
    for (const f of Object.values(of)) {
      assert.ok(f.ka.every((k) => meta.fields!.ka.includes(k)) && f.extras.every((k) => meta.fields!.extras.includes(k)));
    }
  });

  it('input.index: every list holds exactly the events with that property (checked by brute force)', () => {
    const mix = CASES.map((c) => c.event);
    assert.equal(meta.index, true);
    const idx = JSON.parse(indexJson(mix)) as { base: Record<string, number[]>; dir: Record<string, number[]>; syscall: Record<string, number[]>; writeFlags: number[]; exec: Record<string, number[]> };
    const all = mix.map((_, i) => i);
    const group = (key: (e: AgentEvent) => string[]): Record<string, number[]> => {
      const out: Record<string, number[]> = {};
      for (const i of all) for (const k of new Set(key(mix[i]!))) (out[k] ??= []).push(i);
      return out;
    };
    const parts = (p: string) => p.split('/');
    assert.deepEqual(idx.base, group((e) => (typeof e.extras.path === 'string' ? [parts(e.extras.path).at(-1)!] : [])));
    assert.deepEqual(idx.dir, group((e) => (typeof e.extras.path === 'string' ? [parts(e.extras.path).slice(0, -1).join('/')] : [])));
    assert.deepEqual(idx.syscall, group((e) => [e.extras.syscall]));
    assert.deepEqual(idx.writeFlags, all.filter((i) => ((mix[i]!.extras.openFlags ?? 0) & (O.WRONLY | O.RDWR | O.CREAT | O.TRUNC)) !== 0));
    assert.deepEqual(idx.exec, group((e) => (e.ka.Operation === 'Process'
      ? [parts(e.extras.path ?? e.ka.Resource ?? '').at(-1)!, parts(e.extras.args?.[0] ?? '').at(-1)!] : [])));
    assert.ok(idx.exec.nc && idx.base['.bashrc'] && idx.dir['/etc'] && idx.writeFlags.length > 5);
    assert.equal(indexJson([]), '{"base":{},"dir":{},"syscall":{},"writeFlags":[],"exec":{}}');
  });

  it('a pack whose sources never name index gets no input.index; the default pack does', async function () {
    const user = path.join(dir, 'user.tar.gz');
    const built = buildRules(path.join(ROOT, 'test', 'fixtures', 'rego', 'user-pack'), user, tool(this, 'opa'));
    assert.equal(built.meta.index, false);
    // Without input.index the default pack's index helpers find nothing: the engine must send it.
    const ev = shadow();
    const noIndex = policy.evaluate(new TextEncoder().encode(inputJson([eventJson(ev)])).buffer as ArrayBuffer, meta.entrypoints.File!) as { result: Record<string, unknown[]> }[];
    assert.deepEqual(noIndex[0]!.result.credential_file_read, []);
    assert.equal(raw(meta.entrypoints.File!, [ev]).credential_file_read!.length, 1);
  });
});

function readdirRego(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.rego')).map((f) => readFileSync(path.join(dir, f), 'utf8'));
}
