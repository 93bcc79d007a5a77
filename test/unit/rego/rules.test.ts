// Every default rule (policies/rego) compiled by the real `opa build -t wasm` and evaluated by the
// real Wasm module through RegoEngine: positive and negative cases from test/fixtures/rego.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, tool } from '../../helpers/env';
import { buildRules } from '../../../src/rego/build';
import { RegoEngine } from '../../../src/rego/engine';
import { AgentMetrics } from '../../../src/metrics/metrics';
import { CASES } from '../../fixtures/rego/cases';
import { O, open, python } from '../../fixtures/rego/events';

describe('rego default rule pack (real wasm)', function () {
  let dir: string;
  let bundle: string;
  let engine: RegoEngine;

  before(async function () {
    const opa = tool(this, 'opa');
    dir = mkdtempSync(path.join(os.tmpdir(), 'otelarmor-rego-test-'));
    bundle = path.join(dir, 'default-bundle.tar.gz');
    buildRules(path.join(ROOT, 'policies', 'rego'), bundle, opa);
    engine = await RegoEngine.load([bundle], { metrics: new AgentMetrics() });
  });

  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('has at least 20 rules, each with MITRE techniques and cases both ways', () => {
    const rules = engine.rules;
    assert.ok(rules.length >= 20, `only ${rules.length} rules`);
    for (const r of rules) {
      assert.ok(r.mitre.length > 0 && r.mitre.every((m) => /^T\d{4}(\.\d{3})?$/.test(m)), r.name);
      assert.ok(CASES.some((c) => c.rule === r.name && c.message !== undefined), `${r.name}: no positive case`);
      assert.ok(CASES.some((c) => c.rule === r.name && c.message === undefined), `${r.name}: no negative case`);
    }
    for (const c of CASES) assert.ok(rules.some((r) => r.name === c.rule), `case for unknown rule ${c.rule}`);
  });

  for (const c of CASES) {
    it(`${c.rule}: ${c.message !== undefined ? 'fires on' : 'quiet on'} ${c.name}`, () => {
      const got = engine.evaluate([c.event]).filter((m) => m.alert.rule === c.rule);
      if (c.message === undefined) {
        assert.deepEqual(got, []);
        return;
      }
      const meta = engine.rules.find((r) => r.name === c.rule)!;
      assert.deepEqual(got, [{
        index: 0,
        alert: { rule: c.rule, severity: String(meta.severity), message: c.message, tags: meta.tags, mitre: meta.mitre },
      }]);
    });
  }

  it('evaluates all cases in one batch with the same outcome per event', () => {
    const events = CASES.map((c) => c.event);
    const matches = engine.evaluate(events);
    for (let i = 0; i < CASES.length; i++) {
      const c = CASES[i]!;
      const hit = matches.filter((m) => m.index === i && m.alert.rule === c.rule);
      assert.equal(hit.length, c.message === undefined ? 0 : 1, `${c.rule}: ${c.name}`);
      if (c.message !== undefined) assert.equal(hit[0]!.alert.message, c.message);
    }
  });

  it('splits large groups into several wasm calls without losing matches', async () => {
    const small = await RegoEngine.load([bundle], { maxInputChars: 4096 });
    const events = CASES.map((c) => c.event);
    const key = (m: { index: number; alert: { rule: string } }) => `${m.index}/${m.alert.rule}`;
    assert.deepEqual(small.evaluate(events).map(key).sort(), engine.evaluate(events).map(key).sort());
  });

  it('appends alert events and keeps the originals (process)', () => {
    const ev = open('/etc/shadow', O.RDONLY, { path: '/usr/bin/cat', args: ['cat', '/etc/shadow'], parent: '/usr/bin/bash', container: true });
    const benign = open('/etc/hosts', O.RDONLY, python);
    const out = engine.process([benign, ev]);
    assert.equal(out.length, 3);
    assert.equal(out[0], benign);
    assert.equal(out[1], ev);
    const a = out[2]!;
    assert.equal(a.timeNs, ev.timeNs);
    assert.equal(a.observedNs, ev.observedNs);
    assert.equal(a.extras, ev.extras);
    assert.deepEqual(a.ka, {
      ...ev.ka,
      Type: 'MatchedPolicy',
      PolicyName: 'rego:credential_file_read',
      Severity: '8',
      Tags: 'MITRE,MITRE_TA0006_credential_access,T1003.008,T1552.001',
      ATags: ['MITRE', 'MITRE_TA0006_credential_access', 'T1003.008', 'T1552.001'],
      Message: 'Credential file /etc/shadow opened by /usr/bin/cat',
      Action: 'Audit',
      Enforcer: 'OPA',
      KubeArmorVersion: `otelarmor-${(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}`,
    });
    assert.equal(ev.ka.Type, 'ContainerLog');
  });

  it('raises MatchedHostPolicy for host events and skips its own alerts', () => {
    const ev = open('/etc/shadow', O.RDONLY, { path: '/usr/bin/cat', args: ['cat', '/etc/shadow'], parent: '/usr/bin/bash' });
    const out = engine.process([ev]);
    assert.equal(out.length, 2);
    assert.equal(out[1]!.ka.Type, 'MatchedHostPolicy');
    assert.equal(out[1]!.ka.PolicyName, 'rego:credential_file_read');
    assert.deepEqual(engine.process([out[1]!]), [out[1]!]);
  });
});
