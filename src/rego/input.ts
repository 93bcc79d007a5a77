// The Rego input document, version 1 (docs/rego.md "Input document"):
//   {"version": 1, "events": [<event>, ...], "index": {...}}
// where <event> is the KubeArmor event with its exact field names (AgentEvent.ka) plus
// "extras" (EventExtras, src/events/types.ts), and "index" (present when the pack's sources name
// it) holds per-batch candidate lists of event indexes. Rules return indexes into `events`.
import type { AgentEvent, EventExtras, KubeArmorEvent } from '../events/types';
import { INPUT_VERSION, type InputFields } from './meta';

// Every member name of an input event; the `satisfies` clauses keep them in step with types.ts.
const KA_KEYS = {
  Timestamp: 1, UpdatedTime: 1, ClusterName: 1, HostName: 1, NamespaceName: 1, PodName: 1, Labels: 1, Owner: 1,
  ContainerID: 1, ContainerName: 1, ContainerImage: 1, ParentProcessName: 1, ProcessName: 1, HostPPID: 1, HostPID: 1,
  PPID: 1, PID: 1, UID: 1, Type: 1, Source: 1, Operation: 1, Resource: 1, Data: 1, EventData: 1, Result: 1, Cwd: 1,
  TTY: 1, ExecEvent: 1, NodeID: 1, UserName: 1, PolicyName: 1, Severity: 1, Tags: 1, ATags: 1, Message: 1, Action: 1,
  Enforcer: 1, KubeArmorVersion: 1, MaxAlertsPerSec: 1, DroppingAlertsInterval: 1,
} satisfies Record<keyof KubeArmorEvent, 1>;
const EXTRAS_KEYS = {
  syscall: 1, retval: 1, args: 1, path: 1, openFlags: 1, openFlagNames: 1, mode: 1, fileOwnerUid: 1, sockaddr: 1,
  socket: 1, capability: 1, ancestry: 1, pidNs: 1, mntNs: 1, cgroupId: 1, kernelRuleId: 1, killed: 1,
  ruleOnly: 1,
} satisfies Record<keyof EventExtras, 1>;
export const KA_FIELDS: readonly string[] = Object.keys(KA_KEYS);
export const EXTRAS_FIELDS: readonly string[] = Object.keys(EXTRAS_KEYS);

/**
 * The event fields a set of Rego sources can read: every KubeArmor/extras member name that
 * occurs in them as an identifier or string. Conservative (comments and messages count too).
 */
export function referencedFields(sources: readonly string[]): InputFields {
  const words = new Set<string>();
  for (const s of sources) for (const m of s.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) words.add(m[0]);
  return { ka: KA_FIELDS.filter((k) => words.has(k)), extras: EXTRAS_FIELDS.filter((k) => words.has(k)) };
}

/** Union of projections; null (= every field) absorbs. */
export function unionFields(list: readonly (InputFields | null)[]): InputFields | null {
  const ka = new Set<string>();
  const ex = new Set<string>();
  for (const f of list) {
    if (f === null) return null;
    for (const k of f.ka) ka.add(k);
    for (const k of f.extras) ex.add(k);
  }
  return { ka: KA_FIELDS.filter((k) => ka.has(k)), extras: EXTRAS_FIELDS.filter((k) => ex.has(k)) };
}

type Writer = (o: object) => string;

/** Characters JSON.stringify escapes in a string: controls, `"`, `\`, and (lone) surrogates. */
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;

/**
 * A function writing `"k":<json>` for each key of `keys` defined on its argument, comma-separated,
 * in `keys` order (member names are identifiers: no escaping). Strings without characters to
 * escape and finite numbers take the short paths; other values go through JSON.stringify, which
 * drops functions and symbols as JSON.stringify of the whole object would.
 */
function membersWriter(keys: readonly string[]): Writer {
  const pre = keys.map((k) => `"${k}":`);
  return (o) => {
    const r = o as Record<string, unknown>;
    let s = '';
    for (let i = 0; i < keys.length; i++) {
      const v = r[keys[i]!];
      if (v === undefined) continue;
      const j = typeof v === 'string' ? (NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : `"${v}"`)
        : typeof v === 'number' ? (Number.isFinite(v) ? `${v}` : 'null') : JSON.stringify(v);
      if (j === undefined) continue;
      s += s === '' ? pre[i]! + j : `,${pre[i]!}${j}`;
    }
    return s;
  };
}

const writers = new WeakMap<InputFields, { ka: Writer; extras: Writer }>();

/**
 * JSON of one input event restricted to `fields` (null: all): the members no rule of the loaded
 * packs names are left out; "extras" is always present. Same text as JSON.stringify of the
 * projected object, without building it. Throws only on unserialisable values.
 */
export function projectedEventJson(e: AgentEvent, fields: InputFields | null): string {
  if (fields === null) return eventJson(e);
  let w = writers.get(fields);
  if (!w) writers.set(fields, (w = { ka: membersWriter(fields.ka), extras: membersWriter(fields.extras) }));
  const ka = w.ka(e.ka);
  return `{${ka}${ka === '' ? '' : ','}"extras":{${w.extras(e.extras)}}}`;
}

const HEAD = `{"version":${INPUT_VERSION},"events":[`;
const TAIL = ']}';

/** O_ACCMODE | O_CREAT | O_TRUNC (x86_64: 3 | 0o100 | 0o1000): opened for write, create or truncate. */
export const WRITE_FLAGS_MASK = 0o1103;

function push(m: Map<string, number[]>, k: string, i: number): void {
  const l = m.get(k);
  if (l) { if (l[l.length - 1] !== i) l.push(i); } else m.set(k, [i]);
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/**
 * `input.index` for a group of events (docs/rego.md "Input document"): candidate lists of event
 * indexes, ascending, built from the events' own member values, so that rules look events up
 * instead of scanning `input.events`. Every list holds exactly the events with that property:
 *   base[n]      extras.path has last component n (Rego: split(p, "/")[last])
 *   dir[d]       extras.path has directory d ("/etc/ssh/x" → "/etc/ssh", "/x" → "")
 *   syscall[s]   extras.syscall == s
 *   writeFlags   extras.openFlags & (O_ACCMODE | O_CREAT | O_TRUNC) != 0
 *   exec[n]      Operation "Process" and n is the last component of extras.path (else Resource) or
 *                of extras.args[0] (else "")
 */
export function indexJson(events: readonly AgentEvent[]): string {
  const base = new Map<string, number[]>();
  const dir = new Map<string, number[]>();
  const syscall = new Map<string, number[]>();
  const exec = new Map<string, number[]>();
  const writeFlags: number[] = [];
  for (let i = 0; i < events.length; i++) {
    const { ka, extras: x } = events[i]!;
    const p = x.path;
    if (typeof p === 'string') {
      const k = p.lastIndexOf('/');
      push(base, p.slice(k + 1), i);
      push(dir, k > 0 ? p.slice(0, k) : '', i);
    }
    if (typeof x.syscall === 'string') push(syscall, x.syscall, i);
    if (typeof x.openFlags === 'number' && (x.openFlags & WRITE_FLAGS_MASK) !== 0) writeFlags.push(i);
    if (ka.Operation === 'Process') {
      push(exec, basename(typeof p === 'string' ? p : ka.Resource ?? ''), i);
      const a0 = x.args?.[0];
      push(exec, basename(typeof a0 === 'string' ? a0 : ''), i);
    }
  }
  return `{"base":${lists(base)},"dir":${lists(dir)},"syscall":${lists(syscall)},"writeFlags":[${writeFlags.join(',')}],"exec":${lists(exec)}}`;
}

/** JSON object of index lists: {"<key>":[i,...],...}. */
function lists(m: Map<string, number[]>): string {
  let s = '';
  for (const [k, l] of m) s += `${s === '' ? '' : ','}${JSON.stringify(k)}:[${l.join(',')}]`;
  return `{${s}}`;
}

/** JSON of one input event: ka's members followed by "extras". Throws only on unserialisable values. */
export function eventJson(e: AgentEvent): string {
  const ka = JSON.stringify(e.ka);
  const extras = JSON.stringify(e.extras);
  // ka is a non-empty object: splice "extras" in before its closing brace.
  return `${ka.slice(0, -1)},"extras":${extras}}`;
}

/** The input document for pre-serialised events (and their `index`, when given), as JSON text. */
export function inputJson(parts: readonly string[], index?: string): string {
  return HEAD + parts.join(',') + (index === undefined ? TAIL : `],"index":${index}}`);
}

/** Plain-object form of the same document, index included (tests, `rules eval --explain`). */
export function inputDocument(events: readonly AgentEvent[]): { version: number; events: unknown[]; index: unknown } {
  return JSON.parse(inputJson(events.map(eventJson), indexJson(events))) as { version: number; events: unknown[]; index: unknown };
}

const encoder = new TextEncoder();

/**
 * The document as a standalone ArrayBuffer: opa-wasm copies an ArrayBuffer into Wasm memory as
 * pre-serialised JSON (any other value, a Node Buffer included, is JSON.stringify'd again).
 * TextEncoder.encode returns a view over a fresh ArrayBuffer of exactly the encoded length.
 */
export function inputBuffer(parts: readonly string[], index?: string): ArrayBuffer {
  return encoder.encode(inputJson(parts, index)).buffer as ArrayBuffer;
}
