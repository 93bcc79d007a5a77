// Normalised KubeArmor policies: what validation produces and every matcher consumes.
// One NormalizedPolicy per YAML document; its rules are flattened (one MatchRule per
// (entry, fromSource) pair, as KubeArmor's feeder expands them) with metadata inherited
// rule → section → spec (kubearmor-compat.md §4.2).

export type PolicyKind = 'KubeArmorPolicy' | 'KubeArmorClusterPolicy' | 'KubeArmorHostPolicy';
export type RuleAction = 'Allow' | 'Audit' | 'Block';
/** Operation family of a rule; `process`/`file` share the file posture (§4.8). */
export type RuleCategory = 'process' | 'file' | 'network' | 'capabilities' | 'syscall';
export type RuleTargetType = 'path' | 'dir' | 'pattern' | 'execname' | 'protocol' | 'capability' | 'syscall';

export interface MatchRule {
  /** 1-based, unique across the loaded set; assigned in canonical policy order (see rules.ts). */
  id: number;
  policyName: string;
  policyKind: PolicyKind;
  /** Namespace of a KubeArmorPolicy; undefined for cluster and host policies. */
  namespace?: string;
  category: RuleCategory;
  type: RuleTargetType;
  /** path (no trailing /), dir (trailing /), glob pattern, execname, protocol (lower case),
   *  capability (lower case, no CAP_), or for syscall rules the optional path/dir ("" none). */
  target: string;
  recursive: boolean;
  readOnly: boolean;
  ownerOnly: boolean;
  /** fromSource path ("" = any). For syscall rules a directory source ends with "/". */
  source: string;
  /** Syscall rules: a directory source covers sub-directories. */
  sourceRecursive: boolean;
  /** Syscall rules: the syscall name (lower case, as in the CRD enum). */
  syscall?: string;
  action: RuleAction;
  severity: number;
  tags: string[];
  message: string;
}

export interface LabelExpression {
  key: string;
  operator: 'In' | 'NotIn';
  values: string[];
}

export interface PolicySelector {
  matchLabels: Record<string, string>;
  matchExpressions: LabelExpression[];
}

export interface NormalizedPolicy {
  kind: PolicyKind;
  name: string;
  /** KubeArmorPolicy namespace (default "default"). */
  namespace?: string;
  /** selector (KSP/CSP) or nodeSelector (host). */
  selector: PolicySelector;
  /** Rules without ids (ids are assigned when a set is built). */
  rules: Omit<MatchRule, 'id'>[];
  /** `spec.apparmor` set: KubeArmor's user-space matcher skips the policy; so do we. */
  appArmorOnly: boolean;
  /** Where it came from (file path, or "k8s:<source>" for CRD watchers). */
  file: string;
  document: number;
  /** 1-based line of the document start. */
  line: number;
}

export interface PolicyError {
  file: string;
  /** 0-based document index in the file (or object index for replaceSource). */
  document: number;
  /** Field path, e.g. spec.file.matchDirectories[0].dir ("" = the document itself). */
  path: string;
  reason: string;
  /** 1-based line of the offending node when known. */
  line?: number;
}

/** `file:doc N: path: reason` (N is the 0-based document index). */
export function formatPolicyError(e: PolicyError): string {
  return `${e.file}:doc ${e.document}: ${e.path === '' ? '(document)' : e.path}: ${e.reason}`;
}

export const RULE_CATEGORIES: readonly RuleCategory[] = ['process', 'file', 'network', 'capabilities', 'syscall'];
