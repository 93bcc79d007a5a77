// Flattening a policy set into rules with stable ids, and selector evaluation (which policies
// apply to a container or to the host; kubearmor-compat.md §4.5).
import type { MatchRule, NormalizedPolicy, RuleAction } from './types';

/** Rules of `policies` (already in canonical order) with ids 1..n. */
export function buildRuleList(policies: readonly NormalizedPolicy[]): MatchRule[] {
  const out: MatchRule[] = [];
  for (const p of policies) {
    if (p.appArmorOnly) continue;
    for (const r of p.rules) out.push({ ...r, id: out.length + 1 });
  }
  return out;
}

/** Who an event (or a compiled container) is, for selectors. */
export interface Identity {
  host: boolean;
  namespace: string;
  labels: Readonly<Record<string, string>>;
  containerName: string;
}

export interface HostIdentity {
  hostName: string;
  labels: Readonly<Record<string, string>>;
}

/** KubeArmor `Labels` ("k=v,k=v") → map. */
export function parseLabels(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!s) return out;
  for (const part of s.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

const CONTAINER_NAME_KEY = 'kubearmor.io/container.name';

function labelExprMatch(exprs: NormalizedPolicy['selector']['matchExpressions'], key: string, value: (v: string) => boolean): boolean {
  const mine = exprs.filter((e) => e.key === key);
  const ins = mine.filter((e) => e.operator === 'In');
  // NotIn is honoured only when there is no In for the same key (KubeArmor).
  if (ins.length) return ins.every((e) => e.values.some(value));
  return mine.filter((e) => e.operator === 'NotIn').every((e) => !e.values.some(value));
}

function labelPairIn(labels: Readonly<Record<string, string>>): (v: string) => boolean {
  return (v) => {
    const eq = v.indexOf('=');
    return eq > 0 && labels[v.slice(0, eq)] === v.slice(eq + 1);
  };
}

function containerListMatch(spec: string, name: string): boolean {
  const inner = spec.trim().replace(/^\[/, '').replace(/\]$/, '');
  return inner.split(',').some((c) => c.trim() === name);
}

/** Does a container-scoped policy (KSP/CSP) select this container? */
export function selectsContainer(p: NormalizedPolicy, id: Identity): boolean {
  if (id.host || p.kind === 'KubeArmorHostPolicy') return false;
  if (p.kind === 'KubeArmorPolicy' && p.namespace !== id.namespace) return false;
  for (const [k, v] of Object.entries(p.selector.matchLabels)) {
    if (k === CONTAINER_NAME_KEY) {
      if (!containerListMatch(v, id.containerName)) return false;
    } else if (id.labels[k] !== v) return false;
  }
  const ex = p.selector.matchExpressions;
  if (ex.length === 0) return true;
  if (!labelExprMatch(ex, 'label', labelPairIn(id.labels))) return false;
  if (p.kind === 'KubeArmorClusterPolicy' && !labelExprMatch(ex, 'namespace', (v) => v === id.namespace)) return false;
  return true;
}

/** Does a host policy select this node? (`kubearmor.io/hostname`: exact, "*" or comma list;
 *  `kubearmor.io/hostnamereg`: regular expression, full match; other keys: node labels.) */
export function selectsHost(p: NormalizedPolicy, host: HostIdentity): boolean {
  if (p.kind !== 'KubeArmorHostPolicy') return false;
  for (const [k, v] of Object.entries(p.selector.matchLabels)) {
    if (k === 'kubearmor.io/hostname') {
      if (v !== '*' && !v.split(',').some((h) => h.trim() === host.hostName)) return false;
    } else if (k === 'kubearmor.io/hostnamereg') {
      let re: RegExp;
      try { re = new RegExp(`^(?:${v})$`); } catch { return false; }
      if (!re.test(host.hostName)) return false;
    } else if (host.labels[k] !== v) return false;
  }
  return true;
}

/** Rules of `policies` that apply to `id` (host events: host policies only). */
export function rulesFor(
  policies: readonly NormalizedPolicy[], rules: readonly MatchRule[], id: Identity, host: HostIdentity,
): MatchRule[] {
  const selected = new Set<string>();
  for (const p of policies) {
    const ok = id.host ? selectsHost(p, host) : selectsContainer(p, id);
    if (ok) selected.add(`${p.kind}/${p.namespace ?? ''}/${p.name}`);
  }
  return rules.filter((r) => selected.has(`${r.policyKind}/${r.namespace ?? ''}/${r.policyName}`));
}

const ACTION_RANK: Record<RuleAction, number> = { Block: 0, Audit: 1, Allow: 2 };

/** Precedence between rules landing on the same kernel key (and at the same lookup level in
 *  user space): Block over Audit over Allow, then recursive over non-recursive, then lower id. */
export function rulePrecedence(a: MatchRule, b: MatchRule): number {
  return ACTION_RANK[a.action] - ACTION_RANK[b.action] || Number(b.recursive) - Number(a.recursive) || a.id - b.id;
}
