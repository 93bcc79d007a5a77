// KubeArmor annotations (kubearmor-compat.md §4.8, §4.10, §4.11) resolved into effective settings.
// Pure functions: inputs are config defaults and annotation maps, output is the effective value
// plus a list of problems (invalid values), which the caller reports; nothing here throws.
import type { AgentConfig, Category, Posture } from '../config';

export const ANN_VISIBILITY = 'kubearmor-visibility';
export const ANN_POLICY = 'kubearmor-policy';
export const ANN_FILE_POSTURE = 'kubearmor-file-posture';
export const ANN_NETWORK_POSTURE = 'kubearmor-network-posture';
export const ANN_CAPABILITIES_POSTURE = 'kubearmor-capabilities-posture';
export const KUBEARMOR_ANNOTATIONS = [ANN_VISIBILITY, ANN_POLICY, ANN_FILE_POSTURE, ANN_NETWORK_POSTURE, ANN_CAPABILITIES_POSTURE] as const;

/** Visibility categories: the agent's Category plus dns and ima, which only namespace annotations accept. */
export type VisibilityCategory = Category | 'dns' | 'ima';
export type PolicyMode = 'enabled' | 'disabled' | 'audited';
export type PostureKind = 'file' | 'network' | 'capabilities';
export interface Postures { file: Posture; network: Posture; capabilities: Posture }

export interface Problem {
  /** Where the value came from: "namespace/<ns>", "pod/<ns>/<name>", "node/<name>". */
  object: string;
  annotation: string;
  value: string;
  reason: string;
}

export interface Resolved<T> { value: T; problems: Problem[] }

const POD_CATEGORIES: readonly VisibilityCategory[] = ['process', 'file', 'network', 'capabilities', 'syscall'];
const NS_CATEGORIES: readonly VisibilityCategory[] = [...POD_CATEGORIES, 'dns', 'ima'];

/**
 * Parses a kubearmor-visibility value: a comma list; "none" or "" = nothing. Unknown items are
 * reported and ignored; order follows the canonical category order, without duplicates.
 */
export function parseVisibility(value: string, scope: 'pod' | 'namespace' | 'node', object: string): Resolved<VisibilityCategory[]> {
  const allowed = scope === 'namespace' ? NS_CATEGORIES : POD_CATEGORIES;
  const problems: Problem[] = [];
  const seen = new Set<VisibilityCategory>();
  for (const raw of value.split(',')) {
    const item = raw.trim().toLowerCase();
    if (item === '' || item === 'none') continue;
    if ((allowed as readonly string[]).includes(item)) seen.add(item as VisibilityCategory);
    else problems.push({ object, annotation: ANN_VISIBILITY, value, reason: `unknown category ${JSON.stringify(item)} (allowed: ${allowed.join(',')})` });
  }
  return { value: NS_CATEGORIES.filter((c) => seen.has(c)), problems };
}

export interface ContainerScope {
  namespace: string;
  podName: string;
  namespaceAnnotations?: Record<string, string>;
  podAnnotations?: Record<string, string>;
}

/**
 * Effective container visibility: pod annotation > namespace annotation > config.visibility.
 * Untracked namespaces (config.untrackedNs) get none (§4.11).
 */
export function effectiveVisibility(cfg: Pick<AgentConfig, 'visibility' | 'untrackedNs'>, s: ContainerScope): Resolved<VisibilityCategory[]> {
  if (cfg.untrackedNs.includes(s.namespace)) return { value: [], problems: [] };
  const pod = s.podAnnotations?.[ANN_VISIBILITY];
  if (pod !== undefined) return parseVisibility(pod, 'pod', `pod/${s.namespace}/${s.podName}`);
  const ns = s.namespaceAnnotations?.[ANN_VISIBILITY];
  if (ns !== undefined) return parseVisibility(ns, 'namespace', `namespace/${s.namespace}`);
  return { value: [...cfg.visibility], problems: [] };
}

/** Host visibility: node annotation kubearmor-visibility > config.hostVisibility. */
export function effectiveHostVisibility(cfg: Pick<AgentConfig, 'hostVisibility'>, nodeName: string, nodeAnnotations?: Record<string, string>): Resolved<VisibilityCategory[]> {
  const v = nodeAnnotations?.[ANN_VISIBILITY];
  if (v !== undefined) return parseVisibility(v, 'node', `node/${nodeName}`);
  return { value: [...cfg.hostVisibility], problems: [] };
}

const POSTURE_ANN: Record<PostureKind, string> = { file: ANN_FILE_POSTURE, network: ANN_NETWORK_POSTURE, capabilities: ANN_CAPABILITIES_POSTURE };

/**
 * Effective default posture per category. KubeArmor reads the namespace annotations (§4.8);
 * otelarmor also honours the same annotations on the pod, which override the namespace's.
 * Values are audit|block (case-insensitive). An invalid namespace value is reported and falls back
 * to the global default (config.default*Posture), as KubeArmor rewrites it to the global default;
 * an invalid pod value is reported and ignored (the namespace's value, else the global default, stays).
 */
export function effectivePostures(
  cfg: Pick<AgentConfig, 'defaultFilePosture' | 'defaultNetworkPosture' | 'defaultCapabilitiesPosture'>,
  s: ContainerScope,
): Resolved<Postures> {
  const global: Postures = { file: cfg.defaultFilePosture, network: cfg.defaultNetworkPosture, capabilities: cfg.defaultCapabilitiesPosture };
  const out: Postures = { ...global };
  const problems: Problem[] = [];
  for (const kind of ['file', 'network', 'capabilities'] as const) {
    const ann = POSTURE_ANN[kind];
    const layers: [string, Record<string, string> | undefined][] = [
      [`namespace/${s.namespace}`, s.namespaceAnnotations],
      [`pod/${s.namespace}/${s.podName}`, s.podAnnotations],
    ];
    for (const [object, anns] of layers) {
      const raw = anns?.[ann];
      if (raw === undefined) continue;
      const v = raw.trim().toLowerCase();
      if (v === 'audit' || v === 'block') out[kind] = v;
      else if (object.startsWith('pod/')) {
        problems.push({ object, annotation: ann, value: raw, reason: `expected audit or block; ignored (${out[kind]} stays)` });
      } else {
        out[kind] = global[kind];
        problems.push({ object, annotation: ann, value: raw, reason: `expected audit or block; using the global default ${global[kind]}` });
      }
    }
  }
  return { value: out, problems };
}

/**
 * kubearmor-policy mode (§4.10): pod annotation, else namespace annotation, else "enabled";
 * forced to "audited" in kube-system or when the caller says enforcement is unavailable.
 * Untracked namespaces are "disabled" (no enforcement, §4.11).
 */
export function effectivePolicyMode(
  cfg: Pick<AgentConfig, 'untrackedNs'>,
  s: ContainerScope,
  opts: { forceAudited?: boolean } = {},
): Resolved<PolicyMode> {
  const problems: Problem[] = [];
  let mode: PolicyMode = 'enabled';
  const layers: [string, Record<string, string> | undefined][] = [
    [`namespace/${s.namespace}`, s.namespaceAnnotations],
    [`pod/${s.namespace}/${s.podName}`, s.podAnnotations],
  ];
  for (const [object, anns] of layers) {
    const raw = anns?.[ANN_POLICY];
    if (raw === undefined) continue;
    const v = raw.trim().toLowerCase();
    if (v === 'enabled' || v === 'disabled' || v === 'audited') mode = v;
    else problems.push({ object, annotation: ANN_POLICY, value: raw, reason: 'expected enabled, disabled or audited; ignored' });
  }
  if (cfg.untrackedNs.includes(s.namespace) && s.namespace !== 'kube-system') return { value: 'disabled', problems };
  if (mode === 'enabled' && (s.namespace === 'kube-system' || opts.forceAudited)) mode = 'audited';
  return { value: mode, problems };
}

/** Host policy mode from the node annotation kubearmor-policy (default enabled). */
export function effectiveHostPolicyMode(nodeName: string, nodeAnnotations?: Record<string, string>, opts: { forceAudited?: boolean } = {}): Resolved<PolicyMode> {
  const raw = nodeAnnotations?.[ANN_POLICY];
  const problems: Problem[] = [];
  let mode: PolicyMode = 'enabled';
  if (raw !== undefined) {
    const v = raw.trim().toLowerCase();
    if (v === 'enabled' || v === 'disabled' || v === 'audited') mode = v;
    else problems.push({ object: `node/${nodeName}`, annotation: ANN_POLICY, value: raw, reason: 'expected enabled, disabled or audited; ignored' });
  }
  if (mode === 'enabled' && opts.forceAudited) mode = 'audited';
  return { value: mode, problems };
}

/** Only the kubearmor-* annotations, so PodMeta stays small and comparisons are cheap. */
export function pickKubeArmorAnnotations(all: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!all) return out;
  for (const k of KUBEARMOR_ANNOTATIONS) if (all[k] !== undefined) out[k] = all[k]!;
  return out;
}
