// TLS to a real collector: the CA comes from OTEL_EXPORTER_OTLP_CERTIFICATE; without it (system
// roots only) the self-signed server is refused and the records stay queued, counted, not lost.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultConfig } from '../../src/config';
import { AgentMetrics } from '../../src/metrics/metrics';
import { createOtlpSink, otlpOptionsFromConfig, type OtlpSink } from '../../src/otlp';
import { ROOT, tool } from '../helpers/env';
import { fixture } from '../fixtures/events';
import { freePort, sleep, TestCollector, waitForRecords } from './otlp-helpers';

describe('OTLP over TLS to a real collector', function () {
  this.timeout(60_000);
  let col: TestCollector;
  let dir: string;

  before(async function () {
    const bin = tool(this, 'otelcol-otelarmor');
    dir = mkdtempSync(path.join(os.tmpdir(), 'oa-otlp-tls-'));
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=otelarmor-test-ca', '-keyout', 'ca.key', '-out', 'ca.pem');
    run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr');
    const ext = path.join(dir, 'ext.cnf');
    writeFileSync(ext, 'subjectAltName=IP:127.0.0.1\n');
    run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', 'server.pem');
    const port = await freePort();
    col = new TestCollector(bin, port, path.join(dir, 'out.jsonl'), path.join(ROOT, 'otel', 'collector-test-tls.yaml'), {
      OTELARMOR_TEST_TLS_CERT: path.join(dir, 'server.pem'), OTELARMOR_TEST_TLS_KEY: path.join(dir, 'server.key'),
    });
    await col.start();
  });
  after(async () => col?.stop());

  it('delivers with the CA from OTEL_EXPORTER_OTLP_CERTIFICATE', async () => {
    const metrics = new AgentMetrics();
    const opts = otlpOptionsFromConfig({ ...defaultConfig(), nodeName: 'node-a' }, {
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `https://127.0.0.1:${col.port}`,
      OTEL_EXPORTER_OTLP_CERTIFICATE: path.join(dir, 'ca.pem'),
    })!;
    assert.deepEqual(opts.warnings, []);
    const sink = createOtlpSink(opts, metrics) as OtlpSink;
    sink.write([fixture('alert'), fixture('exec')]);
    await sink.flush(Date.now() + 10_000);
    assert.deepEqual(sink.queued(), { alerts: 0, logs: 0 });
    await sink.close();
    const recs = await waitForRecords(col.file, 2);
    assert.deepEqual(recs.map((r) => r.eventName).sort(), ['kubearmor.alert', 'kubearmor.log']);
    assert.deepEqual(metrics.dropCounts, new Map());
  });

  it('refuses the untrusted server without the CA and keeps the alert queued', async () => {
    const metrics = new AgentMetrics();
    const opts = otlpOptionsFromConfig({ ...defaultConfig(), otlpEndpoint: `https://127.0.0.1:${col.port}` }, {})!;
    opts.closeTimeoutMs = 200;
    const sink = createOtlpSink(opts, metrics) as OtlpSink;
    sink.write([fixture('alert')]);
    await sleep(1500);
    assert.deepEqual(sink.queued(), { alerts: 1, logs: 0 });
    assert.match(sink.lastErrors().alerts, /^14: /);
    await sink.close();
    assert.equal(metrics.dropCounts.get('export/shutdown'), 1);
  });
});
