// Receiver mode end to end: a KubeArmor LogService on KubeArmor's own Go stubs (test/go kaserver)
// replays recorded Alerts and Logs; `otelarmor receive` forwards them to a real OpenTelemetry
// Collector (otelcol-otelarmor, OTLP receiver → file exporter); every record is checked field by
// field in the collector's output file.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, tool } from '../helpers/env';
import { buildGoTools, Proc } from '../go/harness';
import { freePort, TestCollector, waitForRecords, type AnyValue, type OtlpJsonRecord } from './otlp-helpers';
import { promSamples, scrape } from './receive-helpers';

const FIXTURE = path.join(ROOT, 'test', 'e2e', 'fixtures', 'kubearmor-events.json');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');

type Ka = Record<string, unknown> & {
  UpdatedTime: string; Type: string; Operation: string; HostPID: number; HostPPID: number;
  Owner?: Record<string, string>; ExecEvent?: Record<string, string>; EventData?: Record<string, string>;
};

/** OTLP-JSON AnyValue of a KubeArmor field value (ints → intValue strings, ATags → arrayValue). */
function anyValue(v: unknown): AnyValue {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { intValue: String(v) };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
  throw new Error(`unexpected value ${JSON.stringify(v)}`);
}

/** µs-precision UpdatedTime → unix ns string, computed independently of src/. */
function nsOf(updated: string): string {
  const [sec, frac] = updated.replace('Z', '').split('.') as [string, string];
  return `${Date.parse(`${sec}Z`) / 1000}${frac.padEnd(9, '0')}`;
}

describe('e2e: otelarmor receive (KubeArmor Go server → OTLP → real collector)', function () {
  this.timeout(120000);
  const procs: Proc[] = [];
  let collector: TestCollector | undefined;

  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill()));
    await collector?.stop();
  });

  it('forwards every Alert and Log with all KubeArmor fields, µs timestamps and event names', async function () {
    const { kaserver } = buildGoTools(this);
    const otelcol = tool(this, 'otelcol-otelarmor');
    const fx = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { alerts: Ka[]; logs: Ka[] };

    const server = new Proc(kaserver, ['-fixture', FIXTURE]);
    procs.push(server);
    const addr = (await server.waitLine('LISTENING ')).split(' ')[1]!;

    const dir = mkdtempSync(path.join(os.tmpdir(), 'otelarmor-receive-'));
    const file = path.join(dir, 'logs.json');
    const port = await freePort();
    collector = new TestCollector(otelcol, port, file);
    await collector.start();

    const recv = new Proc(process.execPath, [
      CLI, 'receive', '--kubearmor', addr, '--filter', 'all',
      '--otlp-endpoint', `http://127.0.0.1:${port}`, '--metrics-address', '127.0.0.1:0',
    ], { env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: '' } });
    procs.push(recv);

    const total = fx.alerts.length + fx.logs.length;
    const recs = await waitForRecords(file, total, 30000);
    assert.equal(recs.length, total, `collector got ${recs.length}; receive stderr:\n${recv.stderr}`);

    // The receiver checked the server with a nonce first, then asked with the filter as given.
    const hc = server.lines.filter((l) => l.startsWith('HEALTHCHECK '));
    assert.equal(hc.length, 1);
    assert.ok(Number(hc[0]!.split(' ')[1]) > 0);
    assert.ok(server.lines.includes('WATCH WatchAlerts "all"'), server.lines.join('\n'));
    assert.ok(server.lines.includes('WATCH WatchLogs "all"'), server.lines.join('\n'));

    // Connection-state gauge while connected.
    const m = /metrics: http:\/\/([^/]+)\/metrics/.exec(recv.stderr);
    assert.ok(m, recv.stderr);
    const prom = await scrape(m[1]!);
    assert.match(prom, new RegExp(`otelarmor_receiver_connected\\{endpoint="${addr.replace(/\./g, '\\.')}"[^}]*\\} 1`));

    // Alert-count metrics: exactly the fixture's alerts, every series of each family (the same
    // metrics sink as the agent; kubearmor-prometheus-exporter's counters count absent fields
    // under ""). One clean connection: no reconnect attempt.
    const want: Record<string, number> = {};
    const inc = (k: string) => { want[k] = (want[k] ?? 0) + 1; };
    const s = (v: unknown) => JSON.stringify(v === undefined ? '' : String(v));
    for (const a of fx.alerts) {
      inc(`otelarmor_alerts_total{policy=${s(a.PolicyName)},severity=${s(a.Severity)},action=${s(a.Action)},operation=${s(a.Operation)},namespace=${s(a.NamespaceName)}}`);
      inc(`otelarmor_alerts_by_workload_total{namespace=${s(a.NamespaceName)},pod=${s(a.PodName)},process=${s(a.ProcessName)}}`);
      for (const [name, field] of [
        ['in_host', 'HostName'], ['in_namespace', 'NamespaceName'], ['in_pod', 'PodName'], ['in_container', 'ContainerName'],
        ['with_policy', 'PolicyName'], ['with_severity', 'Severity'], ['with_type', 'Type'], ['with_operation', 'Operation'], ['with_action', 'Action'],
      ]) inc(`kubearmor_alerts_${name}_total{${field}=${s(a[field!])}}`);
    }
    for (const e of [...fx.alerts, ...fx.logs]) inc(`otelarmor_events_total{operation=${s(e.Operation)},type=${s(e.Type)}}`);
    const families = [...new Set(Object.keys(want).map((k) => k.slice(0, k.indexOf('{'))))];
    assert.equal(families.length, 12);
    assert.deepEqual(promSamples(prom, [...families, 'otelarmor_receiver_reconnects_total']), want);
    // Hand-checked against test/e2e/fixtures/kubearmor-events.json (2 alerts, 3 logs).
    assert.equal(want['kubearmor_alerts_in_host_total{HostName="node-a"}'], 2);
    assert.equal(want['otelarmor_alerts_total{policy="hsp-audit-nc",severity="7",action="Audit",operation="Process",namespace=""}'], 1);
    assert.equal(want['kubearmor_alerts_in_namespace_total{NamespaceName=""}'], 1);
    const ready = await fetch(`http://${m[1]}/readyz`);
    assert.equal(ready.status, 200);

    const byTime = new Map<string, OtlpJsonRecord>(recs.map((r) => [r.timeUnixNano, r]));
    for (const ka of [...fx.alerts, ...fx.logs]) {
      const want = nsOf(ka.UpdatedTime);
      const r = byTime.get(want);
      assert.ok(r, `no record with timeUnixNano ${want} (${ka.UpdatedTime}); have ${[...byTime.keys()].join(',')}`);
      const alert = ['MatchedPolicy', 'MatchedHostPolicy', 'SystemEvent'].includes(ka.Type);
      assert.equal(r.eventName, alert ? 'kubearmor.alert' : 'kubearmor.log', ka.UpdatedTime);
      assert.ok(BigInt(r.observedTimeUnixNano) > BigInt(r.timeUnixNano));
      if (!alert) {
        assert.equal(r.severityNumber, 9);
        assert.equal(r.severityText, 'INFO');
      } else {
        assert.equal(r.severityText, ka.Severity);
      }

      // Every KubeArmor field, under its own name, with its exact value.
      const expected: Record<string, AnyValue> = {};
      for (const [k, v] of Object.entries(ka)) {
        if (k === 'Owner' || k === 'ExecEvent' || k === 'EventData') continue;
        expected[k] = anyValue(v);
      }
      for (const nest of ['Owner', 'ExecEvent', 'EventData'] as const) {
        for (const [k, v] of Object.entries(ka[nest] ?? {})) expected[`${nest}.${k}`] = anyValue(v);
      }
      // Semantic-convention keys next to them.
      expected['process.pid'] = anyValue(ka.HostPID);
      expected['process.parent_pid'] = anyValue(ka.HostPPID);
      if (ka.ProcessName) expected['process.executable.path'] = anyValue(ka.ProcessName);
      if (ka.NamespaceName) expected['k8s.namespace.name'] = anyValue(ka.NamespaceName);
      if (ka.PodName) expected['k8s.pod.name'] = anyValue(ka.PodName);
      if (ka.ContainerName) expected['k8s.container.name'] = anyValue(ka.ContainerName);
      if (ka.ContainerID) expected['container.id'] = anyValue(ka.ContainerID);
      if (ka.ContainerImage) {
        expected['container.image.name'] = anyValue('docker.io/library/nginx');
        expected['container.image.tags'] = anyValue(['1.27']);
      }
      if (ka.Operation === 'File') expected['file.path'] = anyValue(ka.Resource);
      if (ka.Operation === 'Network') {
        expected['network.peer.address'] = anyValue('93.184.215.14');
        expected['network.peer.port'] = anyValue(443);
        expected['network.transport'] = anyValue('tcp');
      }
      for (const [k, v] of Object.entries(expected)) {
        assert.deepEqual(r.attributes[k], v, `${ka.UpdatedTime} attribute ${k}`);
      }
      assert.deepEqual([...r.attributeKeys].sort(), Object.keys(expected).sort(), `${ka.UpdatedTime}: attribute key set`);
    }

    recv.child.kill('SIGTERM');
    assert.equal(await recv.exited, 0, recv.stderr);
    assert.match(recv.stderr, new RegExp(`receive: stopped; ${fx.alerts.length} alerts, ${fx.logs.length} logs received, 1 connection`));
  });

  it('filter policy: only WatchAlerts is called and only alerts are exported', async function () {
    const { kaserver } = buildGoTools(this);
    const otelcol = tool(this, 'otelcol-otelarmor');
    const fx = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { alerts: Ka[]; logs: Ka[] };
    const server = new Proc(kaserver, ['-fixture', FIXTURE]);
    procs.push(server);
    const addr = (await server.waitLine('LISTENING ')).split(' ')[1]!;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'otelarmor-receive-'));
    const file = path.join(dir, 'logs.json');
    const port = await freePort();
    collector = new TestCollector(otelcol, port, file);
    await collector.start();
    const recv = new Proc(process.execPath, [
      CLI, 'receive', '--kubearmor', addr, '--filter', 'policy',
      '--otlp-endpoint', `http://127.0.0.1:${port}`, '--metrics-address', 'none',
    ]);
    procs.push(recv);
    await server.waitLine('SENT WatchAlerts');
    const recs = await waitForRecords(file, fx.alerts.length, 30000);
    recv.child.kill('SIGTERM');
    assert.equal(await recv.exited, 0, recv.stderr);
    assert.deepEqual(server.lines.filter((l) => l.startsWith('WATCH ')), ['WATCH WatchAlerts "policy"']);
    const final = await waitForRecords(file, recs.length, 1000);
    assert.deepEqual(final.map((r) => r.eventName), fx.alerts.map(() => 'kubearmor.alert'));
    assert.deepEqual(final.map((r) => r.timeUnixNano).sort(), fx.alerts.map((a) => nsOf(a.UpdatedTime)).sort());
  });
});
