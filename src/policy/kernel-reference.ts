// A TypeScript model of exactly the lookup and decision bpf/include/rules.h performs over a
// KernelRuleSet (src/kernel/rule-types.ts), for testing the compiler against the reference
// matcher. Flag semantics on a hit (rules__decide):
//   satisfied = (!ReadOnly || read access) && (!OwnerOnly || caller uid == file owner)
//     read access: an O_RDONLY open or an exec; unlink/rmdir/chmod/chown are writes
//     (bpf/file.bpf.c passes O_WRONLY for them); owner unknown = not the owner
//   Allow:        satisfied → allowed by the rule; otherwise → the posture of (C, K)
//   Block/Audit:  (ReadOnly || OwnerOnly) && satisfied → exempt → the posture of (C, K);
//                 otherwise → the rule's action
// Posture of (C, K): AllowListAudit / AllowListBlock, else 'user' when the kind is in
// userSpaceOnly (PostureUserSpace: the record goes up with rule id 0), else none.
import type { AgentEvent } from '../events/types';
import {
  PostureMode, RULE_DIR_DEPTH, RULE_PATH_MAX, RuleFlag, RuleKind,
  type KernelRule, type KernelRuleSet,
} from '../kernel/rule-types';
import {
  eventCapability, eventIsOwner, eventIsRead, eventNetworkProtocol, eventSyscall, eventTargetPath, parentDir,
} from './matcher';
import { SYSCALL_NUMBERS } from './syscall-table';
import { CAPABILITY_NUMBERS, PROTOCOL_NUMBERS } from './tables';

export type KernelVerdict =
  | { kind: 'rule'; ruleId: number; flags: number }
  | { kind: 'posture'; mode: PostureMode.AllowListAudit | PostureMode.AllowListBlock }
  /** Not decided in the kernel; sent to user space with rule id 0 (PostureUserSpace). */
  | { kind: 'user' }
  | { kind: 'none' };

const enc = new TextEncoder();
const fits = (s: string) => enc.encode(s).length + 1 <= RULE_PATH_MAX;

export class KernelReference {
  private readonly rules = new Map<string, KernelRule>();
  private readonly postures = new Map<string, PostureMode>();
  private readonly user = new Set<string>();

  constructor(set: KernelRuleSet) {
    for (const r of set.rules) this.rules.set(key(r.pidNs, r.mntNs, r.kind, r.num, r.target, r.source), r);
    for (const p of set.postures) this.postures.set(`${p.pidNs}:${p.mntNs}:${p.kind}`, p.mode);
    for (const u of set.userSpaceOnly) this.user.add(`${u.pidNs}:${u.mntNs}:${u.kind}`);
  }

  private get(c: [number, number], kind: RuleKind, num: number, target: string, source: string): KernelRule | undefined {
    if (!fits(target) || !fits(source)) return undefined;
    return this.rules.get(key(c[0], c[1], kind, num, target, source));
  }

  private posture(c: [number, number], kind: RuleKind): KernelVerdict {
    const k = `${c[0]}:${c[1]}:${kind}`;
    const m = this.postures.get(k) ?? PostureMode.None;
    if (m !== PostureMode.None) return { kind: 'posture', mode: m };
    return this.user.has(k) ? { kind: 'user' } : { kind: 'none' };
  }

  private hit(r: KernelRule, c: [number, number], kind: RuleKind, ev: AgentEvent): KernelVerdict {
    const ro = (r.flags & RuleFlag.ReadOnly) !== 0;
    const oo = (r.flags & RuleFlag.OwnerOnly) !== 0;
    const read = kind === RuleKind.Process || eventIsRead(ev);
    const satisfied = (!ro || read) && (!oo || eventIsOwner(ev));
    if (r.flags & RuleFlag.Allow) return satisfied ? { kind: 'rule', ruleId: r.ruleId, flags: r.flags } : this.posture(c, kind);
    if ((ro || oo) && satisfied) return this.posture(c, kind);
    return { kind: 'rule', ruleId: r.ruleId, flags: r.flags };
  }

  /** The kernel's verdict for one event (Syscall events by their syscall number). */
  lookup(ev: AgentEvent): KernelVerdict {
    const host = !ev.ka.ContainerID;
    const c: [number, number] = host ? [0, 0] : [ev.extras?.pidNs ?? 0, ev.extras?.mntNs ?? 0];
    switch (ev.ka.Operation) {
      case 'Process':
      case 'File': {
        const kind = ev.ka.Operation === 'Process' ? RuleKind.Process : RuleKind.File;
        const T = eventTargetPath(ev, ev.ka.Operation === 'Process' ? 'process' : 'file');
        const S = (ev.ka.Operation === 'Process' ? ev.ka.ParentProcessName : ev.ka.ProcessName) ?? '';
        if (T === '') return { kind: 'none' };
        let r = (S !== '' ? this.get(c, kind, 0, T, S) : undefined) ?? this.get(c, kind, 0, T, '');
        if (r) return this.hit(r, c, kind, ev);
        if (kind === RuleKind.Process && fits(T)) {
          const base = T.slice(T.lastIndexOf('/') + 1);
          if (base !== '') {
            for (const s of S !== '' ? [S, ''] : ['']) {
              r = this.get(c, kind, 0, base, s);
              if (r && (r.flags & RuleFlag.ExecName)) return this.hit(r, c, kind, ev);
            }
          }
        }
        if (T !== '/') {
          const direct = parentDir(T);
          let d = direct;
          for (let level = 0; level < RULE_DIR_DEPTH; level++) {
            for (const s of S !== '' ? [S, ''] : ['']) {
              r = this.get(c, kind, 0, d, s);
              if (r && (r.flags & RuleFlag.Dir) && ((r.flags & RuleFlag.Recursive) || d === direct)) return this.hit(r, c, kind, ev);
            }
            if (d === '/') break;
            d = parentDir(d.slice(0, -1));
          }
        }
        return this.posture(c, kind);
      }
      case 'Network': {
        const p = eventNetworkProtocol(ev);
        const num = p !== undefined ? PROTOCOL_NUMBERS.get(p) : undefined;
        if (num === undefined) return this.posture(c, RuleKind.Network);
        return this.num(c, RuleKind.Network, num, ev);
      }
      case 'Capabilities': {
        const cap = eventCapability(ev);
        const num = cap !== undefined ? CAPABILITY_NUMBERS.get(cap) : undefined;
        if (num === undefined) return this.posture(c, RuleKind.Capability);
        return this.num(c, RuleKind.Capability, num, ev);
      }
      case 'Syscall': {
        const n = SYSCALL_NUMBERS.get(eventSyscall(ev) ?? '');
        if (n === undefined) return this.posture(c, RuleKind.Syscall);
        return this.num(c, RuleKind.Syscall, n, ev);
      }
      default:
        return { kind: 'none' };
    }
  }

  private num(c: [number, number], kind: RuleKind, num: number, ev: AgentEvent): KernelVerdict {
    const S = ev.ka.ProcessName ?? '';
    const r = (S !== '' ? this.get(c, kind, num, '', S) : undefined) ?? this.get(c, kind, num, '', '');
    if (r) return this.hit(r, c, kind, ev);
    return this.posture(c, kind);
  }
}

function key(pidNs: number, mntNs: number, kind: number, num: number, target: string, source: string): string {
  return `${pidNs}:${mntNs}:${kind}:${num}:${target}\u0000${source}`;
}
