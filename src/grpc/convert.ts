// KubeArmorEvent ↔ feeder.Alert / feeder.Log (kubearmor-compat.md §1.3). The one place where the
// agent's event model meets KubeArmor's wire messages, in both directions:
// - toAlert / toLog: GrpcFeeder (server side);
// - fromAlert / fromLog: receiver mode (`otelarmor receive`) and `otelarmor logs`.
import type { AgentEvent, EventExtras, EventType, KubeArmorEvent, Operation } from '../events/types';
import type { PbAlert, PbCommon, PbLog } from './proto';

function setStr<T extends object>(out: T, key: keyof T & string, v: string | undefined): void {
  if (v !== undefined && v !== '') (out as Record<string, unknown>)[key] = v;
}

function setInt<T extends object>(out: T, key: keyof T & string, v: number | undefined): void {
  // int32 on the wire: truncate toward zero, wrap like Go's int32 conversion.
  if (v !== undefined && v !== 0 && Number.isFinite(v)) (out as Record<string, unknown>)[key] = v | 0;
}

function common(ka: KubeArmorEvent): PbCommon {
  const m: PbCommon = {};
  if (ka.Timestamp) m.Timestamp = Math.trunc(ka.Timestamp);
  setStr(m, 'UpdatedTime', ka.UpdatedTime);
  setStr(m, 'ClusterName', ka.ClusterName);
  setStr(m, 'HostName', ka.HostName);
  setStr(m, 'NamespaceName', ka.NamespaceName);
  if (ka.Owner) {
    const o: Record<string, string> = {};
    setStr(o, 'Ref', ka.Owner.Ref);
    setStr(o, 'Name', ka.Owner.Name);
    setStr(o, 'Namespace', ka.Owner.Namespace);
    m.Owner = o;
  }
  setStr(m, 'PodName', ka.PodName);
  setStr(m, 'Labels', ka.Labels);
  setStr(m, 'ContainerID', ka.ContainerID);
  setStr(m, 'ContainerName', ka.ContainerName);
  setStr(m, 'ContainerImage', ka.ContainerImage);
  setInt(m, 'HostPPID', ka.HostPPID);
  setInt(m, 'HostPID', ka.HostPID);
  setInt(m, 'PPID', ka.PPID);
  setInt(m, 'PID', ka.PID);
  setInt(m, 'UID', ka.UID);
  setStr(m, 'ParentProcessName', ka.ParentProcessName);
  setStr(m, 'ProcessName', ka.ProcessName);
  setStr(m, 'Type', ka.Type);
  setStr(m, 'Source', ka.Source);
  setStr(m, 'Operation', ka.Operation);
  setStr(m, 'Resource', ka.Resource);
  setStr(m, 'Data', ka.Data);
  if (ka.EventData && Object.keys(ka.EventData).length > 0) m.EventData = { ...ka.EventData };
  setStr(m, 'Result', ka.Result);
  setStr(m, 'Cwd', ka.Cwd);
  setStr(m, 'TTY', ka.TTY);
  if (ka.ExecEvent) {
    const e: Record<string, string> = {};
    setStr(e, 'ExecID', ka.ExecEvent.ExecID);
    setStr(e, 'ExecutableName', ka.ExecEvent.ExecutableName);
    m.ExecEvent = e;
  }
  setStr(m, 'NodeID', ka.NodeID);
  setStr(m, 'UserName', ka.UserName);
  return m;
}

/** feeder.Log for a ContainerLog/HostLog event (alert-only fields are not part of Log). */
export function toLog(ka: KubeArmorEvent): PbLog {
  return common(ka);
}

/** feeder.Alert for a MatchedPolicy/MatchedHostPolicy/SystemEvent event. */
export function toAlert(ka: KubeArmorEvent): PbAlert {
  const m: PbAlert = common(ka);
  setStr(m, 'PolicyName', ka.PolicyName);
  setStr(m, 'Severity', ka.Severity);
  setStr(m, 'Tags', ka.Tags);
  if (ka.ATags && ka.ATags.length > 0) m.ATags = [...ka.ATags];
  setStr(m, 'Message', ka.Message);
  setStr(m, 'Enforcer', ka.Enforcer);
  setStr(m, 'Action', ka.Action);
  setInt(m, 'MaxAlertsPerSec', ka.MaxAlertsPerSec);
  setInt(m, 'DroppingAlertsInterval', ka.DroppingAlertsInterval);
  setStr(m, 'KubeArmorVersion', ka.KubeArmorVersion);
  return m;
}

function optStr(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

function fromCommon(m: PbCommon, kind: 'alert' | 'log'): KubeArmorEvent {
  const hostEvent = !m.ContainerID;
  const defaultType: EventType = kind === 'alert'
    ? (hostEvent ? 'MatchedHostPolicy' : 'MatchedPolicy')
    : (hostEvent ? 'HostLog' : 'ContainerLog');
  const ka: KubeArmorEvent = {
    Timestamp: Number(m.Timestamp ?? 0),
    UpdatedTime: m.UpdatedTime ?? '',
    ClusterName: m.ClusterName ?? '',
    HostName: m.HostName ?? '',
    HostPPID: m.HostPPID ?? 0,
    HostPID: m.HostPID ?? 0,
    PPID: m.PPID ?? 0,
    PID: m.PID ?? 0,
    UID: m.UID ?? 0,
    // Type/Operation strings pass through unchanged (KubeArmor also has e.g. MatchedNetworkPolicy, Device).
    Type: (optStr(m.Type) ?? defaultType) as EventType,
    Operation: (m.Operation ?? '') as Operation,
    Result: m.Result ?? '',
  };
  const s = (k: keyof KubeArmorEvent, v: string | undefined) => {
    const x = optStr(v);
    if (x !== undefined) (ka as unknown as Record<string, unknown>)[k] = x;
  };
  s('NamespaceName', m.NamespaceName);
  s('PodName', m.PodName);
  s('Labels', m.Labels);
  if (m.Owner) ka.Owner = { Ref: m.Owner.Ref ?? '', Name: m.Owner.Name ?? '', Namespace: m.Owner.Namespace ?? '' };
  s('ContainerID', m.ContainerID);
  s('ContainerName', m.ContainerName);
  s('ContainerImage', m.ContainerImage);
  s('ParentProcessName', m.ParentProcessName);
  s('ProcessName', m.ProcessName);
  s('Source', m.Source);
  s('Resource', m.Resource);
  s('Data', m.Data);
  if (m.EventData && Object.keys(m.EventData).length > 0) ka.EventData = { ...m.EventData };
  s('Cwd', m.Cwd);
  s('TTY', m.TTY);
  if (m.ExecEvent) ka.ExecEvent = { ExecID: m.ExecEvent.ExecID ?? '', ExecutableName: m.ExecEvent.ExecutableName ?? '' };
  s('NodeID', m.NodeID);
  s('UserName', m.UserName);
  return ka;
}

export function fromLog(m: PbLog): KubeArmorEvent {
  return fromCommon(m, 'log');
}

export function fromAlert(m: PbAlert): KubeArmorEvent {
  const ka = fromCommon(m, 'alert');
  const s = (k: keyof KubeArmorEvent, v: string | undefined) => {
    const x = optStr(v);
    if (x !== undefined) (ka as unknown as Record<string, unknown>)[k] = x;
  };
  s('PolicyName', m.PolicyName);
  s('Severity', m.Severity);
  s('Tags', m.Tags);
  if (m.ATags && m.ATags.length > 0) ka.ATags = [...m.ATags];
  s('Message', m.Message);
  s('Enforcer', m.Enforcer);
  s('Action', m.Action);
  if (m.MaxAlertsPerSec) ka.MaxAlertsPerSec = m.MaxAlertsPerSec;
  if (m.DroppingAlertsInterval) ka.DroppingAlertsInterval = m.DroppingAlertsInterval;
  s('KubeArmorVersion', m.KubeArmorVersion);
  return ka;
}

const UPDATED_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/**
 * Unix nanoseconds of KubeArmor's `UpdatedTime` ("2006-01-02T15:04:05.000000Z", UTC, µs), or
 * undefined when it does not parse.
 */
export function updatedTimeToNs(t: string): bigint | undefined {
  const g = UPDATED_TIME.exec(t);
  if (!g) return undefined;
  const ms = Date.UTC(+g[1]!, +g[2]! - 1, +g[3]!, +g[4]!, +g[5]!, +g[6]!);
  if (!Number.isFinite(ms)) return undefined;
  const frac = (g[7] ?? '').padEnd(9, '0');
  return BigInt(ms) * 1_000_000n + BigInt(frac);
}

/** Unix nanoseconds rendered as KubeArmor's UpdatedTime (µs, UTC). */
export function nsToUpdatedTime(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const us = Number((ns / 1000n) % 1_000_000n);
  const iso = new Date(ms).toISOString(); // 2006-01-02T15:04:05.000Z
  return `${iso.slice(0, 19)}.${String(us).padStart(6, '0')}Z`;
}

const ERRNO_BY_RESULT: Record<string, number> = {
  Passed: 0,
  'Operation not permitted': -1,
  'No such file or directory': -2,
  'Permission denied': -13,
  'File exists': -17,
  'Not a directory': -20,
  'Is a directory': -21,
  'Invalid argument': -22,
  'Connection refused': -111,
};

/**
 * An AgentEvent for a KubeArmor event received over gRPC. The kernel facts of EventExtras are
 * not on the wire: they are derived from the strings where KubeArmor states them (Data
 * `syscall=SYS_X`, Result strerror text) and left empty otherwise.
 */
export function agentEventFromKubeArmor(ka: KubeArmorEvent, observedNs: bigint): AgentEvent {
  const timeNs = updatedTimeToNs(ka.UpdatedTime)
    ?? (ka.Timestamp > 0 ? BigInt(Math.trunc(ka.Timestamp)) * 1_000_000_000n : observedNs);
  const sys = /(?:^|\s)syscall=SYS_([A-Z0-9_]+)/.exec(ka.Data ?? '')?.[1];
  const extras: EventExtras = {
    syscall: sys ? sys.toLowerCase() : '',
    retval: ERRNO_BY_RESULT[ka.Result] ?? (ka.Result === '' ? 0 : -1),
    ancestry: ka.ParentProcessName ? [ka.ParentProcessName] : [],
    pidNs: 0,
    mntNs: 0,
    cgroupId: '',
  };
  if (ka.Operation === 'File' && ka.Resource?.startsWith('/')) extras.path = ka.Resource;
  if (ka.Operation === 'Network' && ka.EventData) {
    // KubeArmor network strings: "remoteip=A port=P protocol=TCP" or "sa_family=AF_INET sin_port=P sin_addr=A".
    const d = ka.EventData;
    const addr = d.Remoteip ?? d.Sin_addr ?? d.Sin6_addr;
    const port = Number(d.Port ?? d.Sin_port ?? d.Sin6_port);
    if (addr) {
      extras.sockaddr = { family: d.Sa_family ?? (addr.includes(':') ? 'AF_INET6' : 'AF_INET'), addr };
      if (Number.isInteger(port) && port > 0) extras.sockaddr.port = port;
    }
  }
  return { ka, timeNs, observedNs, extras };
}
