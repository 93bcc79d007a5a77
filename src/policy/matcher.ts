// The reference matcher: decides, for one event and the rules that apply to its container (or
// the host), which rule matches, or that the allow-list posture applies. Lookup order follows
// the kernel's (src/kernel/rule-types.ts): exact path (with source, then without), execname,
// ancestor directories deepest first, then user-space-only matchPatterns; the first level with a
// hit decides. Rules on the same level merge as rulePrecedence(). Differences from the kernel
// lookup are listed in docs/policies.md ("Reference matcher vs kernel").
import type { AgentEvent } from '../events/types';
import { goGlobMatch } from './glob';
import { rulePrecedence } from './rules';
import { eventProtocol } from './tables';
import type { MatchRule, RuleCategory } from './types';

export type Verdict =
  | { kind: 'rule'; rule: MatchRule }
  /** Allow-list mode for the category and no rule allows the event. */
  | { kind: 'posture' }
  | { kind: 'none' };

const NONE: Verdict = { kind: 'none' };
const POSTURE: Verdict = { kind: 'posture' };

interface PathIndex {
  exact: Map<string, MatchRule[]>;
  dirs: Map<string, MatchRule[]>;
  /** dirs keyed without the trailing "/" (the directory itself: rule dir "/etc/" for "/etc"). */
  dirSelf: Map<string, MatchRule[]>;
  execname: Map<string, MatchRule[]>;
  patterns: MatchRule[];
  allowList: boolean;
  /** Target path → the rule lists of its lookup levels (structure only: the event's source,
   *  access and owner are applied per event). Bounded; rebuilt with the index. */
  levels: Map<string, PathLevels>;
}

/** The candidate rules of one target path, per lookup level (matchPath's order). */
interface PathLevels {
  exact: readonly MatchRule[] | undefined;
  dirSelf: readonly MatchRule[] | undefined;
  execname: readonly MatchRule[] | undefined;
  /** Ancestor directories that have rules, deepest first; direct = T's parent. */
  dirs: { rules: readonly MatchRule[]; direct: boolean }[];
}

const LEVELS_CACHE_MAX = 8192;

function pathIndex(): PathIndex {
  return { exact: new Map(), dirs: new Map(), dirSelf: new Map(), execname: new Map(), patterns: [], allowList: false, levels: new Map() };
}

function add(m: Map<string, MatchRule[]>, k: string, r: MatchRule): void {
  const l = m.get(k);
  if (l) l.push(r);
  else m.set(k, [r]);
}

/** Rules of one container (or the host), indexed for matching. Build once per rule set. */
export class RuleIndex {
  readonly process = pathIndex();
  readonly file = pathIndex();
  readonly network = new Map<string, MatchRule[]>();
  readonly capabilities = new Map<string, MatchRule[]>();
  readonly syscalls: MatchRule[] = [];
  networkAllowList = false;
  capabilitiesAllowList = false;
  readonly size: number;

  constructor(readonly rules: readonly MatchRule[]) {
    this.size = rules.length;
    for (const r of rules) {
      switch (r.category) {
        case 'process':
        case 'file': {
          const ix = r.category === 'process' ? this.process : this.file;
          if (r.action === 'Allow') ix.allowList = true;
          if (r.type === 'path') add(ix.exact, r.target, r);
          else if (r.type === 'dir') {
            add(ix.dirs, r.target, r);
            if (r.target !== '/') add(ix.dirSelf, r.target.slice(0, -1), r);
          }
          else if (r.type === 'execname') add(ix.execname, r.target, r);
          else if (r.type === 'pattern') ix.patterns.push(r);
          break;
        }
        case 'network':
          if (r.action === 'Allow') this.networkAllowList = true;
          add(this.network, r.target, r);
          break;
        case 'capabilities':
          if (r.action === 'Allow') this.capabilitiesAllowList = true;
          add(this.capabilities, r.target, r);
          break;
        case 'syscall':
          this.syscalls.push(r);
          break;
      }
    }
  }

  allowList(c: RuleCategory): boolean {
    switch (c) {
      case 'process': return this.process.allowList;
      case 'file': return this.file.allowList;
      case 'network': return this.networkAllowList;
      case 'capabilities': return this.capabilitiesAllowList;
      default: return false;
    }
  }
}

// ---- event facts shared with the kernel reference ----

/** Absolute target path of a process (exec path) or file event. An exec event's target is the
 *  program it executed (extras.path), also when the exec failed and ProcessName is still the
 *  caller's (a BPF-LSM denial of the blocked binary is such an exec). */
export function eventTargetPath(ev: AgentEvent, category: 'process' | 'file'): string {
  if (category === 'process') {
    const exec = ev.extras?.syscall === 'execve' || ev.extras?.syscall === 'execveat';
    return (exec ? ev.extras?.path : undefined) ?? ev.ka.ProcessName ?? ev.extras?.path ?? '';
  }
  const p = ev.extras?.path;
  if (p) return p;
  const r = ev.ka.Resource ?? '';
  const sp = r.indexOf(' ');
  return sp < 0 ? r : r.slice(0, sp);
}

/** An O_RDONLY open. Operations that are not opens (unlink, chown, ...) are not reads. */
export function eventIsRead(ev: AgentEvent): boolean {
  const f = ev.extras?.openFlags;
  if (f !== undefined) return (f & 3) === 0;
  const d = ev.ka.Data ?? '';
  return /(?:^|[ =|])O_RDONLY(?:[ |]|$)/.test(d);
}

/** The caller's uid owns the file (extras.fileOwnerUid; unknown → false). */
export function eventIsOwner(ev: AgentEvent): boolean {
  const o = ev.extras?.fileOwnerUid;
  return o !== undefined && o >= 0 && o === ev.ka.UID;
}

export function eventCapability(ev: AgentEvent): string | undefined {
  const c = ev.extras?.capability ?? ev.ka.Resource;
  if (!c) return undefined;
  return c.trim().toLowerCase().replace(/^cap_/, '');
}

export function eventNetworkProtocol(ev: AgentEvent): string | undefined {
  return eventProtocol(ev.ka.Resource, ev.extras?.socket);
}

/** Lower-case syscall name without SYS_ ("unlinkat"). */
export function eventSyscall(ev: AgentEvent): string | undefined {
  const s = ev.extras?.syscall;
  if (s) return s.toLowerCase().replace(/^sys_/, '');
  const m = /(?:^|\s)syscall=SYS_([A-Z0-9_]+)/.exec(ev.ka.Data ?? '');
  return m ? (m[1] as string).toLowerCase() : undefined;
}

export function parentDir(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i + 1);
}

// ---- matching ----

/** A hit on rule r: Allow needs its readOnly/ownerOnly conditions satisfied; Block/Audit with
 *  conditions exempts the accesses that satisfy them. Not allowed / exempt → the posture. */
function decide(r: MatchRule, ev: AgentEvent, allowList: boolean): Verdict {
  const cond = r.readOnly || r.ownerOnly;
  const satisfied = (!r.readOnly || eventIsRead(ev)) && (!r.ownerOnly || eventIsOwner(ev));
  const fallback = allowList ? POSTURE : NONE;
  if (r.action === 'Allow') return satisfied ? { kind: 'rule', rule: r } : fallback;
  return cond && satisfied ? fallback : { kind: 'rule', rule: r };
}

function best(cands: readonly MatchRule[] | undefined, want: (r: MatchRule) => boolean): MatchRule | undefined {
  if (!cands) return undefined;
  let w: MatchRule | undefined;
  for (const r of cands) if (want(r) && (w === undefined || rulePrecedence(r, w) < 0)) w = r;
  return w;
}

function best2(a: readonly MatchRule[] | undefined, b: readonly MatchRule[] | undefined, want: (r: MatchRule) => boolean): MatchRule | undefined {
  const x = best(a, want);
  const y = best(b, want);
  if (!x) return y;
  if (!y) return x;
  return rulePrecedence(x, y) <= 0 ? x : y;
}

const noSource = (r: MatchRule) => r.source === '';

function levelsOf(ix: PathIndex, T: string, category: 'process' | 'file'): PathLevels {
  let lv = ix.levels.get(T);
  if (lv) return lv;
  const dirs: PathLevels['dirs'] = [];
  if (ix.dirs.size && T !== '/') {
    // Ancestors of T deepest first: T up to each "/" (the root "/" last).
    for (let i = T.lastIndexOf('/'), direct = true; i >= 0; i = i === 0 ? -1 : T.lastIndexOf('/', i - 1), direct = false) {
      const l = ix.dirs.get(i === 0 ? '/' : T.slice(0, i + 1));
      if (l) dirs.push({ rules: l, direct });
    }
  }
  lv = {
    exact: ix.exact.get(T),
    dirSelf: T === '/' ? ix.dirs.get('/') : ix.dirSelf.get(T),
    execname: category === 'process' && ix.execname.size ? ix.execname.get(T.slice(T.lastIndexOf('/') + 1)) : undefined,
    dirs,
  };
  if (ix.levels.size >= LEVELS_CACHE_MAX) ix.levels.clear();
  ix.levels.set(T, lv);
  return lv;
}

function matchPath(ix: PathIndex, ev: AgentEvent, category: 'process' | 'file'): Verdict {
  const T = eventTargetPath(ev, category);
  if (T === '') return NONE;
  const parent = ev.ka.ParentProcessName;
  const self = ev.ka.ProcessName;
  // KubeArmor user space: fromSource matches the parent's or the process' own exec path.
  const withSource = (r: MatchRule) => r.source !== '' && (r.source === parent || r.source === self);
  const lv = levelsOf(ix, T, category);
  // The directory itself ("/etc" for dir "/etc/"; "/" for dir "/") is on the exact level.
  let w = best2(lv.exact, lv.dirSelf, withSource) ?? best2(lv.exact, lv.dirSelf, noSource);
  if (w) return decide(w, ev, ix.allowList);
  if (lv.execname) {
    w = best(lv.execname, withSource) ?? best(lv.execname, noSource);
    if (w) return decide(w, ev, ix.allowList);
  }
  for (const { rules, direct } of lv.dirs) {
    w = best(rules, withSource);
    if (w && (w.recursive || direct)) return decide(w, ev, ix.allowList);
    w = best(rules, noSource);
    if (w && (w.recursive || direct)) return decide(w, ev, ix.allowList);
  }
  if (ix.patterns.length) {
    const res = ev.ka.Resource ?? '';
    const proc = ev.ka.ProcessName ?? '';
    w = best(ix.patterns, (r) => goGlobMatch(r.target, res) || goGlobMatch(r.target, proc));
    if (w) return decide(w, ev, ix.allowList);
  }
  return ix.allowList ? POSTURE : NONE;
}

function matchNumeric(m: Map<string, MatchRule[]>, key: string | undefined, ev: AgentEvent, allowList: boolean): Verdict {
  const src = ev.ka.Source ?? '';
  const self = ev.ka.ProcessName;
  // KubeArmor user space for network/capabilities: Source starts with "<src> " or src == ProcessName.
  const withSource = (r: MatchRule) => r.source !== '' && (src.startsWith(`${r.source} `) || r.source === self);
  const a = key !== undefined ? m.get(key) : undefined;
  const all = m.get('all');
  const w = best2(a, all, withSource) ?? best2(a, all, noSource);
  if (w) return { kind: 'rule', rule: w };
  return allowList ? POSTURE : NONE;
}

/** Verdict for a Process/File/Network/Capabilities event (Syscall events: matchSyscallRule). */
export function matchEvent(ix: RuleIndex, ev: AgentEvent): Verdict {
  switch (ev.ka.Operation) {
    case 'Process': return matchPath(ix.process, ev, 'process');
    case 'File': return matchPath(ix.file, ev, 'file');
    case 'Network': return matchNumeric(ix.network, eventNetworkProtocol(ev), ev, ix.networkAllowList);
    case 'Capabilities': {
      const c = eventCapability(ev);
      if (c === undefined) return NONE;
      return matchNumeric(ix.capabilities, c, ev, ix.capabilitiesAllowList);
    }
    default: return NONE;
  }
}

function sourceDirMatch(dir: string, recursive: boolean, p: string): boolean {
  if (!p.startsWith(dir)) return false;
  return recursive || !p.slice(dir.length).includes('/');
}

/** The syscalls rule matching an event (Operation Syscall, or a File event of an audited
 *  syscall), lowest id first; undefined when none. */
export function matchSyscallRule(ix: RuleIndex, ev: AgentEvent): MatchRule | undefined {
  if (!ix.syscalls.length) return undefined;
  const name = eventSyscall(ev);
  if (!name) return undefined;
  const src = (ev.ka.Source ?? '').split(' ')[0] || (ev.ka.ProcessName ?? '');
  const res = ev.extras?.path ?? ev.ka.Resource ?? '';
  for (const r of ix.syscalls) {
    if (r.syscall !== name && !(r.syscall === 'umount2' && name === 'umount')) continue;
    if (r.source !== '') {
      const ok = r.source.endsWith('/') ? sourceDirMatch(r.source, r.sourceRecursive, src) : r.source === src;
      if (!ok) continue;
    }
    if (r.target !== '') {
      if (r.target.endsWith('/')) {
        if (!(res === r.target.slice(0, -1) || sourceDirMatch(r.target, r.recursive, res))) continue;
      } else if (r.target !== res) continue;
    }
    return r;
  }
  return undefined;
}
