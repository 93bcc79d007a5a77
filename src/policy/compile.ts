// Compiling policies into what the kernel interprets (src/kernel/rule-types.ts). Pure and
// deterministic: the same policies, containers and host give byte-identical output whatever
// their input order (policies are put in canonical (kind, namespace, name) order, rule ids are
// assigned in that order, output arrays are sorted).
import {
  PostureMode, RULE_PATH_MAX, RuleFlag, RuleKind,
  type KernelPosture, type KernelRule, type KernelRuleSet,
} from '../kernel/rule-types';
import type { Posture } from '../config';
import { buildRuleList, rulePrecedence, rulesFor, type HostIdentity, type Identity } from './rules';
import { sortPolicies } from './store';
import { SYSCALL_NUMBERS } from './syscall-table';
import { CAPABILITY_NUMBERS, PROTOCOL_NUMBERS } from './tables';
import type { MatchRule, NormalizedPolicy, RuleAction, RuleCategory } from './types';

/** One rule of the compiled table: ruleTable[ruleId - 1].id === ruleId. */
export type CompiledRuleInfo = MatchRule;

export interface ContainerSpec {
  pidNs: number;
  mntNs: number;
  namespace: string;
  labels: Record<string, string>;
  containerName: string;
}

export interface PostureSet {
  file: Posture;
  network: Posture;
  capabilities: Posture;
}

export interface CompileOptions {
  /** Default postures of a target (host: namespace and container undefined). Default: all audit. */
  postureFor?: (namespace: string | undefined, container?: ContainerSpec) => PostureSet;
  /** Audited mode (kubearmor-policy: audited, or no blocking enforcer): Block compiles as Audit
   *  and block postures as audit, so the kernel never denies. */
  audited?: (namespace: string | undefined, container?: ContainerSpec) => boolean;
  /** kubearmor-policy: disabled: the target gets no kernel rules, postures or user-space-only
   *  kinds at all (nothing is denied or flagged for it). */
  disabled?: (namespace: string | undefined, container?: ContainerSpec) => boolean;
}

export interface CompileResult {
  set: KernelRuleSet;
  ruleTable: CompiledRuleInfo[];
}

/** Syscall numbers the sensors must report for `syscalls:` rules (KernelSensors.setSyscallFilter
 *  attaches the generic raw_tp pair for those without a dedicated hook), sorted. */
export function syscallFilter(rules: readonly MatchRule[]): number[] {
  const out = new Set<number>();
  for (const r of rules) {
    if (r.category !== 'syscall') continue;
    const n = SYSCALL_NUMBERS.get(r.syscall ?? '');
    if (n !== undefined) out.add(n);
  }
  return [...out].sort((a, b) => a - b);
}

export function ruleInfo(table: readonly CompiledRuleInfo[], ruleId: number): CompiledRuleInfo | undefined {
  const r = table[ruleId - 1];
  return r && r.id === ruleId ? r : undefined;
}

const KIND: Record<RuleCategory, RuleKind> = {
  process: RuleKind.Process,
  file: RuleKind.File,
  network: RuleKind.Network,
  capabilities: RuleKind.Capability,
  syscall: RuleKind.Syscall,
};

const ACTION_FLAG: Record<RuleAction, number> = { Block: RuleFlag.Block, Audit: RuleFlag.Audit, Allow: RuleFlag.Allow };

/** Syscalls of AUDITED_SYSCALLS that bpf/file.bpf.c reports (as File events). */
const FILE_SENSOR_SYSCALLS: ReadonlySet<string> = new Set(['rmdir', 'unlink', 'unlinkat', 'chown', 'fchownat']);

const enc = new TextEncoder();
function fits(s: string): boolean {
  return enc.encode(s).length + 1 <= RULE_PATH_MAX;
}

export function compile(
  policies: readonly NormalizedPolicy[],
  containers: readonly ContainerSpec[],
  host: HostIdentity,
  opts: CompileOptions = {},
): CompileResult {
  const sorted = sortPolicies(policies);
  const ruleTable = buildRuleList(sorted);
  const rules: KernelRule[] = [];
  const postures: KernelPosture[] = [];
  const userSpaceOnly: KernelRuleSet['userSpaceOnly'] = [];

  const seen = new Set<string>();
  const targets: { pidNs: number; mntNs: number; id: Identity; spec?: ContainerSpec }[] = [
    { pidNs: 0, mntNs: 0, id: { host: true, namespace: '', labels: {}, containerName: '' } },
  ];
  const cs = [...containers].sort((a, b) => a.pidNs - b.pidNs || a.mntNs - b.mntNs);
  for (const c of cs) {
    const k = `${c.pidNs}:${c.mntNs}`;
    if (seen.has(k) || (c.pidNs === 0 && c.mntNs === 0)) continue;
    seen.add(k);
    targets.push({ pidNs: c.pidNs, mntNs: c.mntNs, id: { host: false, namespace: c.namespace, labels: c.labels, containerName: c.containerName }, spec: c });
  }

  for (const t of targets) {
    const ns = t.id.host ? undefined : t.id.namespace;
    if (opts.disabled?.(ns, t.spec)) continue;
    const audited = opts.audited?.(ns, t.spec) ?? false;
    const pset = opts.postureFor?.(ns, t.spec) ?? { file: 'audit', network: 'audit', capabilities: 'audit' };
    const mine = rulesFor(sorted, ruleTable, t.id, host);
    const entries = new Map<string, { rule: MatchRule; kr: KernelRule }>();
    const uso = new Set<RuleKind>();
    const allow = new Set<RuleKind>();
    /** Kinds with an Allow rule the kernel cannot see: a block posture there would deny what
     *  that rule allows, so the kernel only flags misses (user space renders Audit (Block)). */
    const usoAllow = new Set<RuleKind>();
    const userOnly = (r: MatchRule, kind: RuleKind) => {
      uso.add(kind);
      if (r.action === 'Allow') usoAllow.add(kind);
    };
    const put = (r: MatchRule, kind: RuleKind, num: number, target: string, source: string, extra: number) => {
      if (!fits(target) || (source !== '' && !fits(source))) { userOnly(r, kind); return; }
      let action = ACTION_FLAG[r.action];
      if (audited && r.action === 'Block') action = RuleFlag.Audit;
      const flags = action | extra | (r.readOnly ? RuleFlag.ReadOnly : 0) | (r.ownerOnly ? RuleFlag.OwnerOnly : 0);
      const kr: KernelRule = { pidNs: t.pidNs, mntNs: t.mntNs, kind, num, target, source, ruleId: r.id, flags };
      const key = `${kind}\u0000${num}\u0000${target}\u0000${source}`;
      const prev = entries.get(key);
      if (!prev || rulePrecedence(r, prev.rule) < 0) entries.set(key, { rule: r, kr });
    };
    for (const r of mine) {
      const kind = KIND[r.category];
      if (r.action === 'Allow') allow.add(kind);
      switch (r.type) {
        case 'path':
          put(r, kind, 0, r.target, r.source, 0);
          break;
        case 'dir':
          put(r, kind, 0, r.target, r.source, RuleFlag.Dir | (r.recursive ? RuleFlag.Recursive : 0));
          // The directory itself (opening "/etc" for rule dir "/etc/"), as KubeArmor's user space.
          if (r.target !== '/') put(r, kind, 0, r.target.slice(0, -1), r.source, 0);
          break;
        case 'execname':
          put(r, kind, 0, r.target, r.source, RuleFlag.ExecName);
          break;
        case 'pattern':
          userOnly(r, kind);
          break;
        case 'protocol':
          if (r.target === 'all') for (const n of PROTOCOL_NUMBERS.values()) put(r, kind, n, '', r.source, 0);
          else put(r, kind, PROTOCOL_NUMBERS.get(r.target) ?? -1, '', r.source, 0);
          break;
        case 'capability':
          put(r, kind, CAPABILITY_NUMBERS.get(r.target) ?? -1, '', r.source, 0);
          break;
        case 'syscall': {
          const num = SYSCALL_NUMBERS.get(r.syscall ?? '');
          if (num === undefined || r.target !== '' || r.source.endsWith('/')) uso.add(kind);
          else put(r, kind, num, '', r.source, 0);
          // These syscalls are observed by the file sensor (File events, RuleKind.File): the
          // engine matches syscalls rules against those events, so they must reach user space.
          if (FILE_SENSOR_SYSCALLS.has(r.syscall ?? '')) uso.add(RuleKind.File);
          break;
        }
      }
    }
    for (const { kr } of entries.values()) rules.push(kr);
    for (const kind of [...allow].sort((a, b) => a - b)) {
      if (kind === RuleKind.Syscall) continue;
      const p = kind === RuleKind.Network ? pset.network : kind === RuleKind.Capability ? pset.capabilities : pset.file;
      const mode = p === 'block' && !audited && !usoAllow.has(kind) ? PostureMode.AllowListBlock : PostureMode.AllowListAudit;
      postures.push({ pidNs: t.pidNs, mntNs: t.mntNs, kind, mode });
    }
    for (const kind of [...uso].sort((a, b) => a - b)) userSpaceOnly.push({ pidNs: t.pidNs, mntNs: t.mntNs, kind });
  }

  const cmpStr = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  rules.sort((a, b) => a.pidNs - b.pidNs || a.mntNs - b.mntNs || a.kind - b.kind || a.num - b.num
    || cmpStr(a.target, b.target) || cmpStr(a.source, b.source));
  return { set: { rules, postures, userSpaceOnly }, ruleTable };
}
