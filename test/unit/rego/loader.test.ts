// RegoEngine.load/reload and `rules build` against real opa output and damaged bundles: bad input
// is rejected with an error naming the file and reason, and the running rules stay in place.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ROOT, tool } from '../../helpers/env';
import { RegoBuildError, buildRules } from '../../../src/rego/build';
import { RegoEngine, RegoLoadError } from '../../../src/rego/engine';
import { readTar, readTarGz } from '../../../src/rego/tar';
import { AgentMetrics } from '../../../src/metrics/metrics';
import { O, open, python } from '../../fixtures/rego/events';

const FIX = path.join(ROOT, 'test', 'fixtures', 'rego');

describe('rego loader and build', function () {
  let opa: string;
  let dir: string;
  let bundle: string;
  let engine: RegoEngine;
  const shadow = () => open('/etc/shadow', O.RDONLY, { path: '/usr/bin/cat', args: ['cat', '/etc/shadow'], parent: '/usr/bin/bash' });
  const firing = (e: RegoEngine) => e.evaluate([shadow()]).map((m) => m.alert.rule);

  before(async function () {
    opa = tool(this, 'opa');
    dir = mkdtempSync(path.join(os.tmpdir(), 'otelarmor-rego-loader-'));
    bundle = path.join(dir, 'default.tar.gz');
    buildRules(path.join(ROOT, 'policies', 'rego'), bundle, opa);
  });
  beforeEach(async () => { engine = await RegoEngine.load([bundle]); });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('reads the bundle opa wrote: /policy.wasm, /data.json, /.manifest', () => {
    const files = readTarGz(readFileSync(bundle));
    assert.ok(files.has('/policy.wasm') && files.has('/data.json') && files.has('/.manifest'));
    assert.deepEqual([...files.get('/policy.wasm')!.subarray(0, 4)], [0, 0x61, 0x73, 0x6d]);
    const manifest = JSON.parse(files.get('/.manifest')!.toString()) as { wasm: { entrypoint: string }[] };
    const eps = manifest.wasm.map((w) => w.entrypoint);
    for (const op of ['file', 'process', 'network', 'syscall']) assert.ok(eps.includes(`otelarmor/entry/${op}/alerts`), op);
    assert.ok(eps.includes('otelarmor/rules/credential_file_read/alerts'));
    const meta = (JSON.parse(files.get('/data.json')!.toString()) as { otelarmor_meta: { inputVersion: number; rules: Record<string, { operations: string[] }> } }).otelarmor_meta;
    assert.equal(meta.inputVersion, 1);
    assert.deepEqual(meta.rules.crontab_modified!.operations, ['File', 'Process']);
  });

  it('a reload of unchanged bytes keeps the compiled module; another file or other bytes compile anew', async () => {
    const policyOf = (e: RegoEngine) => (e as unknown as { packs: { policy: unknown }[] }).packs[0]!.policy;
    const first = policyOf(engine);
    writeFileSync(bundle, readFileSync(bundle)); // rewritten, same bytes
    assert.equal(await engine.reload([bundle]), null);
    assert.equal(policyOf(engine), first, 'same path, same bytes: reused');
    const copy = path.join(dir, 'copy.tar.gz');
    writeFileSync(copy, readFileSync(bundle));
    assert.equal(await engine.reload([copy]), null);
    assert.notEqual(policyOf(engine), first, 'another file: loaded');
    assert.equal(await engine.reload([bundle]), null);
    assert.notEqual(policyOf(engine), first, 'back to the first file: compiled again (only the packs in force are kept)');
    assert.deepEqual(firing(engine), ['credential_file_read']);
  });

  it('rejects a truncated tar.gz and keeps the previous rules', async () => {
    const bad = path.join(dir, 'truncated.tar.gz');
    const buf = readFileSync(bundle);
    writeFileSync(bad, buf.subarray(0, buf.length >> 1));
    const err = await engine.reload([bad]);
    assert.ok(err instanceof RegoLoadError);
    assert.equal(err.file, bad);
    assert.equal(err.reason, 'not a bundle.tar.gz: not a valid gzip stream: unexpected end of file');
    assert.deepEqual(firing(engine), ['credential_file_read']);
    assert.deepEqual(engine.sources, [bundle]);
  });

  it('rejects a tar cut inside an entry (valid gzip of a truncated tar)', () => {
    const tar = gunzipSync(readFileSync(bundle));
    assert.throws(() => readTar(tar.subarray(0, 1024 + 100)), /tar entry at offset \d+ is truncated \(needs \d+ bytes, \d+ left\)/);
  });

  it('rejects garbage bytes and keeps the previous rules', async () => {
    const bad = path.join(dir, 'garbage.tar.gz');
    writeFileSync(bad, Buffer.from('this is not a bundle at all\n'.repeat(20)));
    const err = await engine.reload([bad]);
    assert.ok(err instanceof RegoLoadError);
    assert.equal(err.message, `${bad}: not a bundle.tar.gz: not a valid gzip stream: incorrect header check`);
    assert.deepEqual(firing(engine), ['credential_file_read']);
  });

  it('rejects a wasm that lacks an entrypoint the metadata names', async () => {
    // Real opa output, compiled with only the rule entrypoint while the metadata promises the
    // per-operation one.
    const src = path.join(dir, 'missing-ep-src');
    const gen = path.join(src, 'otelarmor_meta');
    mkdirSync(gen, { recursive: true });
    writeFileSync(path.join(src, 'rule.rego'), readFileSync(path.join(FIX, 'user-pack', 'tmp_write.rego')));
    writeFileSync(path.join(gen, 'data.json'), JSON.stringify({
      version: 1, inputVersion: 1, entrypoints: { File: 'otelarmor/entry/file/alerts' },
      rules: { srv_secret_write: { name: 'srv_secret_write', title: 't', description: '', severity: 4, operations: ['File'], mitre: ['T1565.001'], tags: [], file: 'rule.rego', entrypoint: 'otelarmor/rules/srv_secret_write/alerts' } },
    }));
    const bad = path.join(dir, 'missing-ep.tar.gz');
    const r = spawnSync(opa, ['build', '-t', 'wasm', '-e', 'otelarmor/rules/srv_secret_write/alerts', '-o', bad, src], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const err = await engine.reload([bad]);
    assert.ok(err instanceof RegoLoadError);
    assert.equal(err.reason, 'policy.wasm has no entrypoint "otelarmor/entry/file/alerts" (operation File); it has: otelarmor/rules/srv_secret_write/alerts');
    assert.deepEqual(firing(engine), ['credential_file_read']);
  });

  it('rejects a bundle built without rule metadata (plain opa build)', async () => {
    const bad = path.join(dir, 'plain.tar.gz');
    const r = spawnSync(opa, ['build', '-t', 'wasm', '-e', 'otelarmor/rules/srv_secret_write/alerts', '-o', bad, path.join(FIX, 'user-pack')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const err = await engine.reload([bad]);
    assert.ok(err instanceof RegoLoadError);
    assert.equal(err.reason, 'data.json has no "otelarmor_meta" document (build the bundle with `otelarmor rules build`)');
  });

  it('rejects a directory without policy.wasm, and a policy.wasm that does not instantiate', async () => {
    const d = path.join(dir, 'nowasm');
    mkdirSync(d);
    writeFileSync(path.join(d, 'data.json'), '{}');
    let err = await engine.reload([d]);
    assert.ok(err instanceof RegoLoadError);
    assert.equal(err.message, `${d}: directory has no policy.wasm (expected policy.wasm + data.json from \`otelarmor rules build\`)`);
    // A directory holding the real data.json and a corrupt module.
    const files = readTarGz(readFileSync(bundle));
    writeFileSync(path.join(d, 'data.json'), files.get('/data.json')!);
    writeFileSync(path.join(d, 'policy.wasm'), files.get('/policy.wasm')!.subarray(0, 2000));
    err = await engine.reload([d]);
    assert.ok(err instanceof RegoLoadError);
    assert.match(err.reason, /^policy\.wasm does not instantiate: WebAssembly\.instantiate\(\): /);
    assert.deepEqual(firing(engine), ['credential_file_read']);
    // The extracted files of a good bundle load as a directory.
    writeFileSync(path.join(d, 'policy.wasm'), files.get('/policy.wasm')!);
    assert.equal(await engine.reload([d]), null);
    assert.deepEqual(firing(engine), ['credential_file_read']);
  });

  it('load() rejects with the error; reload() is all-or-nothing across several bundles', async () => {
    const bad = path.join(dir, 'garbage2.tar.gz');
    writeFileSync(bad, 'x');
    await assert.rejects(RegoEngine.load([bad]), (e: unknown) => e instanceof RegoLoadError && e.file === bad);
    const err = await engine.reload([bundle, bad]);
    assert.ok(err instanceof RegoLoadError);
    assert.equal(err.file, bad);
    assert.deepEqual(engine.sources, [bundle]);
    const dup = await engine.reload([bundle, bundle]);
    assert.equal(dup?.reason, `rule "account_file_modified" is also defined by ${bundle}`);
  });

  it('loads a user pack next to the default pack; rule output may override severity', async () => {
    const user = path.join(dir, 'user.tar.gz');
    buildRules(path.join(FIX, 'user-pack'), user, opa);
    const metrics = new AgentMetrics();
    const both = await RegoEngine.load([bundle, user], { metrics });
    assert.equal(metrics.gauges.policiesLoaded.get('rego'), 28);
    const m = both.evaluate([open('/srv/secret/key', O.WRONLY | O.CREAT, python)]);
    assert.deepEqual(m, [{ index: 0, alert: { rule: 'srv_secret_write', severity: '9', message: 'write /srv/secret/key', tags: ['site'], mitre: ['T1565.001'] } }]);
  });

  it('rules build rejects rules with bad or missing metadata, naming file and field', function () {
    assert.throws(() => buildRules(path.join(FIX, 'bad-meta'), path.join(dir, 'x.tar.gz'), opa), (e: unknown) => {
      assert.ok(e instanceof RegoBuildError);
      const msg = e.message;
      assert.match(msg, /bad-meta\/rule\.rego:7: package otelarmor\.rules\.bad_operation: custom\.severity: must be an integer 1\.\.10, got 11/);
      assert.match(msg, /bad-meta\/rule\.rego:7: package otelarmor\.rules\.bad_operation: custom\.operations: unknown operation "Files"/);
      assert.match(msg, /bad-meta\/nometa\.rego: package otelarmor\.rules\.no_metadata: no package-scoped # METADATA block/);
      return true;
    });
  });

  it('bounded wasm memory: oversize batches are halved until they fit, nothing is lost', async () => {
    const metrics = new AgentMetrics();
    const tiny = await RegoEngine.load([bundle], { metrics, memory: { initial: 8, maximum: 12 }, maxInputChars: 1 << 30 });
    const events = Array.from({ length: 400 }, (_, k) => k % 40 === 0 ? shadow() : open(`/usr/lib/x86_64-linux-gnu/lib${k}.so`, O.RDONLY | O.CLOEXEC, python));
    const m = tiny.evaluate(events);
    assert.deepEqual(m.map((x) => x.index).sort((a, b) => a - b), Array.from({ length: 10 }, (_, k) => k * 40));
    assert.equal(metrics.dropCounts.size, 0);
  });
});
