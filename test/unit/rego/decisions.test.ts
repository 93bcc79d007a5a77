// Rego decision cache (src/rego/decisions.ts) against the real compiled default pack: with the
// cache the engine raises exactly the alerts it raises without it (recorded events and every
// rule case, batch after batch), each distinct projected event is evaluated once, and a pack
// calling a nondeterministic builtin is never cached.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { AgentEvent } from '../../../src/events/types';
import { buildRules } from '../../../src/rego/build';
import { DecisionCache, MAX_KEY_CHARS, deterministic, hostBuiltins } from '../../../src/rego/decisions';
import { RegoEngine, type RegoMatch } from '../../../src/rego/engine';
import { parseEventLine } from '../../../src/rego/events-file';
import { ROOT, tool } from '../../helpers/env';
import { CASES } from '../../fixtures/rego/cases';
import { O, open } from '../../fixtures/rego/events';

const alertOf = (m: RegoMatch) => ({ i: m.index, ...m.alert });
/** Matches by rule name, then event (the cached path's order within an operation group). */
const sorted = (ms: RegoMatch[]) => ms.map(alertOf).sort((x, y) => (x.rule < y.rule ? -1 : x.rule > y.rule ? 1 : x.i - y.i));

describe('rego decision cache (real wasm)', function () {
  let dir: string;
  let bundle: string;
  let clock: string;
  let full: string;
  let recorded: AgentEvent[];
  const shadow = (): AgentEvent => open('/etc/shadow', O.RDONLY, { path: '/usr/bin/cat', args: ['cat', '/etc/shadow'], parent: '/usr/bin/bash' });

  before(function () {
    const opa = tool(this, 'opa');
    dir = mkdtempSync(path.join(os.tmpdir(), 'otelarmor-rego-decisions-'));
    bundle = path.join(dir, 'default.tar.gz');
    clock = path.join(dir, 'clock.tar.gz');
    buildRules(path.join(ROOT, 'policies', 'rego'), bundle, opa);
    buildRules(path.join(ROOT, 'test', 'fixtures', 'rego', 'clock-pack'), clock, opa);
    // The default pack with one rule declaring `custom.input: full`: its events are not projected.
    const src = path.join(dir, 'full-src');
    cpSync(path.join(ROOT, 'policies', 'rego'), src, { recursive: true });
    const rule = path.join(src, 'credential_file_read.rego');
    writeFileSync(rule, readFileSync(rule, 'utf8').replace('# custom:\n', '# custom:\n#   input: full\n'));
    full = path.join(dir, 'full.tar.gz');
    buildRules(src, full, opa);
    recorded = gunzipSync(readFileSync(path.join(ROOT, 'bench', 'rego', 'recorded-mix.jsonl.gz')))
      .toString('utf8').split('\n').filter((l) => l.trim() !== '').map(parseEventLine);
  });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('raises exactly the uncached alerts on recorded events and every rule case, batch after batch', async () => {
    const cached = await RegoEngine.load([bundle]);
    const plain = await RegoEngine.load([bundle], { decisionCache: 0 });
    assert.deepEqual(plain.cacheStats(), { hits: 0, misses: 0, entries: 0, cachedOps: 0 });
    // Rule cases interleaved with recorded events, each case three times (in-batch duplicates).
    const events: AgentEvent[] = [];
    CASES.forEach((c, k) => events.push(c.event, ...recorded.slice(k * 20, k * 20 + 20), c.event, c.event));
    events.push(...recorded.slice(CASES.length * 20));
    let total = 0;
    for (let pass = 0; pass < 2; pass++) {
      for (let a = 0; a < events.length; a += 257) {
        const batch = events.slice(a, a + 257);
        const want = sorted(plain.evaluate(batch));
        const got = sorted(cached.evaluate(batch));
        assert.deepEqual(got, want, `pass ${pass}, batch at ${a}`);
        total += want.length;
      }
      if (pass === 0) {
        const s = cached.cacheStats();
        assert.equal(s.cachedOps, 4);
        assert.ok(s.misses > 0 && s.misses === s.entries, JSON.stringify(s));
      }
    }
    assert.ok(total >= 2 * CASES.filter((c) => c.message).length * 3, `${total} alerts`);
    // Second pass: every decision came from the cache (fewer distinct events than its capacity).
    const s = cached.cacheStats();
    assert.equal(s.misses, s.entries);
  });

  it('caches a full-input pack (custom.input: full) by event JSON: exactly the uncached alerts', async () => {
    const cached = await RegoEngine.load([full]);
    const plain = await RegoEngine.load([full], { decisionCache: 0 });
    assert.equal((cached as unknown as { fields: Map<string, unknown> }).fields.get('File'), null);
    const events: AgentEvent[] = [];
    CASES.forEach((c, k) => events.push(c.event, ...recorded.slice(k * 20, k * 20 + 20), c.event));
    let alerts = 0;
    for (let pass = 0; pass < 2; pass++) {
      for (let a = 0; a < events.length; a += 257) {
        const batch = events.slice(a, a + 257);
        const want = sorted(plain.evaluate(batch));
        assert.deepEqual(sorted(cached.evaluate(batch)), want, `pass ${pass}, batch at ${a}`);
        alerts += want.length;
      }
    }
    assert.ok(alerts > 0);
    const s = cached.cacheStats();
    assert.ok(s.hits > 0 && s.misses > 0 && s.entries === s.misses, JSON.stringify(s));
  });

  it('evaluates each distinct projected event once; identical events share its decision', async () => {
    const eng = await RegoEngine.load([bundle]);
    const batch = Array.from({ length: 100 }, () => shadow());
    const m = eng.evaluate(batch);
    assert.deepEqual(m.map((x) => x.index), [...Array(100).keys()]);
    assert.ok(m.every((x) => x.alert.rule === 'credential_file_read' && x.alert.severity === '8'));
    assert.deepEqual(eng.cacheStats(), { hits: 0, misses: 1, entries: 1, cachedOps: 4 });
    // Fields no File rule names (time, pids, uid) are not part of the key.
    const later = shadow();
    later.ka.Timestamp += 60;
    later.ka.HostPID = later.ka.PID = 4242;
    later.ka.UID = 0;
    assert.deepEqual(eng.evaluate([later]).map((x) => [x.index, x.alert.rule]), [[0, 'credential_file_read']]);
    assert.deepEqual(eng.cacheStats(), { hits: 1, misses: 1, entries: 1, cachedOps: 4 });
    // A named field that differs is another decision.
    const other = shadow();
    other.ka.ProcessName = '/usr/sbin/unix_chkpwd';
    eng.evaluate([other]);
    assert.deepEqual(eng.cacheStats(), { hits: 1, misses: 2, entries: 2, cachedOps: 4 });
  });

  it('never caches a pack that calls a nondeterministic builtin (time.now_ns)', async () => {
    const eng = await RegoEngine.load([clock]);
    assert.deepEqual(eng.cacheStats(), { hits: 0, misses: 0, entries: 0, cachedOps: 0 });
    const both = await RegoEngine.load([bundle, clock]);
    assert.equal(both.cacheStats().cachedOps, 4); // the default pack's four operations only
  });

  it('reads the host builtins of a module: none for the default pack, time.now_ns for the clock pack', async () => {
    const pk = (e: RegoEngine) => (e as unknown as { packs: { policy: unknown }[] }).packs[0]!.policy;
    assert.deepEqual(hostBuiltins(pk(await RegoEngine.load([bundle]))), []);
    assert.deepEqual(hostBuiltins(pk(await RegoEngine.load([clock]))), ['time.now_ns']);
    assert.deepEqual(hostBuiltins({}), []); // not a LoadedPolicy
    assert.deepEqual(['time.now_ns', 'rand.intn', 'uuid.rfc4122', 'http.send', 'net.lookup_ip_addr', 'opa.runtime', 'trace'].map((b) => deterministic([b])), [false, false, false, false, false, false, false]);
    assert.equal(deterministic(['regex.match', 'glob.match', 'time.parse_rfc3339_ns', 'strings.replace_n']), true);
  });

  it('keeps two generations of `capacity` entries; a hit in the older one moves it forward', () => {
    const c = new DecisionCache(2);
    const none: never[] = [];
    c.set('a', none);
    c.set('b', none);
    c.set('c', none); // a, b become the previous generation
    assert.equal(c.size, 3);
    assert.equal(c.get('a'), none); // moved to the current generation (c, a)
    c.set('d', none); // current (c, a) full: previous = (c, a), current = (d); b is gone
    assert.equal(c.get('b'), undefined);
    assert.equal(c.get('a'), none);
    assert.equal(c.get('c'), none);
    assert.deepEqual([c.hits, c.misses], [3, 1]);
    c.set('x'.repeat(MAX_KEY_CHARS + 1), none); // too long to keep
    assert.equal(c.get('x'.repeat(MAX_KEY_CHARS + 1)), undefined);
  });

  it('keys by projected values: objects never meet strings of their JSON, null is not undefined, long values are not kept', () => {
    const c = new DecisionCache(2);
    const F = { ka: ['ProcessName', 'Resource'], extras: ['args'] };
    const ev = (p: unknown, r: unknown, args: unknown): AgentEvent => ({ ...shadow(), ka: { ...shadow().ka, ProcessName: p as string, Resource: r as string }, extras: { ...shadow().extras, args: args as string[] } });
    const A = [{ rule: 'a', severity: '1', message: 'm', tags: [], mitre: [] }];
    c.store(ev('/bin/x', '/etc/a', ['x', '-v']), F, A);
    assert.equal(c.lookup(ev('/bin/x', '/etc/a', ['x', '-v']), F), A); // equal values, other objects
    assert.equal(c.lookup(ev('/bin/x', '/etc/a', '["x","-v"]'), F), undefined); // a string with the array's JSON
    assert.equal(c.lookup(ev('/bin/x', '/etc/a', ['x']), F), undefined);
    assert.equal(c.lookup(ev('/bin/x', null, ['x', '-v']), F), undefined);
    c.store(ev('/bin/x', null, ['x', '-v']), F, []);
    assert.equal(c.lookup(ev('/bin/x', undefined, ['x', '-v']), F), undefined);
    assert.deepEqual(c.lookup(ev('/bin/x', null, ['x', '-v']), F), []);
    const long = `/${'d'.repeat(MAX_KEY_CHARS)}`;
    c.store(ev('/bin/x', long, []), F, A);
    assert.equal(c.lookup(ev('/bin/x', long, []), F), undefined);
    // Two generations of `capacity` (2) entries: a third entry retires the first two, a fourth
    // after a hit in the previous generation drops what was not hit.
    assert.equal(c.size, 2);
    c.store(ev('/bin/y', '/etc/b', []), F, A); // current: (y); previous: (x a, x null)
    assert.equal(c.lookup(ev('/bin/x', '/etc/a', ['x', '-v']), F), A); // moved: current (y, x a)
    c.store(ev('/bin/z', '/etc/c', []), F, A); // current full: previous (y, x a), current (z)
    assert.equal(c.lookup(ev('/bin/x', null, ['x', '-v']), F), undefined);
    assert.equal(c.lookup(ev('/bin/x', '/etc/a', ['x', '-v']), F), A);
    assert.equal(c.lookup(ev('/bin/y', '/etc/b', []), F), A);
  });
});
