// Kubernetes metadata for the agent in a cluster: pods on this node, namespaces, this node, and the
// three KubeArmor policy CRDs, each kept by a list+watch (ListWatch of @kubernetes/client-node,
// which re-lists on 410 Gone); a failed list/watch is retried every `retryMs`. Lookups are map reads.
//
// Callbacks (none of them may throw; a throwing callback is caught and logged):
//   onChange(cb)            pod added/updated/deleted on this node, with its container ids, so the
//                           enrichment replays events held for a container that was not known yet.
//   onVisibilityChange(cb)  effective kubearmor-visibility of a container (or the host) changed: the
//                           integrator reprograms the kernel map (KernelSensors.setVisibility). A
//                           container is announced once the nsfs inodes of one of its processes are
//                           found in procRoot (retried every `nsRetryMs` until then).
//   onVisibilityClear(cb)   a container whose visibility was announced is gone (pod deleted, container
//                           replaced): the integrator removes its kernel entry (KernelSensors.clearVisibility),
//                           as nsfs inode numbers are reused by later namespaces.
//   onSettingsChange(cb)    effective kubearmor-policy mode or default postures of known containers (or
//                           of the host) changed: the integrator recompiles the kernel rules.
//   onPolicies(cb)          full current set of valid objects of one CRD kind, source
//                           "k8s:<Kind>" (PolicyStore.replaceSource(source, objects)); the callback may
//                           return rejections, which are posted as Warning Events like schema failures.
//   onProblem(cb)           invalid annotation values (already resolved to their fallback).
import type * as K8s from '@kubernetes/client-node';
import type { AgentConfig } from '../config';
import type { PolicyError } from '../policy/types';
import {
  effectiveHostPolicyMode, effectiveHostVisibility, effectivePolicyMode, effectivePostures, effectiveVisibility,
  pickKubeArmorAnnotations, type PolicyMode, type Postures, type Problem, type VisibilityCategory,
} from './annotations';
import { CRD_NAMES, KUBEARMOR_GROUP, KUBEARMOR_VERSION, POLICY_KINDS, validatePolicyObject, type PolicyKind } from './crd-schema';
import { podEntries, type PodLike } from './pod-meta';
import { scanContainerNamespaces, type ContainerNamespaces } from './container-id';
import type { PodMeta, PodMetadataSource } from './types';

export type WatcherConfig = Pick<AgentConfig,
  'visibility' | 'hostVisibility' | 'untrackedNs' | 'defaultFilePosture' | 'defaultNetworkPosture' | 'defaultCapabilitiesPosture'>;

export interface PodWatcherOptions {
  nodeName: string;
  config: WatcherConfig;
  /** Kubeconfig file; empty → in-cluster config when KUBERNETES_SERVICE_HOST is set, else the default loading rules. */
  kubeconfig?: string;
  /** API server URL used directly, without credentials (test doubles). Overrides kubeconfig. */
  server?: string;
  /** Watch the KubeArmor CRDs (default true). */
  policies?: boolean;
  /** Enforcement unavailable: kubearmor-policy "enabled" resolves to "audited". */
  forceAudited?: boolean;
  /** Delay before a failed list/watch is retried (default 5000 ms). */
  retryMs?: number;
  /** Post Warning Events for invalid policies/annotations (default true). */
  postEvents?: boolean;
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
  /** Where to find the host's processes to resolve container → {pidNs, mntNs} (default /proc; null = never). */
  procRoot?: string | null;
  /** Period of the /proc rescan for containers whose namespaces are not known yet (default 1000 ms). */
  nsRetryMs?: number;
  /** Counts failed list/watch calls (otelarmor_k8s_watch_errors_total{resource}). */
  metrics?: { k8sWatchError(resource: string): void };
}

export interface PodChange {
  type: 'added' | 'updated' | 'deleted';
  namespace: string;
  podName: string;
  /** Containers of the pod with a runtime id (for deleted: those that were known). */
  containerIds: string[];
}

/**
 * Kernel visibility target. Host: containerId "" with pidNs = mntNs = 0 (KubeArmor's host key {0,0}).
 * Containers: pidNs/mntNs are the nsfs inodes of one of its processes, found by scanning procRoot.
 */
export interface VisibilityTarget { pidNs: number; mntNs: number; containerId: string; categories: VisibilityCategory[] }
export interface VisibilityClear { pidNs: number; mntNs: number; containerId: string }
/** Containers (ids) and/or the host whose kubearmor-policy mode or postures changed. */
export interface SettingsChange { host: boolean; containerIds: string[] }

export interface PolicyRejection { kind: string; name: string; namespace?: string; reason: string }
export type PoliciesCallback = (source: string, objects: unknown[]) => PolicyRejection[] | void;

export interface ContainerSettings { visibility: VisibilityCategory[]; postures: Postures; policyMode: PolicyMode }

interface KubeObject { metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string; annotations?: Record<string, string> } }

type ClientModule = typeof import('@kubernetes/client-node');
let clientModule: ClientModule | undefined;
/** @kubernetes/client-node is ESM-only; Node ≥ 20.19 loads it through require(). Loaded on first use only. */
function client(): ClientModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  clientModule ??= require('@kubernetes/client-node') as ClientModule;
  return clientModule;
}

export function policySource(kind: PolicyKind): string {
  return `k8s:${kind}`;
}

export class PodWatcher implements PodMetadataSource {
  private readonly byContainer = new Map<string, PodMeta>();
  private readonly podContainers = new Map<string, string[]>();
  private readonly nsAnnotations = new Map<string, Record<string, string>>();
  private nodeAnns: Record<string, string> = {};
  private readonly lastVisibility = new Map<string, string>();
  /** {pidNs, mntNs} announced per container id (what onVisibilityClear removes). */
  private readonly programmed = new Map<string, ContainerNamespaces>();
  /** Containers whose namespaces were not found in procRoot yet. */
  private readonly pendingNs = new Set<string>();
  private nsRetry?: NodeJS.Timeout;
  /** "mode|file,network,capabilities" per container id ("" = host), to detect settings changes. */
  private readonly lastSettings = new Map<string, string>();
  private readonly policyObjects = new Map<PolicyKind, Map<string, unknown>>();
  private readonly policyDirty = new Set<PolicyKind>();
  private policyFlush?: NodeJS.Immediate;
  private readonly reported = new Set<string>();
  private readonly changeCbs: ((c: PodChange) => void)[] = [];
  private readonly visCbs: ((t: VisibilityTarget) => void)[] = [];
  private readonly visClearCbs: ((t: VisibilityClear) => void)[] = [];
  private readonly settingsCbs: ((c: SettingsChange) => void)[] = [];
  private readonly policyCbs: PoliciesCallback[] = [];
  private readonly problemCbs: ((p: Problem) => void)[] = [];
  private readonly informers: K8s.ListWatch<K8s.KubernetesObject>[] = [];
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private nsScan?: { at: number; map: Map<string, ContainerNamespaces> };
  private kc?: K8s.KubeConfig;
  private core?: K8s.CoreV1Api;
  private stopped = false;
  private readonly log: NonNullable<PodWatcherOptions['log']>;
  /** Events posted (reason → count), for the shutdown summary and tests. */
  readonly eventsPosted = new Map<string, number>();

  constructor(private readonly opts: PodWatcherOptions) {
    this.log = opts.log ?? ((level, msg) => process.stderr.write(`otelarmor k8s ${level}: ${msg}\n`));
    for (const k of POLICY_KINDS) this.policyObjects.set(k, new Map());
  }

  // ---- PodMetadataSource -------------------------------------------------------------------
  lookup(containerId: string): PodMeta | undefined {
    return this.byContainer.get(containerId);
  }

  namespaceAnnotations(namespace: string): Record<string, string> | undefined {
    return this.nsAnnotations.get(namespace);
  }

  // ---- extra queries ------------------------------------------------------------------------
  nodeAnnotations(): Record<string, string> {
    return this.nodeAnns;
  }

  containerIds(): string[] {
    return [...this.byContainer.keys()];
  }

  /** Effective visibility, default postures and policy mode of a known container. */
  settings(containerId: string): ContainerSettings | undefined {
    const m = this.byContainer.get(containerId);
    if (!m) return undefined;
    const scope = { namespace: m.namespace, podName: m.podName, namespaceAnnotations: this.nsAnnotations.get(m.namespace), podAnnotations: m.annotations };
    return {
      visibility: effectiveVisibility(this.opts.config, scope).value,
      postures: effectivePostures(this.opts.config, scope).value,
      policyMode: effectivePolicyMode(this.opts.config, scope, { forceAudited: this.opts.forceAudited }).value,
    };
  }

  hostSettings(): { visibility: VisibilityCategory[]; policyMode: PolicyMode } {
    return {
      visibility: effectiveHostVisibility(this.opts.config, this.opts.nodeName, this.nodeAnns).value,
      policyMode: effectiveHostPolicyMode(this.opts.nodeName, this.nodeAnns, { forceAudited: this.opts.forceAudited }).value,
    };
  }

  // ---- subscriptions ------------------------------------------------------------------------
  onChange(cb: (c: PodChange) => void): () => void { return sub(this.changeCbs, cb); }
  onVisibilityChange(cb: (t: VisibilityTarget) => void): () => void { return sub(this.visCbs, cb); }
  onVisibilityClear(cb: (t: VisibilityClear) => void): () => void { return sub(this.visClearCbs, cb); }
  onSettingsChange(cb: (c: SettingsChange) => void): () => void { return sub(this.settingsCbs, cb); }
  onProblem(cb: (p: Problem) => void): () => void { return sub(this.problemCbs, cb); }
  onPolicies(cb: PoliciesCallback): () => void {
    const off = sub(this.policyCbs, cb);
    // A late subscriber gets the current state at once.
    for (const k of POLICY_KINDS) if (this.policyObjects.get(k)!.size > 0) this.safe('onPolicies', () => this.deliverPolicies(k, [cb]));
    return off;
  }

  // ---- lifecycle ----------------------------------------------------------------------------
  /** Starts every list+watch; resolves once each has made its first list attempt (failures are retried). */
  async start(): Promise<void> {
    const k8s = client();
    const kc = new k8s.KubeConfig();
    if (this.opts.server) {
      kc.loadFromOptions({
        clusters: [{ name: 'c', server: this.opts.server, skipTLSVerify: true }],
        users: [{ name: 'u' }],
        contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
        currentContext: 'c',
      });
    } else if (this.opts.kubeconfig) kc.loadFromFile(this.opts.kubeconfig);
    else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
    else kc.loadFromDefault();
    this.kc = kc;
    const core = kc.makeApiClient(k8s.CoreV1Api);
    this.core = core;
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const node = this.opts.nodeName;

    const starts: Promise<void>[] = [];
    starts.push(this.watch('/api/v1/namespaces', () => core.listNamespace(), undefined, {
      upsert: (o) => this.upsertNamespace(o),
      remove: (o) => this.removeNamespace(o),
    }));
    starts.push(this.watch('/api/v1/nodes', () => core.listNode({ fieldSelector: `metadata.name=${node}` }), `metadata.name=${node}`, {
      upsert: (o) => this.upsertNode(o),
      remove: () => this.upsertNode({ metadata: { annotations: {} } }),
    }));
    starts.push(this.watch('/api/v1/pods', () => core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` }), `spec.nodeName=${node}`, {
      upsert: (o) => this.upsertPod(o as PodLike),
      remove: (o) => this.removePod(o as PodLike),
    }));
    if (this.opts.policies !== false) {
      for (const kind of POLICY_KINDS) {
        const plural = CRD_NAMES[kind].plural;
        starts.push(this.watch(`/apis/${KUBEARMOR_GROUP}/${KUBEARMOR_VERSION}/${plural}`,
          () => custom.listClusterCustomObject({ group: KUBEARMOR_GROUP, version: KUBEARMOR_VERSION, plural }) as Promise<K8s.KubernetesListObject<K8s.KubernetesObject>>,
          undefined, {
            upsert: (o) => this.upsertPolicy(kind, o),
            remove: (o) => this.removePolicy(kind, o),
          }));
      }
    }
    await Promise.all(starts);
    if (this.opts.procRoot !== null) {
      this.nsRetry = setInterval(() => this.retryPendingNamespaces(), this.opts.nsRetryMs ?? 1000);
      this.nsRetry.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.nsRetry);
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    if (this.policyFlush) clearImmediate(this.policyFlush);
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  private async watch(
    path: string,
    list: () => Promise<K8s.KubernetesListObject<K8s.KubernetesObject>>,
    fieldSelector: string | undefined,
    h: { upsert: (o: KubeObject) => void; remove: (o: KubeObject) => void },
  ): Promise<void> {
    const k8s = client();
    const lw = new k8s.ListWatch<K8s.KubernetesObject>(path, new k8s.Watch(this.kc!), list, false, undefined, fieldSelector);
    lw.on('add', (o) => this.safe(path, () => h.upsert(o as KubeObject)));
    lw.on('update', (o) => this.safe(path, () => h.upsert(o as KubeObject)));
    lw.on('delete', (o) => this.safe(path, () => h.remove(o as KubeObject)));
    lw.on('error', (err) => {
      if (this.stopped) return;
      this.log('warn', `${path}: list/watch failed (${errText(err)}); retrying in ${this.opts.retryMs ?? 5000} ms`);
      this.safe('metrics', () => this.opts.metrics?.k8sWatchError(path));
      const t = setTimeout(() => {
        this.retryTimers.delete(t);
        if (!this.stopped) lw.start().catch((e: unknown) => this.log('error', `${path}: restart failed: ${errText(e)}`));
      }, this.opts.retryMs ?? 5000);
      this.retryTimers.add(t);
    });
    this.informers.push(lw);
    await lw.start();
  }

  // ---- pods ---------------------------------------------------------------------------------
  private upsertPod(pod: PodLike): void {
    if (pod.spec?.nodeName !== undefined && pod.spec.nodeName !== this.opts.nodeName) return;
    const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
    const entries = podEntries(pod);
    const before = this.podContainers.get(key);
    for (const id of before ?? []) if (!entries.has(id)) this.forgetContainer(id);
    for (const [id, meta] of entries) this.byContainer.set(id, meta);
    const ids = [...entries.keys()];
    this.podContainers.set(key, ids);
    this.reportProblems(pod.metadata?.namespace ?? '', pod);
    for (const id of ids) this.refreshVisibility(id);
    this.refreshSettings(ids);
    this.emitChange({ type: before ? 'updated' : 'added', namespace: pod.metadata?.namespace ?? '', podName: pod.metadata?.name ?? '', containerIds: ids });
  }

  private removePod(pod: PodLike): void {
    const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
    const ids = this.podContainers.get(key) ?? [];
    this.podContainers.delete(key);
    for (const id of ids) this.forgetContainer(id);
    this.emitChange({ type: 'deleted', namespace: pod.metadata?.namespace ?? '', podName: pod.metadata?.name ?? '', containerIds: ids });
  }

  private forgetContainer(id: string): void {
    this.byContainer.delete(id);
    this.lastVisibility.delete(id);
    this.lastSettings.delete(id);
    this.pendingNs.delete(id);
    const ns = this.programmed.get(id);
    if (!ns) return;
    this.programmed.delete(id);
    const t: VisibilityClear = { pidNs: ns.pidNs, mntNs: ns.mntNs, containerId: id };
    for (const cb of this.visClearCbs) this.safe('onVisibilityClear', () => cb(t));
  }

  private emitChange(c: PodChange): void {
    for (const cb of this.changeCbs) this.safe('onChange', () => cb(c));
  }

  // ---- namespaces and node ------------------------------------------------------------------
  private upsertNamespace(ns: KubeObject): void {
    const name = ns.metadata?.name ?? '';
    const anns = pickKubeArmorAnnotations(ns.metadata?.annotations);
    const prev = this.nsAnnotations.get(name);
    this.nsAnnotations.set(name, anns);
    if (prev && sameRecord(prev, anns)) return;
    this.reportProblems(name, undefined);
    const ids: string[] = [];
    for (const [id, meta] of this.byContainer) if (meta.namespace === name) ids.push(id);
    for (const id of ids) this.refreshVisibility(id);
    this.refreshSettings(ids);
  }

  private removeNamespace(ns: KubeObject): void {
    this.nsAnnotations.delete(ns.metadata?.name ?? '');
  }

  private upsertNode(n: KubeObject): void {
    const anns = pickKubeArmorAnnotations(n.metadata?.annotations);
    this.nodeAnns = anns;
    const host = effectiveHostVisibility(this.opts.config, this.opts.nodeName, anns);
    host.problems.forEach((p) => this.problem(p, { kind: 'Node', apiVersion: 'v1', name: this.opts.nodeName }));
    const hp = effectiveHostPolicyMode(this.opts.nodeName, anns);
    hp.problems.forEach((p) => this.problem(p, { kind: 'Node', apiVersion: 'v1', name: this.opts.nodeName }));
    const mode = this.hostSettings().policyMode;
    const prevMode = this.lastSettings.get('');
    this.lastSettings.set('', mode);
    if (prevMode !== undefined && prevMode !== mode) this.emitSettings({ host: true, containerIds: [] });
    const key = host.value.join(',');
    if (this.lastVisibility.get('') === key) return;
    this.lastVisibility.set('', key);
    const t: VisibilityTarget = { pidNs: 0, mntNs: 0, containerId: '', categories: host.value };
    for (const cb of this.visCbs) this.safe('onVisibilityChange', () => cb(t));
  }

  /** Announces the effective visibility of a container once its namespaces are known; until then
   *  it stays pending (lastVisibility unset) and retryPendingNamespaces() tries again. */
  private refreshVisibility(id: string): void {
    const m = this.byContainer.get(id);
    if (!m) return;
    const v = effectiveVisibility(this.opts.config, {
      namespace: m.namespace, podName: m.podName, namespaceAnnotations: this.nsAnnotations.get(m.namespace), podAnnotations: m.annotations,
    });
    const key = v.value.join(',');
    if (this.lastVisibility.get(id) === key) return;
    const ns = this.programmed.get(id) ?? this.namespacesOf(id);
    if (!ns) {
      if (this.opts.procRoot !== null) this.pendingNs.add(id);
      return;
    }
    this.pendingNs.delete(id);
    this.programmed.set(id, ns);
    this.lastVisibility.set(id, key);
    const t: VisibilityTarget = { pidNs: ns.pidNs, mntNs: ns.mntNs, containerId: id, categories: v.value };
    for (const cb of this.visCbs) this.safe('onVisibilityChange', () => cb(t));
  }

  private retryPendingNamespaces(): void {
    if (this.stopped) return;
    for (const id of [...this.pendingNs]) this.safe('visibility retry', () => this.refreshVisibility(id));
  }

  /** Emits onSettingsChange for the containers whose mode or postures differ from the last seen values. */
  private refreshSettings(ids: readonly string[]): void {
    const changed: string[] = [];
    for (const id of ids) {
      const s = this.settings(id);
      if (!s) continue;
      const key = `${s.policyMode}|${s.postures.file},${s.postures.network},${s.postures.capabilities}`;
      const prev = this.lastSettings.get(id);
      this.lastSettings.set(id, key);
      if (prev !== undefined && prev !== key) changed.push(id);
    }
    if (changed.length > 0) this.emitSettings({ host: false, containerIds: changed });
  }

  private emitSettings(c: SettingsChange): void {
    for (const cb of this.settingsCbs) this.safe('onSettingsChange', () => cb(c));
  }

  /** {pidNs, mntNs} of a container from a /proc scan, rescanned when the id is missing and the scan is older than 250 ms. */
  namespacesOf(id: string): ContainerNamespaces | undefined {
    if (this.opts.procRoot === null) return undefined;
    const now = Date.now();
    if (!this.nsScan || (!this.nsScan.map.has(id) && now - this.nsScan.at > 250)) {
      this.nsScan = { at: now, map: scanContainerNamespaces(this.opts.procRoot ?? '/proc') };
    }
    return this.nsScan.map.get(id);
  }

  /** Resolves every annotation of the namespace (and pod) and reports each invalid value once. */
  private reportProblems(namespace: string, pod: PodLike | undefined): void {
    const scope = {
      namespace, podName: pod?.metadata?.name ?? '', namespaceAnnotations: this.nsAnnotations.get(namespace),
      podAnnotations: pod ? pickKubeArmorAnnotations(pod.metadata?.annotations) : undefined,
    };
    const problems = [
      ...effectiveVisibility({ ...this.opts.config, untrackedNs: [] }, scope).problems,
      ...effectivePostures(this.opts.config, scope).problems,
      ...effectivePolicyMode(this.opts.config, scope).problems,
    ];
    for (const p of problems) {
      const isPod = p.object.startsWith('pod/');
      this.problem(p, isPod
        ? { kind: 'Pod', apiVersion: 'v1', name: scope.podName, namespace, uid: pod?.metadata?.uid }
        : { kind: 'Namespace', apiVersion: 'v1', name: namespace });
    }
  }

  private problem(p: Problem, involved: InvolvedObject): void {
    const key = `${p.object}|${p.annotation}|${p.value}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.log('warn', `${p.object}: annotation ${p.annotation}=${JSON.stringify(p.value)}: ${p.reason}`);
    for (const cb of this.problemCbs) this.safe('onProblem', () => cb(p));
    this.postEvent(involved, 'InvalidAnnotation', `${p.annotation}=${JSON.stringify(p.value)}: ${p.reason}`);
  }

  // ---- policies -----------------------------------------------------------------------------
  private upsertPolicy(kind: PolicyKind, o: KubeObject): void {
    const key = `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
    const objects = this.policyObjects.get(kind)!;
    const errs = validatePolicyObject(kind, o);
    if (errs.length > 0) {
      const had = objects.delete(key);
      this.reject(kind, o, `invalid ${kind}: ${errs.join('; ')}`);
      if (had) this.markPolicies(kind);
      return;
    }
    objects.set(key, o);
    this.markPolicies(kind);
  }

  private removePolicy(kind: PolicyKind, o: KubeObject): void {
    const key = `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
    if (this.policyObjects.get(kind)!.delete(key)) this.markPolicies(kind);
  }

  /** Coalesces the burst of adds from one list into one delivery per kind. */
  private markPolicies(kind: PolicyKind): void {
    this.policyDirty.add(kind);
    this.policyFlush ??= setImmediate(() => {
      this.policyFlush = undefined;
      const kinds = [...this.policyDirty];
      this.policyDirty.clear();
      for (const k of kinds) this.deliverPolicies(k, this.policyCbs);
    });
  }

  private deliverPolicies(kind: PolicyKind, cbs: PoliciesCallback[]): void {
    const objects = [...this.policyObjects.get(kind)!.values()];
    for (const cb of cbs) {
      let rejected: PolicyRejection[] | void = undefined;
      this.safe('onPolicies', () => { rejected = cb(policySource(kind), objects); });
      for (const r of (rejected ?? []) as PolicyRejection[]) {
        const o = objects.find((x) => (x as KubeObject).metadata?.name === r.name && ((x as KubeObject).metadata?.namespace ?? '') === (r.namespace ?? '')) as KubeObject | undefined;
        this.reject(kind, o ?? { metadata: { name: r.name, namespace: r.namespace } }, r.reason);
      }
    }
  }

  private reject(kind: PolicyKind, o: KubeObject, reason: string): void {
    const md = o.metadata ?? {};
    const key = `${kind}|${md.namespace ?? ''}|${md.name ?? ''}|${md.resourceVersion ?? ''}|${reason}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.log('warn', `${kind} ${md.namespace ? md.namespace + '/' : ''}${md.name ?? '?'}: ${reason}`);
    this.postEvent({ kind, apiVersion: `${KUBEARMOR_GROUP}/${KUBEARMOR_VERSION}`, name: md.name ?? '', namespace: md.namespace, uid: md.uid, resourceVersion: md.resourceVersion }, 'InvalidPolicy', reason);
  }

  // ---- events -------------------------------------------------------------------------------
  private postEvent(involved: InvolvedObject, reason: string, message: string): void {
    if (this.opts.postEvents === false || !this.core || this.stopped) return;
    const now = new Date();
    // Events of cluster-scoped objects (ClusterPolicy, HostPolicy, Namespace, Node) live in "default".
    const namespace = involved.namespace || 'default';
    const body = {
      metadata: { generateName: `${involved.name || 'otelarmor'}.`, namespace },
      involvedObject: {
        apiVersion: involved.apiVersion, kind: involved.kind, name: involved.name,
        ...(involved.namespace ? { namespace: involved.namespace } : {}),
        ...(involved.uid ? { uid: involved.uid } : {}),
        ...(involved.resourceVersion ? { resourceVersion: involved.resourceVersion } : {}),
      },
      reason,
      message: message.length > 1024 ? `${message.slice(0, 1021)}...` : message,
      type: 'Warning',
      source: { component: 'otelarmor', host: this.opts.nodeName },
      reportingComponent: 'otelarmor',
      reportingInstance: this.opts.nodeName,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    this.eventsPosted.set(reason, (this.eventsPosted.get(reason) ?? 0) + 1);
    this.core.createNamespacedEvent({ namespace, body: body as K8s.CoreV1Event })
      .catch((e: unknown) => this.log('warn', `posting Event ${reason} for ${involved.kind} ${involved.name} failed: ${errText(e)}`));
  }

  private safe(what: string, fn: () => void): void {
    try { fn(); } catch (e) { this.log('error', `${what}: callback threw: ${errText(e)}`); }
  }
}

interface InvolvedObject { kind: string; apiVersion: string; name: string; namespace?: string; uid?: string; resourceVersion?: string }

/**
 * The rejections in PolicyStore.replaceSource(source, objects).details, one per object with every
 * reason joined by "; ". Details of this source name the object by its index (`document`) and have
 * file "<source>:<id>"; others (a file policy clashing with it) are not about these objects.
 */
export function storeRejections(source: string, objects: readonly unknown[], details: readonly PolicyError[]): PolicyRejection[] {
  const byIndex = new Map<number, string[]>();
  for (const d of details) {
    if (!d.file.startsWith(`${source}:`) || objects[d.document] === undefined) continue;
    const list = byIndex.get(d.document) ?? [];
    list.push(`${d.path === '' ? '(document)' : d.path}: ${d.reason}`);
    byIndex.set(d.document, list);
  }
  return [...byIndex].sort((a, b) => a[0] - b[0]).map(([i, reasons]) => {
    const o = objects[i] as KubeObject & { kind?: unknown };
    const ns = o.metadata?.namespace;
    return {
      kind: typeof o.kind === 'string' ? o.kind : source.replace(/^k8s:/, ''),
      name: o.metadata?.name ?? '',
      ...(ns ? { namespace: ns } : {}),
      reason: reasons.join('; '),
    };
  });
}

function sub<T>(list: T[], cb: T): () => void {
  list.push(cb);
  return () => { const i = list.indexOf(cb); if (i >= 0) list.splice(i, 1); };
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function errText(e: unknown): string {
  if (e instanceof Error) return `${e.message}${(e as { statusCode?: number; code?: number }).statusCode ? ` (HTTP ${(e as { statusCode?: number }).statusCode})` : ''}`;
  return String(e);
}
