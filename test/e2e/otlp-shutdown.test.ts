// SIGTERM with alerts queued for a collector that is down (`otelarmor run --shutdown-timeout N`):
// - the collector comes back within the timeout (after the BPF programs are detached, which takes
//   ~4 s for 60 tracepoint links on this machine, so the sink's retries during its flush are what
//   delivers): every queued alert arrives exactly once, in order, and the process exits within the
//   timeout + 1 s;
// - the collector never comes back: the process exits within the timeout and the alerts it could
//   not deliver are counted (otelarmor_events_dropped_total{stage="export",reason="shutdown"})
//   and printed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireFile, requireRoot, ROOT, tool } from '../helpers/env';
import { start, type Child } from '../helpers/procs';
import { freePort, readOtlpFile, sleep, TestCollector } from './otlp-helpers';

const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const ALERTS = 20;

interface Run { agent: Child; pids: number[]; metricsPort: number }

describe('SIGTERM deadline with the collector down (real agent, real collector)', function () {
  this.timeout(180_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'oa-otlp-shutdown-'));
  const marker = path.join(dir, 'marker.txt');
  const policies = path.join(dir, 'policies');
  let collectorBin = '';
  let tester = '';
  const children: Child[] = [];
  const collectors: TestCollector[] = [];

  before(function () {
    requireRoot(this);
    requireFile(this, 'dist/rules/default-bundle.tar.gz');
    tester = requireFile(this, 'test/progs/build/timedopen');
    collectorBin = tool(this, 'otelcol-otelarmor');
    writeFileSync(marker, 'x\n');
    mkdirSync(policies);
    writeFileSync(path.join(policies, 'audit.yaml'), [
      'apiVersion: security.kubearmor.com/v1',
      'kind: KubeArmorHostPolicy',
      'metadata:',
      '  name: hsp-e2e-shutdown-audit',
      'spec:',
      '  nodeSelector:',
      '    matchLabels:',
      '      kubearmor.io/hostname: "*"',
      '  severity: 5',
      '  file:',
      '    matchPaths:',
      `      - path: ${marker}`,
      '  action: Audit',
      '',
    ].join('\n'));
  });

  afterEach(async () => {
    for (const c of children.splice(0)) await c.stop('SIGKILL');
    for (const c of collectors.splice(0)) await c.stop();
  });

  /** An agent exporting to `port` (nobody listening yet) with ALERTS alerts queued. */
  async function agentWithQueuedAlerts(port: number, timeoutS: number): Promise<Run> {
    const metricsPort = await freePort();
    // Host visibility none: only the policy's alerts are exported (no host logs).
    const agent = start(process.execPath, [CLI, 'run', '--output', 'none', '--k8s', 'off', '--host-visibility', 'none',
      '--policies', policies, '--alert-throttling', 'false', '--shutdown-timeout', String(timeoutS),
      '--otlp-endpoint', `http://127.0.0.1:${port}`, '--metrics-address', `127.0.0.1:${metricsPort}`,
      '--grpc-address', `127.0.0.1:${await freePort()}`, '--health-grpc-address', `127.0.0.1:${await freePort()}`],
    { env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: '' } });
    children.push(agent);
    const deadline = Date.now() + 90_000;
    while (!agent.output().includes('otelarmor: running:')) {
      if (agent.proc.exitCode !== null) throw new Error(`agent exited ${agent.proc.exitCode}:\n${agent.output()}`);
      if (Date.now() > deadline) throw new Error(`agent did not start:\n${agent.output()}`);
      await sleep(100);
    }
    await sleep(1000); // run.ts installs its SIGTERM handler after start-up returns
    const pids: number[] = [];
    for (let k = 0; k < ALERTS; k++) {
      const r = spawnSync(tester, [marker], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      pids.push(r.pid!);
    }
    // Every alert is in the agent's OTLP alert queue (the collector is down).
    let text = '';
    while (!/^otelarmor_export_queue_size\{signal="alerts"\} 20$/m.test(text)) {
      if (Date.now() > deadline) throw new Error(`alerts not queued:\n${text.split('\n').filter((l) => l.startsWith('otelarmor_export')).join('\n')}\n${agent.output()}`);
      await sleep(200);
      text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    }
    assert.match(text, /^otelarmor_export_records_total\{signal="alerts",outcome="retried"\} [1-9]\d*$/m);
    return { agent, pids, metricsPort };
  }

  /** SIGTERM; resolves with the exit code and the ms from the signal to the exit. */
  async function terminate(agent: Child, during?: () => Promise<void>): Promise<{ code: number | null; ms: number }> {
    const exited = new Promise<number | null>((resolve) => agent.proc.once('exit', (code) => resolve(code)));
    const t0 = Date.now();
    agent.proc.kill('SIGTERM');
    await during?.();
    const code = await exited;
    return { code, ms: Date.now() - t0 };
  }

  it('collector back 6 s into an 8 s timeout: every queued alert arrives exactly once, in order; exit within 9 s', async () => {
    const port = await freePort();
    const { agent, pids } = await agentWithQueuedAlerts(port, 8);
    const col = new TestCollector(collectorBin, port, path.join(dir, 'back.jsonl'));
    collectors.push(col);
    const { code, ms } = await terminate(agent, async () => { await sleep(6000); await col.start(); });
    assert.equal(code, 0, agent.output());
    assert.ok(ms <= 9000, `exited ${ms} ms after SIGTERM`);
    await col.stop(); // the file exporter flushes on shutdown
    const alertPids = readOtlpFile(col.file).filter((r) => r.eventName === 'kubearmor.alert')
      .map((r) => Number((r.attributes.HostPID as { intValue: string }).intValue));
    assert.deepEqual(alertPids, pids);
    assert.doesNotMatch(agent.output(), /not delivered within the shutdown timeout/);
    assert.match(agent.output(), /otelarmor: stopped; no events dropped/);
  });

  it('collector never back, 7 s timeout: exit within 7 s; the 20 lost alerts are counted and printed', async () => {
    const port = await freePort();
    const { agent } = await agentWithQueuedAlerts(port, 7);
    const { code, ms } = await terminate(agent);
    assert.equal(code, 0, agent.output());
    assert.ok(ms <= 7000, `exited ${ms} ms after SIGTERM`);
    const out = agent.output();
    assert.match(out, /otelarmor: warning: otlp: not delivered within the shutdown timeout \(7 s\): 20 alerts, 0 logs\n/);
    assert.match(out, /otelarmor: stopped; dropped: export\/shutdown=20\n/);
  });
});
