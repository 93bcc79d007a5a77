// Process and runtime collectors: CPU seconds (user/system), RSS, event-loop delay p99 over the
// last sampling interval (perf_hooks.monitorEventLoopDelay, ns → s), and build_info.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Meter } from '@opentelemetry/api';
import type { AgentMetrics } from './metrics';
import { METRICS } from './registry';

export interface RuntimeCollectors { stop(): void }

export function startRuntimeCollectors(meter: Meter, metrics: AgentMetrics, build: { version: string; kernel: string }, intervalMs = 1000): RuntimeCollectors {
  const cpu = meter.createObservableCounter(METRICS.cpuSeconds.name, { description: METRICS.cpuSeconds.help, unit: METRICS.cpuSeconds.unit });
  cpu.addCallback((r) => {
    const u = process.cpuUsage();
    r.observe(u.user / 1e6, { mode: 'user' });
    r.observe(u.system / 1e6, { mode: 'system' });
  });
  const rss = meter.createObservableGauge(METRICS.rss.name, { description: METRICS.rss.help, unit: METRICS.rss.unit });
  rss.addCallback((r) => r.observe(process.memoryUsage.rss()));
  const info = meter.createObservableGauge(METRICS.buildInfo.name, { description: METRICS.buildInfo.help, unit: METRICS.buildInfo.unit });
  info.addCallback((r) => r.observe(1, { version: build.version, kernel: build.kernel }));

  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const t = setInterval(() => {
    metrics.gauges.eventLoopLagSeconds = h.count > 0 ? h.percentile(99) / 1e9 : 0;
    h.reset();
  }, intervalMs);
  t.unref();
  return {
    stop(): void {
      clearInterval(t);
      h.disable();
    },
  };
}
