// End to end inside the node: KubeArmor host-policy YAML -> policy compiler (src/policy) ->
// KernelRuleSet -> Enforcer maps -> the kernel stops the operations, and the record's rule id
// leads back to the policy.
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Op, RecordFlag, type ExecRecord, type FileRecord, type NetworkRecord } from '../../src/events/record';
import { compile, parsePolicyText, ruleInfo } from '../../src/policy';
import { EMPTY_RULES, EnforceHarness, prog } from './enforce-harness';

describe('kernel enforcement: KubeArmor YAML -> compile -> kernel', function () {
  this.timeout(30000);
  let h: EnforceHarness;
  let dir: string;

  before(async function () {
    h = await EnforceHarness.open(this, ['process']);
    dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'oa-enforce-policy-')));
  });
  after(async () => {
    h?.enforcer.apply(EMPTY_RULES);
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('Block process/file/network rules of a host policy stop the marker exec, the secret read and the tcp connect', async () => {
    const secret = path.join(dir, 'token');
    writeFileSync(secret, 'do-not-print');
    const yaml = `apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata:
  name: enforce-e2e
spec:
  nodeSelector:
    matchLabels:
      kubearmor.io/hostname: "*"
  severity: 7
  process:
    matchPaths:
    - path: ${prog('enforce-marker')}
  file:
    matchPaths:
    - path: ${secret}
  network:
    matchProtocols:
    - protocol: tcp
      fromSource:
      - path: ${prog('enforce-net')}
  action: Block
`;
    const parsed = parsePolicyText(yaml, 'enforce-e2e.yaml');
    assert.deepEqual(parsed.errors, []);
    const { set, ruleTable } = compile(parsed.policies, [], { hostName: os.hostname(), labels: {} });
    const applied = h.enforcer.apply(set);
    assert.deepEqual(set.rules.map((r) => r.kind).sort(), [1, 2, 3]);
    assert.equal(applied.rulesWritten, 3);

    const exec = await h.run(prog('enforce-marker'), ['from-policy']);
    assert.deepEqual(exec.lines, []);
    assert.equal(exec.signal, 'SIGKILL');
    const e = h.of(exec.pid, Op.ProcessExec)[0] as ExecRecord;
    assert.equal(e.recordFlags, RecordFlag.Matched | RecordFlag.Killed);
    assert.deepEqual(
      (({ policyName, category, action, target, severity }) => ({ policyName, category, action, target, severity }))(ruleInfo(ruleTable, e.ruleId)!),
      { policyName: 'enforce-e2e', category: 'process', action: 'Block', target: prog('enforce-marker'), severity: 7 },
    );

    const read = await h.run(prog('enforce-read'), [secret]);
    assert.deepEqual(read.lines, []);
    assert.equal(read.signal, 'SIGKILL');
    const f = h.of(read.pid, Op.File).find((r) => (r as FileRecord).path === secret) as FileRecord;
    assert.equal(f.recordFlags, RecordFlag.Matched | RecordFlag.Killed | RecordFlag.RuleOnly);
    assert.equal(ruleInfo(ruleTable, f.ruleId)?.category, 'file');

    const conn = await h.run(prog('enforce-net'), ['tcp', '9']);
    assert.deepEqual(conn.lines, ['connect -13']);
    assert.equal(conn.code, 0);
    const n = (await h.waitFor((r) => r.op === Op.Network && r.tgid === conn.pid && (r as NetworkRecord).syscall === 'connect', 'connect record')) as NetworkRecord;
    assert.equal(n.ret, -13);
    assert.equal(ruleInfo(ruleTable, n.ruleId)?.category, 'network');
  });
});
