// The whole policy path on real records: KubeArmor host-policy YAML -> PolicyEngine.compileForKernel
// -> Enforcer maps -> the kernel stops (or flags) the operation -> the real record -> Enricher ->
// PolicyEngine -> the alert, checked field by field (Type, PolicyName, Severity, Action,
// Enforcer, Result as KubeArmor renders them). File and network visibility are off on the host:
// the file Audit rule is a matchPatterns rule (user space only), so its alert proves that
// userSpaceOnly kinds reach user space whatever the visibility.
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { defaultConfig } from '../../src/config';
import { Op, RecordFlag, type FileRecord } from '../../src/events/record';
import type { AgentEvent } from '../../src/events/types';
import { PolicyEngine, PolicyStore } from '../../src/policy';
import { Enricher, readMachineId } from '../../src/sensors/index';
import { EMPTY_RULES, EnforceHarness, prog } from './enforce-harness';

const FIELDS = ['Type', 'Operation', 'Resource', 'ProcessName', 'PolicyName', 'Severity', 'Tags', 'Message', 'Action', 'Enforcer', 'Result'] as const;
function pick(e: AgentEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) if (e.ka[f] !== undefined) out[f] = e.ka[f];
  return out;
}

describe('kernel enforcement: real records -> Enricher -> PolicyEngine alerts', function () {
  this.timeout(30000);
  let h: EnforceHarness;
  let dir: string;
  let engine: PolicyEngine;
  let enricher: Enricher;
  const out: AgentEvent[] = [];

  /** Runs everything recorded so far through the Enricher and the PolicyEngine (as the agent does). */
  function drain(): void {
    for (const ev of engine.process(enricher.enrich(h.records.splice(0)))) out.push(ev);
  }
  const ofPid = (pid: number) => out.filter((e) => e.ka.HostPID === pid);

  before(async function () {
    h = await EnforceHarness.open(this, ['process']);
    dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'oa-enforce-alerts-')));
    writeFileSync(path.join(dir, 'token'), 'do-not-print');
    writeFileSync(path.join(dir, 'audit-1.txt'), 'audited-data');
    const yaml = `apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata:
  name: host-enforce-alerts
spec:
  nodeSelector:
    matchLabels:
      kubearmor.io/hostname: "*"
  severity: 7
  tags: [otelarmor-test]
  message: enforce-alerts
  process:
    matchPaths:
    - path: ${prog('enforce-marker')}
  file:
    matchPaths:
    - path: ${dir}/token
    matchPatterns:
    - pattern: ${dir}/audit-?.txt
      action: Audit
      severity: 3
  network:
    matchProtocols:
    - protocol: tcp
      fromSource:
      - path: ${prog('enforce-net')}
  action: Block
`;
    const store = new PolicyStore();
    const loaded = store.replaceSource('test', [parse(yaml) as unknown]);
    assert.deepEqual(loaded.errors, []);
    const hostName = os.hostname();
    engine = new PolicyEngine({
      store, metrics: h.metrics, config: { ...defaultConfig(), alertThrottling: false }, hostName,
      hostLabels: { 'kubearmor.io/hostname': hostName }, enforcerCanBlock: true, lsmActive: false,
    });
    enricher = new Enricher({ clusterName: 'default', hostName, nodeId: readMachineId(), metrics: h.metrics });
    enricher.seedFromProc();
    const set = engine.compileForKernel();
    assert.deepEqual(set.userSpaceOnly, [{ pidNs: 0, mntNs: 0, kind: 2 }], 'the file matchPatterns rule makes host file events user-space-only');
    h.enforcer.apply(set);
  });
  after(async () => {
    h?.enforcer.apply(EMPTY_RULES);
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('blocked exec: Action Block, Enforcer KillOnAttempt, Result Passed (the exec itself succeeded)', async () => {
    const marker = prog('enforce-marker');
    const r = await h.run(marker, ['from-alerts']);
    assert.deepEqual(r.lines, []);
    assert.equal(r.signal, 'SIGKILL');
    drain();
    assert.deepEqual(ofPid(r.pid).map(pick), [{
      Type: 'MatchedHostPolicy', Operation: 'Process', Resource: `${marker} from-alerts`, ProcessName: marker,
      PolicyName: 'host-enforce-alerts', Severity: '7', Tags: 'otelarmor-test', Message: 'enforce-alerts',
      Action: 'Block', Enforcer: 'KillOnAttempt', Result: 'Passed',
    }]);
  });

  it('blocked read: Action Block, Enforcer KillOnAttempt, nothing read', async () => {
    const reader = prog('enforce-read');
    const secret = path.join(dir, 'token');
    const r = await h.run(reader, [secret]);
    assert.deepEqual(r.lines, []);
    assert.equal(r.signal, 'SIGKILL');
    drain();
    const alerts = ofPid(r.pid).filter((e) => e.ka.Type === 'MatchedHostPolicy');
    assert.deepEqual(alerts.map(pick), [{
      Type: 'MatchedHostPolicy', Operation: 'File', Resource: secret, ProcessName: reader,
      PolicyName: 'host-enforce-alerts', Severity: '7', Tags: 'otelarmor-test', Message: 'enforce-alerts',
      Action: 'Block', Enforcer: 'KillOnAttempt', Result: 'Passed',
    }]);
  });

  it('blocked connect: Action Block, Enforcer CgroupSockAddr, Result Permission denied (EACCES)', async () => {
    const tester = prog('enforce-net');
    const r = await h.run(tester, ['tcp', '9']);
    assert.deepEqual(r.lines, ['connect -13']);
    assert.equal(r.code, 0);
    await h.waitFor((x) => x.op === Op.Network && x.tgid === r.pid, 'connect record');
    drain();
    const alerts = ofPid(r.pid).filter((e) => e.ka.Type === 'MatchedHostPolicy');
    const meta = { PolicyName: 'host-enforce-alerts', Severity: '7', Tags: 'otelarmor-test', Message: 'enforce-alerts' };
    assert.deepEqual(alerts.map(pick), [
      // socket(2) is not denied (no sock_create hook without LSM): the match is reported, not enforced
      { Type: 'MatchedHostPolicy', Operation: 'Network', Resource: 'domain=AF_INET type=SOCK_STREAM protocol=TCP', ProcessName: tester,
        ...meta, Action: 'Audit (Block)', Enforcer: 'eBPF Monitor', Result: 'Passed' },
      { Type: 'MatchedHostPolicy', Operation: 'Network', Resource: 'sa_family=AF_INET sin_port=9 sin_addr=127.0.0.1', ProcessName: tester,
        ...meta, Action: 'Block', Enforcer: 'CgroupSockAddr', Result: 'Permission denied' },
    ]);
  });

  it('Audit matchPatterns rule with file visibility off: the read succeeds, one Audit alert, no file logs', async () => {
    const reader = prog('enforce-read');
    const audited = path.join(dir, 'audit-1.txt');
    const r = await h.run(reader, [audited]);
    assert.deepEqual(r.lines, ['open 3', 'data audited-data']);
    assert.equal(r.code, 0);
    const rec = (await h.waitFor((x) => x.op === Op.File && x.tgid === r.pid && (x as FileRecord).path === audited, 'open record')) as FileRecord;
    assert.equal(rec.recordFlags, RecordFlag.Matched | RecordFlag.RuleOnly, 'sent up by PostureUserSpace');
    assert.equal(rec.ruleId, 0);
    drain();
    // The exec is a log (process visibility on); the file events are RuleOnly: only the alert leaves.
    assert.deepEqual(ofPid(r.pid).map((e) => [e.ka.Type, e.ka.Operation]), [['HostLog', 'Process'], ['MatchedHostPolicy', 'File']]);
    assert.deepEqual(pick(ofPid(r.pid)[1]!), {
      Type: 'MatchedHostPolicy', Operation: 'File', Resource: audited, ProcessName: reader,
      PolicyName: 'host-enforce-alerts', Severity: '3', Tags: 'otelarmor-test', Message: 'enforce-alerts',
      Action: 'Audit', Enforcer: 'eBPF Monitor', Result: 'Passed',
    });
  });
});
