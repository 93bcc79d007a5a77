import type { Counter, Histogram, Meter, ObservableGauge } from '@opentelemetry/api';
import type { KubeArmorEvent } from '../events/types';
import { METRICS, type DropStage } from './registry';

/** Values read by observable gauges at collection time. Stages update them; nothing is pushed. */
export interface GaugeState {
  exportQueueSize: Map<string, number>;
  exportQueueCapacity: Map<string, number>;
  probeAttached: Map<string, number>;
  kernelFeature: Map<string, number>;
  enforcerMode: Map<string, number>;
  policiesLoaded: Map<string, number>;
  grpcClients: Map<string, number>;
  receiverConnected: Map<string, number>;
  ringbufFillRatio: number;
  alertRingFillRatio: number;
  processTreeSize: number;
  eventLoopLagSeconds: number;
}

/**
 * The agent's metrics facade: every stage records through these methods, never through the
 * OpenTelemetry API directly, so names and label sets stay those of registry.ts.
 * Calls never throw. Construct with a Meter from the agent's MeterProvider (src/metrics/server.ts),
 * or with none for tests and offline commands (then everything is a no-op apart from the counts
 * kept in `dropCounts`).
 */
export class AgentMetrics {
  readonly gauges: GaugeState = {
    exportQueueSize: new Map(),
    exportQueueCapacity: new Map(),
    probeAttached: new Map(),
    kernelFeature: new Map(),
    enforcerMode: new Map(),
    policiesLoaded: new Map(),
    grpcClients: new Map(),
    receiverConnected: new Map(),
    ringbufFillRatio: 0,
    alertRingFillRatio: 0,
    processTreeSize: 0,
    eventLoopLagSeconds: 0,
  };
  /** Drops by `${stage}/${reason}`, kept locally too so tests and shutdown summaries can read them. */
  readonly dropCounts = new Map<string, number>();
  /** Events filtered by reason (events_filtered), kept locally like dropCounts. */
  readonly filterCounts = new Map<string, number>();

  private readonly _events?: Counter;
  private readonly _dropped?: Counter;
  private readonly _filtered?: Counter;
  private readonly _alerts?: Counter;
  private readonly _alertsByWorkload?: Counter;
  private readonly _workloadLabelSets = new Set<string>();
  private readonly _exportRecords?: Counter;
  private readonly _exportDuration?: Histogram;
  private readonly _regoEval?: Histogram;
  private readonly _regoDecisions?: Counter;
  private readonly _podMetaUnresolved?: Counter;
  private readonly _k8sWatchErrors?: Counter;
  private readonly _receiverReconnects?: Counter;
  private readonly _alertLabelSets = new Set<string>();
  /** kubearmor_alerts_* compat counters: [counter, label name, values seen]. */
  private readonly _kaCompat: [Counter | undefined, keyof KubeArmorEvent, Set<string>][] = [];
  private readonly _observables: ObservableGauge[] = [];

  /** Distinct alert label sets kept before new ones fold into policy="other". */
  static readonly ALERT_CARDINALITY_CAP = 2000;

  constructor(meter?: Meter) {
    if (!meter) return;
    const opts = (k: keyof typeof METRICS) => ({ description: METRICS[k].help, unit: METRICS[k].unit });
    this._events = meter.createCounter(METRICS.events.name, opts('events'));
    this._dropped = meter.createCounter(METRICS.eventsDropped.name, opts('eventsDropped'));
    this._filtered = meter.createCounter(METRICS.eventsFiltered.name, opts('eventsFiltered'));
    this._alerts = meter.createCounter(METRICS.alerts.name, opts('alerts'));
    this._alertsByWorkload = meter.createCounter(METRICS.alertsByWorkload.name, opts('alertsByWorkload'));
    this._exportRecords = meter.createCounter(METRICS.exportRecords.name, opts('exportRecords'));
    this._exportDuration = meter.createHistogram(METRICS.exportDuration.name, {
      ...opts('exportDuration'),
      advice: { explicitBucketBoundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] },
    });
    this._regoEval = meter.createHistogram(METRICS.regoEvalDuration.name, {
      ...opts('regoEvalDuration'),
      advice: { explicitBucketBoundaries: [1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 1e-2, 5e-2] },
    });
    this._regoDecisions = meter.createCounter(METRICS.regoDecisions.name, opts('regoDecisions'));
    this._receiverReconnects = meter.createCounter(METRICS.receiverReconnects.name, opts('receiverReconnects'));
    this._podMetaUnresolved = meter.createCounter(METRICS.podMetadataUnresolved.name, opts('podMetadataUnresolved'));
    this._k8sWatchErrors = meter.createCounter(METRICS.k8sWatchErrors.name, opts('k8sWatchErrors'));
    for (const [k, field] of [
      ['kaAlertsInHost', 'HostName'], ['kaAlertsInNamespace', 'NamespaceName'], ['kaAlertsInPod', 'PodName'],
      ['kaAlertsInContainer', 'ContainerName'], ['kaAlertsWithPolicy', 'PolicyName'], ['kaAlertsWithSeverity', 'Severity'],
      ['kaAlertsWithType', 'Type'], ['kaAlertsWithOperation', 'Operation'], ['kaAlertsWithAction', 'Action'],
    ] as const) {
      this._kaCompat.push([meter.createCounter(METRICS[k].name, { description: METRICS[k].help }), field, new Set()]);
    }
    const g = this.gauges;
    const mapGauge = (k: keyof typeof METRICS, label: string, m: Map<string, number>) => {
      const o = meter.createObservableGauge(METRICS[k].name, opts(k));
      o.addCallback((r) => { for (const [v, n] of m) r.observe(n, { [label]: v }); });
      this._observables.push(o);
    };
    mapGauge('exportQueueSize', 'signal', g.exportQueueSize);
    mapGauge('exportQueueCapacity', 'signal', g.exportQueueCapacity);
    mapGauge('probeAttached', 'program', g.probeAttached);
    mapGauge('kernelFeature', 'feature', g.kernelFeature);
    mapGauge('enforcerMode', 'mode', g.enforcerMode);
    mapGauge('policiesLoaded', 'kind', g.policiesLoaded);
    mapGauge('grpcClients', 'stream', g.grpcClients);
    mapGauge('receiverConnected', 'endpoint', g.receiverConnected);
    const scalar = (k: keyof typeof METRICS, read: () => number) => {
      const o = meter.createObservableGauge(METRICS[k].name, opts(k));
      o.addCallback((r) => r.observe(read()));
      this._observables.push(o);
    };
    scalar('ringbufFillRatio', () => g.ringbufFillRatio);
    scalar('alertRingFillRatio', () => g.alertRingFillRatio);
    scalar('processTreeSize', () => g.processTreeSize);
    scalar('eventLoopLag', () => g.eventLoopLagSeconds);
  }

  event(operation: string, type: string, n = 1): void {
    this._events?.add(n, { operation, type });
  }

  dropped(stage: DropStage, reason: string, n = 1): void {
    if (n <= 0) return;
    const k = `${stage}/${reason}`;
    this.dropCounts.set(k, (this.dropCounts.get(k) ?? 0) + n);
    this._dropped?.add(n, { stage, reason });
  }

  /** `n` events removed on purpose (not a loss: they do not count in the drop ratio). */
  filtered(reason: string, n = 1): void {
    if (n <= 0) return;
    this.filterCounts.set(reason, (this.filterCounts.get(reason) ?? 0) + n);
    this._filtered?.add(n, { reason });
  }

  /** `n` alerts with these labels (the policy stage counts a batch, then calls once per label set). */
  alert(policy: string, severity: string, action: string, operation: string, namespace: string, n = 1): void {
    const key = `${policy}\u0000${severity}\u0000${action}\u0000${operation}\u0000${namespace}`;
    if (!this._alertLabelSets.has(key)) {
      if (this._alertLabelSets.size >= AgentMetrics.ALERT_CARDINALITY_CAP) {
        this._alerts?.add(n, { policy: 'other', severity, action, operation, namespace: 'other' });
        return;
      }
      this._alertLabelSets.add(key);
    }
    this._alerts?.add(n, { policy, severity, action, operation, namespace });
  }

  /** Alert count by workload; `pod` is "" for host alerts. Capped like alert(). */
  alertByWorkload(namespace: string, pod: string, process: string): void {
    const key = `${namespace}\u0000${pod}\u0000${process}`;
    if (!this._workloadLabelSets.has(key)) {
      if (this._workloadLabelSets.size >= AgentMetrics.ALERT_CARDINALITY_CAP) {
        this._alertsByWorkload?.add(1, { namespace: 'other', pod: 'other', process: 'other' });
        return;
      }
      this._workloadLabelSets.add(key);
    }
    this._alertsByWorkload?.add(1, { namespace, pod, process });
  }

  /**
   * The nine kubearmor_alerts_*_total counters of kubearmor-prometheus-exporter, +1 each for one
   * alert. Absent fields count under "" (as the Go exporter's empty strings do).
   */
  kubeArmorAlert(ka: KubeArmorEvent): void {
    for (const [c, field, seen] of this._kaCompat) {
      const v = ka[field];
      let value = v === undefined ? '' : String(v);
      if (!seen.has(value)) {
        if (seen.size >= AgentMetrics.ALERT_CARDINALITY_CAP) value = 'other';
        else seen.add(value);
      }
      c?.add(1, { [field]: value });
    }
  }

  exportRecords(signal: 'logs' | 'alerts', outcome: 'exported' | 'failed' | 'dropped' | 'retried', n: number): void {
    if (n > 0) this._exportRecords?.add(n, { signal, outcome });
  }

  exportDuration(signal: 'logs' | 'alerts', outcome: 'success' | 'failure', seconds: number): void {
    this._exportDuration?.record(seconds, { signal, outcome });
  }

  /** A container event left the enrichment without pod fields (src/sensors/index.ts). */
  podMetadataUnresolved(reason: 'timeout' | 'hold_full', n = 1): void {
    if (n > 0) this._podMetaUnresolved?.add(n, { reason });
  }

  /** A Kubernetes list/watch failed (src/k8s/pod-watcher.ts); `resource` is the API path. */
  k8sWatchError(resource: string): void {
    this._k8sWatchErrors?.add(1, { resource });
  }

  regoDecisions(outcome: 'cached' | 'evaluated', n: number): void {
    if (n > 0) this._regoDecisions?.add(n, { outcome });
  }

  regoEval(rule: string, seconds: number): void {
    this._regoEval?.record(seconds, { rule });
  }

  receiverReconnect(endpoint: string): void {
    this._receiverReconnects?.add(1, { endpoint });
  }
}
