// `otelarmor receive`: forward a KubeArmor agent/relay gRPC stream to OTLP (receiver mode).
import { parseArgs } from 'node:util';
import { defaultConfig } from '../config';
import { LOG_FILTER_VALUES, type LogFilter } from '../grpc/client';
import { AgentMetrics } from '../metrics/metrics';
import type { EventSink } from '../pipeline/sink';
import { KubeArmorReceiver } from '../receiver/receiver';
import { EXIT } from './exit-codes';

export const USAGE = `usage: otelarmor receive [--kubearmor HOST:PORT] [--filter all|policy|system]
                         [--otlp-endpoint URL] [--metrics-address ADDR|none] [--tls-ca FILE]
                         [--tls-cert FILE --tls-key FILE] [--cluster NAME] [--duration SECONDS]

Connects to a KubeArmor agent or kubearmor-relay (feeder.LogService), checks it with a HealthCheck
nonce, watches alerts (filter all|policy) and logs (filter all|system), and exports every event as
an OTLP log record exactly like otelarmor's own events. Reconnects with backoff (0.5 s .. 5 s).
  --kubearmor      endpoint (default: $KUBEARMOR_SERVICE, else 127.0.0.1:32767)
  --filter         all (default) | policy (alerts only) | system (logs only)
  --otlp-endpoint  OTLP/gRPC endpoint (default: OTEL_EXPORTER_OTLP_[LOGS_]ENDPOINT; unset = events are only counted)
  --metrics-address  Prometheus /metrics, /healthz, /readyz (default 127.0.0.1:9464; "none" = off)
  --tls-ca         CA of the KubeArmor server certificate (enables TLS)
  --duration       stop after N seconds (0 = until SIGINT/SIGTERM)
`;

export async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        kubearmor: { type: 'string' },
        filter: { type: 'string' },
        'otlp-endpoint': { type: 'string' },
        'metrics-address': { type: 'string' },
        'tls-ca': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        cluster: { type: 'string' },
        duration: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    process.stderr.write(`otelarmor receive: ${(e as Error).message}\n${USAGE}`);
    return EXIT.USAGE;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return EXIT.OK;
  }
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const target = str('kubearmor') || process.env.KUBEARMOR_SERVICE || '127.0.0.1:32767';
  const filter = (str('filter') ?? 'all') as LogFilter;
  if (!LOG_FILTER_VALUES.includes(filter)) {
    process.stderr.write(`otelarmor receive: --filter=${JSON.stringify(filter)}: expected all, policy or system\n`);
    return EXIT.USAGE;
  }
  if (!/^[^\s]+:\d{1,5}$/.test(target)) {
    process.stderr.write(`otelarmor receive: --kubearmor=${JSON.stringify(target)}: expected HOST:PORT\n`);
    return EXIT.USAGE;
  }
  const duration = Number(str('duration') ?? '0');
  if (!Number.isFinite(duration) || duration < 0) {
    process.stderr.write(`otelarmor receive: --duration=${JSON.stringify(str('duration'))}: expected seconds >= 0\n`);
    return EXIT.USAGE;
  }
  if ((str('tls-cert') === undefined) !== (str('tls-key') === undefined)) {
    process.stderr.write('otelarmor receive: --tls-cert and --tls-key go together\n');
    return EXIT.USAGE;
  }
  if (str('tls-cert') && !str('tls-ca')) {
    process.stderr.write('otelarmor receive: --tls-cert needs --tls-ca\n');
    return EXIT.USAGE;
  }

  const config = defaultConfig();
  config.otlpEndpoint = str('otlp-endpoint') ?? '';
  if (str('cluster')) config.cluster = str('cluster')!;
  const metricsAddress = str('metrics-address') ?? config.metricsAddress;

  const { createOtlpSink, otlpOptionsFromConfig } = await import('../otlp');
  let otlpOpts;
  try {
    otlpOpts = otlpOptionsFromConfig(config, process.env);
  } catch (e) {
    process.stderr.write(`otelarmor receive: ${(e as Error).message}\n`);
    return EXIT.USAGE;
  }

  let receiver: KubeArmorReceiver | undefined;
  let metricsServer: { metrics: AgentMetrics; address: string; close(): Promise<void> } | undefined;
  let metrics: AgentMetrics;
  if (metricsAddress !== 'none') {
    const { startMetricsServer } = await import('../metrics/server');
    try {
      metricsServer = await startMetricsServer({
        address: metricsAddress,
        cluster: config.cluster,
        readiness: () => ({
          ready: receiver?.isConnected ?? false,
          detail: { mode: 'receive', kubearmor: target, connected: receiver?.isConnected ?? false },
        }),
      });
    } catch (e) {
      process.stderr.write(`otelarmor receive: ${(e as Error).message}\n`);
      return EXIT.FAILURE;
    }
    metrics = metricsServer.metrics;
    process.stderr.write(`otelarmor: metrics: http://${metricsServer.address}/metrics (/healthz, /readyz)\n`);
  } else {
    metrics = new AgentMetrics();
  }

  const sinks: EventSink[] = [];
  const { createMetricsSink } = await import('../metrics/sink');
  sinks.push(createMetricsSink(metrics));
  const otlp = createOtlpSink(otlpOpts, metrics);
  if (otlp) {
    sinks.push(otlp);
    process.stderr.write(`otelarmor: otlp: exporting to ${otlpOpts?.endpoint}\n`);
  } else {
    process.stderr.write('otelarmor: otlp: no endpoint configured (--otlp-endpoint or OTEL_EXPORTER_OTLP_ENDPOINT); events are only counted\n');
  }

  const tlsCa = str('tls-ca');
  receiver = new KubeArmorReceiver({
    target,
    filter,
    tls: tlsCa ? { ca: tlsCa, cert: str('tls-cert'), key: str('tls-key') } : undefined,
    sinks,
    metrics,
    log: (m) => process.stderr.write(`otelarmor: ${m}\n`),
  });
  receiver.start();

  await new Promise<void>((resolve) => {
    const onSignal = () => resolve();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    if (duration > 0) setTimeout(resolve, duration * 1000).unref();
  });

  await receiver.stop();
  const deadline = Date.now() + 10_000;
  for (const s of sinks) await s.flush(deadline).catch(() => undefined);
  for (const s of sinks) await s.close().catch(() => undefined);
  const st = receiver.stats;
  process.stderr.write(`otelarmor: receive: stopped; ${st.alerts} alerts, ${st.logs} logs received, ${st.connects} connection(s)\n`);
  await metricsServer?.close();
  return EXIT.OK;
}
