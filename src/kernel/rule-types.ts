// Compiled policy rules as the kernel interprets them: the contract between the policy compiler
// (src/policy/compile.ts, pure and deterministic) and the kernel side (bpf/include/rules.h,
// written into maps by src/kernel/rules.ts). Keep in sync with bpf/include/rules.h.
//
// Lookup the kernel performs for one event of kind K in container C = (pidNs, mntNs)
// (host processes are C = (0, 0), as KubeArmor):
//   process/file, absolute target path T, source S:
//     1. (C, K, T, S)   2. (C, K, T, "")
//     3. process only: (C, K, B, S) then (C, K, B, ""), B = basename of T, entries with
//        RuleFlag.ExecName (execname rules; their target has no "/", so never a path key)
//     4. for each ancestor directory D of T, deepest first (at most RULE_DIR_DEPTH levels):
//        (C, K, D, S) then (C, K, D, "") where the entry has RuleFlag.Dir; a non-recursive
//        entry matches only when D is T's direct parent.
//   network/capability/syscall: (C, K, num, S) then (C, K, num, "").
//   The first hit decides (flag semantics: src/policy/kernel-reference.ts, bpf/include/rules.h).
//   With no hit, or a hit whose readOnly/ownerOnly condition sends it there, the posture of
//   (C, K) decides (PostureMode); with PostureMode.None and PostureUserSpace set the event goes
//   to user space unflagged by a rule (rule id 0).
// Access of a path event: read = O_RDONLY open or exec; write = any other open, unlink, rmdir,
// chmod, chown. Owner: the caller's uid equals the target inode's uid (unknown = not the owner).
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
  /** ownerOnly: accesses by the owner of the file (caller uid == inode uid) are covered by
   *  the Allow / exempt from the Block or Audit. */
  OwnerOnly: 1 << 6,
  /** process execname rule: target is the executable's basename (no "/"). */
  ExecName: 1 << 7,
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

/** oa_postures value bit beside the PostureMode: the kind has rules the kernel cannot evaluate
 *  (userSpaceOnly), so events it does not decide are sent to user space (rule id 0). */
export const PostureUserSpace = 1 << 8;

export interface KernelPosture {
  pidNs: number;
  mntNs: number;
  kind: RuleKind;
  mode: PostureMode;
}

export interface KernelRuleSet {
  rules: KernelRule[];
  postures: KernelPosture[];
  /** Kinds (per container) that have rules the kernel cannot express (matchPatterns, paths of
   *  RULE_PATH_MAX bytes or more, syscall path rules): the writer sets PostureUserSpace on their
   *  oa_postures entry, so every event of that kind the kernel does not decide reaches user
   *  space (whatever the visibility), where the reference matcher decides. */
  userSpaceOnly: { pidNs: number; mntNs: number; kind: RuleKind }[];
}
