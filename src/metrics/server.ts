// Metrics endpoint: a MeterProvider with a pull PrometheusExporter (no server of its own) served
// by our node:http server on `address` — /metrics (Prometheus text), /healthz (200 "ok" while the
// process runs), /readyz (200 or 503, JSON {ready, ...detail}) — plus optional OTLP/gRPC push.
import * as http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import * as os from 'node:os';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type MetricReader } from '@opentelemetry/sdk-metrics';
import { AgentMetrics } from './metrics';
import { METRICS, type MetricKey } from './registry';
import { startRuntimeCollectors } from './runtime';
import { agentResourceAttributes, agentVersion } from '../otlp/resource';
import type { OtlpSinkOptions } from '../otlp/options';

type ExporterCompression = NonNullable<NonNullable<ConstructorParameters<typeof OTLPMetricExporter>[0]>['compression']>;

/** Counters with AgentMetrics' own cardinality cap and "other" bucket. */
const ALERT_COUNTERS: readonly MetricKey[] = [
  'alerts', 'alertsByWorkload', 'kaAlertsInHost', 'kaAlertsInNamespace', 'kaAlertsInPod', 'kaAlertsInContainer',
  'kaAlertsWithPolicy', 'kaAlertsWithSeverity', 'kaAlertsWithType', 'kaAlertsWithOperation', 'kaAlertsWithAction',
];

export interface Readiness { ready: boolean; detail: object }

export interface MetricsServerOptions {
  /** host:port, [v6]:port; default 127.0.0.1:9464. Port 0 picks a free port (see `address`). */
  address?: string;
  cluster?: string;
  nodeName?: string;
  /** Extra resource attributes (target_info and OTLP push resource). */
  resourceAttributes?: Record<string, string>;
  /**
   * Also push metrics over OTLP/gRPC, with the logs exporter's settings (otlpOptionsFromConfig:
   * endpoint, TLS, headers, compression, timeout). `options: null` (no endpoint) = no push.
   */
  otlpPush?: { options: OtlpSinkOptions | null; intervalMs?: number } | null;
  readiness: () => Readiness;
  /** Kernel release for build_info (default os.release()). */
  kernel?: string;
}

export interface MetricsServer {
  meterProvider: MeterProvider;
  metrics: AgentMetrics;
  /** The bound address (host:port), with the real port when 0 was asked for. */
  address: string;
  close(): Promise<void>;
}

export class MetricsAddressError extends Error {
  constructor(value: string, reason: string) {
    super(`metricsAddress (--metrics-address)=${JSON.stringify(value)}: ${reason}`);
    this.name = 'MetricsAddressError';
  }
}

export function parseListenAddress(addr: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(addr.trim());
  if (!m) throw new MetricsAddressError(addr, 'expected host:port (e.g. 127.0.0.1:9464)');
  const port = Number(m[3]);
  if (port > 65535) throw new MetricsAddressError(addr, `port ${port} out of range`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const address = opts.address ?? '127.0.0.1:9464';
  const { host, port } = parseListenAddress(address);
  const nodeName = opts.nodeName || os.hostname();
  const resource = resourceFromAttributes({
    ...agentResourceAttributes({ cluster: opts.cluster ?? 'default', nodeName, hostName: os.hostname() }),
    ...opts.resourceAttributes,
  });
  const prom = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  const readers: MetricReader[] = [prom];
  const push = opts.otlpPush?.options;
  if (push) {
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(push.headers)) metadata.set(k, v);
    readers.push(new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({
        url: `${push.tls ? 'https' : 'http'}://${push.target}`,
        credentials: push.tls
          ? grpc.credentials.createSsl(push.tls.rootCert ?? null, push.tls.clientKey ?? null, push.tls.clientCert ?? null)
          : grpc.credentials.createInsecure(),
        metadata,
        // CompressionAlgorithm (otlp-exporter-base, not a direct dependency) is the enum 'none' | 'gzip'.
        compression: push.compression as unknown as ExporterCompression,
        timeoutMillis: push.timeoutMs,
        userAgent: `otelarmor/${agentVersion()}`,
      }),
      exportIntervalMillis: opts.otlpPush?.intervalMs ?? 10_000,
      exportTimeoutMillis: Math.min(push.timeoutMs, opts.otlpPush?.intervalMs ?? 10_000),
    }));
  }
  // The SDK folds the series of an instrument beyond its default cardinality limit (2000) into one
  // otel.metric.overflow series; the alert counters keep ALERT_CARDINALITY_CAP label sets of their
  // own and then count under their "other" sets, so their SDK limit is set above that.
  const views = ALERT_COUNTERS.map((k) => ({ instrumentName: METRICS[k].name, aggregationCardinalityLimit: 2 * AgentMetrics.ALERT_CARDINALITY_CAP + 100 }));
  const meterProvider = new MeterProvider({ resource, readers, views });
  const version = agentVersion();
  const meter = meterProvider.getMeter('otelarmor', version);
  const metrics = new AgentMetrics(meter);
  const runtime = startRuntimeCollectors(meter, metrics, { version, kernel: opts.kernel ?? os.release() });

  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (url === '/metrics') {
      prom.getMetricsRequestHandler(req, res);
    } else if (url === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok');
    } else if (url === '/readyz') {
      let r: Readiness;
      try { r = opts.readiness(); } catch (e) { r = { ready: false, detail: { error: String(e) } }; }
      res.writeHead(r.ready ? 200 : 503, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ ready: r.ready, ...r.detail }));
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found: try /metrics, /healthz, /readyz\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    const onErr = (e: NodeJS.ErrnoException) => {
      reject(new MetricsAddressError(address, `cannot listen: ${e.code ?? e.message}`));
    };
    server.once('error', onErr);
    server.listen(port, host, () => { server.off('error', onErr); resolve(); });
  });
  const bound = server.address();
  const boundAddr = bound && typeof bound === 'object'
    ? `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}` : address;

  let closed = false;
  return {
    meterProvider,
    metrics,
    address: boundAddr,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      runtime.stop();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await meterProvider.shutdown().catch(() => undefined);
    },
  };
}
