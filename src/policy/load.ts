// Reading KubeArmor policy YAML from files and directories (multi-document, line numbers kept).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { isNode, isPair, LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { NormalizedPolicy, PolicyError } from './types';
import { validatePolicyObject } from './validate';

export interface LoadResult {
  policies: NormalizedPolicy[];
  errors: PolicyError[];
  /** policyKey() of documents that failed validation but carry a readable kind/name. */
  rejected: string[];
  /** Every file read, sorted. */
  files: string[];
  /** Files with an error no policy identity can be read from (unreadable file, YAML syntax,
   *  a document without kind/metadata.name): a reload keeps their previous policies. */
  unattributed: string[];
}

function lineFinder(doc: Document, lc: LineCounter): (p: readonly (string | number)[]) => number | undefined {
  return (p) => {
    // Deepest existing node along the path (the key itself for unknown keys).
    for (let n = p.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(p.slice(0, n), true);
      if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
      if (n > 0 && n === p.length) {
        const parent = n === 1 ? doc.contents : doc.getIn(p.slice(0, n - 1), true);
        const items = (parent as { items?: unknown[] } | undefined)?.items;
        if (Array.isArray(items)) {
          for (const it of items) {
            if (isPair(it) && isNode(it.key) && (it.key as { value?: unknown }).value === p[n - 1] && it.key.range) {
              return lc.linePos(it.key.range[0]).line;
            }
          }
        }
      }
    }
    return undefined;
  };
}

/** Parse and validate every document of one YAML text. Empty documents are skipped. */
export function parsePolicyText(text: string, file: string): { policies: NormalizedPolicy[]; errors: PolicyError[]; rejected: string[]; unattributed: boolean } {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, uniqueKeys: true });
  const policies: NormalizedPolicy[] = [];
  const errors: PolicyError[] = [];
  const rejected: string[] = [];
  let unattributed = false;
  const list = Array.isArray(docs) ? docs : [];
  if (!Array.isArray(docs)) {
    errors.push({ file, document: 0, path: '', reason: 'not a YAML document stream' });
    unattributed = true;
  }
  list.forEach((doc, i) => {
    const line = doc.contents && isNode(doc.contents) && doc.contents.range ? lc.linePos(doc.contents.range[0]).line : 1;
    if (doc.errors.length) {
      for (const e of doc.errors) {
        const l = e.linePos?.[0]?.line;
        errors.push({ file, document: i, path: '', reason: `YAML: ${e.message.split('\n')[0]}`, ...(l !== undefined ? { line: l } : {}) });
      }
      unattributed = true;
      return;
    }
    if (doc.contents === null) return;
    // toJS throws on an alias without its anchor and on alias expansion beyond the bound.
    let obj: unknown;
    try {
      obj = doc.toJS({ maxAliasCount: 100 }) as unknown;
    } catch (e) {
      errors.push({ file, document: i, path: '', reason: `YAML: ${(e as Error).message.split('\n')[0]}`, line });
      unattributed = true;
      return;
    }
    const r = validatePolicyObject(obj, file, i, lineFinder(doc, lc), line);
    if (r.policy) policies.push(r.policy);
    else {
      const id = rawIdentity(obj);
      if (id) rejected.push(id);
      else unattributed = true;
    }
    errors.push(...r.errors);
  });
  return { policies, errors, rejected, unattributed };
}

/**
 * Policy files under `root` (itself if a file), depth first in name order. Symlinks are
 * followed, but every directory and file is taken once, under the first name that reaches it
 * (`seen` holds dev:inode), so a symlinked directory, a loop or a repeated root adds nothing.
 * Names starting with ".." are skipped: a Kubernetes ConfigMap/Secret volume holds the files in
 * `..<timestamp>/`, points `..data` at it and links each `name -> ..data/name`; only `name` is
 * the policy file.
 */
function collectFiles(root: string, out: string[], errors: PolicyError[], seen: Set<string>): void {
  let st;
  try {
    st = statSync(root);
  } catch (e) {
    errors.push({ file: root, document: 0, path: '', reason: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    return;
  }
  const id = `${st.dev}:${st.ino}`;
  if (seen.has(id)) return;
  seen.add(id);
  if (!st.isDirectory()) {
    out.push(root);
    return;
  }
  let names: string[];
  try {
    names = readdirSync(root).sort();
  } catch (e) {
    errors.push({ file: root, document: 0, path: '', reason: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    return;
  }
  for (const name of names) {
    if (name.startsWith('..')) continue;
    const p = path.join(root, name);
    let s;
    try { s = statSync(p); } catch { continue; }
    if (s.isDirectory()) collectFiles(p, out, errors, seen);
    else if (/\.ya?ml$/i.test(name)) {
      const fid = `${s.dev}:${s.ino}`;
      if (seen.has(fid)) continue;
      seen.add(fid);
      out.push(p);
    }
  }
}

/** Load policies from files and directories (recursively, *.yaml / *.yml), in sorted order.
 *  Duplicate (kind, namespace, name) across the set is an error on the later document. */
export function loadPolicyPaths(roots: readonly string[]): LoadResult {
  const files: string[] = [];
  const errors: PolicyError[] = [];
  const seen = new Set<string>();
  for (const r of roots) collectFiles(r, files, errors, seen);
  const uniq = [...new Set(files)].sort();
  const policies: NormalizedPolicy[] = [];
  const rejected: string[] = [];
  const unattributed: string[] = [];
  for (const f of uniq) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      errors.push({ file: f, document: 0, path: '', reason: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      unattributed.push(f);
      continue;
    }
    const r = parsePolicyText(text, f);
    policies.push(...r.policies);
    errors.push(...r.errors);
    rejected.push(...r.rejected);
    if (r.unattributed) unattributed.push(f);
  }
  const d = dedupePolicies(policies);
  return { policies: d.policies, errors: [...errors, ...d.errors], rejected, files: uniq, unattributed };
}

export function policyKey(p: Pick<NormalizedPolicy, 'kind' | 'namespace' | 'name'>): string {
  return `${p.kind}/${p.namespace ?? ''}/${p.name}`;
}

/** Drop later policies with an already seen (kind, namespace, name), reporting each. */
export function dedupePolicies(policies: readonly NormalizedPolicy[]): { policies: NormalizedPolicy[]; errors: PolicyError[] } {
  const seen = new Map<string, NormalizedPolicy>();
  const out: NormalizedPolicy[] = [];
  const errors: PolicyError[] = [];
  for (const p of policies) {
    const k = policyKey(p);
    const first = seen.get(k);
    if (first) {
      errors.push({
        file: p.file, document: p.document, path: 'metadata.name', line: p.line,
        reason: `duplicate ${p.kind} "${p.name}"${p.namespace ? ` in namespace "${p.namespace}"` : ''} (first defined in ${first.file}:doc ${first.document})`,
      });
      continue;
    }
    seen.set(k, p);
    out.push(p);
  }
  return { policies: out, errors };
}

/** policyKey() of a raw object when its kind and name are readable, for keeping the previous
 *  version of a policy whose new version is invalid. */
export function rawIdentity(obj: unknown): string | undefined {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const o = obj as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  if (typeof o.kind !== 'string' || typeof o.metadata?.name !== 'string') return undefined;
  const ns = o.kind === 'KubeArmorPolicy' ? (typeof o.metadata.namespace === 'string' && o.metadata.namespace !== '' ? o.metadata.namespace : 'default') : undefined;
  return `${o.kind}/${ns ?? ''}/${o.metadata.name}`;
}
