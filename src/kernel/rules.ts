// Encodes a KernelRuleSet (src/kernel/rule-types.ts) into the map entries bpf/include/rules.h
// reads, and applies it to the maps of a loaded object: new/changed entries first, then stale
// ones deleted, then the kind mask narrowed, so a lookup racing the update sees either rule set's
// entry for a key, never a missing one for a key both sets share.
//
// Wire layout (little endian, bpf/include/rules.h):
//   oa_rules     key   0 pid_ns u32 | 4 mnt_ns u32 | 8 kind u32 | 12 num u32 | 16 target[256]
//                      | 272 source[256]   (NUL-terminated, zero-filled)       = 528 B
//                value 0 rule_id u32 | 4 flags u32                               =   8 B
//   oa_postures  key   0 pid_ns u32 | 4 mnt_ns u32 | 8 kind u32 | 12 pad u32 (0) =  16 B
//                value 0 mode u32: PostureMode | PostureUserSpace (userSpaceOnly kinds) =  4 B
//   oa_rule_kinds key 0 u32 -> value u32 bitmask of (1 << kind) for every kind with a rule or
//                an oa_postures entry (sensors skip the lookup for the others).
import {
  NET_NUM_SOCKTYPE_BASE,
  PostureMode,
  PostureUserSpace,
  RULE_PATH_MAX,
  RuleFlag,
  RuleKind,
  type KernelPosture,
  type KernelRule,
  type KernelRuleSet,
} from './rule-types';

export const RULES_MAP = 'oa_rules';
export const POSTURES_MAP = 'oa_postures';
export const RULE_KINDS_MAP = 'oa_rule_kinds';
export const RULE_KEY_SIZE = 528;
export const RULE_VALUE_SIZE = 8;
export const POSTURE_KEY_SIZE = 16;
export const POSTURE_VALUE_SIZE = 4;
/** Default max_entries of oa_rules / oa_postures in bpf/include/rules.h. */
export const RULES_MAX_ENTRIES = 16384;
export const POSTURES_MAX_ENTRIES = 4096;

const TARGET_OFF = 16;
const SOURCE_OFF = TARGET_OFF + RULE_PATH_MAX;
const ACTION_FLAGS = RuleFlag.Block | RuleFlag.Audit | RuleFlag.Allow;
const ALL_FLAGS = Object.values(RuleFlag).reduce((a, b) => a | b, 0);
const U32_MAX = 0xffffffff;

/** A rule set that cannot be encoded; `field` names the offending entry and field. */
export class RuleEncodeError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'RuleEncodeError';
  }
}

export interface EncodedEntry {
  key: Buffer;
  value: Buffer;
}

export interface EncodedRuleSet {
  /** oa_rules entries, sorted by key bytes; duplicates resolved (the later rule wins, as
   *  KubeArmor's last map write). */
  rules: EncodedEntry[];
  /** oa_postures entries, sorted by key bytes; None postures without PostureUserSpace are
   *  omitted (absence = None). */
  postures: EncodedEntry[];
  /** oa_rule_kinds[0]. */
  kindsMask: number;
  /** Rules that replaced an earlier rule with the same key. */
  duplicates: number;
}

function isU32(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= U32_MAX;
}

function isPathKind(kind: RuleKind): boolean {
  return kind === RuleKind.Process || kind === RuleKind.File;
}

function checkU32(field: string, n: unknown): number {
  if (!isU32(n)) throw new RuleEncodeError(field, `must be an integer in 0..${U32_MAX}, got ${String(n)}`);
  return n;
}

function checkKind(field: string, k: unknown): RuleKind {
  if (typeof k !== 'number' || RuleKind[k] === undefined) {
    throw new RuleEncodeError(field, `unknown rule kind ${String(k)} (1 process .. 5 syscall)`);
  }
  return k as RuleKind;
}

function checkPath(field: string, s: unknown, allowEmpty: boolean): Buffer {
  if (typeof s !== 'string') throw new RuleEncodeError(field, `must be a string, got ${typeof s}`);
  if (s === '') {
    if (!allowEmpty) throw new RuleEncodeError(field, 'must not be empty');
    return Buffer.alloc(0);
  }
  if (!s.startsWith('/')) throw new RuleEncodeError(field, `must be an absolute path, got "${s}"`);
  if (s.includes('\0')) throw new RuleEncodeError(field, 'must not contain NUL');
  const b = Buffer.from(s, 'utf8');
  if (b.length > RULE_PATH_MAX - 1) {
    throw new RuleEncodeError(field, `is ${b.length} bytes; the kernel holds at most ${RULE_PATH_MAX - 1}`);
  }
  return b;
}

/** An execname target: a process rule's bare executable name (no "/", not "." or ".."). */
function checkExecName(field: string, kind: RuleKind, s: unknown): Buffer {
  if (kind !== RuleKind.Process) throw new RuleEncodeError(field, `ExecName is for Process rules, not ${RuleKind[kind]}`);
  if (typeof s !== 'string') throw new RuleEncodeError(field, `must be a string, got ${typeof s}`);
  if (s === '' || s === '.' || s === '..' || s.includes('/') || s.includes('\0')) {
    throw new RuleEncodeError(field, `an ExecName target must be a file name without "/" or NUL, got "${s}"`);
  }
  const b = Buffer.from(s, 'utf8');
  if (b.length > RULE_PATH_MAX - 1) throw new RuleEncodeError(field, `is ${b.length} bytes; the kernel holds at most ${RULE_PATH_MAX - 1}`);
  return b;
}

/** oa_rules key of one rule (validated; throws RuleEncodeError naming `field`). */
export function encodeRuleKey(r: KernelRule, field = 'rule'): Buffer {
  const kind = checkKind(`${field}.kind`, r.kind);
  const key = Buffer.alloc(RULE_KEY_SIZE);
  key.writeUInt32LE(checkU32(`${field}.pidNs`, r.pidNs), 0);
  key.writeUInt32LE(checkU32(`${field}.mntNs`, r.mntNs), 4);
  key.writeUInt32LE(kind, 8);
  const num = checkU32(`${field}.num`, r.num);
  if (isPathKind(kind)) {
    if (num !== 0) throw new RuleEncodeError(`${field}.num`, `must be 0 for ${RuleKind[kind]} rules, got ${num}`);
    if (typeof r.flags === 'number' && (r.flags & RuleFlag.ExecName) !== 0) checkExecName(`${field}.target`, kind, r.target).copy(key, TARGET_OFF);
    else checkPath(`${field}.target`, r.target, false).copy(key, TARGET_OFF);
  } else {
    if (r.target !== '') throw new RuleEncodeError(`${field}.target`, `must be "" for ${RuleKind[kind]} rules, got "${r.target}"`);
    if (kind === RuleKind.Network && num >= NET_NUM_SOCKTYPE_BASE * 2) {
      throw new RuleEncodeError(`${field}.num`, `network num must be an IPPROTO_* (< ${NET_NUM_SOCKTYPE_BASE}) or ${NET_NUM_SOCKTYPE_BASE} + SOCK_*, got ${num}`);
    }
    key.writeUInt32LE(num, 12);
  }
  checkPath(`${field}.source`, r.source, true).copy(key, SOURCE_OFF);
  return key;
}

/** oa_rules value of one rule (validated). */
export function encodeRuleValue(r: KernelRule, field = 'rule'): Buffer {
  const ruleId = checkU32(`${field}.ruleId`, r.ruleId);
  if (ruleId === 0) throw new RuleEncodeError(`${field}.ruleId`, 'must not be 0 (0 means default posture)');
  const flags = checkU32(`${field}.flags`, r.flags);
  if ((flags & ~ALL_FLAGS) !== 0) throw new RuleEncodeError(`${field}.flags`, `unknown bits 0x${(flags & ~ALL_FLAGS).toString(16)}`);
  const actions = flags & ACTION_FLAGS;
  if (actions !== RuleFlag.Block && actions !== RuleFlag.Audit && actions !== RuleFlag.Allow) {
    throw new RuleEncodeError(`${field}.flags`, 'must carry exactly one of Block, Audit, Allow');
  }
  const isDir = (flags & RuleFlag.Dir) !== 0;
  if (isDir !== (isPathKind(r.kind) && r.target.endsWith('/'))) {
    throw new RuleEncodeError(`${field}.flags`, isDir ? 'Dir needs a process/file target ending with "/"' : `target "${r.target}" ends with "/" but Dir is not set`);
  }
  if ((flags & RuleFlag.Recursive) !== 0 && !isDir) throw new RuleEncodeError(`${field}.flags`, 'Recursive needs Dir');
  const v = Buffer.alloc(RULE_VALUE_SIZE);
  v.writeUInt32LE(ruleId, 0);
  v.writeUInt32LE(flags, 4);
  return v;
}

export function encodePostureKey(p: Pick<KernelPosture, 'pidNs' | 'mntNs' | 'kind'>, field = 'posture'): Buffer {
  const k = Buffer.alloc(POSTURE_KEY_SIZE);
  k.writeUInt32LE(checkU32(`${field}.pidNs`, p.pidNs), 0);
  k.writeUInt32LE(checkU32(`${field}.mntNs`, p.mntNs), 4);
  k.writeUInt32LE(checkKind(`${field}.kind`, p.kind), 8);
  return k;
}

/** oa_postures value; `userSpace` adds PostureUserSpace (the kind is in userSpaceOnly). */
export function encodePostureValue(p: KernelPosture, field = 'posture', userSpace = false): Buffer {
  if (p.mode !== PostureMode.None && p.mode !== PostureMode.AllowListAudit && p.mode !== PostureMode.AllowListBlock) {
    throw new RuleEncodeError(`${field}.mode`, `unknown posture mode ${String(p.mode)} (0 none, 1 allow-list audit, 2 allow-list block)`);
  }
  const v = Buffer.alloc(POSTURE_VALUE_SIZE);
  v.writeUInt32LE((p.mode | (userSpace ? PostureUserSpace : 0)) >>> 0, 0);
  return v;
}

function sorted(m: Map<string, EncodedEntry>): EncodedEntry[] {
  return [...m.values()].sort((a, b) => Buffer.compare(a.key, b.key));
}

/** Validates and encodes the whole set; throws RuleEncodeError before anything is written. */
export function encodeRuleSet(set: KernelRuleSet): EncodedRuleSet {
  const rules = new Map<string, EncodedEntry>();
  const postures = new Map<string, EncodedEntry>();
  let kindsMask = 0;
  let duplicates = 0;
  set.rules.forEach((r, i) => {
    const field = `rules[${i}]`;
    const key = encodeRuleKey(r, field);
    const value = encodeRuleValue(r, field);
    const hex = key.toString('hex');
    if (rules.has(hex)) duplicates++;
    rules.delete(hex); // re-insert so the later rule's value is kept
    rules.set(hex, { key, value });
    kindsMask |= 1 << r.kind;
  });
  const user = new Set<string>();
  (set.userSpaceOnly ?? []).forEach((u, i) => user.add(encodePostureKey(u, `userSpaceOnly[${i}]`).toString('hex')));
  const modes = new Map<string, { key: Buffer; mode: KernelPosture }>();
  set.postures.forEach((p, i) => {
    const field = `postures[${i}]`;
    const key = encodePostureKey(p, field);
    encodePostureValue(p, field);
    const hex = key.toString('hex');
    modes.delete(hex);
    modes.set(hex, { key, mode: p });
  });
  for (const [hex, { key, mode }] of modes) {
    if (mode.mode !== PostureMode.None || user.has(hex)) postures.set(hex, { key, value: encodePostureValue(mode, 'posture', user.has(hex)) });
  }
  for (const hex of user) {
    if (postures.has(hex)) continue;
    const key = Buffer.from(hex, 'hex');
    const p: KernelPosture = { pidNs: key.readUInt32LE(0), mntNs: key.readUInt32LE(4), kind: key.readUInt32LE(8), mode: PostureMode.None };
    postures.set(hex, { key, value: encodePostureValue(p, 'posture', true) });
  }
  for (const e of postures.values()) kindsMask |= 1 << e.key.readUInt32LE(8);
  return { rules: sorted(rules), postures: sorted(postures), kindsMask: kindsMask >>> 0, duplicates };
}

/** The map operations the applier needs (src/native/binding.ts bound to one object handle). */
export interface RuleMapTarget {
  update(map: string, key: Buffer, value: Buffer): void;
  /** false when the key was absent. */
  delete(map: string, key: Buffer): boolean;
  /** Whether the object has the map (oa_rule_kinds lives only in the sensors object). */
  hasMap(map: string): boolean;
}

export interface ApplyResult {
  rulesWritten: number;
  rulesDeleted: number;
  posturesWritten: number;
  posturesDeleted: number;
  kindsMask: number;
  duplicates: number;
}

const KIND_KEY = Buffer.alloc(4);

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

/**
 * Keeps the kernel maps equal to the last applied rule set. The maps are owned by one loaded
 * object (the sensors'); other objects share them by fd, so one apply drives every program.
 * Entries this applier did not write are never touched.
 */
export class KernelRuleWriter {
  private rules = new Map<string, string>(); // key hex -> value hex, as in the kernel now
  private postures = new Map<string, string>();
  private kindsMask = 0;

  constructor(
    private readonly target: RuleMapTarget,
    private readonly capacity = { rules: RULES_MAX_ENTRIES, postures: POSTURES_MAX_ENTRIES },
  ) {}

  /** Throws RuleEncodeError (nothing written) on bad input; map errors propagate after a partial
   *  write, leaving the union of both sets (the next apply converges). */
  apply(set: KernelRuleSet): ApplyResult {
    const enc = encodeRuleSet(set);
    if (enc.rules.length > this.capacity.rules) {
      throw new RuleEncodeError('rules', `${enc.rules.length} kernel rules exceed the ${RULES_MAP} capacity of ${this.capacity.rules}`);
    }
    if (enc.postures.length > this.capacity.postures) {
      throw new RuleEncodeError('postures', `${enc.postures.length} postures exceed the ${POSTURES_MAP} capacity of ${this.capacity.postures}`);
    }
    // Write-then-delete needs room for both sets; when there is none, delete stale entries first.
    const roomy = this.unionSize(this.rules, enc.rules) <= this.capacity.rules && this.unionSize(this.postures, enc.postures) <= this.capacity.postures;
    const res: ApplyResult = { rulesWritten: 0, rulesDeleted: 0, posturesWritten: 0, posturesDeleted: 0, kindsMask: enc.kindsMask, duplicates: enc.duplicates };
    const hasKinds = this.target.hasMap(RULE_KINDS_MAP);
    // Widen the mask first so sensors look up the new kinds as soon as their entries exist.
    if (hasKinds && (this.kindsMask | enc.kindsMask) !== this.kindsMask) {
      this.target.update(RULE_KINDS_MAP, KIND_KEY, u32(this.kindsMask | enc.kindsMask));
      this.kindsMask = (this.kindsMask | enc.kindsMask) >>> 0;
    }
    for (const phase of roomy ? (['write', 'delete'] as const) : (['delete', 'write'] as const)) {
      if (phase === 'write') {
        res.rulesWritten = this.sync(RULES_MAP, this.rules, enc.rules, 'write');
        res.posturesWritten = this.sync(POSTURES_MAP, this.postures, enc.postures, 'write');
      } else {
        res.rulesDeleted = this.sync(RULES_MAP, this.rules, enc.rules, 'delete');
        res.posturesDeleted = this.sync(POSTURES_MAP, this.postures, enc.postures, 'delete');
      }
    }
    if (hasKinds && this.kindsMask !== enc.kindsMask) {
      this.target.update(RULE_KINDS_MAP, KIND_KEY, u32(enc.kindsMask));
      this.kindsMask = enc.kindsMask;
    }
    return res;
  }

  /** Number of oa_rules / oa_postures entries this writer believes are in the kernel. */
  get size(): { rules: number; postures: number } {
    return { rules: this.rules.size, postures: this.postures.size };
  }

  private unionSize(current: Map<string, string>, next: EncodedEntry[]): number {
    let n = current.size;
    for (const e of next) if (!current.has(e.key.toString('hex'))) n++;
    return n;
  }

  private sync(map: string, current: Map<string, string>, next: EncodedEntry[], phase: 'write' | 'delete'): number {
    let n = 0;
    if (phase === 'write') {
      for (const e of next) {
        const hex = e.key.toString('hex');
        const val = e.value.toString('hex');
        if (current.get(hex) === val) continue;
        this.target.update(map, e.key, e.value);
        current.set(hex, val);
        n++;
      }
      return n;
    }
    const keep = new Set(next.map((e) => e.key.toString('hex')));
    for (const hex of [...current.keys()].sort()) {
      if (keep.has(hex)) continue;
      this.target.delete(map, Buffer.from(hex, 'hex'));
      current.delete(hex);
      n++;
    }
    return n;
  }
}
