// Recorded AgentEvents through createOtlpSink to a real OpenTelemetry Collector; the collector's
// file exporter output (OTLP JSON) is decoded and checked field by field.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultConfig } from '../../src/config';
import { AgentMetrics } from '../../src/metrics/metrics';
import { createOtlpSink, otlpOptionsFromConfig, type OtlpSink } from '../../src/otlp';
import { instanceId } from '../../src/otlp/resource';
import { tool } from '../helpers/env';
import { loadEvents, type NamedEvent } from '../fixtures/events';
import { freePort, TestCollector, waitForRecords, type AnyValue, type OtlpJsonRecord } from './otlp-helpers';

const s = (v: string): AnyValue => ({ stringValue: v });
const i = (v: number): AnyValue => ({ intValue: String(v) });
const arr = (...v: string[]): AnyValue => ({ arrayValue: { values: v.map(s) } });

describe('OTLP logs to a real collector: field by field', function () {
  this.timeout(60_000);
  let col: TestCollector;
  let recs: OtlpJsonRecord[];
  let evs: NamedEvent[];
  let metrics: AgentMetrics;
  let queuedAfterFlush: Record<string, number>;
  const byName = (n: string) => recs[evs.findIndex((e) => e.name === n)]!;

  before(async function () {
    const bin = tool(this, 'otelcol-otelarmor');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'oa-otlp-fields-'));
    const port = await freePort();
    col = new TestCollector(bin, port, path.join(dir, 'out.jsonl'));
    await col.start();
    const cfg = { ...defaultConfig(), cluster: 'prod-eu', nodeName: 'node-a', otlpEndpoint: `http://127.0.0.1:${port}` };
    metrics = new AgentMetrics();
    const sink = createOtlpSink(otlpOptionsFromConfig(cfg, {}), metrics) as OtlpSink;
    evs = loadEvents();
    sink.write(evs);
    await sink.flush(Date.now() + 10_000);
    queuedAfterFlush = sink.queued();
    await sink.close();
    recs = await waitForRecords(col.file, evs.length);
    assert.equal(recs.length, evs.length, col.stderr);
    // Re-order to fixture order by the unique timestamp.
    recs = evs.map((e) => {
      const r = recs.find((x) => x.timeUnixNano === e.timeNs.toString());
      assert.ok(r, `record for ${e.name} (timeUnixNano ${e.timeNs}) not found`);
      return r;
    });
  });
  after(async () => col?.stop());

  it('delivers everything by flush() and drops nothing', () => {
    assert.deepEqual(queuedAfterFlush, { alerts: 0, logs: 0 });
    assert.deepEqual(metrics.dropCounts, new Map());
  });

  it('sets the resource and scope', () => {
    for (const r of recs) {
      assert.deepEqual(r.resource, {
        'service.name': s('otelarmor'),
        'service.version': s('0.1.0'),
        'service.instance.id': s(instanceId('node-a')),
        'host.name': s(os.hostname()),
        'k8s.node.name': s('node-a'),
        'k8s.cluster.name': s('prod-eu'),
      });
      assert.deepEqual(r.scope, { name: 'otelarmor', version: '0.1.0' });
    }
  });

  it('keeps ns timestamps, severity, event name and body', () => {
    const want: Record<string, [string, string, number, string, string, string]> = {
      exec: ['1764028800123456789', '1764028800124000001', 9, 'INFO', 'kubearmor.log', '/bin/bash executed /usr/bin/id -u → Passed'],
      open: ['1764028801000000007', '1764028801000350000', 9, 'INFO', 'kubearmor.log', '/usr/bin/cat opened /etc/shadow (O_RDONLY) → Passed'],
      connect: ['1764028802999999999', '1764028803000100000', 9, 'INFO', 'kubearmor.log', '/usr/bin/curl connected to 10.0.0.1:80 (TCP) → Permission denied'],
      alert: ['1764028803500000123', '1764028803500400000', 18, '7', 'kubearmor.alert', '[ksp-wordpress-block-config] /usr/bin/cat opened /var/www/html/wp-config.php (O_RDONLY) → Permission denied'],
      'host-exec-alert': ['1764028804000000000', '1764028804000000500', 19, '10', 'kubearmor.alert', '[hsp-block-useradd] /usr/bin/sudo executed /usr/sbin/useradd eve → Passed'],
    };
    for (const [name, [t, o, sn, st, en, body]] of Object.entries(want)) {
      const r = byName(name);
      assert.equal(r.timeUnixNano, t, name);
      assert.equal(r.observedTimeUnixNano, o, name);
      assert.equal(r.severityNumber, sn, name);
      assert.equal(r.severityText, st, name);
      assert.equal(r.eventName, en, name);
      assert.deepEqual(r.body, s(body), name);
    }
  });

  it('carries every KubeArmor field of the alert with its exact type, and semconv keys', () => {
    const CID = '9c7a2e4c4d4a7b1b0a7e3f1b6f5e2d6c1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d';
    const IMAGE = 'docker.io/library/wordpress:4.8-apache@sha256:6216f64ab88fc51d311e38c7f69ca3f9aaba621492b4f1fa93ddf63093768845';
    assert.deepEqual(byName('alert').attributes, {
      Timestamp: i(1764028803), UpdatedTime: s('2025-11-25T00:00:03.500000Z'), ClusterName: s('default'),
      HostName: s('node-a'), NamespaceName: s('wordpress-mysql'), PodName: s('wordpress-7c966b5d85-wvtln'),
      ContainerID: s(CID), ContainerName: s('wordpress'), HostPID: i(41391), PPID: i(212), PID: i(252), UID: i(0),
      PolicyName: s('ksp-wordpress-block-config'), Severity: s('7'),
      Tags: s('WORDPRESS,config,MITRE_T1552_unsecured_credentials'), Message: s('wp-config.php read attempt blocked'),
      Type: s('MatchedPolicy'), Source: s('/usr/bin/cat wp-config.php'), Operation: s('File'),
      Resource: s('/var/www/html/wp-config.php'), Data: s('syscall=SYS_OPENAT fd=-100 flags=O_RDONLY'),
      Action: s('Block'), Result: s('Permission denied'), ContainerImage: s(IMAGE),
      ParentProcessName: s('/bin/bash'), ProcessName: s('/usr/bin/cat'), HostPPID: i(41210),
      Enforcer: s('eBPF Monitor'), Labels: s('app=wordpress'),
      ATags: arr('WORDPRESS', 'config', 'MITRE_T1552_unsecured_credentials'),
      Cwd: s('/var/www/html/'), TTY: s('pts0'), KubeArmorVersion: s('otelarmor-0.1.0'),
      'Owner.Ref': s('Deployment'), 'Owner.Name': s('wordpress'), 'Owner.Namespace': s('wordpress-mysql'),
      'ExecEvent.ExecID': s('2918361825109245'), 'ExecEvent.ExecutableName': s('cat'),
      'EventData.Syscall': s('SYS_OPENAT'), 'EventData.Fd': s('-100'), 'EventData.Flags': s('O_RDONLY'),
      'k8s.namespace.name': s('wordpress-mysql'), 'k8s.pod.name': s('wordpress-7c966b5d85-wvtln'),
      'k8s.container.name': s('wordpress'), 'container.id': s(CID),
      'container.image.name': s('docker.io/library/wordpress'), 'container.image.tags': arr('4.8-apache'),
      'process.pid': i(41391), 'process.parent_pid': i(41210), 'process.executable.path': s('/usr/bin/cat'),
      'file.path': s('/var/www/html/wp-config.php'),
    });
  });

  it('carries network semconv keys on connect and no command line by default', () => {
    const a = byName('connect').attributes;
    assert.deepEqual(a['network.peer.address'], s('10.0.0.1'));
    assert.deepEqual(a['network.peer.port'], i(80));
    assert.deepEqual(a['network.transport'], s('tcp'));
    assert.deepEqual(a['EventData.Sin_port'], s('80'));
    assert.deepEqual(a.UID, i(33));
    assert.equal(a['file.path'], undefined);
    for (const r of recs) assert.equal(r.attributes['process.command_line'], undefined);
  });

  it('host alert has UserName and no container keys', () => {
    const r = byName('host-exec-alert');
    assert.deepEqual(r.attributes.UserName, s('root'));
    assert.deepEqual(r.attributes.Tags, s(''));
    for (const k of ['NamespaceName', 'PodName', 'ContainerID', 'k8s.pod.name', 'container.id', 'ATags', 'Owner.Ref']) {
      assert.equal(r.attributes[k], undefined, k);
    }
  });
});
