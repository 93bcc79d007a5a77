// Readable one-line-per-event printer (like `karmor logs -o text`, condensed to one line):
//   2026-07-24T12:13:20.123456Z HostLog     Process  host pid=4242(1234) uid=0 /usr/bin/bash -> /usr/bin/cat /etc/hosts [Passed]
//   2026-07-24T12:13:20.123456Z ALERT MatchedPolicy File  default/web-1/web pid=... /bin/cat -> /etc/shadow [Permission denied] policy=block-shadow action=Block severity=5
// Alerts are marked "ALERT" and, on a TTY, printed in bold red.
import type { AgentEvent, KubeArmorEvent } from '../events/types';
import { isAlert } from '../events/types';

export function formatReadable(ka: KubeArmorEvent, color: boolean): string {
  const alert = isAlert(ka.Type);
  const where = ka.ContainerID
    ? [ka.NamespaceName, ka.PodName, ka.ContainerName].filter(Boolean).join('/') || ka.ContainerID.slice(0, 12)
    : 'host';
  const pid = ka.PID !== ka.HostPID ? `${ka.HostPID}(${ka.PID})` : String(ka.HostPID);
  const parts = [
    ka.UpdatedTime,
    alert ? `ALERT ${ka.Type}` : ka.Type,
    ka.Operation,
    where,
    `pid=${pid}`,
    `uid=${ka.UID}`,
    `${ka.Source ?? ka.ProcessName ?? ''} -> ${ka.Resource ?? ''}`,
  ];
  if (ka.Data) parts.push(`(${ka.Data})`);
  parts.push(`[${ka.Result}]`);
  if (alert) {
    if (ka.PolicyName) parts.push(`policy=${ka.PolicyName}`);
    if (ka.Action) parts.push(`action=${ka.Action}`);
    if (ka.Severity) parts.push(`severity=${ka.Severity}`);
    if (ka.Message) parts.push(`message=${JSON.stringify(ka.Message)}`);
  }
  // One event is one line: control characters in paths/args are escaped.
  const line = parts.join(' ').replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return alert && color ? `\u001b[1;31m${line}\u001b[0m` : line;
}

export function formatReadableEvent(ev: AgentEvent, color: boolean): string {
  return formatReadable(ev.ka, color);
}
