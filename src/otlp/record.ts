// AgentEvent → OTLP log record (sdk-logs ReadableLogRecord, serialised by the OTLP exporter).
// Attribute keys: every KubeArmor field present on the event under its exact KubeArmor name
// (kubearmor-compat.md §1.3), nested messages flattened with '.', plus semantic-convention keys.
// Integers stay JS integers (OTLP intValue); ATags is an array (arrayValue).
import type { HrTime } from '@opentelemetry/api';
import type { LogAttributes } from '@opentelemetry/api-logs';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { isAlert, type AgentEvent, type KubeArmorEvent } from '../events/types';
import { redactCommandLine } from './redact';
import { severityOf } from './severity';
import {
  ATTR_CONTAINER_ID, ATTR_CONTAINER_IMAGE_NAME, ATTR_CONTAINER_IMAGE_TAGS, ATTR_FILE_PATH,
  ATTR_K8S_CONTAINER_NAME, ATTR_K8S_NAMESPACE_NAME, ATTR_K8S_POD_NAME, ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT, ATTR_NETWORK_TRANSPORT, ATTR_PROCESS_COMMAND_LINE,
  ATTR_PROCESS_EXECUTABLE_PATH, ATTR_PROCESS_PARENT_PID, ATTR_PROCESS_PID,
} from './semconv';

export const EVENT_NAME_LOG = 'kubearmor.log';
export const EVENT_NAME_ALERT = 'kubearmor.alert';

/** Scalar KubeArmor fields in proto order (Alert numbering); nested ones are handled below. */
export const SCALAR_FIELDS = [
  'Timestamp', 'UpdatedTime', 'ClusterName', 'HostName', 'NamespaceName', 'PodName', 'ContainerID',
  'ContainerName', 'HostPID', 'PPID', 'PID', 'UID', 'PolicyName', 'Severity', 'Tags', 'Message',
  'Type', 'Source', 'Operation', 'Resource', 'Data', 'Action', 'Result', 'ContainerImage',
  'ParentProcessName', 'ProcessName', 'HostPPID', 'Enforcer', 'Labels', 'ATags', 'Cwd', 'TTY',
  'MaxAlertsPerSec', 'DroppingAlertsInterval', 'KubeArmorVersion', 'NodeID', 'UserName',
] as const satisfies readonly (keyof KubeArmorEvent)[];

export interface RecordOptions {
  /** Emit process.command_line (off by default: command lines can carry secrets). */
  commandLine: boolean;
  /** Sanitiser of process.command_line (default: the built-in rules of redact.ts). */
  redactCommandLine?: (commandLine: string) => string;
}

export interface RecordContext extends RecordOptions {
  resource: Resource;
  scope: { name: string; version: string };
}

export function eventNameOf(ka: KubeArmorEvent): string {
  return isAlert(ka.Type) ? EVENT_NAME_ALERT : EVENT_NAME_LOG;
}

const NS_PER_S = 1_000_000_000n;

/** Unix nanoseconds → [seconds, nanoseconds], exact (no float rounding). */
export function nsToHrTime(ns: bigint): HrTime {
  if (ns < 0n) return [0, 0];
  return [Number(ns / NS_PER_S), Number(ns % NS_PER_S)];
}

/** `repo[:tag][@digest]` → name and tag (a ':' before the last '/' is a registry port). */
export function splitImage(image: string): { name: string; tag?: string } {
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { name: ref };
}

const IMAGES = new Map<string, { name: string; tags: string[] | undefined }>();
/**
 * splitImage of an image reference, made once per reference (a node runs few images). The tags
 * array is shared: consumers copy it (attributesOf) or only read it (the wire encoder).
 */
function imageAttrs(image: string): { name: string; tags: string[] | undefined } {
  let a = IMAGES.get(image);
  if (a === undefined) {
    const img = splitImage(image);
    a = { name: img.name, tags: img.tag ? [img.tag] : undefined };
    if (IMAGES.size >= 1024) IMAGES.clear();
    IMAGES.set(image, a);
  }
  return a;
}

function transportOf(ev: AgentEvent): string | undefined {
  const x = ev.extras;
  if (x.sockaddr?.family === 'AF_UNIX' || x.socket?.domain === 'AF_UNIX') return 'unix';
  const proto = (x.socket?.protocol ?? ev.ka.EventData?.Protocol ?? '').toUpperCase();
  if (proto === 'TCP') return 'tcp';
  if (proto === 'UDP') return 'udp';
  const type = x.socket?.type ?? '';
  if (type.startsWith('SOCK_STREAM')) return 'tcp';
  if (type.startsWith('SOCK_DGRAM')) return 'udp';
  return undefined;
}

export type AttrValue = string | number | boolean | string[];

const EVENT_DATA_KEYS = new Map<string, string>();
/** `EventData.<k>`, made once per member name (bounded: names come from the agent's own code). */
function eventDataKey(k: string): string {
  let s = EVENT_DATA_KEYS.get(k);
  if (s === undefined) {
    s = `EventData.${k}`;
    if (EVENT_DATA_KEYS.size < 1024) EVENT_DATA_KEYS.set(k, s);
  }
  return s;
}

/**
 * Visit the record attributes of an event in their fixed order (KubeArmor fields in proto order,
 * nested ones flattened, then semantic-convention keys). attributesOf() and the wire encoder
 * (encode.ts) both walk this, so the two cannot disagree.
 */
export function forEachAttribute(ev: AgentEvent, opts: RecordOptions, emit: (key: string, value: AttrValue) => void): void {
  const ka = ev.ka;
  // Unrolled over SCALAR_FIELDS (monomorphic property loads; the event path runs this per record).
  if (ka.Timestamp !== undefined) emit('Timestamp', ka.Timestamp);
  if (ka.UpdatedTime !== undefined) emit('UpdatedTime', ka.UpdatedTime);
  if (ka.ClusterName !== undefined) emit('ClusterName', ka.ClusterName);
  if (ka.HostName !== undefined) emit('HostName', ka.HostName);
  if (ka.NamespaceName !== undefined) emit('NamespaceName', ka.NamespaceName);
  if (ka.PodName !== undefined) emit('PodName', ka.PodName);
  if (ka.ContainerID !== undefined) emit('ContainerID', ka.ContainerID);
  if (ka.ContainerName !== undefined) emit('ContainerName', ka.ContainerName);
  if (ka.HostPID !== undefined) emit('HostPID', ka.HostPID);
  if (ka.PPID !== undefined) emit('PPID', ka.PPID);
  if (ka.PID !== undefined) emit('PID', ka.PID);
  if (ka.UID !== undefined) emit('UID', ka.UID);
  if (ka.PolicyName !== undefined) emit('PolicyName', ka.PolicyName);
  if (ka.Severity !== undefined) emit('Severity', ka.Severity);
  if (ka.Tags !== undefined) emit('Tags', ka.Tags);
  if (ka.Message !== undefined) emit('Message', ka.Message);
  if (ka.Type !== undefined) emit('Type', ka.Type);
  if (ka.Source !== undefined) emit('Source', ka.Source);
  if (ka.Operation !== undefined) emit('Operation', ka.Operation);
  if (ka.Resource !== undefined) emit('Resource', ka.Resource);
  if (ka.Data !== undefined) emit('Data', ka.Data);
  if (ka.Action !== undefined) emit('Action', ka.Action);
  if (ka.Result !== undefined) emit('Result', ka.Result);
  if (ka.ContainerImage !== undefined) emit('ContainerImage', ka.ContainerImage);
  if (ka.ParentProcessName !== undefined) emit('ParentProcessName', ka.ParentProcessName);
  if (ka.ProcessName !== undefined) emit('ProcessName', ka.ProcessName);
  if (ka.HostPPID !== undefined) emit('HostPPID', ka.HostPPID);
  if (ka.Enforcer !== undefined) emit('Enforcer', ka.Enforcer);
  if (ka.Labels !== undefined) emit('Labels', ka.Labels);
  if (ka.ATags !== undefined) emit('ATags', ka.ATags);
  if (ka.Cwd !== undefined) emit('Cwd', ka.Cwd);
  if (ka.TTY !== undefined) emit('TTY', ka.TTY);
  if (ka.MaxAlertsPerSec !== undefined) emit('MaxAlertsPerSec', ka.MaxAlertsPerSec);
  if (ka.DroppingAlertsInterval !== undefined) emit('DroppingAlertsInterval', ka.DroppingAlertsInterval);
  if (ka.KubeArmorVersion !== undefined) emit('KubeArmorVersion', ka.KubeArmorVersion);
  if (ka.NodeID !== undefined) emit('NodeID', ka.NodeID);
  if (ka.UserName !== undefined) emit('UserName', ka.UserName);
  if (ka.Owner) {
    emit('Owner.Ref', ka.Owner.Ref);
    emit('Owner.Name', ka.Owner.Name);
    emit('Owner.Namespace', ka.Owner.Namespace);
  }
  if (ka.ExecEvent) {
    emit('ExecEvent.ExecID', ka.ExecEvent.ExecID);
    emit('ExecEvent.ExecutableName', ka.ExecEvent.ExecutableName);
  }
  if (ka.EventData) {
    const ed = ka.EventData;
    for (const k in ed) {
      const v = ed[k];
      if (v !== undefined) emit(eventDataKey(k), v);
    }
  }
  if (ka.NamespaceName) emit(ATTR_K8S_NAMESPACE_NAME, ka.NamespaceName);
  if (ka.PodName) emit(ATTR_K8S_POD_NAME, ka.PodName);
  if (ka.ContainerName) emit(ATTR_K8S_CONTAINER_NAME, ka.ContainerName);
  if (ka.ContainerID) emit(ATTR_CONTAINER_ID, ka.ContainerID);
  if (ka.ContainerImage) {
    const img = imageAttrs(ka.ContainerImage);
    emit(ATTR_CONTAINER_IMAGE_NAME, img.name);
    if (img.tags) emit(ATTR_CONTAINER_IMAGE_TAGS, img.tags);
  }
  emit(ATTR_PROCESS_PID, ka.HostPID);
  emit(ATTR_PROCESS_PARENT_PID, ka.HostPPID);
  if (ka.ProcessName) emit(ATTR_PROCESS_EXECUTABLE_PATH, ka.ProcessName);
  if (opts.commandLine) {
    const cl = commandLineOf(ev);
    if (cl) emit(ATTR_PROCESS_COMMAND_LINE, (opts.redactCommandLine ?? redactCommandLine)(cl));
  }
  if (ka.Operation === 'Network') {
    const sa = ev.extras.sockaddr;
    const peer = sa?.addr ?? sa?.unixPath;
    if (peer) emit(ATTR_NETWORK_PEER_ADDRESS, peer);
    if (sa?.port !== undefined) emit(ATTR_NETWORK_PEER_PORT, sa.port);
    const t = transportOf(ev);
    if (t) emit(ATTR_NETWORK_TRANSPORT, t);
  } else if (ka.Operation === 'File') {
    const p = ev.extras.path ?? ka.Resource;
    if (p) emit(ATTR_FILE_PATH, p);
  }
}

export function attributesOf(ev: AgentEvent, opts: RecordOptions): LogAttributes {
  const a: LogAttributes = {};
  forEachAttribute(ev, opts, (k, v) => { a[k] = Array.isArray(v) ? v.slice() : v; });
  return a;
}

/** Exec: the new program's command line (Resource); others: the acting process's (Source). */
function commandLineOf(ev: AgentEvent): string | undefined {
  if (ev.ka.Operation === 'Process' && ev.extras.args?.length) return ev.extras.args.join(' ');
  if (ev.ka.Operation === 'Process') return ev.ka.Resource;
  return ev.ka.Source;
}

function actorOf(ka: KubeArmorEvent): string {
  return ka.ProcessName || ka.ExecEvent?.ExecutableName || `pid ${ka.HostPID}`;
}

const FILE_VERBS: Record<string, string> = {
  open: 'opened', openat: 'opened', openat2: 'opened', unlink: 'deleted', unlinkat: 'deleted',
  rmdir: 'removed directory', chown: 'changed owner of', fchownat: 'changed owner of',
  lchown: 'changed owner of', fchown: 'changed owner of', chmod: 'changed mode of',
  fchmodat: 'changed mode of', fchmod: 'changed mode of',
};

function peerText(ev: AgentEvent): string {
  const sa = ev.extras.sockaddr;
  if (sa?.unixPath) return sa.unixPath;
  if (sa?.addr !== undefined) {
    const host = sa.addr.includes(':') ? `[${sa.addr}]` : sa.addr;
    return sa.port !== undefined ? `${host}:${sa.port}` : host;
  }
  return ev.ka.Resource ?? '?';
}

function protoText(ev: AgentEvent): string {
  const t = transportOf(ev);
  return t ? ` (${t.toUpperCase()})` : '';
}

/** One-line human summary, e.g. `/usr/bin/cat opened /etc/shadow (O_RDONLY) → Passed`. */
export function summaryOf(ev: AgentEvent): string {
  let s = '';
  summaryParts(ev, (piece) => { s += piece; });
  return s;
}

/**
 * The summary as pieces handed to `add` in order (their concatenation is summaryOf): the wire
 * encoder writes them one after the other instead of building the string.
 */
export function summaryParts(ev: AgentEvent, add: (piece: string) => void): void {
  const ka = ev.ka;
  const x = ev.extras;
  if (ka.Operation === 'AlertThreshold') {
    add(ka.Message ?? 'alert threshold reached');
    return;
  }
  if (isAlert(ka.Type) && ka.PolicyName) { add('['); add(ka.PolicyName); add('] '); }
  switch (ka.Operation) {
    case 'Process':
      add(ka.Source || ka.ParentProcessName || actorOf(ka)); add(' executed '); add(ka.Resource || x.path || '?');
      break;
    case 'File': {
      const verb = FILE_VERBS[x.syscall] ?? `${x.syscall || 'accessed'}`;
      add(actorOf(ka)); add(' '); add(verb); add(' '); add(x.path ?? ka.Resource ?? '?');
      const names = x.openFlagNames;
      if (verb === 'opened' && names?.length) {
        add(' (');
        for (let i = 0; i < names.length; i++) { if (i > 0) add('|'); add(names[i]!); }
        add(')');
      }
      break;
    }
    case 'Network':
      switch (x.syscall) {
        case 'connect': add(actorOf(ka)); add(' connected to '); add(peerText(ev)); add(protoText(ev)); break;
        case 'bind': add(actorOf(ka)); add(' bound '); add(peerText(ev)); add(protoText(ev)); break;
        case 'accept': case 'accept4': add(actorOf(ka)); add(' accepted '); add(peerText(ev)); add(protoText(ev)); break;
        case 'listen': add(actorOf(ka)); add(' listened'); add(protoText(ev)); break;
        case 'socket': add(`${actorOf(ka)} created socket ${ka.Resource ?? ''}`.trimEnd()); break;
        default: add(`${actorOf(ka)} ${x.syscall || 'network'} ${ka.Resource ?? ''}`.trimEnd());
      }
      break;
    case 'Capabilities':
      add(actorOf(ka)); add(' used capability '); add(x.capability ? `CAP_${x.capability.toUpperCase()}` : ka.Resource ?? '?');
      break;
    case 'Syscall':
      add(actorOf(ka)); add(' called '); add(x.syscall || ka.Data || 'syscall');
      if (ka.Resource) { add(' '); add(ka.Resource); }
      break;
    default:
      add(`${actorOf(ka)} ${String(ka.Operation)} ${ka.Resource ?? ''}`.trimEnd());
  }
  add(' → '); add(`${ka.Result}`);
}

export function toLogRecord(ev: AgentEvent, ctx: RecordContext): ReadableLogRecord {
  const sev = severityOf(ev.ka);
  return {
    hrTime: nsToHrTime(ev.timeNs),
    hrTimeObserved: nsToHrTime(ev.observedNs),
    severityNumber: sev.number,
    severityText: sev.text,
    body: summaryOf(ev),
    eventName: eventNameOf(ev.ka),
    resource: ctx.resource,
    instrumentationScope: ctx.scope,
    attributes: attributesOf(ev, ctx),
    droppedAttributesCount: 0,
  };
}
