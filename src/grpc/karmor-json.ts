// Renderings of received feeder messages as `karmor logs` prints them (kubearmor-compat.md §2 (a),
// kubearmor-client log/logClient.go):
// - karmorJson: Go encoding/json of the generated struct: keys in struct declaration order,
//   omitempty everywhere except PPID and UID, Owner/ExecEvent nested, EventData an object with
//   sorted keys, ATags an array, Go's HTML-safe string escaping;
// - karmorText: "== Alert / <UpdatedTime> ==" then `Key: value` lines in karmor's fixed key order,
//   the remaining keys sorted, values formatted as Go's %v of the JSON-decoded value.
import type { PbAlert, PbCommon, PbLog, PbMessage } from './proto';

type Kind = 'Alert' | 'Log';

/** Go struct field order of pb.Alert (KubeArmor protobuf/kubearmor.proto declaration order). */
const ALERT_KEYS = [
  'Timestamp', 'UpdatedTime', 'ClusterName', 'HostName', 'NamespaceName', 'Owner', 'PodName', 'Labels',
  'ContainerID', 'ContainerName', 'ContainerImage', 'HostPPID', 'HostPID', 'PPID', 'PID', 'UID',
  'ParentProcessName', 'ProcessName', 'PolicyName', 'Severity', 'Tags', 'ATags', 'Message', 'Type', 'Source',
  'Operation', 'Resource', 'Data', 'EventData', 'Enforcer', 'Action', 'Result', 'Cwd', 'TTY', 'MaxAlertsPerSec',
  'DroppingAlertsInterval', 'ExecEvent', 'KubeArmorVersion', 'NodeID', 'ProcessHash', 'ParentHash',
  'ResourceHash', 'HashAlgo', 'UserName',
] as const;

/** Go struct field order of pb.Log. */
const LOG_KEYS = [
  'Timestamp', 'UpdatedTime', 'ClusterName', 'HostName', 'NamespaceName', 'Owner', 'PodName', 'Labels',
  'ContainerID', 'ContainerName', 'ContainerImage', 'ParentProcessName', 'ProcessName', 'HostPPID', 'HostPID',
  'PPID', 'PID', 'UID', 'Type', 'Source', 'Operation', 'Resource', 'Data', 'EventData', 'Result', 'Cwd', 'TTY',
  'ExecEvent', 'NodeID', 'ProcessHash', 'ParentHash', 'ResourceHash', 'HashAlgo', 'UserName',
] as const;

const MESSAGE_KEYS = ['Timestamp', 'UpdatedTime', 'ClusterName', 'HostName', 'HostIP', 'Type', 'Level', 'Message'] as const;

/** Fields whose JSON tag has no omitempty (KubeArmor's protobuf/Makefile sed). */
const ALWAYS = new Set(['PPID', 'UID']);

/** Go encoding/json string: JSON escaping plus HTML-safe \u003c \u003e \u0026 and \u2028 \u2029. */
export function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function goJsonValue(v: unknown): string {
  if (typeof v === 'string') return goJsonString(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(goJsonValue).join(',')}]`;
  if (v && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${goJsonString(k)}:${goJsonValue((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return 'null';
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0) return true;
  if (Array.isArray(v)) return v.length === 0;
  return false;
}

function nested(v: object, keys: readonly string[]): string {
  const parts: string[] = [];
  for (const k of keys) {
    const x = (v as Record<string, unknown>)[k];
    if (!isEmpty(x)) parts.push(`${goJsonString(k)}:${goJsonValue(x)}`);
  }
  return `{${parts.join(',')}}`;
}

function render(m: object, keys: readonly string[]): string {
  const parts: string[] = [];
  const rec = m as Record<string, unknown>;
  for (const k of keys) {
    const v = rec[k];
    if (k === 'Owner' || k === 'ExecEvent') {
      // Pointer fields: omitted only when nil; their own fields are omitempty.
      if (v && typeof v === 'object') {
        parts.push(`${goJsonString(k)}:${nested(v, k === 'Owner' ? ['Ref', 'Name', 'Namespace'] : ['ExecID', 'ExecutableName'])}`);
      }
      continue;
    }
    if (k === 'EventData') {
      if (v && typeof v === 'object' && Object.keys(v).length > 0) parts.push(`${goJsonString(k)}:${goJsonValue(v)}`);
      continue;
    }
    if (ALWAYS.has(k)) {
      parts.push(`${goJsonString(k)}:${goJsonValue(typeof v === 'number' ? v : 0)}`);
      continue;
    }
    if (!isEmpty(v)) parts.push(`${goJsonString(k)}:${goJsonValue(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/** `karmor logs --json` line (without the newline) for a received Alert or Log. */
export function karmorJson(kind: Kind, m: PbAlert | PbLog): string {
  return render(m, kind === 'Alert' ? ALERT_KEYS : LOG_KEYS);
}

export function karmorMessageJson(m: PbMessage): string {
  return render(m, MESSAGE_KEYS);
}

/** Go's %v of a float64 (strconv 'g', shortest, exponent when < -4 or ≥ 6 digits before the point). */
export function goFloatV(n: number): string {
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  const [mant, expStr] = n.toExponential().split('e') as [string, string];
  const exp = Number(expStr);
  if (exp < -4 || exp >= 6) {
    const e = Math.abs(exp);
    return `${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  return String(n);
}

function goV(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goFloatV(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goV).join(' ')}]`;
  if (v && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${goV((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  }
  return '<nil>';
}

/** karmor's fixed key order for text output; the first two are not printed as lines. */
const TEXT_KEYS = [
  'UpdatedTime', 'Timestamp', 'ClusterName', 'HostName', 'NamespaceName', 'PodName', 'Labels', 'ContainerName',
  'ContainerID', 'ContainerImage', 'Type', 'PolicyName', 'Severity', 'Message', 'Source', 'Resource', 'Operation',
  'Action', 'Data', 'Enforcer', 'Result',
];

/** `karmor logs` text block (ends with a newline) for a received Alert or Log. */
export function karmorText(kind: Kind, m: PbAlert | PbLog): string {
  const res = JSON.parse(karmorJson(kind, m)) as Record<string, unknown>;
  let out: string;
  if (typeof res.UpdatedTime === 'string') {
    out = `== ${kind} / ${res.UpdatedTime.replace(/T/g, ' ').replace(/Z/g, '')} ==\n`;
  } else {
    out = `== ${kind} ==\n`;
  }
  const extra = Object.keys(res).filter((k) => !TEXT_KEYS.includes(k)).sort();
  const keys = [...TEXT_KEYS, ...extra];
  for (let i = 2; i < keys.length; i++) {
    const k = keys[i]!;
    if (k in res && res[k] !== '') out += `${k}: ${goV(res[k])}\n`;
  }
  return out;
}

/** The JSON-decoded map karmor's client-side regex filters run over. */
export function karmorMap(kind: Kind, m: PbCommon): Record<string, unknown> {
  return JSON.parse(karmorJson(kind, m)) as Record<string, unknown>;
}
