// Compiled policy rules as the kernel interprets them: the contract between the policy compiler
// (src/policy/compile.ts, pure and deterministic) and the kernel side (bpf/include/rules.h,
// written into maps by src/kernel/rules.ts). Keep in sync with bpf/include/rules.h.
//
// Lookup the kernel performs for one event of kind K in container C = (pidNs, mntNs)
// (host processes are C = (0, 0), as KubeArmor):
//   process/file, absolute target path T, source S:
//     1. (C, K, T, S)   2. (C, K, T, "")
//     3. for each ancestor directory D of T, deepest first (at most RULE_DIR_DEPTH levels):
//        (C, K, D, S) then (C, K, D, "") where the entry has RuleFlag.Dir; a non-recursive
//        entry matches only when D is T's direct parent.
//   network/capability/syscall: (C, K, num, S) then (C, K, num, "").
//   The first hit decides. With no hit, the posture of (C, K) decides (PostureMode).
// Source S: for process rules the parent's exec path, for the others the caller's exec path
// (KubeArmor's kernel semantics, kubearmor-compat.md §4.7).

export enum RuleKind {
  Process = 1,
  File = 2,
  Network = 3,
  Capability = 4,
  Syscall = 5,
}

export const RuleFlag = {
  Block: 1 << 0,
  Audit: 1 << 1,
  Allow: 1 << 2,
  /** target is a directory (ends with "/"). */
  Dir: 1 << 3,
  Recursive: 1 << 4,
  /** file readOnly: only O_RDONLY opens are covered by the Allow / exempt from Block. */
  ReadOnly: 1 << 5,
  /** ownerOnly: the rule applies only when the caller's uid owns the file. */
  OwnerOnly: 1 << 6,
} as const;

/** Max bytes of target/source including the NUL (paths longer than this never match in kernel). */
export const RULE_PATH_MAX = 256;
export const RULE_DIR_DEPTH = 16;

/** Network `num`: an IPPROTO_* number (tcp 6, udp 17, icmp 1, icmpv6 58, sctp 132), or
 *  NET_NUM_SOCKTYPE_BASE + SOCK_* type (stream 1, dgram 2, raw 3, rdm 4, seqpacket 5, dccp 6, packet 10). */
export const NET_NUM_SOCKTYPE_BASE = 256;

export interface KernelRule {
  pidNs: number;
  mntNs: number;
  kind: RuleKind;
  num: number;
  target: string;
  source: string;
  /** Index into the compiled rule table; alerts look the policy up by it. Never 0. */
  ruleId: number;
  flags: number;
}

export enum PostureMode {
  /** No Allow rule for this kind: deny-list only; unmatched events are not flagged. */
  None = 0,
  /** Allow-list, default posture audit: unmatched events are flagged (DefaultPosture alert). */
  AllowListAudit = 1,
  /** Allow-list, default posture block: unmatched events are flagged and blocked. */
  AllowListBlock = 2,
}

export interface KernelPosture {
  pidNs: number;
  mntNs: number;
  kind: RuleKind;
  mode: PostureMode;
}

export interface KernelRuleSet {
  rules: KernelRule[];
  postures: KernelPosture[];
  /** Kinds (per container) that have rules the kernel cannot express (matchPatterns, globs):
   *  their events are made visible to user space, where the reference matcher decides. */
  userSpaceOnly: { pidNs: number; mntNs: number; kind: RuleKind }[];
}
