// Validation and normalisation of one KubeArmor policy object (a parsed YAML document or a
// CRD object from the API server): everything the CRD schema checks (kubearmor-compat.md
// §4.3–4.6) plus semantic checks (unknown keys, empty sections). Inheritance rule → section →
// spec of severity/tags/message/action, default action Block (§4.2).
import { CAPABILITY_NUMBERS, PROTOCOL_NAMES_UPPER } from './tables';
import { SYSCALL_NUMBERS } from './syscall-table';
import type {
  LabelExpression, MatchRule, NormalizedPolicy, PolicyError, PolicyKind, PolicySelector, RuleAction, RuleCategory,
  RuleTargetType,
} from './types';

export const API_VERSION = 'security.kubearmor.com/v1';
const KINDS: readonly PolicyKind[] = ['KubeArmorPolicy', 'KubeArmorClusterPolicy', 'KubeArmorHostPolicy'];
const PATH_RE = /^\/+.*[^/]$/s;
const DIR_RE = /^\/$|^\/.*\/$/s;
const BIN_RE = /^[^/]+$/;
const PATH_MAX_LEN = 200;
const NAME_RE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

type Seg = string | number;
type Obj = Record<string, unknown>;
type Meta = { severity: number; tags: string[]; message: string; action: RuleAction | '' };

export function pathString(segs: readonly Seg[]): string {
  let s = '';
  for (const p of segs) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Ctx {
  readonly errors: PolicyError[] = [];
  constructor(
    readonly file: string,
    readonly document: number,
    readonly lineOf?: (path: readonly Seg[]) => number | undefined,
  ) {}
  err(path: readonly Seg[], reason: string): void {
    const e: PolicyError = { file: this.file, document: this.document, path: pathString(path), reason };
    const line = this.lineOf?.(path);
    if (line !== undefined) e.line = line;
    this.errors.push(e);
  }
  keys(o: Obj, path: readonly Seg[], allowed: readonly string[]): void {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.err([...path, k], `unknown field "${k}"`);
  }
  obj(v: unknown, path: readonly Seg[]): Obj | undefined {
    if (v === undefined || v === null) return undefined;
    if (!isObj(v)) { this.err(path, 'must be a mapping'); return undefined; }
    return v;
  }
  list(v: unknown, path: readonly Seg[]): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) { this.err(path, 'must be a list'); return []; }
    return v;
  }
  bool(o: Obj, k: string, path: readonly Seg[]): boolean {
    const v = o[k];
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') { this.err([...path, k], 'must be a boolean'); return false; }
    return v;
  }
  str(o: Obj, k: string, path: readonly Seg[]): string | undefined {
    const v = o[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') { this.err([...path, k], 'must be a string'); return undefined; }
    return v;
  }
  meta(o: Obj, path: readonly Seg[], withAction: boolean): Meta {
    const m: Meta = { severity: 0, tags: [], message: '', action: '' };
    const sev = o.severity;
    if (sev !== undefined && sev !== null) {
      if (typeof sev !== 'number' || !Number.isInteger(sev) || sev < 1 || sev > 10) this.err([...path, 'severity'], 'must be an integer between 1 and 10');
      else m.severity = sev;
    }
    const tags = this.list(o.tags, [...path, 'tags']);
    tags.forEach((t, i) => {
      if (typeof t !== 'string') this.err([...path, 'tags', i], 'must be a string');
      else m.tags.push(t);
    });
    m.message = this.str(o, 'message', path) ?? '';
    if (withAction) {
      const a = this.str(o, 'action', path);
      if (a !== undefined) {
        const n = normalizeAction(a);
        if (!n) this.err([...path, 'action'], `must be one of Allow, Audit, Block (got "${a}")`);
        else m.action = n;
      }
    }
    return m;
  }
  absPath(v: unknown, path: readonly Seg[]): string | undefined {
    if (typeof v !== 'string') { this.err(path, v === undefined ? 'required' : 'must be a string'); return undefined; }
    if (v.length > PATH_MAX_LEN) { this.err(path, `longer than ${PATH_MAX_LEN} characters`); return undefined; }
    if (!PATH_RE.test(v)) { this.err(path, 'must be an absolute path not ending in "/" (^\\/+.*[^\\/]$)'); return undefined; }
    return v;
  }
  dirPath(v: unknown, path: readonly Seg[]): string | undefined {
    if (typeof v !== 'string') { this.err(path, v === undefined ? 'required' : 'must be a string'); return undefined; }
    if (v.length > PATH_MAX_LEN) { this.err(path, `longer than ${PATH_MAX_LEN} characters`); return undefined; }
    if (!DIR_RE.test(v)) { this.err(path, 'must be an absolute directory ending in "/" (^\\/$|^\\/.*\\/$)'); return undefined; }
    return v;
  }
}

export function normalizeAction(a: string): RuleAction | undefined {
  switch (a) {
    case 'Allow': case 'allow': return 'Allow';
    case 'Audit': case 'audit': return 'Audit';
    case 'Block': case 'block': return 'Block';
    default: return undefined;
  }
}

const META_KEYS = ['severity', 'tags', 'message', 'action'] as const;
const META_NO_ACTION = ['severity', 'tags', 'message'] as const;

export interface ValidateResult {
  policy?: NormalizedPolicy;
  errors: PolicyError[];
}

/** Validate one policy object and normalise it. `line` is the document's first line. */
export function validatePolicyObject(
  obj: unknown,
  file: string,
  document: number,
  lineOf?: (path: readonly Seg[]) => number | undefined,
  line = 1,
): ValidateResult {
  const c = new Ctx(file, document, lineOf);
  if (!isObj(obj)) {
    c.err([], 'document is not a mapping');
    return { errors: c.errors };
  }
  c.keys(obj, [], ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  if (obj.apiVersion !== API_VERSION) c.err(['apiVersion'], obj.apiVersion === undefined ? `required (${API_VERSION})` : `must be "${API_VERSION}"`);
  const kind = obj.kind;
  if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind)) {
    c.err(['kind'], kind === undefined ? 'required' : `unsupported kind "${String(kind)}" (KubeArmorPolicy, KubeArmorClusterPolicy, KubeArmorHostPolicy)`);
    return { errors: c.errors };
  }
  const k = kind as PolicyKind;
  const host = k === 'KubeArmorHostPolicy';
  const md = c.obj(obj.metadata, ['metadata']);
  let name = '';
  let namespace: string | undefined;
  if (!md) c.err(['metadata'], 'required');
  else {
    const n = c.str(md, 'name', ['metadata']);
    if (n === undefined) { if (md.name === undefined) c.err(['metadata', 'name'], 'required'); }
    else if (n.length > 253 || !NAME_RE.test(n)) c.err(['metadata', 'name'], 'must be a lower-case RFC 1123 subdomain name');
    else name = n;
    const ns = c.str(md, 'namespace', ['metadata']);
    if (k === 'KubeArmorPolicy') namespace = ns === undefined || ns === '' ? 'default' : ns;
  }
  const spec = c.obj(obj.spec, ['spec']);
  if (!spec) {
    if (obj.spec === undefined || obj.spec === null) c.err(['spec'], 'required');
    return { errors: c.errors };
  }
  const sp = ['spec'];
  const specKeys = ['process', 'file', 'network', 'capabilities', 'syscalls', 'apparmor', 'presets', ...META_KEYS, 'status'];
  if (host) specKeys.push('nodeSelector', 'device');
  else specKeys.push('selector', 'selinux');
  c.keys(spec, sp, specKeys);
  const specMeta = c.meta(spec, sp, true);
  const status = c.str(spec, 'status', sp);
  if (status !== undefined && status !== 'Active' && status !== 'Inactive') c.err([...sp, 'status'], 'must be one of Active, Inactive');

  const selector: PolicySelector = { matchLabels: {}, matchExpressions: [] };
  if (host) {
    const ns = c.obj(spec.nodeSelector, [...sp, 'nodeSelector']);
    if (!ns) { if (spec.nodeSelector === undefined || spec.nodeSelector === null) c.err([...sp, 'nodeSelector'], 'required in KubeArmorHostPolicy'); }
    else {
      c.keys(ns, [...sp, 'nodeSelector'], ['matchLabels']);
      selector.matchLabels = labelsMap(c, ns.matchLabels, [...sp, 'nodeSelector', 'matchLabels']);
      if (Object.keys(selector.matchLabels).length === 0 && !c.errors.some((e) => e.path.startsWith('spec.nodeSelector'))) c.err([...sp, 'nodeSelector', 'matchLabels'], 'required (at least one node label)');
      const reg = selector.matchLabels['kubearmor.io/hostnamereg'];
      if (reg !== undefined) {
        try { new RegExp(reg); } catch (e) { c.err([...sp, 'nodeSelector', 'matchLabels', 'kubearmor.io/hostnamereg'], `invalid regular expression: ${(e as Error).message}`); }
      }
    }
  } else {
    const sel = c.obj(spec.selector, [...sp, 'selector']);
    if (sel) {
      c.keys(sel, [...sp, 'selector'], ['matchLabels', 'matchExpressions']);
      selector.matchLabels = labelsMap(c, sel.matchLabels, [...sp, 'selector', 'matchLabels']);
      const allowedKeys = k === 'KubeArmorClusterPolicy' ? ['namespace', 'label'] : ['label'];
      c.list(sel.matchExpressions, [...sp, 'selector', 'matchExpressions']).forEach((e, i) => {
        const p = [...sp, 'selector', 'matchExpressions', i];
        const eo = c.obj(e, p);
        if (!eo) return;
        c.keys(eo, p, ['key', 'operator', 'values']);
        const key = c.str(eo, 'key', p);
        if (key === undefined) { if (eo.key === undefined) c.err([...p, 'key'], 'required'); }
        else if (!allowedKeys.includes(key)) c.err([...p, 'key'], `must be one of ${allowedKeys.join(', ')}`);
        const op = c.str(eo, 'operator', p);
        if (op === undefined) { if (eo.operator === undefined) c.err([...p, 'operator'], 'required'); }
        else if (op !== 'In' && op !== 'NotIn') c.err([...p, 'operator'], 'must be one of In, NotIn');
        const values: string[] = [];
        c.list(eo.values, [...p, 'values']).forEach((v, j) => {
          if (typeof v !== 'string') c.err([...p, 'values', j], 'must be a string');
          else if (key === 'label' && !v.includes('=')) c.err([...p, 'values', j], 'label values must be "key=value"');
          else values.push(v);
        });
        if (key !== undefined && allowedKeys.includes(key) && (op === 'In' || op === 'NotIn')) {
          selector.matchExpressions.push({ key, operator: op, values } as LabelExpression);
        }
      });
    }
  }

  const rules: Omit<MatchRule, 'id'>[] = [];
  const base = { policyName: name, policyKind: k, ...(namespace !== undefined ? { namespace } : {}) };
  let sections = 0;
  const appArmor = c.str(spec, 'apparmor', sp);
  const presets = spec.presets !== undefined && spec.presets !== null;
  if (presets) validatePresets(c, spec.presets, [...sp, 'presets']);

  const inherit = (r: Meta, s: Meta): Meta => ({
    severity: r.severity || s.severity || specMeta.severity,
    tags: r.tags.length ? r.tags : s.tags.length ? s.tags : specMeta.tags,
    message: r.message || s.message || specMeta.message,
    action: r.action || s.action || specMeta.action || 'Block',
  });
  const push = (
    category: RuleCategory, type: RuleTargetType, target: string, m: Meta,
    flags: { recursive?: boolean; readOnly?: boolean; ownerOnly?: boolean }, sources: string[],
  ) => {
    for (const source of sources.length ? sources : ['']) {
      rules.push({
        ...base, category, type, target, recursive: flags.recursive ?? false, readOnly: flags.readOnly ?? false,
        ownerOnly: flags.ownerOnly ?? false, source, sourceRecursive: false,
        action: m.action as RuleAction, severity: m.severity, tags: m.tags, message: m.message,
      });
    }
  };
  const fromSource = (o: Obj, p: readonly Seg[], required: boolean): string[] => {
    const out: string[] = [];
    if (required && (o.fromSource === undefined || o.fromSource === null)) c.err([...p, 'fromSource'], 'required in KubeArmorHostPolicy');
    const l = c.list(o.fromSource, [...p, 'fromSource']);
    if (required && Array.isArray(o.fromSource) && l.length === 0) c.err([...p, 'fromSource'], 'must not be empty in KubeArmorHostPolicy');
    l.forEach((s, i) => {
      const sp2 = [...p, 'fromSource', i];
      const so = c.obj(s, sp2);
      if (!so) return;
      c.keys(so, sp2, ['path']);
      const v = c.absPath(so.path, [...sp2, 'path']);
      if (v !== undefined) out.push(v);
    });
    return out;
  };

  // process
  const proc = sectionObj(c, spec, 'process');
  if (proc) {
    sections++;
    const p = [...sp, 'process'];
    c.keys(proc, p, ['matchPaths', 'matchDirectories', 'matchPatterns', ...META_KEYS]);
    const sm = c.meta(proc, p, true);
    let n = 0;
    c.list(proc.matchPaths, [...p, 'matchPaths']).forEach((e, i) => {
      const rp = [...p, 'matchPaths', i];
      const o = c.obj(e, rp); if (!o) return; n++;
      c.keys(o, rp, ['path', 'execname', 'ownerOnly', 'pts', 'allowedArgs', 'fromSource', ...META_KEYS]);
      const m = inherit(c.meta(o, rp, true), sm);
      const ownerOnly = c.bool(o, 'ownerOnly', rp);
      c.bool(o, 'pts', rp);
      validateArgs(c, o.allowedArgs, [...rp, 'allowedArgs']);
      const src = fromSource(o, rp, false);
      if (o.path !== undefined && o.execname !== undefined) { c.err(rp, 'set either path or execname, not both'); return; }
      if (o.execname !== undefined) {
        const x = o.execname;
        if (typeof x !== 'string' || !BIN_RE.test(x)) { c.err([...rp, 'execname'], 'must be a bare executable name without "/" (^[^\\/]+$)'); return; }
        push('process', 'execname', x, m, { ownerOnly }, src);
        return;
      }
      if (o.path === undefined) { c.err([...rp, 'path'], 'required (or execname)'); return; }
      const path = c.absPath(o.path, [...rp, 'path']);
      if (path !== undefined) push('process', 'path', path, m, { ownerOnly }, src);
    });
    c.list(proc.matchDirectories, [...p, 'matchDirectories']).forEach((e, i) => {
      const rp = [...p, 'matchDirectories', i];
      const o = c.obj(e, rp); if (!o) return; n++;
      c.keys(o, rp, ['dir', 'recursive', 'ownerOnly', 'pts', 'fromSource', ...META_KEYS]);
      const m = inherit(c.meta(o, rp, true), sm);
      const flags = { recursive: c.bool(o, 'recursive', rp), ownerOnly: c.bool(o, 'ownerOnly', rp) };
      c.bool(o, 'pts', rp);
      const src = fromSource(o, rp, false);
      const dir = c.dirPath(o.dir, [...rp, 'dir']);
      if (dir !== undefined) push('process', 'dir', dir, m, flags, src);
    });
    c.list(proc.matchPatterns, [...p, 'matchPatterns']).forEach((e, i) => {
      const rp = [...p, 'matchPatterns', i];
      const o = c.obj(e, rp); if (!o) return; n++;
      c.keys(o, rp, ['pattern', 'ownerOnly', ...META_KEYS]);
      const m = inherit(c.meta(o, rp, true), sm);
      const ownerOnly = c.bool(o, 'ownerOnly', rp);
      const pat = pattern(c, o.pattern, [...rp, 'pattern']);
      if (pat !== undefined) push('process', 'pattern', pat, m, { ownerOnly }, []);
    });
    if (n === 0) c.err(p, 'section has no rules (matchPaths, matchDirectories or matchPatterns)');
  }

  // file
  const file_ = sectionObj(c, spec, 'file');
  if (file_) {
    sections++;
    const p = [...sp, 'file'];
    c.keys(file_, p, ['matchPaths', 'matchDirectories', 'matchPatterns', ...META_KEYS]);
    const sm = c.meta(file_, p, true);
    let n = 0;
    c.list(file_.matchPaths, [...p, 'matchPaths']).forEach((e, i) => {
      const rp = [...p, 'matchPaths', i];
      const o = c.obj(e, rp); if (!o) return; n++;
      c.keys(o, rp, ['path', 'readOnly', 'ownerOnly', 'pts', 'fromSource', ...META_KEYS]);
      const m = inherit(c.meta(o, rp, true), sm);
      const flags = { readOnly: c.bool(o, 'readOnly', rp), ownerOnly: c.bool(o, 'ownerOnly', rp) };
      c.bool(o, 'pts', rp);
      const src = fromSource(o, rp, false);
      const path = c.absPath(o.path, [...rp, 'path']);
      if (path !== undefined) push('file', 'path', path, m, flags, src);
    });
    c.list(file_.matchDirectories, [...p, 'matchDirectories']).forEach((e, i) => {
      const rp = [...p, 'matchDirectories', i];
      const o = c.obj(e, rp); if (!o) return; n++;
      c.keys(o, rp, ['dir', 'recursive', 'readOnly', 'ownerOnly', 'pts', 'fromSource', ...META_KEYS]);
      const m = inherit(c.meta(o, rp, true), sm);
      const flags = { recursive: c.bool(o, 'recursive', rp), readOnly: c.bool(o, 'readOnly', rp), ownerOnly: c.bool(o, 'ownerOnly', rp) };
      c.bool(o, 'pts', rp);
      const src = fromSource(o, rp, false);
      const dir = c.dirPath(o.dir, [...rp, 'dir']);
      if (dir !== undefined) push('file', 'dir', dir, m, flags, src);
    });
    c.list(file_.matchPatterns, [...p, 'matchPatterns']).forEach((e, i) => {
      const rp = [...p, 'matchPatterns', i];
      const o = c.obj(e, rp); if (!o) return; n++;
      c.keys(o, rp, ['pattern', 'readOnly', 'ownerOnly', ...META_KEYS]);
      const m = inherit(c.meta(o, rp, true), sm);
      const flags = { readOnly: c.bool(o, 'readOnly', rp), ownerOnly: c.bool(o, 'ownerOnly', rp) };
      const pat = pattern(c, o.pattern, [...rp, 'pattern']);
      if (pat !== undefined) push('file', 'pattern', pat, m, flags, []);
    });
    if (n === 0) c.err(p, 'section has no rules (matchPaths, matchDirectories or matchPatterns)');
  }

  // network
  const net = sectionObj(c, spec, 'network');
  if (net) {
    sections++;
    const p = [...sp, 'network'];
    c.keys(net, p, ['matchProtocols', 'matchDNSQueries', ...META_KEYS]);
    const sm = c.meta(net, p, true);
    let n = 0;
    c.list(net.matchProtocols, [...p, 'matchProtocols']).forEach((e, i) => {
      const rp = [...p, 'matchProtocols', i];
      const o = c.obj(e, rp); if (!o) return; n++;
      c.keys(o, rp, ['protocol', 'pts', 'fromSource', ...META_KEYS]);
      const m = inherit(c.meta(o, rp, true), sm);
      c.bool(o, 'pts', rp);
      const src = fromSource(o, rp, host);
      const v = o.protocol;
      if (typeof v !== 'string' || v === '') { c.err([...rp, 'protocol'], v === undefined ? 'required' : 'must be a non-empty string'); return; }
      for (const part of v.split(',')) {
        const t = part.trim();
        if (!PROTOCOL_NAMES_UPPER.has(t.toUpperCase()) || (t !== t.toLowerCase() && t !== t.toUpperCase())) {
          c.err([...rp, 'protocol'], `unknown protocol "${t}" (tcp, udp, icmp, icmpv6, sctp, raw, stream, dgram, rdm, seqpacket, dccp, packet, all; lower or upper case)`);
          return;
        }
      }
      for (const part of v.split(',')) push('network', 'protocol', part.trim().toLowerCase(), m, {}, src);
    });
    c.list(net.matchDNSQueries, [...p, 'matchDNSQueries']).forEach((e, i) => {
      const rp = [...p, 'matchDNSQueries', i];
      const o = c.obj(e, rp); if (!o) return; n++;
      c.keys(o, rp, ['domain', 'fromSource', ...META_KEYS]);
      c.meta(o, rp, true);
      fromSource(o, rp, false);
      const d = o.domain;
      if (typeof d !== 'string' || d === '') c.err([...rp, 'domain'], 'required');
    });
    if (n === 0) c.err(p, 'section has no rules (matchProtocols)');
  }

  // capabilities
  const caps = sectionObj(c, spec, 'capabilities');
  if (caps) {
    sections++;
    const p = [...sp, 'capabilities'];
    c.keys(caps, p, ['matchCapabilities', ...META_KEYS]);
    const sm = c.meta(caps, p, true);
    let n = 0;
    c.list(caps.matchCapabilities, [...p, 'matchCapabilities']).forEach((e, i) => {
      const rp = [...p, 'matchCapabilities', i];
      const o = c.obj(e, rp); if (!o) return; n++;
      c.keys(o, rp, ['capability', 'fromSource', ...META_KEYS]);
      const m = inherit(c.meta(o, rp, true), sm);
      const src = fromSource(o, rp, host);
      const v = o.capability;
      if (typeof v !== 'string' || v === '') { c.err([...rp, 'capability'], v === undefined ? 'required' : 'must be a non-empty string'); return; }
      const parts = v.split(',').map((s) => s.trim());
      for (const t of parts) {
        if (!CAPABILITY_NUMBERS.has(t)) { c.err([...rp, 'capability'], `unknown capability "${t}" (lower-case name without CAP_, e.g. net_raw)`); return; }
      }
      for (const t of parts) push('capabilities', 'capability', t, m, {}, src);
    });
    if (n === 0) c.err(p, 'section has no rules (matchCapabilities)');
  }

  // syscalls (always Audit, no action field)
  const sys = sectionObj(c, spec, 'syscalls');
  if (sys) {
    sections++;
    const p = [...sp, 'syscalls'];
    c.keys(sys, p, ['matchSyscalls', 'matchPaths', ...META_NO_ACTION]);
    const sm = c.meta(sys, p, false);
    let n = 0;
    const sysSources = (o: Obj, rp: readonly Seg[]): { source: string; recursive: boolean }[] => {
      const out: { source: string; recursive: boolean }[] = [];
      c.list(o.fromSource, [...rp, 'fromSource']).forEach((s, j) => {
        const q = [...rp, 'fromSource', j];
        const so = c.obj(s, q); if (!so) return;
        c.keys(so, q, ['path', 'dir', 'recursive']);
        const rec = c.bool(so, 'recursive', q);
        if (so.path !== undefined && so.dir !== undefined) { c.err(q, 'set either path or dir, not both'); return; }
        if (so.dir !== undefined) {
          const d = c.dirPath(so.dir, [...q, 'dir']);
          if (d !== undefined) out.push({ source: d, recursive: rec });
        } else {
          const v = c.absPath(so.path, [...q, 'path']);
          if (v !== undefined) out.push({ source: v, recursive: false });
        }
      });
      return out;
    };
    const sysNames = (o: Obj, rp: readonly Seg[]): string[] => {
      const out: string[] = [];
      if (o.syscall === undefined || o.syscall === null) { c.err([...rp, 'syscall'], 'required'); return out; }
      const l = c.list(o.syscall, [...rp, 'syscall']);
      if (Array.isArray(o.syscall) && l.length === 0) c.err([...rp, 'syscall'], 'must not be empty');
      l.forEach((s, j) => {
        if (typeof s !== 'string' || !SYSCALL_NUMBERS.has(s)) c.err([...rp, 'syscall', j], `unknown syscall "${String(s)}" (x86_64 name, lower case, e.g. unlink)`);
        else out.push(s);
      });
      return out;
    };
    const pushSys = (names: string[], target: string, recursive: boolean, srcs: { source: string; recursive: boolean }[], m: Meta) => {
      for (const syscall of names) {
        for (const s of srcs.length ? srcs : [{ source: '', recursive: false }]) {
          rules.push({
            ...base, category: 'syscall', type: 'syscall', target, recursive, readOnly: false, ownerOnly: false,
            source: s.source, sourceRecursive: s.recursive, syscall, action: 'Audit',
            severity: m.severity, tags: m.tags, message: m.message,
          });
        }
      }
    };
    c.list(sys.matchSyscalls, [...p, 'matchSyscalls']).forEach((e, i) => {
      const rp = [...p, 'matchSyscalls', i];
      const o = c.obj(e, rp); if (!o) return; n++;
      c.keys(o, rp, ['syscall', 'fromSource', ...META_NO_ACTION]);
      const m = inherit(c.meta(o, rp, false), sm);
      pushSys(sysNames(o, rp), '', false, sysSources(o, rp), m);
    });
    c.list(sys.matchPaths, [...p, 'matchPaths']).forEach((e, i) => {
      const rp = [...p, 'matchPaths', i];
      const o = c.obj(e, rp); if (!o) return; n++;
      c.keys(o, rp, ['path', 'recursive', 'syscall', 'fromSource', ...META_NO_ACTION]);
      const m = inherit(c.meta(o, rp, false), sm);
      const rec = c.bool(o, 'recursive', rp);
      const v = o.path;
      let target: string | undefined;
      if (typeof v !== 'string') c.err([...rp, 'path'], v === undefined ? 'required' : 'must be a string');
      else if (v.length > PATH_MAX_LEN) c.err([...rp, 'path'], `longer than ${PATH_MAX_LEN} characters`);
      else if (!PATH_RE.test(v) && !DIR_RE.test(v)) c.err([...rp, 'path'], 'must be an absolute file path or a directory ending in "/"');
      else target = v;
      const names = sysNames(o, rp);
      const srcs = sysSources(o, rp);
      if (target !== undefined) pushSys(names, target, rec, srcs, m);
    });
    if (n === 0) c.err(p, 'section has no rules (matchSyscalls or matchPaths)');
  }

  if (host && spec.device !== undefined && spec.device !== null) {
    sections++;
    validateDevice(c, spec.device, [...sp, 'device']);
  }
  if (sections === 0 && appArmor === undefined && !presets) c.err(sp, 'no rules: set at least one of process, file, network, capabilities, syscalls');
  if (c.errors.length) return { errors: c.errors };
  const policy: NormalizedPolicy = {
    kind: k, name, ...(namespace !== undefined ? { namespace } : {}), selector,
    rules: status === 'Inactive' ? [] : rules, appArmorOnly: appArmor !== undefined && appArmor !== '', file, document, line,
  };
  return { policy, errors: [] };
}

function sectionObj(c: Ctx, spec: Obj, key: string): Obj | undefined {
  const v = spec[key];
  if (v === undefined) return undefined;
  if (v === null) { c.err(['spec', key], 'section has no rules'); return undefined; }
  return c.obj(v, ['spec', key]);
}

function labelsMap(c: Ctx, v: unknown, path: readonly Seg[]): Record<string, string> {
  const out: Record<string, string> = {};
  const o = c.obj(v, path);
  if (!o) return out;
  for (const [k, val] of Object.entries(o)) {
    if (typeof val !== 'string') c.err([...path, k], 'label value must be a string');
    else out[k] = val;
  }
  return out;
}

function pattern(c: Ctx, v: unknown, path: readonly Seg[]): string | undefined {
  if (typeof v !== 'string' || v === '') { c.err(path, v === undefined ? 'required' : 'must be a non-empty string'); return undefined; }
  // KubeArmor compiles the pattern as a Go regexp (and drops the rule when that fails), then
  // matches it as a filepath.Match glob.
  try { new RegExp(v); } catch (e) { c.err(path, `invalid pattern: ${(e as Error).message}`); return undefined; }
  return v;
}

function validateArgs(c: Ctx, v: unknown, path: readonly Seg[]): void {
  if (v === undefined || v === null) return;
  const l = c.list(v, path);
  if (l.length > 20) c.err(path, 'at most 20 arguments');
  l.forEach((a, i) => {
    if (typeof a !== 'string') c.err([...path, i], 'must be a string');
    else if (a.length > 104) c.err([...path, i], 'longer than 104 characters');
  });
}

/** USB class names of KubeArmor's USB device handler (usb.org class codes). */
const USB_CLASSES: ReadonlyMap<string, number> = new Map([
  ['AUDIO', 1], ['COMMUNICATION-CDC', 2], ['HID', 3], ['PHYSICAL', 5], ['IMAGE', 6], ['PRINTER', 7], ['MASS-STORAGE', 8],
  ['HUB', 9], ['CDC-DATA', 10], ['SMART-CARD', 11], ['CONTENT-SECURITY', 13], ['VIDEO', 14], ['PERSONAL-HEALTHCARE', 15],
  ['AUDIO/VIDEO', 16], ['BILLBOARD', 17], ['TYPE-C-BRIDGE', 18], ['BULK-DISPLAY', 19], ['MCTP', 20], ['I3C', 60],
  ['DIAGNOSTIC', 220], ['WIRELESS-CONTROLLER', 224], ['MISCELLANEOUS', 239], ['APPLICATION-SPECIFIC', 254], ['VENDOR-SPECIFIC', 255],
]);
/** Named subclasses exist only for HID. */
const HID_SUBCLASSES = ['KEYBOARD', 'MOUSE'];

/** A USB code 0..255: a YAML integer, or a string in decimal or 0x hex. */
function usbCode(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v <= 255 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  const n = /^\d{1,3}$/.test(t) ? Number(t) : /^0[xX][0-9a-fA-F]{1,2}$/.test(t) ? parseInt(t.slice(2), 16) : NaN;
  return n >= 0 && n <= 255 ? n : undefined;
}

/** Host policy `device` (KubeArmor's USB device handler): validated, never enforced here. */
function validateDevice(c: Ctx, v: unknown, p: readonly Seg[]): void {
  const dev = c.obj(v, p);
  if (!dev) return;
  c.keys(dev, p, ['matchDevice', ...META_KEYS]);
  c.meta(dev, p, true);
  let n = 0;
  c.list(dev.matchDevice, [...p, 'matchDevice']).forEach((e, i) => {
    const rp = [...p, 'matchDevice', i];
    const o = c.obj(e, rp); if (!o) return; n++;
    c.keys(o, rp, ['class', 'subClass', 'protocol', 'level', ...META_KEYS]);
    c.meta(o, rp, true);
    const cls = o.class;
    let clsNum: number | undefined;
    if (cls === undefined || cls === null) c.err([...rp, 'class'], 'required');
    else if (typeof cls === 'string' && (cls.trim().toUpperCase() === 'ALL' || USB_CLASSES.has(cls.trim().toUpperCase()))) clsNum = USB_CLASSES.get(cls.trim().toUpperCase());
    else if ((clsNum = usbCode(cls)) === undefined) {
      c.err([...rp, 'class'], `must be a USB class name (${[...USB_CLASSES.keys()].join(', ')}), ALL, or a code 0-255 (decimal or 0x hex), got ${JSON.stringify(cls)}`);
    }
    const sub = o.subClass;
    if (sub !== undefined && sub !== null) {
      const named = typeof sub === 'string' && HID_SUBCLASSES.includes(sub.trim().toUpperCase());
      if (named && clsNum !== 3) c.err([...rp, 'subClass'], `named subclasses (${HID_SUBCLASSES.join(', ')}) need class HID`);
      else if (!named && usbCode(sub) === undefined) c.err([...rp, 'subClass'], `must be a code 0-255 (decimal or 0x hex) or, for class HID, ${HID_SUBCLASSES.join(' or ')}; got ${JSON.stringify(sub)}`);
    }
    const proto = o.protocol;
    if (proto !== undefined && proto !== null && usbCode(proto) === undefined) c.err([...rp, 'protocol'], `must be a code 0-255 (decimal or 0x hex), got ${JSON.stringify(proto)}`);
    const level = o.level;
    if (level !== undefined && level !== null && (typeof level !== 'number' || !Number.isInteger(level) || level < 1)) c.err([...rp, 'level'], 'must be an integer >= 1');
  });
  if (n === 0) c.err(p, 'section has no rules (matchDevice)');
}

function validatePresets(c: Ctx, v: unknown, path: readonly Seg[]): void {
  c.list(v, path).forEach((e, i) => {
    const o = c.obj(e, [...path, i]);
    if (!o) return;
    c.keys(o, [...path, i], ['name', 'action', ...META_NO_ACTION]);
    const n = c.str(o, 'name', [...path, i]);
    if (n === undefined || !['protectEnv', 'filelessExec', 'exec', 'protectProc', 'anonMapExec'].includes(n)) {
      c.err([...path, i, 'name'], 'must be one of protectEnv, filelessExec, exec, protectProc, anonMapExec');
    }
    const a = c.str(o, 'action', [...path, i]);
    if (a !== undefined && a !== 'Audit' && a !== 'Block') c.err([...path, i, 'action'], 'must be one of Audit, Block');
  });
}
