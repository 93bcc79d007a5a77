// issue 8: every PromQL expression in otel/dashboards and otel/prometheus is evaluated through a
// real Prometheus (Debian package) scraping two real agents that see real events, alerts and
// drops: agent A (policies-e2e: an Audit and a Block host policy, OTLP to the collector of
// otel/collector-file.yaml) and agent B (--enforcer audit, a 64 KiB ring buffer and a burst of
// file opens in a pid namespace of its own, which only B sees: ring-buffer drops). Every
// dashboard query must return data from its left-hand side alone (a trailing `or vector(0)` is
// not data), and an alert rule of otel/prometheus must really fire (B's degraded enforcer).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { METRICS } from '../../src/metrics/registry';
import { requireFile, requireRoot, ROOT } from '../helpers/env';
import { freePort, sleep, start, waitForHttp, type Child } from '../helpers/procs';
import { renderPng, type ChartPanel } from '../helpers/chart';

interface Target { where: string; expr: string; mustReturnData: boolean }

function dashboardTargets(): Target[] {
  const dir = path.join(ROOT, 'otel', 'dashboards');
  const out: Target[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const d = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
    for (const p of d.panels) for (const t of p.targets) out.push({ where: `${f}: ${p.title}`, expr: t.expr, mustReturnData: true });
  }
  return out;
}

function ruleTargets(): Target[] {
  const file = path.join(ROOT, 'otel', 'prometheus', 'otelarmor-alerts.yaml');
  const doc = YAML.parse(readFileSync(file, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
  return doc.groups.flatMap((g) => g.rules.map((r) => ({ where: `rule ${r.alert}`, expr: r.expr, mustReturnData: false })));
}

/**
 * The part of an expression that must return data: without a trailing top-level `or vector(0)` /
 * `or on() vector(0)` fallback, which would return a series with no data at all behind it.
 */
function dataSide(expr: string): string {
  return expr.replace(/\s+or\s+(?:on\s*\(\s*\)\s*)?vector\(0\)\s*$/, '');
}

/** Grafana's variables, as the dashboards use them, for a 1 s scrape interval. */
const grafanaVars = (e: string) => e.replace(/\$__rate_interval/g, '10s').replace(/\$__range/g, '5m').replace(/\$instance/g, '.*');

const BLOCKED = '/tmp/otelarmor-e2e-block/secret.txt';

const KNOWN = new Set(Object.values(METRICS).map((m) => m.prom));
function metricNames(expr: string): string[] {
  return [...new Set((expr.match(/\botelarmor_[a-z0-9_]+/g) ?? []).map((n) => n.replace(/_(bucket|count|sum)$/, '')))];
}

describe('dashboards and alert rules against a live agent and Prometheus', function () {
  this.timeout(300_000);
  let agent: Child | undefined;
  let agentB: Child | undefined;
  let instanceB = '';
  let prom: Child | undefined;
  let collector: Child | undefined;
  let promUrl = '';
  const tmp = mkdtempSync(path.join(tmpdir(), 'oa-dash-'));

  before(async function () {
    requireRoot(this);
    requireFile(this, 'bpf/.output');
    const prometheus = requireFile(this, '/usr/bin/prometheus');
    const otelcol = requireFile(this, '.tools/bin/otelcol-otelarmor');
    // The example collector config of otel/ is the OTLP peer: the export panels need real traffic.
    const otlpPort = await freePort();
    collector = start(otelcol, [`--config=${path.join(ROOT, 'otel/collector-file.yaml')}`], {
      env: { ...process.env, OTELARMOR_OTLP_LISTEN: `127.0.0.1:${otlpPort}`, OTELARMOR_OUT_FILE: path.join(tmp, 'otlp.jsonl') },
    });
    const metricsPort = await freePort();
    // Written before A enforces the Block policy on it (A would kill this process for the write).
    mkdirSync(path.dirname(BLOCKED), { recursive: true });
    writeFileSync(BLOCKED, 'secret\n');
    // B: audit-only enforcer, 64 KiB ring, sees only file events of non-host pid namespaces.
    const metricsPortB = await freePort();
    instanceB = `127.0.0.1:${metricsPortB}`;
    agentB = start(process.execPath, [path.join(ROOT, 'dist/src/cli.js'), 'run', '--output', 'none', '--duration', '280',
      '--enforcer', 'audit', '--ringbuf-bytes', '65536', '--host-visibility', 'none', '--visibility', 'file',
      '--metrics-address', instanceB, '--grpc-address', `127.0.0.1:${await freePort()}`,
      '--health-grpc-address', `127.0.0.1:${await freePort()}`, '--k8s', 'off'],
    { env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: '' } });
    agent = start(process.execPath, [path.join(ROOT, 'dist/src/cli.js'), 'run', '--output', 'none', '--duration', '280',
      // No throttling: other processes on this host may read /etc/hostname in bulk, and a throttled
      // host would drop the Block alert this test needs.
      '--visibility', 'none', '--alert-throttling', 'false',
      '--otlp-endpoint', `http://127.0.0.1:${otlpPort}`,
      '--metrics-address', `127.0.0.1:${metricsPort}`, '--grpc-address', `127.0.0.1:${await freePort()}`,
      '--health-grpc-address', `127.0.0.1:${await freePort()}`, '--policies', path.join(ROOT, 'test/fixtures/policies-e2e'),
      '--k8s', 'off']);
    await waitForHttp(`http://127.0.0.1:${metricsPort}/readyz`, 60_000, agent);
    await waitForHttp(`http://${instanceB}/readyz`, 60_000, agentB);
    const promPort = await freePort();
    writeFileSync(path.join(tmp, 'prometheus.yml'), `global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: ['${path.join(ROOT, 'otel/prometheus/otelarmor-alerts.yaml')}']
scrape_configs:
  - job_name: otelarmor
    static_configs: [ { targets: ['127.0.0.1:${metricsPort}', '${instanceB}'] } ]
`);
    prom = start(prometheus, [`--config.file=${path.join(tmp, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(tmp, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`]);
    promUrl = `http://127.0.0.1:${promPort}`;
    await waitForHttp(`${promUrl}/-/ready`, 30_000, prom);
    // Real events and alerts: file reads (one matches the Audit policy, one the Block policy:
    // kill-on-attempt kills that cat), execs; and for B a burst of opens its 64 KiB ring cannot
    // hold (in a pid namespace: B's container visibility; A has none there).
    let killed = 0;
    const t0 = Date.now();
    for (let i = 0; Date.now() - t0 < 20_000; i++) {
      execFileSync('/bin/cat', ['/etc/hostname']);
      execFileSync('/bin/sh', ['-c', 'ls / >/dev/null; true']);
      const r = spawnSync('/bin/cat', [BLOCKED]);
      if (r.signal === 'SIGKILL') killed++;
      if (i % 20 === 5) {
        spawnSync('unshare', ['--pid', '--fork', '--', process.execPath, '-e',
          "const fs = require('fs'); for (let i = 0; i < 200000; i++) fs.closeSync(fs.openSync('/etc/hostname', 'r'));"]);
      }
      await sleep(250);
    }
    assert.ok(killed > 0, 'the Block policy never killed the reader');
  });

  after(async () => {
    await prom?.stop();
    await agent?.stop();
    await agentB?.stop();
    await collector?.stop();
  });

  async function query(expr: string): Promise<{ status: string; data?: { result: unknown[] }; error?: string }> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(grafanaVars(expr))}`);
    return (await res.json()) as { status: string; data?: { result: unknown[] }; error?: string };
  }

  it('every metric a dashboard or rule references exists in the registry', () => {
    const unknown = [...dashboardTargets(), ...ruleTargets()].flatMap((t) => metricNames(t.expr).filter((n) => !KNOWN.has(n)).map((n) => `${t.where}: ${n}`));
    assert.deepEqual(unknown, []);
  });

  it('promtool check rules passes', () => {
    const out = execFileSync('/usr/bin/promtool', ['check', 'rules', path.join(ROOT, 'otel/prometheus/otelarmor-alerts.yaml')]).toString();
    assert.match(out, /SUCCESS: 5 rules found/);
  });

  it('every expression parses, and every dashboard panel query returns data', async () => {
    const failures: string[] = [];
    for (const t of [...dashboardTargets(), ...ruleTargets()]) {
      const r = await query(t.expr);
      if (r.status !== 'success') failures.push(`${t.where}: ${r.error}`);
      else if (t.mustReturnData) {
        const lhs = await query(dataSide(t.expr));
        if ((lhs.data?.result.length ?? 0) === 0) failures.push(`${t.where}: no data for ${grafanaVars(dataSide(t.expr))}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  it('the data-side check strips only a trailing top-level or vector(0)', () => {
    assert.equal(dataSide('sum(rate(a[1m])) or vector(0)'), 'sum(rate(a[1m]))');
    assert.equal(dataSide('x / scalar(sum(y) or vector(0)) or on() vector(0)'), 'x / scalar(sum(y) or vector(0))');
    assert.equal(dataSide('count(a == 0) or on(instance) (0 * count(a))'), 'count(a == 0) or on(instance) (0 * count(a))');
  });

  it('Blocked vs audited and drop ratio have real series: Block alerts from A, ring-buffer drops from B', async () => {
    const block = await query('sum(otelarmor_alerts_total{action="Block",policy="e2e-block-secret-read",operation="File",severity="8"})');
    assert.ok(Number((block.data?.result[0] as { value: [number, string] } | undefined)?.value[1] ?? 0) > 0, JSON.stringify(block));
    const drops = await query(`sum by (instance, stage) (otelarmor_events_dropped_total{stage="ringbuf",reason="full_file"})`);
    const byInstance = (drops.data?.result ?? []) as { metric: Record<string, string>; value: [number, string] }[];
    assert.ok(byInstance.some((r) => r.metric.instance === instanceB && Number(r.value[1]) > 0), JSON.stringify(byInstance));
  });

  it('an alert rule fires: OtelarmorEnforcerDegraded for the audit-only agent B only', async () => {
    interface PromAlert { labels: Record<string, string>; state: string }
    const deadline = Date.now() + 120_000;
    let alerts: PromAlert[] = [];
    for (;;) {
      const j = (await (await fetch(`${promUrl}/api/v1/alerts`)).json()) as { status: string; data: { alerts: PromAlert[] } };
      assert.equal(j.status, 'success');
      alerts = j.data.alerts.filter((a) => a.labels.alertname === 'OtelarmorEnforcerDegraded');
      if (alerts.some((a) => a.state === 'firing') || Date.now() > deadline) break;
      await sleep(1000);
    }
    assert.deepEqual(alerts.map((a) => [a.state, a.labels.instance, a.labels.severity]), [['firing', instanceB, 'critical']]);
    // The rules API agrees: the rule's state is firing, and rules that must stay quiet are inactive.
    const r = (await (await fetch(`${promUrl}/api/v1/rules?type=alert`)).json()) as { data: { groups: { rules: { name: string; state: string; health: string }[] }[] } };
    const rules = Object.fromEntries(r.data.groups.flatMap((g) => g.rules).map((x) => [x.name, [x.state, x.health]]));
    assert.deepEqual(rules.OtelarmorEnforcerDegraded, ['firing', 'ok']);
    assert.deepEqual(rules.OtelarmorAgentDown, ['inactive', 'ok']);
    assert.deepEqual(rules.OtelarmorHooksMissing, ['inactive', 'ok']);
  });

  it('the collector of otel/collector-file.yaml received the agent\'s records', () => {
    const lines = readFileSync(path.join(tmp, 'otlp.jsonl'), 'utf8').split('\n').filter((l) => l.includes('resourceLogs'));
    const records = lines.flatMap((l) => (JSON.parse(l) as { resourceLogs: { scopeLogs: { logRecords: { eventName?: string }[] }[] }[] })
      .resourceLogs.flatMap((r) => r.scopeLogs.flatMap((sl) => sl.logRecords)));
    assert.ok(records.some((r) => r.eventName === 'kubearmor.alert'), 'no kubearmor.alert record (the e2e Audit policy fires on /etc/hostname reads)');
    assert.ok(records.some((r) => r.eventName === 'kubearmor.log'), 'no kubearmor.log record');
  });

  // The committed docs/img/health-e2e.png is refreshed only with OTELARMOR_UPDATE_DOCS=1; otherwise
  // the image goes to the temp dir, so a test run leaves the working tree as it found it.
  it('renders the key health series to a PNG (docs/img/health-e2e.png with OTELARMOR_UPDATE_DOCS=1)', async () => {
    const end = Date.now() / 1000;
    const range = async (expr: string, legend: (m: Record<string, string>) => string) => {
      const res = await fetch(`${promUrl}/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${end - 120}&end=${end}&step=1`);
      const j = (await res.json()) as { data: { result: { metric: Record<string, string>; values: [number, string][] }[] } };
      return j.data.result.map((r) => ({ name: legend(r.metric), points: r.values.map(([t, v]) => [t - (end - 120), Number(v)] as [number, number]) }));
    };
    const panels: ChartPanel[] = [
      { title: 'Events/s by operation', unit: 'events/s', series: await range('sum by (operation) (rate(otelarmor_events_total[10s]))', (m) => m.operation ?? '') },
      { title: 'Alerts/s by action', unit: 'alerts/s', series: await range('sum by (action) (rate(otelarmor_alerts_total[10s]))', (m) => m.action ?? '') },
      { title: 'Events dropped/s', unit: 'events/s', series: await range('sum(rate(otelarmor_events_dropped_total[10s])) or vector(0)', () => 'all stages') },
      { title: 'Agent RSS', unit: 'MiB', series: (await range('otelarmor_process_resident_memory_bytes / 1048576', () => 'rss')) },
    ];
    assert.ok(panels[0]!.series.length > 0, 'no event series');
    const png = renderPng('otelarmor health during test/e2e/dashboards.test.ts', panels);
    const dir = process.env.OTELARMOR_UPDATE_DOCS === '1' ? path.join(ROOT, 'docs', 'img') : tmpdir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'health-e2e.png'), png);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });
});
