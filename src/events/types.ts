// The event model every stage after enrichment consumes: a KubeArmor `Log`/`Alert` with its
// exact field names (../shared/reference/kubearmor-compat.md §1.3), plus what the kernel
// knew that KubeArmor's strings hide (for Rego rules and OTLP semantic-convention keys).

export type EventType =
  | 'ContainerLog'
  | 'HostLog'
  | 'MatchedPolicy'
  | 'MatchedHostPolicy'
  | 'SystemEvent';

export type Operation = 'Process' | 'File' | 'Network' | 'Capabilities' | 'Syscall' | 'AlertThreshold';

export interface PodOwner {
  Ref: string;
  Name: string;
  Namespace: string;
}

export interface ExecEventInfo {
  ExecID: string;
  ExecutableName: string;
}

/**
 * KubeArmor `Log` ∪ `Alert`. Optional fields are absent (not "") when KubeArmor would leave them
 * empty, so that JSON rendering (karmor --json dialect) and OTLP attributes can omit them.
 * Integers are JS numbers (int32 on the gRPC wire).
 */
export interface KubeArmorEvent {
  Timestamp: number; // unix seconds
  UpdatedTime: string; // 2006-01-02T15:04:05.000000Z
  ClusterName: string;
  HostName: string;
  NamespaceName?: string;
  PodName?: string;
  Labels?: string;
  Owner?: PodOwner;
  ContainerID?: string;
  ContainerName?: string;
  ContainerImage?: string;
  ParentProcessName?: string;
  ProcessName?: string;
  HostPPID: number;
  HostPID: number;
  PPID: number;
  PID: number;
  UID: number;
  Type: EventType;
  Source?: string;
  Operation: Operation;
  Resource?: string;
  Data?: string;
  EventData?: Record<string, string>;
  Result: string;
  Cwd?: string;
  TTY?: string;
  ExecEvent?: ExecEventInfo;
  NodeID?: string;
  UserName?: string;
  // Alert-only fields.
  PolicyName?: string;
  Severity?: string;
  Tags?: string;
  ATags?: string[];
  Message?: string;
  Action?: string;
  Enforcer?: string;
  KubeArmorVersion?: string;
  MaxAlertsPerSec?: number;
  DroppingAlertsInterval?: number;
}

/** Facts the kernel gave us that KubeArmor's strings flatten. Versioned via docs/rego.md. */
export interface EventExtras {
  /** Syscall name without SYS_, lower case ("openat"), or the hook ("sched_process_exec"). */
  syscall: string;
  /** Raw syscall return value (fd, 0, or -errno). */
  retval: number;
  /** Exec: argv (≤ 20). */
  args?: string[];
  /** Absolute resource path for file and exec events. */
  path?: string;
  /** Open flags as the kernel saw them, and their names (O_RDONLY, O_CLOEXEC, ...). */
  openFlags?: number;
  openFlagNames?: string[];
  /** File mode argument (creat/chmod) when relevant. */
  mode?: number;
  /** Owner uid of the opened file, or of the executed binary for exec events (-1 unknown). */
  fileOwnerUid?: number;
  /** Network: decoded sockaddr and socket triple. */
  sockaddr?: { family: string; port?: number; addr?: string; unixPath?: string };
  socket?: { domain: string; type: string; protocol: string };
  /** Capability name without CAP_ (lower case, as in policies). */
  capability?: string;
  /** Exec-path ancestry: [parent, grandparent, ...], bounded to 8. */
  ancestry: string[];
  /** Namespace inodes and cgroup id the container was attributed from. */
  pidNs: number;
  mntNs: number;
  cgroupId: string;
  /** Set when a compiled rule matched in the kernel (id from the policy compiler). */
  kernelRuleId?: number;
  /** The kernel killed the caller (kill-on-attempt enforcer). */
  killed?: boolean;
  /** The record left the kernel only for policy matching (RecordFlag.RuleOnly: its category is
   *  not visible); the policy stage drops it unless it becomes an alert. */
  ruleOnly?: boolean;
}

/** One event as it flows through the pipeline after enrichment. */
export interface AgentEvent {
  ka: KubeArmorEvent;
  /** Kernel event time as wall-clock unix nanoseconds (boot time converted once; src/events/clock.ts). */
  timeNs: bigint;
  /** Wall-clock unix nanoseconds when the agent built this event. */
  observedNs: bigint;
  extras: EventExtras;
}

export function isAlert(t: EventType): boolean {
  return t === 'MatchedPolicy' || t === 'MatchedHostPolicy' || t === 'SystemEvent';
}
