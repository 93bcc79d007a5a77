// Throughput of the OTLP sink into a real collector (otel/collector-bench.yaml: OTLP/gRPC in,
// debug exporter at basic verbosity). The producer offers events at a fixed rate (1024-event
// batches on a schedule; it never waits for the sink, as the kernel does not), so a sink slower
// than the offered rate overflows its queue and the loss shows. Prints events/s from first write
// to the end of flush(), and how many were lost: written − otelcol_receiver_accepted_log_records
// (the collector's own count), next to the sink's drop counters.
// Usage: node dist/bench/export/otlp-export.js [events=500000] [rate=100000]  (BENCH_INFLIGHT,
// BENCH_BATCH override the sink's logsInflight / batchSize; rate 0 = write as fast as possible)
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultConfig } from '../../src/config';
import type { AgentEvent } from '../../src/events/types';
import { AgentMetrics } from '../../src/metrics/metrics';
import { createOtlpSink, otlpOptionsFromConfig, type OtlpSink } from '../../src/otlp';
import { loadEvents } from '../../test/fixtures/events';
import { freePort, sleep } from '../../test/e2e/otlp-helpers';

const ROOT = path.resolve(__dirname, '..', '..', '..');

async function collectorMetric(metricsPort: number, prefix: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n')) if (line.startsWith(prefix)) n += Number(line.slice(line.lastIndexOf(' ') + 1));
  return n;
}
const accepted = (port: number) => collectorMetric(port, 'otelcol_receiver_accepted_log_records');
const collectorCpu = (port: number) => collectorMetric(port, 'otelcol_process_cpu_seconds');

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 500_000);
  const rate = Number(process.argv[3] ?? 100_000);
  const otlpPort = await freePort();
  const metricsPort = await freePort();
  const col = spawn(path.join(ROOT, '.tools', 'bin', 'otelcol-otelarmor'), [`--config=${path.join(ROOT, 'otel', 'collector-bench.yaml')}`], {
    env: { ...process.env, OTELARMOR_BENCH_OTLP_PORT: String(otlpPort), OTELARMOR_BENCH_METRICS_PORT: String(metricsPort) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (let i = 0; ; i++) {
      try { await accepted(metricsPort); break; } catch { if (i > 200) throw new Error('collector did not start'); await sleep(100); }
    }
    await sleep(300);

    const fx = loadEvents();
    // 1 alert in 50 events (the rest exec/open/connect logs), all distinct objects, built up front.
    const logs = fx.filter((e) => !e.ka.PolicyName);
    const alerts = fx.filter((e) => e.ka.PolicyName);
    const events: AgentEvent[] = new Array(total);
    for (let i = 0; i < total; i++) {
      const t = i % 50 === 49 ? alerts[i % alerts.length]! : logs[i % logs.length]!;
      // Realistic variety: time strings unique per event, 1000 distinct paths/command lines.
      const ka = { ...t.ka, HostPID: 1000 + (i % 30000), UpdatedTime: `2025-11-25T00:00:${String(i % 60).padStart(2, '0')}.${String(i % 1e6).padStart(6, '0')}Z` };
      if (ka.Resource) ka.Resource = `${ka.Resource}.${i % 1000}`;
      if (ka.Source) ka.Source = `${ka.Source} ${i % 1000}`;
      events[i] = { ka, timeNs: t.timeNs + BigInt(i), observedNs: t.observedNs + BigInt(i), extras: t.extras };
    }
    const metrics = new AgentMetrics();
    const opts = otlpOptionsFromConfig({ ...defaultConfig(), nodeName: 'bench', otlpEndpoint: `http://127.0.0.1:${otlpPort}` }, {})!;
    if (process.env.BENCH_INFLIGHT) opts.logsInflight = Number(process.env.BENCH_INFLIGHT);
    if (process.env.BENCH_BATCH) opts.batchSize = Number(process.env.BENCH_BATCH);
    const sink = createOtlpSink(opts, metrics) as OtlpSink;
    const before = await accepted(metricsPort);

    const BATCH = 1024;
    const colCpu0 = await collectorCpu(metricsPort);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < total; i += BATCH) {
      sink.write(events.slice(i, i + BATCH));
      // Batch k is due at k * BATCH / rate s after t0; early: wait (the sink's I/O runs meanwhile);
      // late: write at once (no catching-up pause). Either way the event loop turns.
      const dueNs = rate > 0 ? t0 + BigInt(Math.round(((i + BATCH) / rate) * 1e9)) : 0n;
      const ahead = Number(dueNs - process.hrtime.bigint()) / 1e6;
      if (ahead > 1) await sleep(ahead);
      else await new Promise<void>((r) => setImmediate(r));
    }
    const writeSecs = Number(process.hrtime.bigint() - t0) / 1e9;
    await sink.flush(Date.now() + 120_000);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    const agentCpu = (cpu.user + cpu.system) / 1e6;
    let got = await accepted(metricsPort);
    for (let i = 0; i < 20 && got - before < total; i++) { await sleep(100); got = await accepted(metricsPort); }
    const colCpu = (await collectorCpu(metricsPort)) - colCpu0;
    await sink.close();
    const arrived = got - before;
    const dropped = [...metrics.dropCounts.values()].reduce((a, b) => a + b, 0);
    const rss = process.memoryUsage.rss() / 1048576;
    process.stdout.write(
      `otlp-export: ${total} events (${Math.round(total / 50)} alerts) offered at ${rate ? `${rate}/s` : 'full speed'} ` +
      `(${Math.round(total / writeSecs)}/s achieved), delivered in ${secs.toFixed(2)} s = ${Math.round(arrived / secs)} events/s; ` +
      `collector accepted ${arrived}, lost ${total - arrived} (sink drop counters: ${dropped}` +
      `${dropped ? `: ${[...metrics.dropCounts].map(([k, n]) => `${k}=${n}`).join(' ')}` : ''}); ` +
      `batch ${sink.opts.batchSize}, logs in flight ${sink.opts.logsInflight}; agent RSS ${rss.toFixed(0)} MiB; ` +
      `CPU: agent ${agentCpu.toFixed(2)} s (${(agentCpu / total * 1e6).toFixed(1)} µs/event), collector ${colCpu.toFixed(2)} s; ` +
      `${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(2)}\n`,
    );
  } finally {
    col.kill('SIGTERM');
  }
}

main().catch((e) => { process.stderr.write(`${e instanceof Error ? e.stack : e}\n`); process.exitCode = 1; });
