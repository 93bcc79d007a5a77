import assert from 'node:assert/strict';
import * as os from 'node:os';
import { startMetricsServer, MetricsAddressError, parseListenAddress, type MetricsServer } from '../../../src/metrics/server';
import { createMetricsSink } from '../../../src/metrics/sink';
import { loadEvents } from '../../fixtures/events';

/** Parse Prometheus text into `name{labels}` → value (labels as rendered). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

describe('metrics server and counting sink', () => {
  let srv: MetricsServer;
  let ready = false;
  before(async () => {
    srv = await startMetricsServer({
      address: '127.0.0.1:0', cluster: 'c1', nodeName: 'node-a', kernel: '6.18.0-test',
      readiness: () => ({ ready, detail: { hooksAttached: ready ? 3 : 0 } }),
    });
  });
  after(async () => srv.close());

  it('serves /healthz, /readyz (503 then 200) and 404 elsewhere', async () => {
    const h = await fetch(`http://${srv.address}/healthz`);
    assert.equal(h.status, 200);
    assert.equal(await h.text(), 'ok');
    let r = await fetch(`http://${srv.address}/readyz`);
    assert.equal(r.status, 503);
    assert.deepEqual(await r.json(), { ready: false, hooksAttached: 0 });
    ready = true;
    r = await fetch(`http://${srv.address}/readyz`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { ready: true, hooksAttached: 3 });
    assert.equal((await fetch(`http://${srv.address}/nope`)).status, 404);
  });

  it('counts events, alerts and the kubearmor_* compat counters exactly', async () => {
    const sink = createMetricsSink(srv.metrics);
    const evs = loadEvents();
    sink.write(evs);
    sink.write(evs.filter((e) => e.name === 'alert'));
    srv.metrics.dropped('export', 'logs_queue_full', 7);
    const text = await (await fetch(`http://${srv.address}/metrics`)).text();
    const s = samples(text);
    const want: Record<string, number> = {
      'otelarmor_events_total{operation="Process",type="ContainerLog"}': 1,
      'otelarmor_events_total{operation="File",type="ContainerLog"}': 1,
      'otelarmor_events_total{operation="Network",type="ContainerLog"}': 1,
      'otelarmor_events_total{operation="File",type="MatchedPolicy"}': 2,
      'otelarmor_events_total{operation="Process",type="MatchedHostPolicy"}': 1,
      'otelarmor_events_dropped_total{stage="export",reason="logs_queue_full"}': 7,
      'otelarmor_alerts_total{policy="ksp-wordpress-block-config",severity="7",action="Block",operation="File",namespace="wordpress-mysql"}': 2,
      'otelarmor_alerts_total{policy="hsp-block-useradd",severity="10",action="Audit",operation="Process",namespace=""}': 1,
      'kubearmor_alerts_in_host_total{HostName="node-a"}': 3,
      'kubearmor_alerts_in_namespace_total{NamespaceName="wordpress-mysql"}': 2,
      'kubearmor_alerts_in_namespace_total{NamespaceName=""}': 1,
      'kubearmor_alerts_in_pod_total{PodName="wordpress-7c966b5d85-wvtln"}': 2,
      'kubearmor_alerts_in_container_total{ContainerName="wordpress"}': 2,
      'kubearmor_alerts_with_policy_total{PolicyName="ksp-wordpress-block-config"}': 2,
      'kubearmor_alerts_with_policy_total{PolicyName="hsp-block-useradd"}': 1,
      'kubearmor_alerts_with_severity_total{Severity="7"}': 2,
      'kubearmor_alerts_with_severity_total{Severity="10"}': 1,
      'kubearmor_alerts_with_type_total{Type="MatchedPolicy"}': 2,
      'kubearmor_alerts_with_type_total{Type="MatchedHostPolicy"}': 1,
      'kubearmor_alerts_with_operation_total{Operation="File"}': 2,
      'kubearmor_alerts_with_operation_total{Operation="Process"}': 1,
      'kubearmor_alerts_with_action_total{Action="Block"}': 2,
      'kubearmor_alerts_with_action_total{Action="Audit"}': 1,
      'otelarmor_build_info{version="0.1.0",kernel="6.18.0-test"}': 1,
    };
    for (const [k, v] of Object.entries(want)) assert.equal(s.get(k), v, k);
    assert.ok((s.get('otelarmor_process_resident_memory_bytes') ?? 0) > 0);
    assert.ok((s.get('otelarmor_process_cpu_seconds_total{mode="user"}') ?? 0) > 0);
    const ti = [...s.keys()].find((k) => k.startsWith('target_info{'));
    assert.ok(ti?.includes('service_name="otelarmor"') && ti.includes('k8s_cluster_name="c1"') && ti.includes(`host_name="${os.hostname()}"`), ti);
  });

  it('rejects a bad address with an error naming the key', async () => {
    assert.throws(() => parseListenAddress('localhost'), /metricsAddress \(--metrics-address\)="localhost": expected host:port/);
    assert.deepEqual(parseListenAddress('[::1]:9464'), { host: '::1', port: 9464 });
    await assert.rejects(startMetricsServer({ address: srv.address, readiness: () => ({ ready: true, detail: {} }) }),
      (e: unknown) => e instanceof MetricsAddressError && /cannot listen: EADDRINUSE/.test(e.message));
  });
});
