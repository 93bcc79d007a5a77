// The metric registry against what /metrics really serves: once every instrument has a value,
// each METRICS entry appears as one Prometheus family of its kind with exactly its registry labels,
// and nothing else is served (apart from target_info). And the cardinality caps: label set 2001
// folds into "other".
import assert from 'node:assert/strict';
import { startMetricsServer, type MetricsServer } from '../../../src/metrics/server';
import { AgentMetrics } from '../../../src/metrics/metrics';
import { METRICS } from '../../../src/metrics/registry';
import { fixture } from '../../fixtures/events';

interface Family { type: string; labelSets: Set<string> }

/** Prometheus text → family name → TYPE and the label-name sets of its samples. */
function families(text: string): Map<string, Family> {
  const out = new Map<string, Family>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) { types.set(t[1]!, t[2]!); out.set(t[1]!, { type: t[2]!, labelSets: new Set() }); continue; }
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
    assert.ok(m, `unparsable sample line: ${line}`);
    let name = m[1]!;
    if (!types.has(name)) name = name.replace(/_(bucket|sum|count)$/, '');
    const fam = out.get(name);
    assert.ok(fam, `sample ${m[1]} has no # TYPE line`);
    const labels = [...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g)].map((x) => x[1]!).filter((l) => l !== 'le');
    fam.labelSets.add(labels.join(','));
  }
  return out;
}

/** One recording per registry entry (a new entry needs a line here: the test names it). */
const RECORD: Record<string, (m: AgentMetrics) => void> = {
  events: (m) => m.event('File', 'HostLog'),
  eventsDropped: (m) => m.dropped('export', 'logs_queue_full'),
  eventsFiltered: (m) => m.filtered('kubearmor_result_enoent'),
  alerts: (m) => m.alert('p', '5', 'Block', 'File', 'ns'),
  alertsByWorkload: (m) => m.alertByWorkload('ns', 'pod', '/bin/cat'),
  exportRecords: (m) => m.exportRecords('logs', 'exported', 1),
  exportQueueSize: (m) => m.gauges.exportQueueSize.set('logs', 3),
  exportQueueCapacity: (m) => m.gauges.exportQueueCapacity.set('logs', 10),
  exportDuration: (m) => m.exportDuration('alerts', 'success', 0.01),
  probeAttached: (m) => m.gauges.probeAttached.set('oa_exit_openat', 1),
  kernelFeature: (m) => m.gauges.kernelFeature.set('kfunc_bpf_rdonly_cast', 1),
  enforcerMode: (m) => m.gauges.enforcerMode.set('audit-only', 1),
  policiesLoaded: (m) => m.gauges.policiesLoaded.set('rego', 27),
  ringbufFillRatio: (m) => { m.gauges.ringbufFillRatio = 0.25; },
  alertRingFillRatio: (m) => { m.gauges.alertRingFillRatio = 0.5; },
  processTreeSize: (m) => { m.gauges.processTreeSize = 42; },
  eventLoopLag: (m) => { m.gauges.eventLoopLagSeconds = 0.002; },
  // Runtime collectors of the metrics server observe these on every scrape.
  cpuSeconds: () => undefined,
  rss: () => undefined,
  buildInfo: () => undefined,
  regoDecisions: (m) => { m.regoDecisions('cached', 3); m.regoDecisions('evaluated', 1); },
  regoEvalDuration: (m) => m.regoEval('r1', 1e-5),
  grpcClients: (m) => m.gauges.grpcClients.set('alerts', 1),
  receiverConnected: (m) => m.gauges.receiverConnected.set('127.0.0.1:32767', 1),
  podMetadataUnresolved: (m) => m.podMetadataUnresolved('timeout'),
  k8sWatchErrors: (m) => m.k8sWatchError('/api/v1/pods'),
  receiverReconnects: (m) => m.receiverReconnect('127.0.0.1:32767'),
  kaAlertsInHost: (m) => m.kubeArmorAlert(fixture('alert').ka),
  kaAlertsInNamespace: () => undefined, // kubeArmorAlert() records all nine
  kaAlertsInPod: () => undefined,
  kaAlertsInContainer: () => undefined,
  kaAlertsWithPolicy: () => undefined,
  kaAlertsWithSeverity: () => undefined,
  kaAlertsWithType: () => undefined,
  kaAlertsWithOperation: () => undefined,
  kaAlertsWithAction: () => undefined,
};

const has = (text: string, re: RegExp) => assert.ok(re.test(text), `no line matches ${re}`);
const hasNot = (text: string, re: RegExp) => assert.ok(!re.test(text), `a line matches ${re}`);

const PROM_TYPE: Record<string, string> = { counter: 'counter', gauge: 'gauge', updowncounter: 'gauge', histogram: 'histogram' };

describe('metric registry against a live /metrics', () => {
  let srv: MetricsServer;
  before(async () => {
    srv = await startMetricsServer({ address: '127.0.0.1:0', cluster: 'c1', nodeName: 'node-a', readiness: () => ({ ready: true, detail: {} }) });
  });
  after(async () => srv.close());
  const scrape = async () => (await fetch(`http://${srv.address}/metrics`)).text();

  it('every registry entry is served once, as its kind, with exactly its registry labels; nothing else is', async () => {
    assert.deepEqual(Object.keys(METRICS).filter((k) => !(k in RECORD)), [], 'registry entries without a recording in this test');
    for (const k of Object.keys(METRICS)) RECORD[k]!(srv.metrics);
    const fams = families(await scrape());
    const problems: string[] = [];
    for (const [k, def] of Object.entries(METRICS)) {
      const f = fams.get(def.prom);
      if (!f) { problems.push(`${k}: ${def.prom} not served`); continue; }
      if (f.type !== PROM_TYPE[def.kind]) problems.push(`${k}: TYPE ${f.type}, registry says ${def.kind}`);
      const want = def.labels.join(',');
      const got = [...f.labelSets].map((s) => s.split(',').filter(Boolean).sort().join(','));
      if (got.length === 0) problems.push(`${k}: no samples`);
      for (const g of new Set(got)) if (g !== [...def.labels].sort().join(',')) problems.push(`${k}: labels {${g}}, registry {${want}}`);
    }
    const known = new Set(Object.values(METRICS).map((d) => d.prom));
    for (const name of fams.keys()) if (!known.has(name) && name !== 'target_info') problems.push(`${name}: served but not in the registry`);
    assert.deepEqual(problems, []);
  });

  it('alerts: label set 2001 of distinct policies folds into policy="other", namespace="other"', async () => {
    const m = srv.metrics;
    for (let i = 0; i < AgentMetrics.ALERT_CARDINALITY_CAP + 1; i++) m.alert(`cap-policy-${i}`, '3', 'Audit', 'Process', 'capns');
    m.alert('cap-policy-0', '3', 'Audit', 'Process', 'capns'); // a kept set keeps counting under its own labels
    m.alert('cap-policy-new', '7', 'Block', 'File', 'other-ns');
    const text = await scrape();
    const policies = new Set([...text.matchAll(/^otelarmor_alerts_total\{policy="([^"]*)"/gm)].map((x) => x[1]!));
    // 'p' from the registry test above is one of the 2000 kept sets.
    assert.equal(policies.size, AgentMetrics.ALERT_CARDINALITY_CAP + 1, 'kept sets + "other"');
    assert.ok(policies.has('cap-policy-1998') && !policies.has('cap-policy-1999') && !policies.has('cap-policy-2000'));
    has(text, /^otelarmor_alerts_total\{policy="cap-policy-0",severity="3",action="Audit",operation="Process",namespace="capns"\} 2$/m);
    has(text, /^otelarmor_alerts_total\{policy="other",severity="3",action="Audit",operation="Process",namespace="other"\} 2$/m);
    has(text, /^otelarmor_alerts_total\{policy="other",severity="7",action="Block",operation="File",namespace="other"\} 1$/m);
  });

  it('workload and kubearmor_* counters fold into "other" past the cap too', async () => {
    // One workload set and one PodName were recorded by the first test: 1999 more are kept.
    const m = srv.metrics;
    const ka = fixture('alert').ka;
    for (let i = 0; i < AgentMetrics.ALERT_CARDINALITY_CAP + 2; i++) {
      m.alertByWorkload('ns-w', `pod-${i}`, '/bin/x');
      m.kubeArmorAlert({ ...ka, PodName: `kpod-${i}` });
    }
    const text = await scrape();
    has(text, /^otelarmor_alerts_by_workload_total\{namespace="ns-w",pod="pod-1998",process="\/bin\/x"\} 1$/m);
    hasNot(text, /pod="pod-1999"/);
    has(text, /^otelarmor_alerts_by_workload_total\{namespace="other",pod="other",process="other"\} 3$/m);
    has(text, /^kubearmor_alerts_in_pod_total\{PodName="kpod-1998"\} 1$/m);
    hasNot(text, /PodName="kpod-1999"/);
    has(text, /^kubearmor_alerts_in_pod_total\{PodName="other"\} 3$/m);
  });
});
