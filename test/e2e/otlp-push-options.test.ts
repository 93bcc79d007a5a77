// The OTLP metrics push uses the logs exporter's settings (otlpOptionsFromConfig over the standard
// OTEL_EXPORTER_OTLP_* variables):
// - endpoint and CA from the environment: metrics reach a real collector over TLS;
// - OTEL_EXPORTER_OTLP_HEADERS and OTEL_EXPORTER_OTLP_COMPRESSION=gzip: an HTTP/2 gRPC peer
//   (node:http2, the wire itself: request headers, the 5-byte gRPC message prefix) sees the
//   headers and gzip-compressed messages on both the metrics and the logs Export calls.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as http2 from 'node:http2';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { defaultConfig } from '../../src/config';
import { AgentMetrics } from '../../src/metrics/metrics';
import { createMetricsSink } from '../../src/metrics/sink';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/server';
import { createOtlpSink, otlpOptionsFromConfig, type OtlpSink } from '../../src/otlp';
import { ROOT, tool } from '../helpers/env';
import { fixture, loadEvents } from '../fixtures/events';
import { freePort, sleep, TestCollector } from './otlp-helpers';

const METRICS_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
const LOGS_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';

interface SeenCall { path: string; headers: http2.IncomingHttpHeaders; compressedFlag: number; message: Buffer }

/**
 * A gRPC server at the HTTP/2 level: records each unary call's request headers and its one
 * length-prefixed message (flag byte 1 = compressed with the grpc-encoding), answers an empty
 * response message with grpc-status 0 (an empty Export*ServiceResponse: full success).
 */
class WireGrpcPeer {
  readonly calls: SeenCall[] = [];
  private readonly server = http2.createServer();
  port = 0;

  private readonly sessions = new Set<http2.ServerHttp2Session>();

  async start(): Promise<void> {
    this.server.on('session', (s) => { this.sessions.add(s); s.once('close', () => this.sessions.delete(s)); });
    this.server.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const body = Buffer.concat(chunks);
        const flag = body[0] ?? -1;
        const len = body.length >= 5 ? body.readUInt32BE(1) : 0;
        const raw = body.subarray(5, 5 + len);
        this.calls.push({ path: String(headers[':path']), headers, compressedFlag: flag, message: flag === 1 ? gunzipSync(raw) : raw });
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-encoding': 'identity' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': '' }));
        stream.end(Buffer.from([0, 0, 0, 0, 0]));
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Closes the listener and the clients' sessions (the exporters keep their channels open). */
  async stop(): Promise<void> {
    for (const s of this.sessions) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

describe('OTLP metrics push with the logs exporter settings (env endpoint, TLS, headers, gzip)', function () {
  this.timeout(60_000);
  const servers: MetricsServer[] = [];
  afterEach(async () => { for (const s of servers.splice(0)) await s.close(); });

  it('endpoint and CA from OTEL_EXPORTER_OTLP_*: metrics reach a real collector over TLS', async function () {
    const bin = tool(this, 'otelcol-otelarmor');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'oa-push-tls-'));
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=otelarmor-test-ca', '-keyout', 'ca.key', '-out', 'ca.pem');
    run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr');
    writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'ext.cnf', '-out', 'server.pem');
    const port = await freePort();
    const col = new TestCollector(bin, port, path.join(dir, 'out.jsonl'), path.join(ROOT, 'otel', 'collector-test-tls.yaml'), {
      OTELARMOR_TEST_TLS_CERT: path.join(dir, 'server.pem'), OTELARMOR_TEST_TLS_KEY: path.join(dir, 'server.key'),
    });
    await col.start();
    try {
      const options = otlpOptionsFromConfig({ ...defaultConfig(), nodeName: 'node-tls' }, {
        OTEL_EXPORTER_OTLP_ENDPOINT: `https://127.0.0.1:${port}`,
        OTEL_EXPORTER_OTLP_CERTIFICATE: path.join(dir, 'ca.pem'),
      });
      assert.ok(options?.tls?.rootCert, 'CA read from OTEL_EXPORTER_OTLP_CERTIFICATE');
      const srv = await startMetricsServer({ address: '127.0.0.1:0', nodeName: 'node-tls', otlpPush: { options, intervalMs: 300 }, readiness: () => ({ ready: true, detail: {} }) });
      servers.push(srv);
      srv.metrics.event('File', 'HostLog', 7);
      let found: number | undefined;
      const deadline = Date.now() + 20_000;
      while (found === undefined && Date.now() < deadline) {
        await sleep(200);
        if (!existsSync(col.file)) continue;
        for (const line of readFileSync(col.file, 'utf8').split('\n')) {
          if (!line.includes('"otelarmor.events"')) continue;
          const req = JSON.parse(line) as { resourceMetrics: { scopeMetrics: { metrics: { name: string; sum?: { dataPoints: unknown[] } }[] }[] }[] };
          const m = req.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)).find((x) => x.name === 'otelarmor.events');
          const dp = m?.sum?.dataPoints[0] as { asInt?: string; asDouble?: number } | undefined;
          found = dp ? Number(dp.asInt ?? dp.asDouble) : undefined;
        }
      }
      assert.equal(found, 7, col.stderr);
    } finally {
      await col.stop();
    }
  });

  it('OTEL_EXPORTER_OTLP_HEADERS and _COMPRESSION=gzip are on the wire of metrics and logs Export calls', async () => {
    const peer = new WireGrpcPeer();
    await peer.start();
    try {
      const env = {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${peer.port}`,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-oa-tenant=team%20blue,authorization=Bearer%20s3cr3t',
        OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      };
      const options = otlpOptionsFromConfig({ ...defaultConfig(), nodeName: 'node-wire' }, env)!;
      assert.deepEqual(options.headers, { 'x-oa-tenant': 'team blue', authorization: 'Bearer s3cr3t' });
      const srv = await startMetricsServer({ address: '127.0.0.1:0', nodeName: 'node-wire', otlpPush: { options, intervalMs: 300 }, readiness: () => ({ ready: true, detail: {} }) });
      servers.push(srv);
      createMetricsSink(srv.metrics).write(loadEvents());
      const sink = createOtlpSink(options, new AgentMetrics()) as OtlpSink;
      sink.write([fixture('alert')]);
      await sink.flush(Date.now() + 10_000);
      await sink.close();
      const deadline = Date.now() + 20_000;
      while (!peer.calls.some((c) => c.path === METRICS_PATH) && Date.now() < deadline) await sleep(100);

      for (const p of [METRICS_PATH, LOGS_PATH]) {
        const c = peer.calls.find((x) => x.path === p);
        assert.ok(c, `no ${p} call; calls: ${peer.calls.map((x) => x.path).join(', ')}`);
        assert.equal(c.headers['x-oa-tenant'], 'team blue', p);
        assert.equal(c.headers.authorization, 'Bearer s3cr3t', p);
        assert.equal(c.headers['content-type'], 'application/grpc', p);
        assert.equal(c.headers['grpc-encoding'], 'gzip', p);
        assert.equal(c.compressedFlag, 1, `${p}: message not compressed`);
        assert.match(String(c.headers['user-agent']), /^otelarmor\/0\.1\.0 /, p);
      }
      // The gunzipped messages are the OTLP requests: names and values in their protobuf bytes.
      const metricsMsg = peer.calls.find((x) => x.path === METRICS_PATH)!.message;
      for (const s of ['otelarmor.events', 'kubearmor_alerts_in_host', 'service.name', 'node-wire']) assert.ok(metricsMsg.includes(s), `metrics request lacks ${s}`);
      const logsMsg = peer.calls.find((x) => x.path === LOGS_PATH)!.message;
      for (const s of ['kubearmor.alert', 'ksp-wordpress-block-config', 'node-wire']) assert.ok(logsMsg.includes(s), `logs request lacks ${s}`);
    } finally {
      await peer.stop();
    }
  });
});
