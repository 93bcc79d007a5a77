// Every metric the agent exports, defined once. docs/metrics.md is generated from this table
// (scripts/gen-docs.ts) and a test fails when the two differ. `name` is the OpenTelemetry
// instrument name; `prom` is what Prometheus scrapes (dots → underscores, counters get _total).
// The 2.x Prometheus exporter appends no unit suffix, so units are spelled in the name (_seconds,
// _bytes) as Prometheus conventions want.

export type MetricKind = 'counter' | 'gauge' | 'updowncounter' | 'histogram';

export interface MetricDef {
  name: string;
  prom: string;
  kind: MetricKind;
  unit: string;
  help: string;
  labels: readonly string[];
}

/** Stages at which an event can be lost (label `stage` of otelarmor_events_dropped_total). */
export const DROP_STAGES = ['kernel', 'ringbuf', 'decode', 'pipeline', 'export', 'grpc'] as const;
export type DropStage = (typeof DROP_STAGES)[number];

function def(name: string, kind: MetricKind, unit: string, help: string, labels: readonly string[] = []): MetricDef {
  const base = name.replace(/\./g, '_');
  return { name, prom: kind === 'counter' ? `${base}_total` : base, kind, unit, help, labels };
}

export const METRICS = {
  events: def('otelarmor.events', 'counter', '{event}', 'Events delivered to the pipeline after enrichment, by KubeArmor Operation and Type', ['operation', 'type']),
  eventsDropped: def('otelarmor.events_dropped', 'counter', '{event}', 'Events lost, by pipeline stage and reason', ['stage', 'reason']),
  eventsFiltered: def('otelarmor.events_filtered', 'counter', '{event}', 'Events removed on purpose, not lost: logs of results KubeArmor never reports (kubearmor_result_enoent, kubearmor_result_einprogress)', ['reason']),
  alerts: def('otelarmor.alerts', 'counter', '{alert}', 'Alerts raised (KubeArmor policies, default posture, Rego rules, throttling notices)', ['policy', 'severity', 'action', 'operation', 'namespace']),
  alertsByWorkload: def('otelarmor.alerts_by_workload', 'counter', '{alert}', 'Alerts by pod and process executable (for top-N panels; same cardinality cap and other bucket as otelarmor_alerts_total)', ['namespace', 'pod', 'process']),
  exportRecords: def('otelarmor.export_records', 'counter', '{record}', 'OTLP log records by signal (logs|alerts) and outcome (exported|failed|dropped|retried)', ['signal', 'outcome']),
  exportQueueSize: def('otelarmor.export_queue_size', 'gauge', '{record}', 'Records waiting in the OTLP delivery queue', ['signal']),
  exportQueueCapacity: def('otelarmor.export_queue_capacity', 'gauge', '{record}', 'Bound of the OTLP delivery queue', ['signal']),
  exportDuration: def('otelarmor.export_duration_seconds', 'histogram', 's', 'Duration of one OTLP export call', ['signal', 'outcome']),
  probeAttached: def('otelarmor.probe_attached', 'gauge', '1', '1 when the BPF program is attached, 0 when it failed to load or attach, -1 when it is not attached because nothing needs it (the generic syscall pair without syscall rules; the file, network, syscall or capabilities programs while no visibility setting or policy wants that category)', ['program']),
  kernelFeature: def('otelarmor.kernel_feature', 'gauge', '1', '1 when the running kernel has the feature, 0 when it lacks it (start-up names what each missing one costs; docs/kernels.md): kfunc_bpf_rdonly_cast, dentry_d_shortname, tracepoint_cap_capable, fexit_cap_capable (probed only without the tracepoint)', ['feature']),
  enforcerMode: def('otelarmor.enforcer_mode', 'gauge', '1', '1 for the enforcer mode in use (bpf-lsm, kill-on-attempt+cgroup, audit-only), 0 for the others', ['mode']),
  policiesLoaded: def('otelarmor.policies_loaded', 'gauge', '{policy}', 'Policies currently loaded, by kind (KubeArmorPolicy, KubeArmorClusterPolicy, KubeArmorHostPolicy, rego)', ['kind']),
  ringbufFillRatio: def('otelarmor.ringbuf_fill_ratio', 'gauge', '1', 'Fraction of the BPF ring buffer holding unread records (sampled every second)'),
  alertRingFillRatio: def('otelarmor.ringbuf_alert_lane_fill_ratio', 'gauge', '1', 'Fraction of the priority ring buffer (rule-matched records when the main ring is full) holding unread records'),
  processTreeSize: def('otelarmor.process_tree_size', 'gauge', '{process}', 'Processes tracked in the user-space process tree'),
  eventLoopLag: def('otelarmor.event_loop_lag_seconds', 'gauge', 's', 'Node.js event-loop delay (p99 over the last interval)'),
  cpuSeconds: def('otelarmor.process_cpu_seconds', 'counter', 's', 'CPU time used by the agent process', ['mode']),
  rss: def('otelarmor.process_resident_memory_bytes', 'gauge', 'By', 'Resident set size of the agent process'),
  buildInfo: def('otelarmor.build_info', 'gauge', '1', 'Always 1; labels carry the agent version and kernel release', ['version', 'kernel']),
  regoDecisions: def('otelarmor.rego_decisions', 'counter', '{decision}', 'Rego decisions per event and rule pack: evaluated (the event went to the Wasm module) or cached (the decision of an identical projected event, earlier in the batch or in the decision cache, was reused)', ['outcome']),
  regoEvalDuration: def('otelarmor.rego_eval_duration_seconds', 'histogram', 's', 'Time to evaluate one Rego rule over one batch, per rule', ['rule']),
  grpcClients: def('otelarmor.grpc_clients', 'gauge', '{client}', 'Connected gRPC stream clients, by stream', ['stream']),
  receiverConnected: def('otelarmor.receiver_connected', 'gauge', '1', 'Receiver mode: 1 while connected to the KubeArmor endpoint', ['endpoint']),
  podMetadataUnresolved: def('otelarmor.pod_metadata_unresolved', 'counter', '{event}', 'Container events delivered without pod fields because their pod was not known in time (reason timeout: the hold expired; hold_full: the hold buffer was full); the events themselves are not lost', ['reason']),
  k8sWatchErrors: def('otelarmor.k8s_watch_errors', 'counter', '{error}', 'Failed Kubernetes list/watch calls (each is retried), by API path', ['resource']),
  receiverReconnects: def('otelarmor.receiver_reconnects', 'counter', '{attempt}', 'Receiver mode: connection attempts after a failed attempt or a lost connection (each after its backoff delay)', ['endpoint']),
  // kubearmor-prometheus-exporter compatible counters (kubearmor-compat.md §6.3): one label each,
  // +1 per alert, so existing KubeArmor dashboards work unchanged. Values beyond the cardinality
  // cap fold into "other".
  kaAlertsInHost: def('kubearmor_alerts_in_host', 'counter', '', 'KubeArmor-compatible: alerts by node', ['HostName']),
  kaAlertsInNamespace: def('kubearmor_alerts_in_namespace', 'counter', '', 'KubeArmor-compatible: alerts by namespace', ['NamespaceName']),
  kaAlertsInPod: def('kubearmor_alerts_in_pod', 'counter', '', 'KubeArmor-compatible: alerts by pod', ['PodName']),
  kaAlertsInContainer: def('kubearmor_alerts_in_container', 'counter', '', 'KubeArmor-compatible: alerts by container', ['ContainerName']),
  kaAlertsWithPolicy: def('kubearmor_alerts_with_policy', 'counter', '', 'KubeArmor-compatible: alerts by policy', ['PolicyName']),
  kaAlertsWithSeverity: def('kubearmor_alerts_with_severity', 'counter', '', 'KubeArmor-compatible: alerts by severity', ['Severity']),
  kaAlertsWithType: def('kubearmor_alerts_with_type', 'counter', '', 'KubeArmor-compatible: alerts by Type', ['Type']),
  kaAlertsWithOperation: def('kubearmor_alerts_with_operation', 'counter', '', 'KubeArmor-compatible: alerts by Operation', ['Operation']),
  kaAlertsWithAction: def('kubearmor_alerts_with_action', 'counter', '', 'KubeArmor-compatible: alerts by Action', ['Action']),
} as const satisfies Record<string, MetricDef>;

export type MetricKey = keyof typeof METRICS;
