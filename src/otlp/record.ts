// AgentEvent → OTLP log record (sdk-logs ReadableLogRecord, serialised by the OTLP exporter).
// Attribute keys: every KubeArmor field present on the event under its exact KubeArmor name
// (kubearmor-compat.md §1.3), nested messages flattened with '.', plus semantic-convention keys.
// Integers stay JS integers (OTLP intValue); ATags is an array (arrayValue).
import type { HrTime } from '@opentelemetry/api';
import type { LogAttributes } from '@opentelemetry/api-logs';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { isAlert, type AgentEvent, type KubeArmorEvent } from '../events/types';
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
const SCALAR_FIELDS = [
  'Timestamp', 'UpdatedTime', 'ClusterName', 'HostName', 'NamespaceName', 'PodName', 'ContainerID',
  'ContainerName', 'HostPID', 'PPID', 'PID', 'UID', 'PolicyName', 'Severity', 'Tags', 'Message',
  'Type', 'Source', 'Operation', 'Resource', 'Data', 'Action', 'Result', 'ContainerImage',
  'ParentProcessName', 'ProcessName', 'HostPPID', 'Enforcer', 'Labels', 'ATags', 'Cwd', 'TTY',
  'MaxAlertsPerSec', 'DroppingAlertsInterval', 'KubeArmorVersion', 'NodeID', 'UserName',
] as const satisfies readonly (keyof KubeArmorEvent)[];

export interface RecordOptions {
  /** Emit process.command_line (off by default: command lines can carry secrets). */
  commandLine: boolean;
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

export function attributesOf(ev: AgentEvent, opts: RecordOptions): LogAttributes {
  const ka = ev.ka;
  const a: LogAttributes = {};
  for (const f of SCALAR_FIELDS) {
    const v = ka[f];
    if (v !== undefined) a[f] = Array.isArray(v) ? v.slice() : v;
  }
  if (ka.Owner) {
    a['Owner.Ref'] = ka.Owner.Ref;
    a['Owner.Name'] = ka.Owner.Name;
    a['Owner.Namespace'] = ka.Owner.Namespace;
  }
  if (ka.ExecEvent) {
    a['ExecEvent.ExecID'] = ka.ExecEvent.ExecID;
    a['ExecEvent.ExecutableName'] = ka.ExecEvent.ExecutableName;
  }
  if (ka.EventData) for (const k of Object.keys(ka.EventData)) a[`EventData.${k}`] = ka.EventData[k];

  if (ka.NamespaceName) a[ATTR_K8S_NAMESPACE_NAME] = ka.NamespaceName;
  if (ka.PodName) a[ATTR_K8S_POD_NAME] = ka.PodName;
  if (ka.ContainerName) a[ATTR_K8S_CONTAINER_NAME] = ka.ContainerName;
  if (ka.ContainerID) a[ATTR_CONTAINER_ID] = ka.ContainerID;
  if (ka.ContainerImage) {
    const img = splitImage(ka.ContainerImage);
    a[ATTR_CONTAINER_IMAGE_NAME] = img.name;
    if (img.tag) a[ATTR_CONTAINER_IMAGE_TAGS] = [img.tag];
  }
  a[ATTR_PROCESS_PID] = ka.HostPID;
  a[ATTR_PROCESS_PARENT_PID] = ka.HostPPID;
  if (ka.ProcessName) a[ATTR_PROCESS_EXECUTABLE_PATH] = ka.ProcessName;
  if (opts.commandLine) {
    const cl = commandLineOf(ev);
    if (cl) a[ATTR_PROCESS_COMMAND_LINE] = cl;
  }
  if (ka.Operation === 'Network') {
    const sa = ev.extras.sockaddr;
    const peer = sa?.addr ?? sa?.unixPath;
    if (peer) a[ATTR_NETWORK_PEER_ADDRESS] = peer;
    if (sa?.port !== undefined) a[ATTR_NETWORK_PEER_PORT] = sa.port;
    const t = transportOf(ev);
    if (t) a[ATTR_NETWORK_TRANSPORT] = t;
  } else if (ka.Operation === 'File') {
    const p = ev.extras.path ?? ka.Resource;
    if (p) a[ATTR_FILE_PATH] = p;
  }
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
  const ka = ev.ka;
  const x = ev.extras;
  let s: string;
  switch (ka.Operation) {
    case 'Process':
      s = `${ka.Source || ka.ParentProcessName || actorOf(ka)} executed ${ka.Resource || x.path || '?'}`;
      break;
    case 'File': {
      const verb = FILE_VERBS[x.syscall] ?? `${x.syscall || 'accessed'}`;
      const flags = x.openFlagNames?.length ? ` (${x.openFlagNames.join('|')})` : '';
      s = `${actorOf(ka)} ${verb} ${x.path ?? ka.Resource ?? '?'}${verb === 'opened' ? flags : ''}`;
      break;
    }
    case 'Network':
      switch (x.syscall) {
        case 'connect': s = `${actorOf(ka)} connected to ${peerText(ev)}${protoText(ev)}`; break;
        case 'bind': s = `${actorOf(ka)} bound ${peerText(ev)}${protoText(ev)}`; break;
        case 'accept': case 'accept4': s = `${actorOf(ka)} accepted ${peerText(ev)}${protoText(ev)}`; break;
        case 'listen': s = `${actorOf(ka)} listened${protoText(ev)}`; break;
        case 'socket': s = `${actorOf(ka)} created socket ${ka.Resource ?? ''}`.trimEnd(); break;
        default: s = `${actorOf(ka)} ${x.syscall || 'network'} ${ka.Resource ?? ''}`.trimEnd();
      }
      break;
    case 'Capabilities':
      s = `${actorOf(ka)} used capability ${x.capability ? `CAP_${x.capability.toUpperCase()}` : ka.Resource ?? '?'}`;
      break;
    case 'Syscall':
      s = `${actorOf(ka)} called ${x.syscall || ka.Data || 'syscall'}${ka.Resource ? ` ${ka.Resource}` : ''}`;
      break;
    case 'AlertThreshold':
      return ka.Message ?? 'alert threshold reached';
    default:
      s = `${actorOf(ka)} ${String(ka.Operation)} ${ka.Resource ?? ''}`.trimEnd();
  }
  s += ` → ${ka.Result}`;
  if (isAlert(ka.Type) && ka.PolicyName) s = `[${ka.PolicyName}] ${s}`;
  return s;
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
