// A real Prometheus scrapes the agent's metrics server every 1 s while recorded events flow
// through the counting sink and the OTLP sink (to a real collector); the counters read back from
// Prometheus' HTTP API must equal exactly what was produced. promtool lints /metrics.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createMetricsSink } from '../../src/metrics/sink';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/server';
import { defaultConfig } from '../../src/config';
import { createOtlpSink, otlpOptionsFromConfig, type OtlpSink } from '../../src/otlp';
import { requireFile, tool } from '../helpers/env';
import { loadEvents } from '../fixtures/events';
import { freePort, sleep, TestCollector, waitForRecords } from './otlp-helpers';

interface PromResult { metric: Record<string, string>; value: [number, string] }

describe('metrics scraped by a real Prometheus', function () {
  this.timeout(120_000);
  let srv: MetricsServer;
  let prom: ChildProcess | undefined;
  let col: TestCollector | undefined;
  let promUrl = '';
  let promErr = '';

  const query = async (q: string): Promise<PromResult[]> => {
    const r = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
    const j = (await r.json()) as { status: string; data: { result: PromResult[] } };
    assert.equal(j.status, 'success');
    return j.data.result;
  };

  before(async function () {
    const promBin = requireFile(this, '/usr/bin/prometheus');
    const colBin = tool(this, 'otelcol-otelarmor');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'oa-prom-'));
    srv = await startMetricsServer({ address: '127.0.0.1:0', cluster: 'c1', nodeName: 'node-a', kernel: os.release(), readiness: () => ({ ready: true, detail: {} }) });

    const colPort = await freePort();
    col = new TestCollector(colBin, colPort, path.join(dir, 'otlp.jsonl'));
    await col.start();

    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    writeFileSync(path.join(dir, 'prometheus.yml'), [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: otelarmor',
      `    static_configs: [ { targets: ["${srv.address}"] } ]`,
      '',
    ].join('\n'));
    prom = spawn(promBin, [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    prom.stderr?.on('data', (d: Buffer) => { promErr = (promErr + d.toString()).slice(-4000); });
    const deadline = Date.now() + 30_000;
    for (;;) {
      try { if ((await fetch(`${promUrl}/-/ready`)).ok) break; } catch { /* not yet */ }
      if (prom.exitCode !== null || Date.now() > deadline) throw new Error(`prometheus did not start: ${promErr}`);
      await sleep(200);
    }
  });

  after(async () => {
    if (prom && prom.exitCode === null) {
      const p = prom;
      await new Promise<void>((r) => { p.once('exit', () => r()); p.kill('SIGTERM'); });
    }
    await col?.stop();
    await srv?.close();
  });

  it('Prometheus reads back the exact counts produced by the sinks', async () => {
    const metricsSink = createMetricsSink(srv.metrics);
    const otlp = createOtlpSink(otlpOptionsFromConfig({ ...defaultConfig(), nodeName: 'node-a', otlpEndpoint: `http://127.0.0.1:${col!.port}` }, {}), srv.metrics) as OtlpSink;
    const evs = loadEvents();
    // 3 rounds of the 5 fixtures (3 logs, 2 alerts each).
    for (let round = 0; round < 3; round++) {
      metricsSink.write(evs);
      otlp.write(evs);
      await sleep(300);
    }
    await otlp.flush(Date.now() + 10_000);
    assert.equal((await waitForRecords(col!.file, 15)).length, 15);

    const want: [string, Record<string, string>, number][] = [
      ['otelarmor_events_total', { operation: 'File', type: 'ContainerLog' }, 3],
      ['otelarmor_events_total', { operation: 'Process', type: 'ContainerLog' }, 3],
      ['otelarmor_events_total', { operation: 'Network', type: 'ContainerLog' }, 3],
      ['otelarmor_events_total', { operation: 'File', type: 'MatchedPolicy' }, 3],
      ['otelarmor_events_total', { operation: 'Process', type: 'MatchedHostPolicy' }, 3],
      ['otelarmor_alerts_total', { policy: 'ksp-wordpress-block-config', severity: '7', action: 'Block', operation: 'File', namespace: 'wordpress-mysql' }, 3],
      ['otelarmor_alerts_total', { policy: 'hsp-block-useradd', severity: '10', action: 'Audit', operation: 'Process', namespace: '' }, 3],
      ['otelarmor_export_records_total', { signal: 'logs', outcome: 'exported' }, 9],
      ['otelarmor_export_records_total', { signal: 'alerts', outcome: 'exported' }, 6],
      ['otelarmor_export_queue_size', { signal: 'logs' }, 0],
      ['otelarmor_export_queue_capacity', { signal: 'alerts' }, otlp.opts.alertsQueueCapacity],
      ['kubearmor_alerts_in_host_total', { HostName: 'node-a' }, 6],
      ['kubearmor_alerts_with_policy_total', { PolicyName: 'ksp-wordpress-block-config' }, 3],
      ['kubearmor_alerts_with_severity_total', { Severity: '10' }, 3],
      ['kubearmor_alerts_with_action_total', { Action: 'Block' }, 3],
      ['kubearmor_alerts_in_namespace_total', { NamespaceName: 'wordpress-mysql' }, 3],
      ['otelarmor_build_info', { version: '0.1.0', kernel: os.release() }, 1],
      ['up', {}, 1],
    ];
    const sel = (name: string, l: Record<string, string>) =>
      `${name}{job="otelarmor",${Object.entries(l).map(([k, v]) => `${k}="${v}"`).join(',')}}`;
    const deadline = Date.now() + 30_000;
    let mismatches: string[] = [];
    do {
      mismatches = [];
      for (const [name, labels, v] of want) {
        const r = await query(sel(name, labels));
        const got = r.length === 1 ? Number(r[0]!.value[1]) : `${r.length} series`;
        if (got !== v) mismatches.push(`${sel(name, labels)}: want ${v}, got ${got}`);
      }
      if (mismatches.length === 0) break;
      await sleep(500);
    } while (Date.now() < deadline);
    assert.deepEqual(mismatches, []);
    const hist = await query('otelarmor_export_duration_seconds_count{job="otelarmor",signal="alerts",outcome="success"}');
    assert.equal(hist.length, 1);
    assert.ok(Number(hist[0]!.value[1]) >= 1);
    await otlp.close();
  });

  it('promtool check metrics: no problems apart from the KubeArmor-compatible label names', async () => {
    const text = await (await fetch(`http://${srv.address}/metrics`)).text();
    const full = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    // Exit 3 = lint findings only (1 would be a parse error). The only findings allowed are the
    // camelCase label names KubeArmor's own exporter uses (HostName, PodName, ...), kept for
    // dashboard compatibility.
    const findings = (full.stdout + full.stderr).split('\n').filter(Boolean);
    assert.ok(full.status === 0 || full.status === 3, `promtool exit ${full.status}: ${findings.join('\n')}`);
    for (const f of findings) assert.match(f, /^kubearmor_alerts_\w+_total label names should be written in 'snake_case' not 'camelCase'$/);
    const own = text.split('\n').filter((l) => !/^(# (HELP|TYPE|UNIT) )?kubearmor_alerts_/.test(l)).join('\n');
    const r = spawnSync('promtool', ['check', 'metrics'], { input: own, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout + r.stderr, '');
  });
});
