// The rule-pack metadata document `otelarmor rules build` writes into the bundle's data
// (data.otelarmor_meta, i.e. /data.json key "otelarmor_meta"). The engine trusts nothing else
// about a bundle: every entrypoint it calls is listed here and checked against the Wasm module.

/** Version of the input document (`input.version`); docs/rego.md describes each version. */
export const INPUT_VERSION = 1;
/** Version of the metadata document below. */
export const META_VERSION = 1;
/** Key of the metadata document in the bundle's data. */
export const META_KEY = 'otelarmor_meta';
/** Rule packages live under this prefix: package otelarmor.rules.<name>. */
export const RULE_PACKAGE_PREFIX = 'otelarmor.rules.';

export const RULE_OPERATIONS = ['Process', 'File', 'Network', 'Capabilities', 'Syscall'] as const;
export type RuleOperation = (typeof RULE_OPERATIONS)[number];

export interface RuleMeta {
  /** Rule name = last package segment; PolicyName is `rego:<name>`. */
  name: string;
  title: string;
  description: string;
  /** KubeArmor severity 1 (lowest) .. 10. */
  severity: number;
  operations: RuleOperation[];
  /** MITRE ATT&CK technique ids (T1059, T1546.004). */
  mitre: string[];
  tags: string[];
  /** Source file the rule came from (as given to `rules build`). */
  file: string;
  /** custom.input: full — the rule reads event members by computed names; disables projection. */
  input?: 'full';
  /** Entrypoint evaluating this rule alone (per-rule timing). */
  entrypoint: string;
}

/** Event members the pack's sources name (src/rego/input.ts referencedFields); null = all. */
export interface InputFields {
  ka: string[];
  extras: string[];
}

export interface PackMeta {
  version: number;
  inputVersion: number;
  /** Operation → entrypoint returning {<rule>: [alert, ...]} for every rule that needs that operation. */
  entrypoints: Partial<Record<RuleOperation, string>>;
  rules: Record<string, RuleMeta>;
  /** Input projection: absent or null = full events (a rule declared custom.input: full). */
  fields?: InputFields | null;
  /**
   * Projection per operation: what the helper packages and the rules declaring that operation
   * name. Absent (older bundles): `fields` for every operation.
   */
  opFields?: Partial<Record<RuleOperation, InputFields>>;
  /** The sources name `index`: the engine adds `input.index` (candidate lists) to every call. */
  index?: boolean;
}

export function operationEntrypoint(op: RuleOperation): string {
  return `otelarmor/entry/${op.toLowerCase()}/alerts`;
}

export function ruleEntrypoint(name: string): string {
  return `otelarmor/rules/${name}/alerts`;
}

const MITRE_RE = /^T\d{4}(\.\d{3})?$/;
const NAME_RE = /^[a-z][a-z0-9_]*$/;

function isStrArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/**
 * Validates one rule's METADATA `custom` block; returns the problems (field: reason), empty when
 * valid. Shared by the build (source annotations) and the loader (bundle data).
 */
export function ruleProblems(name: string, custom: Record<string, unknown>): string[] {
  const p: string[] = [];
  if (!NAME_RE.test(name)) p.push(`package name "${name}": must match ${NAME_RE.source}`);
  const sev = custom.severity;
  if (typeof sev !== 'number' || !Number.isInteger(sev) || sev < 1 || sev > 10) p.push(`custom.severity: must be an integer 1..10, got ${JSON.stringify(sev)}`);
  const ops = custom.operations;
  if (!isStrArray(ops) || ops.length === 0) p.push('custom.operations: must be a non-empty list of Process, File, Network, Capabilities, Syscall');
  else for (const o of ops) if (!(RULE_OPERATIONS as readonly string[]).includes(o)) p.push(`custom.operations: unknown operation "${o}" (one of ${RULE_OPERATIONS.join(', ')})`);
  const mitre = custom.mitre;
  if (!isStrArray(mitre) || mitre.length === 0) p.push('custom.mitre: must be a non-empty list of ATT&CK technique ids (T1059, T1546.004)');
  else for (const m of mitre) if (!MITRE_RE.test(m)) p.push(`custom.mitre: "${m}" is not an ATT&CK technique id`);
  if (custom.tags !== undefined && !isStrArray(custom.tags)) p.push('custom.tags: must be a list of strings');
  if (custom.input !== undefined && custom.input !== 'full') p.push(`custom.input: only "full" is accepted, got ${JSON.stringify(custom.input)}`);
  return p;
}

/** Validates a metadata document read from a bundle; throws an Error naming the field. */
export function parsePackMeta(v: unknown): PackMeta {
  if (typeof v !== 'object' || v === null) throw new Error(`data.json has no "${META_KEY}" document (build the bundle with \`otelarmor rules build\`)`);
  const m = v as Record<string, unknown>;
  if (m.version !== META_VERSION) throw new Error(`${META_KEY}.version: ${JSON.stringify(m.version)} is not supported (want ${META_VERSION})`);
  if (m.inputVersion !== INPUT_VERSION) throw new Error(`${META_KEY}.inputVersion: rules written for input version ${JSON.stringify(m.inputVersion)}, this agent provides ${INPUT_VERSION}`);
  const eps = m.entrypoints;
  if (typeof eps !== 'object' || eps === null) throw new Error(`${META_KEY}.entrypoints: missing`);
  for (const [op, ep] of Object.entries(eps)) {
    if (!(RULE_OPERATIONS as readonly string[]).includes(op)) throw new Error(`${META_KEY}.entrypoints: unknown operation "${op}"`);
    if (typeof ep !== 'string') throw new Error(`${META_KEY}.entrypoints.${op}: must be a string`);
  }
  if (m.index !== undefined && typeof m.index !== 'boolean') throw new Error(`${META_KEY}.index: must be true or false`);
  const f = m.fields as InputFields | null | undefined;
  if (f !== undefined && f !== null && !(isStrArray(f.ka) && isStrArray(f.extras))) throw new Error(`${META_KEY}.fields: must be {ka: [...], extras: [...]} or null`);
  const of = m.opFields;
  if (of !== undefined) {
    if (typeof of !== 'object' || of === null) throw new Error(`${META_KEY}.opFields: must be an object`);
    for (const [op, v] of Object.entries(of as Record<string, InputFields>)) {
      if (!(RULE_OPERATIONS as readonly string[]).includes(op)) throw new Error(`${META_KEY}.opFields: unknown operation "${op}"`);
      if (typeof v !== 'object' || v === null || !(isStrArray(v.ka) && isStrArray(v.extras))) throw new Error(`${META_KEY}.opFields.${op}: must be {ka: [...], extras: [...]}`);
    }
  }
  const rules = m.rules;
  if (typeof rules !== 'object' || rules === null) throw new Error(`${META_KEY}.rules: missing`);
  for (const [name, r] of Object.entries(rules as Record<string, unknown>)) {
    if (typeof r !== 'object' || r === null) throw new Error(`${META_KEY}.rules.${name}: must be an object`);
    const rr = r as Record<string, unknown>;
    const probs = ruleProblems(name, rr);
    if (probs.length) throw new Error(`${META_KEY}.rules.${name}: ${probs.join('; ')}`);
    if (typeof rr.entrypoint !== 'string') throw new Error(`${META_KEY}.rules.${name}.entrypoint: must be a string`);
  }
  return m as unknown as PackMeta;
}
