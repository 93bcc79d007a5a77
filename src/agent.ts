// The agent: kernel records → enrichment → KubeArmor policies → Rego rules → sinks
// (output, OTLP, gRPC feeder, metrics). One batch flows synchronously through every stage on the
// event loop; nothing on that path throws (a failing stage is counted and the batch continues).
import * as os from 'node:os';
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import type { AgentConfig, Category } from './config';
import type { AgentEvent } from './events/types';
import type { KernelRecord } from './events/record';
import type { EventSink, EventStage } from './pipeline/sink';

export interface AgentIo {
  /** Start-up and shutdown lines (stderr by default: stdout may carry events). */
  info(line: string): void;
  warn(line: string): void;
}

export interface RunningAgent {
  /** Resolves with the exit code once the agent has shut down. */
  done: Promise<number>;
  shutdown(reason: string): Promise<void>;
  reload(reason: string): Promise<void>;
}

function readMachineId(): string {
  for (const f of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try { return readFileSync(f, 'utf8').trim(); } catch { /* next */ }
  }
  return '';
}

/** Runs `stage.process` guarded: a throwing stage is a bug; its batch passes through unchanged and is counted. */
function guarded(stage: EventStage, io: AgentIo): (b: AgentEvent[]) => AgentEvent[] {
  let reported = false;
  return (batch) => {
    try {
      return stage.process(batch);
    } catch (e) {
      if (!reported) { io.warn(`stage ${stage.name} failed (reported once): ${(e as Error).stack ?? e}`); reported = true; }
      return batch;
    }
  };
}

export async function startAgent(cfg: AgentConfig, io: AgentIo): Promise<RunningAgent> {
  // Everything started is registered here first, so a failure half-way tears down what runs.
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    return await start(cfg, io, cleanups);
  } catch (e) {
    for (const c of cleanups.reverse()) { try { await c(); } catch { /* best effort */ } }
    throw e;
  }
}

async function start(cfg: AgentConfig, io: AgentIo, cleanups: (() => Promise<void> | void)[]): Promise<RunningAgent> {
  const hostName = cfg.nodeName || os.hostname();
  const kernelRelease = os.release();

  // Metrics first: everything below records into it.
  const { startMetricsServer } = await import('./metrics/server');
  let ready = { hooks: 0, exporter: 'none' as string };
  const metricsServer = await startMetricsServer({
    address: cfg.metricsAddress,
    cluster: cfg.cluster,
    nodeName: hostName,
    otlpPush: cfg.otlpMetrics ? { options: (await import('./otlp/options')).otlpOptionsFromConfig(cfg, process.env) } : null,
    readiness: () => ({ ready: ready.hooks > 0, detail: { hooksAttached: ready.hooks, exporter: ready.exporter } }),
  });
  cleanups.push(() => metricsServer.close());
  const metrics = metricsServer.metrics;
  io.info(`metrics: http://${cfg.metricsAddress}/metrics (/healthz, /readyz)`);

  // Kernel sensors.
  const { KernelSensors } = await import('./kernel/sensors');
  const kernel = KernelSensors.open({ ringbufBytes: cfg.ringbufBytes, ignoreTgid: process.pid, variant: cfg.sensorsVariant });
  cleanups.push(async () => { await kernel.stop(); });
  const { featureLines } = await import('./kernel/sensors');
  const { kernelFeatures } = await import('./kernel/features');
  io.info(`kernel ${kernelRelease}: sensors ${path.basename(kernel.loadReport.object)} (${kernel.loadReport.variant}: ${kernel.loadReport.variantReason})`);
  for (const h of kernel.loadReport.hooks) io.info(`kernel: ${h.sensor} hook: ${h.hook ?? 'none'}${h.notUsed.length ? ` (not used: ${h.notUsed.join('; ')})` : ''}`);
  for (const fl of featureLines(kernelFeatures(), kernel.loadReport)) {
    metrics.gauges.kernelFeature.set(fl.feature, fl.present ? 1 : 0);
    if (fl.cost) io.info(`kernel: ${fl.cost}`);
  }
  // otelarmor_probe_attached follows every attach and detach, also those of setSyscallFilter.
  const { recordAttach } = await import('./metrics/probes');
  kernel.onAttachChange((a) => recordAttach(metrics, a));
  // Visibility first: attachAll then detaches only the demand groups nothing wants.
  kernel.setVisibility(0, 0, cfg.hostVisibility);
  kernel.setDefaultContainerVisibility(cfg.visibility);
  const attach = kernel.attachAll();
  for (const a of attach) {
    io.info(a.attached ? `hook ${a.program}: attached` : `hook ${a.program}: NOT attached: ${a.error}`);
  }
  ready.hooks = attach.filter((a) => a.attached).length;
  const idle = kernel.unwantedCategories();
  io.info(`hooks: ${ready.hooks}/${attach.length} attached${idle.length ? `; detached until a visibility setting or policy needs them: ${idle.join(', ')}` : ''}`);

  // Enforcer: BPF-LSM where it loads, else kill-on-attempt + cgroup sock_addr, else audit only.
  const { detectEnforcer, Enforcer } = await import('./enforcer');
  const enforcerMode = cfg.enforcer === 'audit'
    ? { mode: 'audit-only' as const, reason: 'configured: --enforcer audit' }
    : await detectEnforcer();
  const enforcer = new Enforcer({ mode: enforcerMode.mode, kernel, metrics, log: (l: string) => io.info(l) });
  cleanups.push(() => enforcer.stop());
  io.info(`enforcer: detected ${enforcerMode.mode} (${enforcerMode.reason})`);
  await enforcer.start();

  // Kubernetes (optional).
  let pods: import('./k8s/types').PodMetadataSource | undefined;
  let k8sStop: (() => Promise<void>) | undefined;
  const k8sWanted = cfg.k8s === 'on' || (cfg.k8s === 'auto' && (!!process.env.KUBERNETES_SERVICE_HOST || !!cfg.kubeconfig));

  // Policies.
  const { PolicyStore, PolicyEngine } = await import('./policy');
  const { syscallFilter } = await import('./policy/compile');
  const store = new PolicyStore();
  // First load sets the roots; a reload keeps the running version of every policy whose file or
  // document became invalid (PolicyStore.reload).
  const loadPolicies = (first: boolean) => {
    const r = first ? store.load(cfg.policies) : store.reload();
    for (const e of r.errors) io.warn(`policy: ${e}${first ? '' : '; the running version (if any) stays'}`);
    return r;
  };
  loadPolicies(true);
  let nsAnnotations: (ns: string) => Record<string, string> | undefined = () => undefined;
  // Container rules are compiled per (pid ns, mnt ns): a container seen for the first time needs
  // a recompile. Debounced: a burst of new containers costs one compile.
  let recompile: NodeJS.Timeout | undefined;
  cleanups.push(() => clearTimeout(recompile));
  const engine = new PolicyEngine({
    onContainer: () => {
      clearTimeout(recompile);
      recompile = setTimeout(() => applyRules(false), 200);
    },
    store,
    config: cfg,
    metrics,
    hostName,
    hostLabels: { 'kubearmor.io/hostname': hostName, 'kubernetes.io/hostname': hostName },
    namespaceAnnotations: (ns) => nsAnnotations(ns),
    enforcerCanBlock: enforcerMode.mode !== 'audit-only',
    lsmActive: enforcerMode.mode === 'bpf-lsm',
  });
  const applyRules = (verbose = true) => {
    let compiled;
    try {
      compiled = engine.compileForKernel();
      enforcer.apply(compiled);
      kernel.setSyscallFilter(syscallFilter(store.snapshot.rules));
    } catch (e) {
      io.warn(`kernel rules not updated (the previous set stays): ${(e as Error).message}`);
      return;
    }
    const counts = store.countsByKind();
    for (const [kind, n] of Object.entries(counts)) metrics.gauges.policiesLoaded.set(kind, n);
    if (verbose) io.info(`policies: ${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ') || 'none'}; ${compiled.rules.length} kernel rules`);
  };
  applyRules();

  if (k8sWanted) {
    const k8s = await import('./k8s');
    const w = await k8s.startKubernetes({ config: cfg, nodeName: hostName, metrics, io });
    pods = w.pods;
    nsAnnotations = (ns) => w.pods.namespaceAnnotations(ns);
    engine.setAnnotationSources({ namespaceAnnotations: nsAnnotations, podAnnotations: (id) => w.pods.lookup(id)?.annotations, nodeAnnotations: () => w.pods.nodeAnnotations() });
    w.onPolicies((source, objects) => {
      const r = store.replaceSource(source, objects);
      for (const e of r.errors) io.warn(`policy (${source}): ${e}`);
      applyRules();
      return k8s.storeRejections(source, objects, r.details);
    });
    w.onVisibilityChange((t) => {
      kernel.setVisibility(t.pidNs, t.mntNs, t.categories as Category[]);
      // The container's rules must reach the kernel even if none of its events ever does.
      const m = w.pods.lookup(t.containerId);
      if (m) engine.trackContainer(t.pidNs, t.mntNs, { NamespaceName: m.namespace, PodName: m.podName, Labels: k8s.renderLabels(m.labels), ContainerName: m.containerName, ContainerID: t.containerId });
    });
    w.onVisibilityClear((t) => kernel.clearVisibility(t.pidNs, t.mntNs));
    // kubearmor-policy / posture annotations changed: recompile (debounced like a new container).
    w.onSettingsChange(() => {
      clearTimeout(recompile);
      recompile = setTimeout(() => applyRules(false), 200);
    });
    k8sStop = () => w.stop();
    cleanups.push(k8sStop);
    io.info('kubernetes: watching pods, namespaces and KubeArmor policy CRDs');
  }

  // Rego rules.
  const { RegoEngine } = await import('./rego/engine');
  const rego = await RegoEngine.load(cfg.rules, { metrics });
  metrics.gauges.policiesLoaded.set('rego', rego.rules.length);
  io.info(`rego: ${rego.rules.length} rules from ${rego.sources.join(', ')}`);

  // Enrichment.
  const { Enricher, KubeArmorResultFilter } = await import('./sensors');
  const enricher = new Enricher({ clusterName: cfg.cluster, hostName, nodeId: readMachineId(), metrics, pods });
  enricher.seedFromProc();

  // Sinks.
  const sinks: EventSink[] = [];
  const { createMetricsSink } = await import('./metrics/sink');
  sinks.push(createMetricsSink(metrics));
  const { createOutputSink } = await import('./output');
  if (cfg.output !== 'none') sinks.push(createOutputSink(cfg.output as 'stdout', metrics));
  const { createOtlpSink, otlpOptionsFromConfig } = await import('./otlp');
  const otlp = createOtlpSink(otlpOptionsFromConfig(cfg, process.env), metrics);
  if (otlp) { sinks.push(otlp); ready.exporter = 'otlp'; io.info(`otlp: exporting logs to ${otlp.opts.endpoint}`); }
  else io.info('otlp: no endpoint configured (set --otlp-endpoint or OTEL_EXPORTER_OTLP_ENDPOINT); not exporting');
  const { startGrpcServers } = await import('./grpc');
  const grpc = await startGrpcServers({
    address: cfg.grpcAddress,
    healthAddress: cfg.healthGrpcAddress,
    tls: cfg.grpcTlsCert ? { cert: cfg.grpcTlsCert, key: cfg.grpcTlsKey, clientCa: cfg.grpcTlsClientCa || undefined } : undefined,
    metrics,
  });
  cleanups.push(() => grpc.close());
  sinks.push(grpc.feeder);
  const host = (a: string) => a.slice(0, a.lastIndexOf(':'));
  io.info(`grpc: feeder.LogService on ${host(cfg.grpcAddress)}:${grpc.port}, grpc.health.v1 on ${host(cfg.healthGrpcAddress)}:${grpc.healthPort}`);

  // Last stage: ENOENT / EINPROGRESS results stay visible to the rules but never become logs (src/sensors/result-filter.ts).
  const stages = [guarded(engine, io), guarded(rego, io), guarded(new KubeArmorResultFilter(metrics), io)];
  const onRecords = (records: KernelRecord[]) => {
    let batch = enricher.enrich(records);
    for (const s of stages) batch = s(batch);
    if (batch.length === 0) return;
    for (const sink of sinks) {
      try { sink.write(batch); } catch (e) { metrics.dropped('pipeline', `sink_error_${sink.name}`, batch.length); io.warn(`sink ${sink.name}: ${(e as Error).message}`); }
    }
    metrics.gauges.processTreeSize = enricher.processCount;
  };
  kernel.start(onRecords);
  const { KernelStatsRecorder } = await import('./kernel/stats-metrics');
  const kernelStats = new KernelStatsRecorder(metrics);
  const recordKernelStats = () => { try { kernelStats.record(kernel.stats()); } catch { /* object closed */ } };
  const statsTick = setInterval(recordKernelStats, 1000);
  cleanups.push(() => clearInterval(statsTick));
  // Container events wait in the enricher for pod metadata; an empty batch releases the due ones
  // even when the kernel is quiet.
  const tick = setInterval(() => onRecords([]), 250);
  cleanups.push(() => clearInterval(tick));
  io.info(`running: host visibility ${cfg.hostVisibility.join(',') || 'none'}, container visibility ${cfg.visibility.join(',') || 'none'}, build ${kernelRelease}`);

  // Reload on SIGHUP and on policy file changes (debounced), atomically: the running set stays on error.
  // Reloads run one at a time (SIGHUP during a file-change reload waits for it).
  let reloading: Promise<void> = Promise.resolve();
  const reloadOnce = async (reason: string) => {
    io.info(`reload (${reason})`);
    loadPolicies(false);
    applyRules();
    const err = await rego.reload();
    if (err) io.warn(`rego: ${err}; previous rules kept`);
    metrics.gauges.policiesLoaded.set('rego', rego.rules.length);
    io.info(`reload (${reason}) done: ${store.snapshot.policies.length} policies, ${rego.rules.length} rego rules`);
  };
  const reload = (reason: string): Promise<void> => {
    reloading = reloading.then(() => reloadOnce(reason)).catch((e: unknown) => io.warn(`reload failed: ${(e as Error).message}`));
    return reloading;
  };
  const { watchForReload } = await import('./reload-watch');
  const watcher = watchForReload([...cfg.policies, ...cfg.rules], () => void reload('file change'), io.warn);
  cleanups.push(() => watcher.close());

  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => { resolveDone = r; });
  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string) => {
    stopping ??= (async () => {
      io.info(`shutting down (${reason})`);
      // Everything below ends by `deadline` (cfg.shutdownTimeout); the sinks give up a little
      // earlier so that the teardown after them fits.
      const deadline = Date.now() + cfg.shutdownTimeout * 1000;
      const sinkDeadline = deadline - Math.min(500, cfg.shutdownTimeout * 100);
      watcher.close();
      clearTimeout(recompile);
      clearInterval(tick);
      clearInterval(statsTick);
      recordKernelStats();
      const lostAtStop = await kernel.stopDrain(Math.min(Date.now() + 3000, sinkDeadline));
      metrics.dropped('ringbuf', 'shutdown', lostAtStop);
      // Detaching ~60 tracepoint links takes about a second; it runs off the event loop while
      // the sinks flush.
      const detached = kernel.close();
      onRecords([]);
      await Promise.allSettled(sinks.map((s) => s.flush(sinkDeadline)));
      await Promise.allSettled(sinks.map((s) => s.close(sinkDeadline)));
      if (otlp && otlp.lostAtClose.alerts + otlp.lostAtClose.logs > 0) {
        io.warn(`otlp: not delivered within the shutdown timeout (${cfg.shutdownTimeout} s): ${otlp.lostAtClose.alerts} alerts, ${otlp.lostAtClose.logs} logs`);
      }
      await grpc.close();
      await enforcer.stop();
      await k8sStop?.();
      await detached;
      const drops = [...metrics.dropCounts].map(([k, n]) => `${k}=${n}`).join(' ');
      io.info(`stopped${drops ? `; dropped: ${drops}` : '; no events dropped'}`);
      await metricsServer.close();
      resolveDone(0);
    })();
    return stopping;
  };
  return { done, shutdown, reload };
}
