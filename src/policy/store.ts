// The loaded policy set, swapped atomically. Sources: the file roots given to load() and named
// sources fed by replaceSource() (the Kubernetes CRD watcher). A document that fails validation
// is rejected with its errors; the rest of the set applies, and a policy whose new version is
// invalid keeps its previous version running.
import { watch, type FSWatcher } from 'node:fs';
import { dedupePolicies, loadPolicyPaths, policyKey, rawIdentity } from './load';
import { buildRuleList } from './rules';
import { formatPolicyError, type MatchRule, type NormalizedPolicy, type PolicyError, type PolicyKind } from './types';
import { validatePolicyObject } from './validate';

export interface PolicySnapshot {
  /** Increments on every swap. */
  readonly generation: number;
  /** Canonical order: (kind, namespace, name). */
  readonly policies: readonly NormalizedPolicy[];
  /** Flattened rules of `policies`, ids 1..n in canonical order. */
  readonly rules: readonly MatchRule[];
}

/** What load/reload/replaceSource report: `errors` formatted as `file:doc N: path: reason`. */
export interface PolicyLoadReport {
  errors: string[];
  details: PolicyError[];
  /** Policies in the set after the call. */
  policies: number;
}

export class PolicyStore {
  private _snapshot: PolicySnapshot = { generation: 0, policies: [], rules: [] };
  private roots: string[] = [];
  private filePolicies: NormalizedPolicy[] = [];
  private readonly sources = new Map<string, NormalizedPolicy[]>();
  private readonly listeners: ((s: PolicySnapshot) => void)[] = [];
  private watchers: FSWatcher[] = [];
  private debounce?: NodeJS.Timeout;
  /** Errors of the last load/reload/replaceSource call. */
  lastErrors: PolicyError[] = [];

  get snapshot(): PolicySnapshot {
    return this._snapshot;
  }

  onChange(fn: (s: PolicySnapshot) => void): void {
    this.listeners.push(fn);
  }

  /** Set the file roots and load them. Returns the errors (also in lastErrors). */
  load(paths: readonly string[]): PolicyLoadReport {
    this.roots = [...paths];
    this.filePolicies = [];
    return this.reload();
  }

  /** Re-read the file roots (file change or SIGHUP). */
  reload(): PolicyLoadReport {
    const r = loadPolicyPaths(this.roots);
    const keep = keepPrevious(this.filePolicies, r.policies, r.rejected, r.unattributed);
    this.filePolicies = [...r.policies, ...keep];
    this.lastErrors = r.errors;
    this.swap();
    return this.report();
  }

  private report(): PolicyLoadReport {
    return { errors: this.lastErrors.map(formatPolicyError), details: this.lastErrors, policies: this._snapshot.policies.length };
  }

  /** Loaded policies by kind (for the policies_loaded gauge). */
  countsByKind(): Record<PolicyKind, number> {
    const out: Record<PolicyKind, number> = { KubeArmorPolicy: 0, KubeArmorClusterPolicy: 0, KubeArmorHostPolicy: 0 };
    for (const p of this._snapshot.policies) out[p.kind]++;
    return out;
  }

  /** Replace every policy of a named source (e.g. "k8s") with these objects (CRD JSON). */
  replaceSource(source: string, objects: readonly unknown[]): PolicyLoadReport {
    const ok: NormalizedPolicy[] = [];
    const errors: PolicyError[] = [];
    const rejected: string[] = [];
    objects.forEach((o, i) => {
      const id = rawIdentity(o);
      const r = validatePolicyObject(o, `${source}:${id ?? `object ${i}`}`, i);
      if (r.policy) ok.push(r.policy);
      else if (id) rejected.push(id);
      errors.push(...r.errors);
    });
    const d = dedupePolicies(ok);
    const keep = keepPrevious(this.sources.get(source) ?? [], d.policies, rejected);
    this.sources.set(source, [...d.policies, ...keep]);
    this.lastErrors = [...errors, ...d.errors];
    this.swap();
    return this.report();
  }

  /** Watch the file roots; reload (debounced 200 ms) on change. */
  watch(onReload?: (r: PolicyLoadReport) => void): void {
    this.unwatch();
    for (const r of this.roots) {
      try {
        const w = watch(r, { recursive: false }, () => {
          if (this.debounce) clearTimeout(this.debounce);
          this.debounce = setTimeout(() => {
            const errs = this.reload();
            onReload?.(errs);
          }, 200);
          this.debounce.unref?.();
        });
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch {
        // A root that cannot be watched is still reloaded on SIGHUP.
      }
    }
  }

  unwatch(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    if (this.debounce) clearTimeout(this.debounce);
  }

  private swap(): void {
    const all: NormalizedPolicy[] = [...this.filePolicies];
    for (const name of [...this.sources.keys()].sort()) all.push(...(this.sources.get(name) ?? []));
    const d = dedupePolicies(sortPolicies(all));
    if (d.errors.length) this.lastErrors = [...this.lastErrors, ...d.errors];
    const policies = d.policies;
    this._snapshot = { generation: this._snapshot.generation + 1, policies, rules: buildRuleList(policies) };
    for (const fn of this.listeners) {
      try { fn(this._snapshot); } catch { /* listeners must not break a swap */ }
    }
  }
}

/** Previous policies that stay: those whose new version was rejected, and those of a file with
 *  an error no identity can be read from (syntax error, unreadable), unless they came back valid. */
function keepPrevious(prev: readonly NormalizedPolicy[], now: readonly NormalizedPolicy[], rejected: readonly string[], brokenFiles: readonly string[] = []): NormalizedPolicy[] {
  if (!rejected.length && !brokenFiles.length) return [];
  const nowKeys = new Set(now.map(policyKey));
  const rej = new Set(rejected);
  const broken = new Set(brokenFiles);
  return prev.filter((p) => (rej.has(policyKey(p)) || broken.has(p.file)) && !nowKeys.has(policyKey(p)));
}

export function sortPolicies(ps: readonly NormalizedPolicy[]): NormalizedPolicy[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...ps].sort((a, b) => cmp(a.kind, b.kind) || cmp(a.namespace ?? '', b.namespace ?? '') || cmp(a.name, b.name));
}
