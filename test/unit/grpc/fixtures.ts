// Realistic AgentEvents for the gRPC tests: a container alert with every optional field (Owner,
// ATags, EventData, ExecEvent, Enforcer, ...), a host log, a container log and a throttling notice.
import type { AgentEvent, EventExtras, KubeArmorEvent } from '../../../src/events/types';

const extras: EventExtras = {
  syscall: 'openat',
  retval: -13,
  path: '/etc/shadow',
  ancestry: ['/bin/bash'],
  pidNs: 4026532001,
  mntNs: 4026532002,
  cgroupId: '8812',
};

export function ev(ka: KubeArmorEvent, timeNs = 1784895200123456789n): AgentEvent {
  return { ka, timeNs, observedNs: timeNs + 1000n, extras };
}

export const ALERT: KubeArmorEvent = {
  Timestamp: 1784895200,
  UpdatedTime: '2026-07-24T12:13:20.123456Z',
  ClusterName: 'default',
  HostName: 'node-a',
  NamespaceName: 'shop',
  PodName: 'web-7d9c-abcde',
  Labels: 'app=web,tier=front',
  Owner: { Ref: 'Deployment', Name: 'web', Namespace: 'shop' },
  ContainerID: '3f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170615f4e3',
  ContainerName: 'web',
  ContainerImage: 'docker.io/library/nginx:1.27@sha256:0123abcd',
  ParentProcessName: '/bin/bash',
  ProcessName: '/bin/cat',
  HostPPID: 4100,
  HostPID: 1234567,
  PPID: 1,
  PID: 17,
  UID: 1000,
  Type: 'MatchedPolicy',
  Source: '/bin/cat /etc/shadow <&3 && true',
  Operation: 'File',
  Resource: '/etc/shadow',
  Data: 'syscall=SYS_OPENAT fd=-100 flags=O_RDONLY',
  EventData: { Syscall: 'SYS_OPENAT', Fd: '-100', Flags: 'O_RDONLY' },
  Result: 'Permission denied',
  Cwd: '/',
  TTY: 'pts0',
  ExecEvent: { ExecID: '91827364550017', ExecutableName: 'cat' },
  NodeID: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  PolicyName: 'block-shadow',
  Severity: '5',
  Tags: 'PCI_DSS,MITRE',
  ATags: ['PCI_DSS', 'MITRE'],
  Message: 'shadow read',
  Action: 'Block',
  Enforcer: 'eBPF Monitor',
  KubeArmorVersion: 'otelarmor-0.1.0',
};

export const HOST_LOG: KubeArmorEvent = {
  Timestamp: 1784895201,
  UpdatedTime: '2026-07-24T12:13:21.000042Z',
  ClusterName: 'default',
  HostName: 'node-a',
  ParentProcessName: '/usr/bin/bash',
  ProcessName: '/usr/bin/curl',
  HostPPID: 812,
  HostPID: 9001,
  PPID: 0,
  PID: 9001,
  UID: 0,
  Type: 'HostLog',
  Source: '/usr/bin/curl example.com',
  Operation: 'Network',
  Resource: 'remoteip=93.184.215.14 port=443 protocol=TCP',
  Data: 'syscall=SYS_CONNECT fd=5',
  EventData: { Syscall: 'SYS_CONNECT', Fd: '5', Remoteip: '93.184.215.14', Port: '443', Protocol: 'TCP' },
  Result: 'Passed',
  Cwd: '/root/',
  ExecEvent: { ExecID: '0', ExecutableName: 'curl' },
  NodeID: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  UserName: 'root',
};

export const CONTAINER_LOG: KubeArmorEvent = {
  Timestamp: 1784895202,
  UpdatedTime: '2026-07-24T12:13:22.500000Z',
  ClusterName: 'default',
  HostName: 'node-a',
  NamespaceName: 'shop',
  PodName: 'web-7d9c-abcde',
  Labels: 'app=web,tier=front',
  Owner: { Ref: 'Deployment', Name: 'web', Namespace: 'shop' },
  ContainerID: '3f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170615f4e3',
  ContainerName: 'web',
  ContainerImage: 'docker.io/library/nginx:1.27@sha256:0123abcd',
  ParentProcessName: '/bin/bash',
  ProcessName: '/bin/ls',
  HostPPID: 4100,
  HostPID: 4300,
  PPID: 1,
  PID: 18,
  UID: 0,
  Type: 'ContainerLog',
  Source: '/bin/bash',
  Operation: 'Process',
  Resource: '/bin/ls -la /tmp',
  Data: 'syscall=SYS_EXECVE',
  EventData: { Syscall: 'SYS_EXECVE' },
  Result: 'Passed',
  Cwd: '/tmp/',
  TTY: 'pts0',
  ExecEvent: { ExecID: '91827364550017', ExecutableName: 'ls' },
  NodeID: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
};

export const THROTTLE_NOTICE: KubeArmorEvent = {
  Timestamp: 1784895203,
  UpdatedTime: '2026-07-24T12:13:23.000001Z',
  ClusterName: 'default',
  HostName: 'node-a',
  NamespaceName: 'shop',
  PodName: 'web-7d9c-abcde',
  ContainerID: '3f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170615f4e3',
  ContainerName: 'web',
  HostPPID: 0,
  HostPID: 0,
  PPID: 0,
  PID: 0,
  UID: 0,
  Type: 'SystemEvent',
  Operation: 'AlertThreshold',
  Result: '',
  Message: 'Alert threshold reached, dropping alerts for 30s',
  MaxAlertsPerSec: 10,
  DroppingAlertsInterval: 30,
  KubeArmorVersion: 'otelarmor-0.1.0',
};

/**
 * What Go's encoding/json prints for ALERT received as *pb.Alert (karmor --json), written by hand
 * from the rules of kubearmor-compat.md §2 (a): struct order, omitempty except PPID/UID, sorted
 * map keys, \u003c/\u0026 escaping.
 */
export const ALERT_KARMOR_JSON =
  '{"Timestamp":1784895200,"UpdatedTime":"2026-07-24T12:13:20.123456Z","ClusterName":"default",' +
  '"HostName":"node-a","NamespaceName":"shop","Owner":{"Ref":"Deployment","Name":"web","Namespace":"shop"},' +
  '"PodName":"web-7d9c-abcde","Labels":"app=web,tier=front",' +
  '"ContainerID":"3f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170615f4e3","ContainerName":"web",' +
  '"ContainerImage":"docker.io/library/nginx:1.27@sha256:0123abcd","HostPPID":4100,"HostPID":1234567,"PPID":1,' +
  '"PID":17,"UID":1000,"ParentProcessName":"/bin/bash","ProcessName":"/bin/cat","PolicyName":"block-shadow",' +
  '"Severity":"5","Tags":"PCI_DSS,MITRE","ATags":["PCI_DSS","MITRE"],"Message":"shadow read",' +
  '"Type":"MatchedPolicy","Source":"/bin/cat /etc/shadow \\u003c\\u00263 \\u0026\\u0026 true","Operation":"File",' +
  '"Resource":"/etc/shadow","Data":"syscall=SYS_OPENAT fd=-100 flags=O_RDONLY",' +
  '"EventData":{"Fd":"-100","Flags":"O_RDONLY","Syscall":"SYS_OPENAT"},"Enforcer":"eBPF Monitor",' +
  '"Action":"Block","Result":"Permission denied","Cwd":"/","TTY":"pts0",' +
  '"ExecEvent":{"ExecID":"91827364550017","ExecutableName":"cat"},"KubeArmorVersion":"otelarmor-0.1.0",' +
  '"NodeID":"0f1e2d3c4b5a69788796a5b4c3d2e1f0"}';

/** The same for HOST_LOG as *pb.Log: PPID 0 and UID 0 are printed, no alert-only keys. */
export const HOST_LOG_KARMOR_JSON =
  '{"Timestamp":1784895201,"UpdatedTime":"2026-07-24T12:13:21.000042Z","ClusterName":"default",' +
  '"HostName":"node-a","ParentProcessName":"/usr/bin/bash","ProcessName":"/usr/bin/curl","HostPPID":812,' +
  '"HostPID":9001,"PPID":0,"PID":9001,"UID":0,"Type":"HostLog","Source":"/usr/bin/curl example.com",' +
  '"Operation":"Network","Resource":"remoteip=93.184.215.14 port=443 protocol=TCP",' +
  '"Data":"syscall=SYS_CONNECT fd=5",' +
  '"EventData":{"Fd":"5","Port":"443","Protocol":"TCP","Remoteip":"93.184.215.14","Syscall":"SYS_CONNECT"},' +
  '"Result":"Passed","Cwd":"/root/","ExecEvent":{"ExecID":"0","ExecutableName":"curl"},' +
  '"NodeID":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","UserName":"root"}';
