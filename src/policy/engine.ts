// The KubeArmor policy stage: matches each event against the policies that select its container
// (or the host), turns matched events into alerts (kubearmor-compat.md §3.2–3.6, §4.7–4.12) and
// throttles alerts per container. Decisions (see docs/policies.md for the full table):
//   Allow match, Result Passed           → stays a log
//   Audit match, Result Passed           → Action Audit, Enforcer "eBPF Monitor"
//   Block match                          → Action Block with the enforcer that stopped it
//                                          (KillOnAttempt | BPFLSM | CgroupSockAddr), or
//                                          "Audit (Block)" / "eBPF Monitor" when audited or not stopped
//   allow-list, no allowing rule         → PolicyName DefaultPosture, Action Audit | Block | Audit (Block)
//   syscalls rule                        → Action Audit, Enforcer "eBPF Monitor" (File events of
//                                          audited syscalls also yield an Operation Syscall alert)
import type { AgentConfig } from '../config';
import type { AgentEvent, KubeArmorEvent } from '../events/types';
import type { KernelRuleSet } from '../kernel/rule-types';
import { effectiveHostPolicyMode, effectivePolicyMode, effectivePostures, type PolicyMode } from '../k8s/annotations';
import type { AgentMetrics } from '../metrics/metrics';
import type { EventStage } from '../pipeline/sink';
import { compile, ruleInfo, type CompileResult, type CompiledRuleInfo, type ContainerSpec, type PostureSet } from './compile';
import { matchEvent, matchSyscallRule, RuleIndex, type Verdict } from './matcher';
import { parseLabels, rulesFor, type HostIdentity, type Identity } from './rules';
import type { PolicyStore } from './store';
import { AUDITED_SYSCALLS } from './tables';
import { AlertTally, type AlertSink } from './alert-tally';
import { AlertThrottle } from './throttle';
import { kubeArmorVersion } from '../version';
import type { MatchRule, RuleCategory } from './types';

export interface PolicyEngineOptions {
  store: PolicyStore;
  config: AgentConfig;
  metrics: AgentMetrics;
  hostName: string;
  hostLabels: Record<string, string>;
  /** Namespace annotations (kubearmor-*-posture, kubearmor-policy), from the pod watcher. */
  namespaceAnnotations?: (ns: string) => Record<string, string> | undefined;
  /** Pod annotations (kubearmor-*-posture, kubearmor-policy) by container id, from the pod watcher. */
  podAnnotations?: (containerId: string) => Record<string, string> | undefined;
  /** This node's annotations (kubearmor-policy of host policies), from the pod watcher. */
  nodeAnnotations?: () => Record<string, string> | undefined;
  /** A blocking enforcer is running (false → audited mode everywhere). */
  enforcerCanBlock: boolean;
  /** The BPF-LSM enforcer is active (its denials report Enforcer "BPFLSM"). */
  lsmActive: boolean;
  /** Clock for throttling, ms (default Date.now). */
  now?: () => number;
  /** Called once per container first seen in an event, and again when its identity
   *  (NamespaceName, PodName, Labels, ContainerName, ContainerID) changes (the kernel rules need a
   *  recompile: compileForKernel()). */
  onContainer?: (c: ContainerSpec) => void;
}

export type AnnotationSources = Pick<PolicyEngineOptions, 'namespaceAnnotations' | 'podAnnotations' | 'nodeAnnotations'>;

/** kubearmor-policy mode and default postures of one target. */
export interface TargetSettings { mode: PolicyMode; postures: PostureSet }

/** A tracked container: its spec plus the event fields it was built from. */
interface Tracked { spec: ContainerSpec; ns: string | undefined; pod: string | undefined; labels: string | undefined; name: string | undefined; cid: string | undefined }

const MATCHABLE_RESULTS = new Set(['Passed', 'Operation not permitted', 'Permission denied']);
const CATEGORY: Record<string, RuleCategory | undefined> = {
  Process: 'process', File: 'file', Network: 'network', Capabilities: 'capabilities', Syscall: 'syscall',
};

export class PolicyEngine implements EventStage {
  readonly name = 'kubearmor-policy';
  private readonly opts: PolicyEngineOptions;
  private readonly host: HostIdentity;
  private readonly throttle: AlertThrottle;
  private generation = -1;
  private readonly indexes = new Map<string, RuleIndex>();
  /** ContainerID → index, valid while the container's namespace/labels/name are unchanged. */
  private readonly byContainer = new Map<string, { ns: string | undefined; labels: string | undefined; name: string | undefined; ix: RuleIndex }>();
  private kernelTable: readonly CompiledRuleInfo[] = [];
  private readonly containers = new Map<string, ContainerSpec>();
  private readonly seenNs = new Map<number, Map<number, Tracked>>();
  /** ContainerID of a tracked spec: pod-level settings (kubearmor-policy, postures) are looked up by it. */
  private readonly containerIds = new WeakMap<ContainerSpec, string>();
  private ann: AnnotationSources;
  /** Resolved settings per container id (or namespace), valid while the annotation records are the same objects. */
  private readonly settingsCache = new Map<string, { ns: string; nsAnn: unknown; podAnn: unknown; s: TargetSettings }>();
  private hostCache?: { nodeAnn: unknown; s: TargetSettings };
  private readonly ruleMeta = new WeakMap<MatchRule, { severity: string | undefined; tags: string | undefined }>();
  /** Alerts of the current process() call, counted into the metrics when it returns. */
  private readonly tally = new AlertTally();
  private readonly countAlerts: AlertSink = (p, s, a, o, ns, n) => this.opts.metrics.alert(p, s, a, o, ns, n);

  constructor(opts: PolicyEngineOptions) {
    this.opts = opts;
    this.ann = { namespaceAnnotations: opts.namespaceAnnotations, podAnnotations: opts.podAnnotations, nodeAnnotations: opts.nodeAnnotations };
    this.host = { hostName: opts.hostName, labels: opts.hostLabels };
    this.throttle = new AlertThrottle(opts.config.maxAlertPerSec, opts.config.throttleSec, opts.now ?? Date.now);
  }

  /** Compile the current policy set for these containers (and the host) for the kernel; the
   *  returned ruleTable is what extras.kernelRuleId of later events refers to. */
  compile(containers: readonly ContainerSpec[]): CompileResult {
    const r = compile(this.opts.store.snapshot.policies, containers, this.host, {
      postureFor: (ns, c) => this.postures(ns, c && this.containerIds.get(c)),
      audited: (ns, c) => this.audited(ns, c && this.containerIds.get(c)),
      disabled: (ns, c) => this.policyMode(ns, c && this.containerIds.get(c)) === 'disabled',
    });
    this.kernelTable = r.ruleTable;
    return r;
  }

  /** compile() for the containers seen so far (or given), returning the KernelRuleSet with the
   *  rule table alongside (what src/kernel/rules.ts applies). */
  compileForKernel(containers?: readonly ContainerSpec[]): KernelRuleSet & { ruleTable: CompiledRuleInfo[] } {
    const r = this.compile(containers ?? [...this.containers.values()]);
    return { ...r.set, ruleTable: r.ruleTable };
  }

  /** Containers seen in events (pidNs/mntNs with their identity). */
  knownContainers(): ContainerSpec[] {
    return [...this.containers.values()];
  }

  /** Replaces the annotation lookups (the pod watcher, once Kubernetes is up). */
  setAnnotationSources(a: AnnotationSources): void {
    this.ann = { ...a };
    this.settingsCache.clear();
    this.hostCache = undefined;
  }

  /** Tracks the container of an event by (pidNs, mntNs). Its spec is rebuilt when the identity
   *  the event carries changes (pod metadata arrived after the hold, a label update, a new pod
   *  reusing the pair); an event without pod fields does not replace a spec that has them. */
  private track(ev: AgentEvent): void {
    this.trackContainer(ev.extras?.pidNs ?? 0, ev.extras?.mntNs ?? 0, ev.ka);
  }

  /** Tracks a container known before any of its events reached user space (the pod watcher
   *  found its namespaces): without this a container whose activity is invisible to the kernel
   *  filter would never get its kernel rules. Same rebuild rules as for events. */
  trackContainer(pidNs: number, mntNs: number, ka: Pick<KubeArmorEvent, 'NamespaceName' | 'PodName' | 'Labels' | 'ContainerName' | 'ContainerID'>): void {
    if (pidNs === 0 && mntNs === 0) return;
    let mnts = this.seenNs.get(pidNs);
    const t = mnts?.get(mntNs);
    if (t) {
      if (t.ns === ka.NamespaceName && t.labels === ka.Labels && t.name === ka.ContainerName && t.cid === ka.ContainerID && t.pod === ka.PodName) return;
      if (ka.PodName === undefined && t.pod !== undefined) return;
    } else if (this.containers.size >= 65536) return;
    if (!mnts) { mnts = new Map(); this.seenNs.set(pidNs, mnts); }
    const c: ContainerSpec = {
      pidNs, mntNs, namespace: ka.NamespaceName ?? '', labels: parseLabels(ka.Labels), containerName: ka.ContainerName ?? '',
    };
    if (ka.ContainerID) this.containerIds.set(c, ka.ContainerID);
    mnts.set(mntNs, { spec: c, ns: ka.NamespaceName, pod: ka.PodName, labels: ka.Labels, name: ka.ContainerName, cid: ka.ContainerID });
    this.containers.set(`${pidNs}:${mntNs}`, c);
    try { this.opts.onContainer?.(c); } catch { /* the callback must not break matching */ }
  }

  /**
   * kubearmor-policy mode and default postures (kubearmor-compat.md §4.8, §4.10, §4.11), resolved
   * by src/k8s/annotations.ts. Host (ns undefined): node annotation kubearmor-policy, postures
   * config.hostDefault*. Container: pod annotation > namespace annotation > config; untracked
   * namespaces are disabled, kube-system audited. "enabled" becomes "audited" without a blocking
   * enforcer or with enforcer=audit.
   */
  settings(ns: string | undefined, containerId?: string): TargetSettings {
    const c = this.opts.config;
    const forceAudited = !this.opts.enforcerCanBlock || c.enforcer === 'audit';
    if (ns === undefined) {
      const nodeAnn = this.lookupAnn(() => this.ann.nodeAnnotations?.());
      if (this.hostCache && this.hostCache.nodeAnn === nodeAnn) return this.hostCache.s;
      const s: TargetSettings = {
        mode: effectiveHostPolicyMode(this.opts.hostName, nodeAnn, { forceAudited }).value,
        postures: { file: c.hostDefaultFilePosture, network: c.hostDefaultNetworkPosture, capabilities: c.hostDefaultCapabilitiesPosture },
      };
      this.hostCache = { nodeAnn, s };
      return s;
    }
    const nsAnn = this.lookupAnn(() => this.ann.namespaceAnnotations?.(ns));
    const podAnn = containerId ? this.lookupAnn(() => this.ann.podAnnotations?.(containerId)) : undefined;
    const key = containerId ?? `\u0000${ns}`;
    const hit = this.settingsCache.get(key);
    if (hit && hit.ns === ns && hit.nsAnn === nsAnn && hit.podAnn === podAnn) return hit.s;
    const scope = { namespace: ns, podName: '', namespaceAnnotations: nsAnn, podAnnotations: podAnn };
    const s: TargetSettings = { mode: effectivePolicyMode(c, scope, { forceAudited }).value, postures: effectivePostures(c, scope).value };
    if (this.settingsCache.size > 4096) this.settingsCache.clear();
    this.settingsCache.set(key, { ns, nsAnn, podAnn, s });
    return s;
  }

  /** Default postures of a target (ns undefined = the host). */
  postures(ns: string | undefined, containerId?: string): PostureSet {
    return this.settings(ns, containerId).postures;
  }

  /** kubearmor-policy mode of a target (ns undefined = the host). */
  policyMode(ns: string | undefined, containerId?: string): PolicyMode {
    return this.settings(ns, containerId).mode;
  }

  /** Audited mode: Block renders as Audit (Block) and compiles as Audit. */
  audited(ns: string | undefined, containerId?: string): boolean {
    return this.settings(ns, containerId).mode !== 'enabled';
  }

  private lookupAnn(f: () => Record<string, string> | undefined): Record<string, string> | undefined {
    try {
      return f();
    } catch {
      return undefined;
    }
  }

  private index(ev: AgentEvent, host: boolean): RuleIndex {
    const snap = this.opts.store.snapshot;
    if (snap.generation !== this.generation) {
      this.indexes.clear();
      this.byContainer.clear();
      this.generation = snap.generation;
    }
    const ka = ev.ka;
    const cid = host ? undefined : ka.ContainerID;
    if (cid !== undefined) {
      const c = this.byContainer.get(cid);
      if (c && c.ns === ka.NamespaceName && c.labels === ka.Labels && c.name === ka.ContainerName) return c.ix;
    }
    const k = host ? '\u0001host' : `${ev.ka.NamespaceName ?? ''}\u0000${ev.ka.Labels ?? ''}\u0000${ev.ka.ContainerName ?? ''}`;
    let ix = this.indexes.get(k);
    if (!ix) {
      const id: Identity = host
        ? { host: true, namespace: '', labels: {}, containerName: '' }
        : { host: false, namespace: ev.ka.NamespaceName ?? '', labels: parseLabels(ev.ka.Labels), containerName: ev.ka.ContainerName ?? '' };
      ix = new RuleIndex(rulesFor(snap.policies, snap.rules, id, this.host));
      if (this.indexes.size > 4096) this.indexes.clear();
      this.indexes.set(k, ix);
    }
    if (cid !== undefined) {
      if (this.byContainer.size > 4096) this.byContainer.clear();
      this.byContainer.set(cid, { ns: ka.NamespaceName, labels: ka.Labels, name: ka.ContainerName, ix });
    }
    return ix;
  }

  process(batch: AgentEvent[]): AgentEvent[] {
    const out: AgentEvent[] = [];
    try {
      this.batchOf(batch, out);
    } finally {
      this.tally.flush(this.countAlerts);
    }
    return out;
  }

  private batchOf(batch: AgentEvent[], out: AgentEvent[]): void {
    for (const ev of batch) {
      const n = out.length;
      try {
        this.one(ev, out);
      } catch {
        out.push(ev);
      }
      // A RuleOnly record (its category is not visible) only exists for matching: it leaves as
      // the alerts it produced, never as a log (the kernel drops such events unmatched).
      if (ev.extras?.ruleOnly) {
        const i = out.indexOf(ev, n);
        if (i >= 0) out.splice(i, 1);
      }
    }
  }

  private one(ev: AgentEvent, out: AgentEvent[]): void {
    const t = ev.ka.Type;
    if (t !== 'ContainerLog' && t !== 'HostLog') { out.push(ev); return; }
    if (!MATCHABLE_RESULTS.has(ev.ka.Result)) { out.push(ev); return; }
    const host = t === 'HostLog' || !ev.ka.ContainerID;
    if (!host) this.track(ev);
    const ns = host ? undefined : ev.ka.NamespaceName ?? '';
    const st = this.settings(ns, host ? undefined : ev.ka.ContainerID);
    if (st.mode === 'disabled') { out.push(ev); return; }
    const cat = CATEGORY[ev.ka.Operation];
    if (!cat) { out.push(ev); return; }
    const ix = this.index(ev, host);
    if (ix.size === 0) { out.push(ev); return; }

    if (cat === 'syscall') {
      const r = matchSyscallRule(ix, ev);
      if (!r) { out.push(ev); return; }
      const a = this.emit(this.alertFromRule(ev, r, 'Audit', 'eBPF Monitor', host));
      if (a) out.push(a);
      return;
    }

    let verdict: Verdict | undefined;
    const kid = ev.extras?.kernelRuleId;
    if (kid) {
      const r = ruleInfo(this.kernelTable, kid);
      if (r && r.category === cat) verdict = { kind: 'rule', rule: r };
    }
    verdict ??= matchEvent(ix, ev);
    const alert = this.render(ev, verdict, cat, host, st);
    if (alert) {
      const a = this.emit(alert);
      if (a) out.push(a);
    } else out.push(ev);

    if (cat === 'file' && ix.syscalls.length) {
      const sc = ev.extras?.syscall?.toLowerCase();
      const name = sc ?? /syscall=SYS_([A-Z0-9_]+)/.exec(ev.ka.Data ?? '')?.[1]?.toLowerCase();
      if (name && AUDITED_SYSCALLS.has(name)) {
        const r = matchSyscallRule(ix, ev);
        if (r) {
          const a0 = this.alertFromRule(ev, r, 'Audit', 'eBPF Monitor', host);
          a0.ka.Operation = 'Syscall';
          const a = this.emit(a0);
          if (a) out.push(a);
        }
      }
    }
  }

  /** Throttle and count one alert; returns the event to deliver (the alert, a SystemEvent
   *  notice, or undefined when dropped). */
  private emit(alert: AgentEvent): AgentEvent | undefined {
    if (this.opts.config.alertThrottling) {
      const d = this.throttle.check(alert.extras?.pidNs ?? 0, alert.extras?.mntNs ?? 0);
      if (d !== 'pass') {
        this.opts.metrics.dropped('pipeline', 'alert_throttled', 1);
        if (d === 'drop') return undefined;
        const ka = alert.ka;
        const notice: KubeArmorEvent = {
          Timestamp: ka.Timestamp, UpdatedTime: ka.UpdatedTime, ClusterName: ka.ClusterName, HostName: ka.HostName,
          HostPPID: ka.HostPPID, HostPID: ka.HostPID, PPID: ka.PPID, PID: ka.PID, UID: ka.UID,
          Type: 'SystemEvent', Operation: 'AlertThreshold', Result: '',
          MaxAlertsPerSec: this.opts.config.maxAlertPerSec, DroppingAlertsInterval: this.opts.config.throttleSec,
        };
        for (const k of ['NamespaceName', 'PodName', 'Labels', 'Owner', 'ContainerID', 'ContainerName', 'ContainerImage', 'NodeID'] as const) {
          if (ka[k] !== undefined) (notice as unknown as Record<string, unknown>)[k] = ka[k];
        }
        this.tally.add('AlertThreshold', '', '', 'AlertThreshold', ka.NamespaceName ?? '');
        return { ...alert, ka: notice };
      }
    }
    const k = alert.ka;
    this.tally.add(k.PolicyName ?? '', k.Severity ?? '', k.Action ?? '', k.Operation, k.NamespaceName ?? '');
    return alert;
  }

  private blockedBy(ev: AgentEvent): string | undefined {
    if (ev.extras?.killed) return 'KillOnAttempt';
    if (ev.ka.Result === 'Passed') return undefined;
    if (this.opts.lsmActive) return 'BPFLSM';
    if (ev.ka.Operation === 'Network') return 'CgroupSockAddr';
    return 'eBPF Monitor';
  }

  /** st: the event target's settings (kubearmor-policy mode, postures). */
  private render(ev: AgentEvent, v: Verdict, cat: RuleCategory, host: boolean, st: TargetSettings): AgentEvent | undefined {
    const passed = ev.ka.Result === 'Passed';
    if (v.kind === 'none') return undefined;
    const audited = st.mode !== 'enabled';
    if (v.kind === 'rule') {
      const r = v.rule;
      if (r.action === 'Allow') return undefined;
      if (r.action === 'Audit') return passed ? this.alertFromRule(ev, r, 'Audit', 'eBPF Monitor', host) : undefined;
      const by = audited ? undefined : this.blockedBy(ev);
      return by ? this.alertFromRule(ev, r, 'Block', by, host) : this.alertFromRule(ev, r, 'Audit (Block)', 'eBPF Monitor', host);
    }
    const ps = st.postures;
    const posture = cat === 'network' ? ps.network : cat === 'capabilities' ? ps.capabilities : ps.file;
    if (posture === 'audit') return passed ? this.defaultPosture(ev, 'Audit', 'eBPF Monitor', host) : undefined;
    const by = audited ? undefined : this.blockedBy(ev);
    return by ? this.defaultPosture(ev, 'Block', by, host) : this.defaultPosture(ev, 'Audit (Block)', 'eBPF Monitor', host);
  }

  private alertFromRule(ev: AgentEvent, r: MatchRule, action: string, enforcer: string, host: boolean): AgentEvent {
    const ka = alertKa(ev.ka, host, r.policyName, action, enforcer);
    let m = this.ruleMeta.get(r);
    if (!m) {
      m = { severity: r.severity > 0 ? String(r.severity) : undefined, tags: r.tags.length ? r.tags.join(',') : undefined };
      this.ruleMeta.set(r, m);
    }
    ka.Severity = m.severity;
    if (m.tags !== undefined) { ka.Tags = m.tags; ka.ATags = [...r.tags]; }
    if (r.message) ka.Message = r.message;
    return { ka, timeNs: ev.timeNs, observedNs: ev.observedNs, extras: ev.extras };
  }

  private defaultPosture(ev: AgentEvent, action: string, enforcer: string, host: boolean): AgentEvent {
    return { ka: alertKa(ev.ka, host, 'DefaultPosture', action, enforcer), timeNs: ev.timeNs, observedNs: ev.observedNs, extras: ev.extras };
  }
}

/**
 * The alert built from a log: one object literal with every KubeArmorEvent key, in one fixed
 * shape (copying the log and adding keys costs V8 microseconds per alert; this costs tens of
 * nanoseconds). Fields the log did not have are present with the value undefined, which every
 * renderer (karmor JSON, gRPC, OTLP) treats as absent. Severity/Tags/ATags/Message start
 * undefined and are set from the rule.
 */
function alertKa(k: KubeArmorEvent, host: boolean, policyName: string, action: string, enforcer: string): KubeArmorEvent {
  return {
    Timestamp: k.Timestamp, UpdatedTime: k.UpdatedTime, ClusterName: k.ClusterName, HostName: k.HostName,
    NamespaceName: k.NamespaceName, PodName: k.PodName, Labels: k.Labels, Owner: k.Owner, ContainerID: k.ContainerID,
    ContainerName: k.ContainerName, ContainerImage: k.ContainerImage, ParentProcessName: k.ParentProcessName,
    ProcessName: k.ProcessName, HostPPID: k.HostPPID, HostPID: k.HostPID, PPID: k.PPID, PID: k.PID, UID: k.UID,
    Type: host ? 'MatchedHostPolicy' : 'MatchedPolicy', Source: k.Source, Operation: k.Operation, Resource: k.Resource,
    Data: k.Data, EventData: k.EventData, Result: k.Result, Cwd: k.Cwd, TTY: k.TTY, ExecEvent: k.ExecEvent,
    NodeID: k.NodeID, UserName: k.UserName, PolicyName: policyName, Severity: undefined, Tags: undefined,
    ATags: undefined, Message: undefined, Action: action, Enforcer: enforcer, KubeArmorVersion: kubeArmorVersion(),
    MaxAlertsPerSec: undefined, DroppingAlertsInterval: undefined,
  } as KubeArmorEvent;
}
