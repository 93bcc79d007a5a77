// `syscalls:` rules for a syscall without a dedicated hook reach the kernel: `otelarmor run`
// attaches the generic raw_tp pair for the numbers its policies name (setSyscallFilter), so a
// KubeArmorHostPolicy Audit rule on getppid(2) alerts with syscall visibility off.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireFile, requireRoot, ROOT } from '../helpers/env';
import { sleep } from '../helpers/procs';
import { JsonlTail, startAgent, sumSamples, type Agent } from '../reliability/agent';

const SYSCALLER = path.join(ROOT, 'test', 'progs', 'build', 'syscaller');

describe('e2e: syscalls rules through otelarmor run (generic syscall pair)', function () {
  this.timeout(120_000);
  let agent: Agent | undefined;
  after(async () => { await agent?.stop(); });

  it('a matchSyscalls Audit rule on getppid alerts; the generic pair is attached only for it', async function () {
    requireRoot(this);
    requireFile(this, SYSCALLER);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'oa-sysrule-'));
    mkdirSync(path.join(dir, 'p'));
    writeFileSync(path.join(dir, 'p', 'hsp.yaml'), `apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata:
  name: audit-getppid
spec:
  nodeSelector:
    matchLabels:
      kubearmor.io/hostname: ${os.hostname()}
  severity: 4
  syscalls:
    matchSyscalls:
      - syscall:
          - getppid
  action: Audit
`);
    const out = path.join(dir, 'events.jsonl');
    agent = await startAgent(['--output', `jsonl:${out}`, '--host-visibility', 'process', '--policies', path.join(dir, 'p')]);
    const text = await agent.scrape();
    assert.equal(sumSamples(text, 'otelarmor_probe_attached', { program: 'oa_raw_sys_enter' }), 1, text.split('\n').filter((l) => l.includes('probe_attached')).join('\n'));
    const r = spawnSync(SYSCALLER, ['getppid'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const tail = new JsonlTail(out, (l) => l.includes('"PolicyName":"audit-getppid"'));
    let alerts: Record<string, unknown>[] = [];
    for (let i = 0; i < 100 && alerts.length === 0; i++) {
      await sleep(100);
      alerts = tail.poll().filter((e) => e.HostPID === r.pid);
    }
    assert.equal(alerts.length, 1);
    const a = alerts[0]!;
    assert.equal(a.Type, 'MatchedHostPolicy');
    assert.equal(a.Operation, 'Syscall');
    assert.equal(a.Action, 'Audit');
    assert.equal(a.Severity, '4');
    assert.equal(a.ProcessName, SYSCALLER);
    assert.match(String(a.Data), /^syscall=SYS_GETPPID\b/);
  });
});
