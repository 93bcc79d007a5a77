// Real behaviour on this host → real sensors → Enricher → RegoEngine (default pack compiled by the
// real opa) → alert events. Root and the built BPF object/addon are required (test/helpers/env.ts).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AgentEvent } from '../../src/events/types';
import { KernelSensors } from '../../src/kernel/sensors';
import { AgentMetrics } from '../../src/metrics/metrics';
import { buildRules } from '../../src/rego/build';
import { RegoEngine } from '../../src/rego/engine';
import { Enricher } from '../../src/sensors/index';
import { requireFile, requireRoot, ROOT, tool } from '../helpers/env';

function run(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = spawn(file, args, { stdio: 'ignore', env });
    c.on('error', reject);
    c.on('close', () => resolve(c.pid ?? -1));
  });
}

describe('rego alerts from real kernel events', function () {
  this.timeout(60000);
  let sensors: KernelSensors | undefined;
  let dir: string;
  const alerts: AgentEvent[] = [];
  let engine: RegoEngine;

  before(async function () {
    requireRoot(this);
    requireFile(this, 'bpf/.output/sensors.bpf.o');
    requireFile(this, 'native/build/otelarmor.node');
    const opa = tool(this, 'opa');
    dir = mkdtempSync(path.join(os.tmpdir(), 'otelarmor-rego-kernel-'));
    const bundle = path.join(dir, 'default-bundle.tar.gz');
    buildRules(path.join(ROOT, 'policies', 'rego'), bundle, opa);
    const metrics = new AgentMetrics();
    engine = await RegoEngine.load([bundle], { metrics });
    const enricher = new Enricher({ clusterName: 'default', hostName: os.hostname(), nodeId: 'test', metrics });
    enricher.seedFromProc();
    sensors = KernelSensors.open({ ringbufBytes: 16 * 1024 * 1024 });
    const failed = sensors.attachAll().filter((r) => !r.attached);
    if (failed.length) throw new Error(`attach failed: ${failed.map((f) => `${f.program}: ${f.error}`).join('; ')}`);
    sensors.setVisibility(0, 0, ['process', 'file', 'network', 'capabilities', 'syscall']);
    sensors.start((recs) => {
      const batch = enricher.enrich(recs);
      for (const e of engine.process(batch).slice(batch.length)) alerts.push(e);
    });
  });

  after(async () => {
    await sensors?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function alertFor(policy: string, pid: number): Promise<AgentEvent> {
    for (let k = 0; k < 100; k++) {
      const a = alerts.find((e) => e.ka.PolicyName === policy && e.ka.HostPID === pid);
      if (a) return a;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no ${policy} alert for pid ${pid}; got ${alerts.map((a) => `${a.ka.PolicyName}/${a.ka.HostPID}`).join(', ')}`);
  }

  it('echo >> $HOME/.bashrc under a temporary HOME → rego:shell_config_modified', async () => {
    const home = path.join(dir, 'home');
    const pid = await run('/bin/bash', ['-c', 'mkdir -p "$HOME" && echo "alias ll=\'ls -l\'" >> "$HOME/.bashrc"'], { PATH: '/usr/bin:/bin', HOME: home });
    const a = await alertFor('rego:shell_config_modified', pid);
    assert.equal(a.ka.Type, 'MatchedHostPolicy');
    assert.equal(a.ka.Operation, 'File');
    assert.equal(a.ka.Resource, `${home}/.bashrc`);
    assert.equal(a.ka.ProcessName, '/usr/bin/bash');
    assert.equal(a.ka.Severity, '6');
    assert.equal(a.ka.Tags, 'MITRE,MITRE_TA0003_persistence,T1546.004');
    assert.deepEqual(a.ka.ATags, ['MITRE', 'MITRE_TA0003_persistence', 'T1546.004']);
    assert.equal(a.ka.Message, `Shell configuration file ${home}/.bashrc modified by /usr/bin/bash`);
    assert.equal(a.ka.Action, 'Audit');
    assert.equal(a.ka.Enforcer, 'OPA');
    assert.equal(a.extras.openFlags! & 0o2001, 0o2001); // O_WRONLY | O_APPEND
  });

  it('a tester binary named nc run with -e → rego:netcat_remote_code_execution', async () => {
    const nc = path.join(dir, 'nc');
    copyFileSync('/bin/true', nc);
    const pid = await run(nc, ['-e', '/bin/sh', '127.0.0.1', '4444']);
    const a = await alertFor('rego:netcat_remote_code_execution', pid);
    assert.equal(a.ka.Type, 'MatchedHostPolicy');
    assert.equal(a.ka.Operation, 'Process');
    assert.equal(a.ka.Severity, '9');
    assert.equal(a.ka.Message, `Netcat runs a program for the network peer: ${nc} -e /bin/sh 127.0.0.1 4444`);
    assert.deepEqual(a.ka.ATags, ['MITRE', 'MITRE_TA0002_execution', 'T1059', 'T1095']);
    assert.equal(a.ka.Enforcer, 'OPA');
  });

  it('cat /etc/shadow → rego:credential_file_read', async () => {
    const pid = await run('/usr/bin/cat', ['/etc/shadow']);
    const a = await alertFor('rego:credential_file_read', pid);
    assert.equal(a.ka.Type, 'MatchedHostPolicy');
    assert.equal(a.ka.Operation, 'File');
    assert.equal(a.ka.Resource, '/etc/shadow');
    assert.equal(a.ka.ProcessName, '/usr/bin/cat');
    assert.equal(a.ka.Severity, '8');
    assert.equal(a.ka.Message, 'Credential file /etc/shadow opened by /usr/bin/cat');
    assert.equal(a.ka.PolicyName, 'rego:credential_file_read');
  });
});
