// Proposing an allow-list KubeArmorPolicy from observed events: every executed binary, every
// file path (readOnly when only ever opened O_RDONLY; directories with many files collapse to a
// matchDirectories entry) and every network protocol with the binaries that used it.
import { stringify } from 'yaml';
import type { AgentEvent } from '../events/types';
import { eventIsRead, eventNetworkProtocol, eventTargetPath } from './matcher';
import { parseLabels } from './rules';

export interface RecommendOptions {
  namespace?: string;
  labels?: Record<string, string>;
  name?: string;
  /** Files in one directory at which the directory replaces them (default 8). */
  dirThreshold?: number;
}

const PATH_RE = /^\/+.*[^/]$/s;
const validPath = (p: string) => p.length <= 200 && PATH_RE.test(p) && !p.includes('\n');

export function selectEvents(events: readonly AgentEvent[], o: RecommendOptions): AgentEvent[] {
  return events.filter((e) => {
    if (o.namespace !== undefined && e.ka.NamespaceName !== o.namespace) return false;
    if (o.labels) {
      const l = parseLabels(e.ka.Labels);
      for (const [k, v] of Object.entries(o.labels)) if (l[k] !== v) return false;
    }
    return !!e.ka.ContainerID;
  });
}

/** The recommended policy as a plain object (apiVersion security.kubearmor.com/v1). */
export function recommendPolicy(all: readonly AgentEvent[], o: RecommendOptions): Record<string, unknown> | undefined {
  const events = selectEvents(all, o);
  if (!events.length) return undefined;
  const ns = o.namespace ?? events[0]!.ka.NamespaceName ?? 'default';
  let labels = o.labels;
  if (!labels) {
    // labels common to every selected event
    const maps = events.map((e) => parseLabels(e.ka.Labels));
    labels = {};
    for (const [k, v] of Object.entries(maps[0] ?? {})) if (maps.every((m) => m[k] === v)) labels[k] = v;
  }
  const procs = new Set<string>();
  const files = new Map<string, boolean>(); // path → read-only so far
  const nets = new Map<string, Set<string>>();
  for (const e of events) {
    if (e.ka.Result !== 'Passed') continue;
    switch (e.ka.Operation) {
      case 'Process': {
        const p = eventTargetPath(e, 'process');
        if (validPath(p)) procs.add(p);
        break;
      }
      case 'File': {
        const p = eventTargetPath(e, 'file');
        if (validPath(p)) files.set(p, (files.get(p) ?? true) && eventIsRead(e));
        break;
      }
      case 'Network': {
        const proto = eventNetworkProtocol(e);
        if (!proto) break;
        const s = nets.get(proto) ?? new Set<string>();
        if (e.ka.ProcessName && validPath(e.ka.ProcessName)) s.add(e.ka.ProcessName);
        nets.set(proto, s);
        break;
      }
      default:
        break;
    }
  }
  const threshold = o.dirThreshold ?? 8;
  const byDir = new Map<string, string[]>();
  for (const p of files.keys()) {
    const d = p.slice(0, p.lastIndexOf('/') + 1);
    byDir.set(d, [...(byDir.get(d) ?? []), p]);
  }
  const matchPaths: Record<string, unknown>[] = [];
  const matchDirectories: Record<string, unknown>[] = [];
  for (const d of [...byDir.keys()].sort()) {
    const ps = (byDir.get(d) ?? []).sort();
    if (ps.length >= threshold && d !== '/') {
      const ro = ps.every((p) => files.get(p));
      matchDirectories.push(ro ? { dir: d, readOnly: true } : { dir: d });
    } else {
      for (const p of ps) matchPaths.push(files.get(p) ? { path: p, readOnly: true } : { path: p });
    }
  }
  const spec: Record<string, unknown> = {
    selector: { matchLabels: labels },
  };
  if (procs.size) spec.process = { matchPaths: [...procs].sort().map((path) => ({ path })) };
  if (matchPaths.length || matchDirectories.length) {
    const f: Record<string, unknown> = {};
    if (matchPaths.length) f.matchPaths = matchPaths;
    if (matchDirectories.length) f.matchDirectories = matchDirectories;
    spec.file = f;
  }
  if (nets.size) {
    spec.network = {
      matchProtocols: [...nets.keys()].sort().map((protocol) => {
        const src = [...(nets.get(protocol) ?? [])].sort();
        return src.length ? { protocol, fromSource: src.map((path) => ({ path })) } : { protocol };
      }),
    };
  }
  spec.action = 'Allow';
  const base = Object.values(labels).join('-').toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  const name = o.name ?? `allow-${base || ns}`.slice(0, 253).replace(/[-.]+$/, '');
  return { apiVersion: 'security.kubearmor.com/v1', kind: 'KubeArmorPolicy', metadata: { name, namespace: ns }, spec };
}

export function recommendYaml(events: readonly AgentEvent[], o: RecommendOptions): string | undefined {
  const p = recommendPolicy(events, o);
  return p ? `# Recommended by otelarmor from ${selectEvents(events, o).length} observed events; review before applying.\n${stringify(p, { lineWidth: 0 })}` : undefined;
}
