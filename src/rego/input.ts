// The Rego input document, version 1 (docs/rego.md "Input document"):
//   {"version": 1, "events": [<event>, ...]}
// where <event> is the KubeArmor event with its exact field names (AgentEvent.ka) plus
// "extras" (EventExtras, src/events/types.ts). Rules return indexes into `events`.
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

function pick(o: object, keys: readonly string[]): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (const k of keys) {
    const v = (o as Record<string, unknown>)[k];
    if (v !== undefined) r[k] = v;
  }
  return r;
}

/**
 * JSON of one input event restricted to `fields` (null: all): the members no rule of the loaded
 * packs names are left out; "extras" is always present. Throws only on unserialisable values.
 */
export function projectedEventJson(e: AgentEvent, fields: InputFields | null): string {
  if (fields === null) return eventJson(e);
  const ka = pick(e.ka, fields.ka);
  ka.extras = pick(e.extras, fields.extras);
  return JSON.stringify(ka);
}

const HEAD = `{"version":${INPUT_VERSION},"events":[`;
const TAIL = ']}';

/** JSON of one input event: ka's members followed by "extras". Throws only on unserialisable values. */
export function eventJson(e: AgentEvent): string {
  const ka = JSON.stringify(e.ka);
  const extras = JSON.stringify(e.extras);
  // ka is a non-empty object: splice "extras" in before its closing brace.
  return `${ka.slice(0, -1)},"extras":${extras}}`;
}

/** The input document for pre-serialised events, as JSON text. */
export function inputJson(parts: readonly string[]): string {
  return HEAD + parts.join(',') + TAIL;
}

/** Plain-object form of the same document (tests, `rules eval --explain`). */
export function inputDocument(events: readonly AgentEvent[]): { version: number; events: unknown[] } {
  return JSON.parse(inputJson(events.map(eventJson))) as { version: number; events: unknown[] };
}

const encoder = new TextEncoder();

/**
 * The document as a standalone ArrayBuffer: opa-wasm copies an ArrayBuffer into Wasm memory as
 * pre-serialised JSON (any other value, a Node Buffer included, is JSON.stringify'd again).
 * TextEncoder.encode returns a view over a fresh ArrayBuffer of exactly the encoded length.
 */
export function inputBuffer(parts: readonly string[]): ArrayBuffer {
  return encoder.encode(inputJson(parts)).buffer as ArrayBuffer;
}
