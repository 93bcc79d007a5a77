// KubeArmor JSON dialect (a) — what `karmor logs --json` prints (kubearmor-compat.md §2): Go
// encoding/json over the generated protobuf structs, so keys are the proto field names in proto
// field order, every empty/zero field is omitted except PPID and UID, Owner and ExecEvent are
// nested objects, EventData is an object with sorted keys (Go map marshalling), ATags an array.
// Alert-typed events (MatchedPolicy, MatchedHostPolicy, SystemEvent) use the Alert message's
// field set and order; the others the Log message's (which has no policy fields).
// Strings are escaped as Go does: <, >, & and U+2028/U+2029 as \u escapes.
import { isAlert, type EventType, type KubeArmorEvent, type Operation } from '../events/types';

type Key = keyof KubeArmorEvent;

/** feeder.Log field order (protobuf/kubearmor.proto, numbers 1–34; hash fields not carried). */
export const LOG_FIELDS: readonly Key[] = [
  'Timestamp', 'UpdatedTime', 'ClusterName', 'HostName', 'NamespaceName', 'PodName', 'ContainerID',
  'ContainerName', 'HostPID', 'PPID', 'PID', 'UID', 'Type', 'Source', 'Operation', 'Resource', 'Data',
  'Result', 'ContainerImage', 'ParentProcessName', 'ProcessName', 'HostPPID', 'Labels', 'Owner', 'Cwd',
  'TTY', 'ExecEvent', 'NodeID', 'EventData', 'UserName',
];

/** feeder.Alert field order (numbers 1–44; hash fields not carried). */
export const ALERT_FIELDS: readonly Key[] = [
  'Timestamp', 'UpdatedTime', 'ClusterName', 'HostName', 'NamespaceName', 'PodName', 'ContainerID',
  'ContainerName', 'HostPID', 'PPID', 'PID', 'UID', 'PolicyName', 'Severity', 'Tags', 'Message', 'Type',
  'Source', 'Operation', 'Resource', 'Data', 'Action', 'Result', 'ContainerImage', 'ParentProcessName',
  'ProcessName', 'HostPPID', 'Enforcer', 'Labels', 'ATags', 'Owner', 'Cwd', 'TTY', 'MaxAlertsPerSec',
  'DroppingAlertsInterval', 'ExecEvent', 'KubeArmorVersion', 'NodeID', 'EventData', 'UserName',
];

const ALWAYS = new Set<Key>(['PPID', 'UID']);

/** Characters goJsonString rewrites: JSON's escapes, Go's HTML-safe set, and UTF-16 surrogates
 *  (paired ones pass unchanged through the slow path). */
const NEEDS_ESCAPE = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/;

/** JSON string literal as Go's encoding/json writes it (HTML-safe escaping, invalid UTF-16 → U+FFFD). */
export function goJsonString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  return JSON.stringify(s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'))
    .replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `{"k":"v",...}` of the non-empty values, in the given key order. */
function nested(keys: readonly string[], values: readonly (string | undefined)[]): string {
  let s = '';
  for (let i = 0; i < keys.length; i++) {
    const v = values[i];
    if (v) s += `${s === '' ? '' : ','}"${keys[i]}":${goJsonString(v)}`;
  }
  return `{${s}}`;
}

const OWNER_KEYS = ['Ref', 'Name', 'Namespace'];
const EXEC_KEYS = ['ExecID', 'ExecutableName'];

/** EventData rendering per map object: the Enricher shares one map among the events of equal Data. */
const eventDataText = new WeakMap<Record<string, string>, string | undefined>();

function eventDataJson(m: Record<string, string>): string | undefined {
  if (eventDataText.has(m)) return eventDataText.get(m);
  const keys = Object.keys(m).sort();
  const t = keys.length === 0 ? undefined : `{${keys.map((x) => `${goJsonString(x)}:${goJsonString(m[x]!)}`).join(',')}}`;
  eventDataText.set(m, t);
  return t;
}

function value(k: Key, ev: KubeArmorEvent): string | undefined {
  const v = ev[k];
  if (v === undefined || v === null) return ALWAYS.has(k) ? '0' : undefined;
  switch (k) {
    case 'Owner': {
      const o = ev.Owner!;
      if (!o.Ref && !o.Name && !o.Namespace) return undefined;
      return nested(OWNER_KEYS, [o.Ref, o.Name, o.Namespace]);
    }
    case 'ExecEvent': {
      const e = ev.ExecEvent!;
      return nested(EXEC_KEYS, [e.ExecID, e.ExecutableName]);
    }
    case 'EventData':
      return eventDataJson(ev.EventData!);
    case 'ATags': {
      const a = ev.ATags!;
      if (a.length === 0) return undefined;
      return `[${a.map(goJsonString).join(',')}]`;
    }
  }
  if (typeof v === 'number') return v === 0 && !ALWAYS.has(k) ? undefined : String(Math.trunc(v));
  if (typeof v === 'string') return v === '' ? undefined : goJsonString(v);
  return undefined;
}

/** `"Key":` of every field, built once. */
const KEY_PREFIX = new Map<Key, string>([...ALERT_FIELDS, ...LOG_FIELDS].map((k) => [k, `"${k}":`]));

/** One event as a single line of karmor --json (no trailing newline). */
export function toKarmorJson(ev: KubeArmorEvent): string {
  const fields = isAlert(ev.Type) ? ALERT_FIELDS : LOG_FIELDS;
  let s = '{';
  for (let i = 0; i < fields.length; i++) {
    const k = fields[i]!;
    const v = value(k, ev);
    if (v !== undefined) s += s.length === 1 ? KEY_PREFIX.get(k)! + v : `,${KEY_PREFIX.get(k)!}${v}`;
  }
  return `${s}}`;
}

const TYPES: readonly EventType[] = ['ContainerLog', 'HostLog', 'MatchedPolicy', 'MatchedHostPolicy', 'SystemEvent'];
const OPERATIONS: readonly Operation[] = ['Process', 'File', 'Network', 'Capabilities', 'Syscall', 'AlertThreshold'];
const INT_FIELDS: readonly Key[] = ['Timestamp', 'HostPPID', 'HostPID', 'PPID', 'PID', 'UID', 'MaxAlertsPerSec', 'DroppingAlertsInterval'];
const STRING_FIELDS: readonly Key[] = [
  'UpdatedTime', 'ClusterName', 'HostName', 'NamespaceName', 'PodName', 'Labels', 'ContainerID', 'ContainerName',
  'ContainerImage', 'ParentProcessName', 'ProcessName', 'Source', 'Resource', 'Data', 'Result', 'Cwd', 'TTY',
  'NodeID', 'UserName', 'PolicyName', 'Severity', 'Tags', 'Message', 'Action', 'Enforcer', 'KubeArmorVersion',
];

/**
 * Parse one line of karmor --json (dialect (a)) back into an event. Omitted zero fields come back
 * as 0 / "" for the required ones and absent for the optional ones. Throws an Error naming the
 * field and the reason on malformed input (offline use: `otelarmor policy test`).
 */
export function fromKarmorJson(line: string): KubeArmorEvent {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch (e) {
    throw new Error(`karmor JSON: not valid JSON (${(e as Error).message})`);
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new Error('karmor JSON: expected an object');
  const j = o as Record<string, unknown>;
  const ev: Record<string, unknown> = {};
  for (const k of INT_FIELDS) {
    const v = j[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`karmor JSON: field ${k}: expected an integer, got ${JSON.stringify(v)}`);
    ev[k] = v;
  }
  for (const k of STRING_FIELDS) {
    const v = j[k];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new Error(`karmor JSON: field ${k}: expected a string, got ${JSON.stringify(v)}`);
    ev[k] = v;
  }
  const type = j.Type;
  if (typeof type !== 'string' || !TYPES.includes(type as EventType)) {
    throw new Error(`karmor JSON: field Type: expected one of ${TYPES.join('|')}, got ${JSON.stringify(type)}`);
  }
  ev.Type = type;
  const op = j.Operation;
  if (typeof op !== 'string' || !OPERATIONS.includes(op as Operation)) {
    throw new Error(`karmor JSON: field Operation: expected one of ${OPERATIONS.join('|')}, got ${JSON.stringify(op)}`);
  }
  ev.Operation = op;
  for (const k of ['Timestamp', 'HostPPID', 'HostPID', 'PPID', 'PID', 'UID'] as const) ev[k] ??= 0;
  for (const k of ['UpdatedTime', 'ClusterName', 'HostName', 'Result'] as const) ev[k] ??= '';
  const obj = (k: string, keys: readonly string[]): Record<string, string> | undefined => {
    const v = j[k];
    if (v === undefined) return undefined;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`karmor JSON: field ${k}: expected an object`);
    const r: Record<string, string> = {};
    for (const x of keys) {
      const s = (v as Record<string, unknown>)[x];
      if (s === undefined) r[x] = '';
      else if (typeof s !== 'string') throw new Error(`karmor JSON: field ${k}.${x}: expected a string`);
      else r[x] = s;
    }
    return r;
  };
  const owner = obj('Owner', ['Ref', 'Name', 'Namespace']);
  if (owner) ev.Owner = owner;
  const exec = obj('ExecEvent', ['ExecID', 'ExecutableName']);
  if (exec) ev.ExecEvent = exec;
  if (j.EventData !== undefined) {
    const v = j.EventData;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('karmor JSON: field EventData: expected an object');
    const r: Record<string, string> = {};
    for (const [x, s] of Object.entries(v)) {
      if (typeof s !== 'string') throw new Error(`karmor JSON: field EventData.${x}: expected a string`);
      r[x] = s;
    }
    ev.EventData = r;
  }
  if (j.ATags !== undefined) {
    if (!Array.isArray(j.ATags) || !j.ATags.every((t) => typeof t === 'string')) throw new Error('karmor JSON: field ATags: expected an array of strings');
    ev.ATags = [...(j.ATags as string[])];
  }
  return ev as unknown as KubeArmorEvent;
}
