// Counting sink: otelarmor_events_total for every event, otelarmor_alerts_total (+ by workload)
// and the kubearmor_alerts_*_total compat counters for every alert. Logs are aggregated per batch
// (one counter add per (operation, type)), alerts are counted one by one.
import { isAlert, type AgentEvent } from '../events/types';
import type { EventSink } from '../pipeline/sink';
import type { AgentMetrics } from './metrics';

export function createMetricsSink(metrics: AgentMetrics): EventSink {
  return {
    name: 'metrics',
    write(batch: readonly AgentEvent[]): void {
      const byKey = new Map<string, [string, string, number]>();
      for (const ev of batch) {
        const ka = ev.ka;
        const key = `${ka.Operation}\u0000${ka.Type}`;
        const e = byKey.get(key);
        if (e) e[2]++;
        else byKey.set(key, [ka.Operation, ka.Type, 1]);
        if (isAlert(ka.Type)) {
          metrics.alert(ka.PolicyName ?? '', ka.Severity ?? '', ka.Action ?? '', ka.Operation, ka.NamespaceName ?? '');
          metrics.alertByWorkload(ka.NamespaceName ?? '', ka.PodName ?? '', ka.ProcessName ?? '');
          metrics.kubeArmorAlert(ka);
        }
      }
      for (const [op, type, n] of byKey.values()) metrics.event(op, type, n);
    },
    async flush(): Promise<void> {},
    async close(): Promise<void> {},
  };
}
