// KubeArmor's system monitor drops ENOENT (-2) and EINPROGRESS (-115) results in the kernel
// (kubearmor-compat.md §3.4): no KubeArmor log ever has Result "No such file or directory" or
// "Operation now in progress". otelarmor keeps those records through enrichment and the rule
// stages, because rules need some of them: a shell's non-blocking connect(2) returns EINPROGRESS
// and shell_outbound_raw_ip / reverse_shell must still see it (the KubeArmor policy engine never
// matches them: it only matches Passed, Operation not permitted and Permission denied). This stage
// runs last, after the policy engine and the Rego rules, and removes the events of those results
// that are still logs (ContainerLog / HostLog); alerts derived from them are kept. Every sink
// (stdout/jsonl, OTLP, gRPC, metrics) therefore sees KubeArmor's log stream. Each removed log is
// counted in otelarmor_events_filtered_total{reason="kubearmor_result_enoent" |
// "kubearmor_result_einprogress"}: a deliberate filter, not a loss (ENOENT opens are a large share
// of normal traffic and would otherwise dominate the drop ratio).
import type { AgentEvent } from '../events/types';
import type { AgentMetrics } from '../metrics/metrics';
import type { EventStage } from '../pipeline/sink';

/** Syscall results KubeArmor's monitor never reports, and the filter reason of each. */
export const KUBEARMOR_DROPPED_RESULTS: ReadonlyMap<number, string> = new Map([
  [-2, 'kubearmor_result_enoent'],
  [-115, 'kubearmor_result_einprogress'],
]);

export class KubeArmorResultFilter implements EventStage {
  readonly name = 'kubearmor-results';
  /** Logs removed so far, by drop reason. */
  readonly removed = new Map<string, number>();

  constructor(private readonly metrics: AgentMetrics) {}

  process(batch: AgentEvent[]): AgentEvent[] {
    let out: AgentEvent[] | undefined;
    for (let i = 0; i < batch.length; i++) {
      const ev = batch[i]!;
      const reason = KUBEARMOR_DROPPED_RESULTS.get(ev.extras.retval);
      const drop = reason !== undefined && (ev.ka.Type === 'ContainerLog' || ev.ka.Type === 'HostLog');
      if (drop) {
        out ??= batch.slice(0, i);
        this.metrics.filtered(reason);
        this.removed.set(reason, (this.removed.get(reason) ?? 0) + 1);
      } else if (out) out.push(ev);
    }
    return out ?? batch;
  }
}
