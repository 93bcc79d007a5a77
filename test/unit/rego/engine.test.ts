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
import { eventJson, inputJson, projectedEventJson, referencedFields, unionFields, KA_FIELDS, EXTRAS_FIELDS } from '../../../src/rego/input';
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

  /** Evaluates entrypoint `ep` of the raw policy on a pre-serialised input document. */
  function raw(ep: string, parts: string[]): Record<string, unknown[]> {
    const buf = new TextEncoder().encode(inputJson(parts)).buffer as ArrayBuffer;
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
    const alone = raw('otelarmor/rules/credential_file_read/alerts', [eventJson(ev)]);
    assert.deepEqual(alone, [{ i: 0, message: 'Credential file /etc/shadow opened by /usr/bin/cat' }]);
    assert.deepEqual(Object.keys(raw(meta.entrypoints.Process!, [eventJson(ev)])).includes('credential_file_read'), false);
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

    for (const [op, ep] of Object.entries(meta.entrypoints)) {
      const events = CASES.map((c) => c.event).filter((e) => e.ka.Operation === op);
      assert.ok(events.length > 0, op);
      const full = raw(ep!, events.map(eventJson));
      const proj = raw(ep!, events.map((e) => projectedEventJson(e, fields)));
      assert.deepEqual(proj, full, op);
      assert.ok(Object.values(full).some((a) => a.length > 0), `${op}: some rule fires`);
    }
  });
});

function readdirRego(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.rego')).map((f) => readFileSync(path.join(dir, f), 'utf8'));
}
