// Enrichment: decoded kernel records in, complete KubeArmor events out
// (../shared/reference/kubearmor-compat.md §1.3, §3). One handler per record op, in the sensor file
// that mirrors the BPF program (HANDLERS). The Enricher adds what KubeArmor's BuildLogBase adds:
// identity (cluster, host, node id), process context from the process tree (ProcessName,
// ParentProcessName, Source, Cwd, TTY, ExecEvent), container attribution, pod metadata, Result,
// EventData, timestamps, and the EventExtras the kernel knew.
//
// Nothing here throws: a malformed record is counted as metrics.dropped('decode', reason) and skipped.
// Pod metadata: an event of a container whose pod is not known yet is held (bounded, `podHoldMs`)
// and re-checked on every enrich() call; after that it is emitted without pod fields and counted in
// `stats.podMetaUnresolved` (KubeArmor replays such events up to 10 times, 1 s apart). The pipeline
// calls enrich([]) periodically so held events leave even when no records arrive.
import * as fs from 'node:fs';
import { BootClock } from '../events/clock';
import { Op, RecordFlag, type KernelRecord } from '../events/record';
import type { AgentEvent, EventExtras, EventType, ExecEventInfo, KubeArmorEvent } from '../events/types';
import { renderLabels } from '../k8s/pod-meta';
import type { PodMetadataSource } from '../k8s/types';
import type { AgentMetrics } from '../metrics/metrics';
import { resultText } from '../format/errno';
import { sharedEventData } from '../format/event-data';
import { unixSeconds, updatedTime } from '../format/time';
import { handleCapability } from './capabilities';
import { isInt, type EventDraft, type Handler, type HandlerContext } from './common';
import { ContainerResolver } from './containers';
import { handleFile } from './file';
import { handleNetwork } from './network';
import { execResource, handleExec, handleExit, handleFork, handleTaskState } from './process';
import { ProcessTree, type ProcNode } from './proc-tree';
import { handleSyscall } from './syscalls';

export { KubeArmorResultFilter, KUBEARMOR_DROPPED_RESULTS } from './result-filter';

/** op → handler. The only dispatch point: a new record kind is one entry here plus its sensor file. */
export const HANDLERS: { readonly [K in Op]: Handler<Extract<KernelRecord, { op: K }>> } = {
  [Op.ProcessExec]: handleExec,
  [Op.ProcessFork]: handleFork,
  [Op.ProcessExit]: handleExit,
  [Op.File]: handleFile,
  [Op.Network]: handleNetwork,
  [Op.Capability]: handleCapability,
  [Op.Syscall]: handleSyscall,
  [Op.TaskState]: handleTaskState,
};

export interface EnricherOptions {
  clusterName: string;
  hostName: string;
  /** KubeArmor NodeID (/etc/machine-id; see readMachineId). */
  nodeId: string;
  metrics: AgentMetrics;
  pods?: PodMetadataSource;
  /** /proc to seed and fall back to (tests: a fixture tree). */
  procRoot?: string;
  /** passwd file for UserName (host events only). */
  passwdPath?: string;
  /** Host pid namespace inode; default from <procRoot>/1/ns/pid. */
  hostPidNs?: number;
  /** CLOCK_BOOTTIME ns → unix ns. Default: BootClock.sample() (src/events/clock.ts), else a monotonic offset. */
  bootToWallNs?: (bootNs: bigint) => bigint;
  now?: () => number;
  treeMaxSize?: number;
  exitGraceMs?: number;
  /** How long an event waits for its pod metadata (default 1000 ms) and how many may wait (default 4096). */
  podHoldMs?: number;
  podHoldMax?: number;
}

export interface EnricherStats {
  /** Container events emitted without pod fields because the pod was not known in time. */
  podMetaUnresolved: number;
  /** Of those, emitted at once because the hold buffer was full. */
  podHoldOverflow: number;
}

interface Held {
  ev: AgentEvent;
  containerId: string;
  sinceMs: number;
}

/** /etc/machine-id without the newline; "" when unreadable. */
export function readMachineId(file = '/etc/machine-id'): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * CLOCK_BOOTTIME → wall clock by one offset taken at start. process.hrtime is CLOCK_MONOTONIC,
 * which differs from CLOCK_BOOTTIME only by time spent suspended (none on a running server).
 */
function monotonicBootToWall(): (bootNs: bigint) => bigint {
  const offset = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
  return (bootNs) => bootNs + offset;
}

function loadClock(): (bootNs: bigint) => bigint {
  try {
    const c = BootClock.sample(); // native: realtime and boottime read back to back
    return (bootNs) => c.toUnixNs(bootNs);
  } catch {
    return monotonicBootToWall(); // addon not built (unit tests, offline tools)
  }
}

/** KubeArmor `Labels` of a pod's label record (renderLabels), rendered once per record: the pod
 *  watcher shares one record among a pod's containers and replaces it when the pod changes. */
const labelsText = new WeakMap<Record<string, string>, string>();
function renderedLabels(labels: Record<string, string>): string {
  let t = labelsText.get(labels);
  if (t === undefined) { t = renderLabels(labels); labelsText.set(labels, t); }
  return t;
}

class UserNames {
  private names = new Map<number, string>();
  private loadedMs = -Infinity;
  constructor(private readonly file: string, private readonly now: () => number) {}

  /** User name for a uid from the passwd file, re-read at most every 10 minutes (KubeArmor's cache TTL). */
  get(uid: number): string {
    const now = this.now();
    if (now - this.loadedMs > 600_000 || (!this.names.has(uid) && now - this.loadedMs > 60_000)) {
      this.loadedMs = now;
      const m = new Map<number, string>();
      try {
        for (const line of fs.readFileSync(this.file, 'utf8').split('\n')) {
          const f = line.split(':');
          if (f.length >= 3 && /^\d+$/.test(f[2]!)) m.set(Number(f[2]), f[0]!);
        }
        this.names = m;
      } catch {
        /* keep the previous table */
      }
    }
    return this.names.get(uid) ?? '';
  }
}

/** Source of a process (its command line: exec path, then argv[1..]), per argv array: an exec
 *  replaces the array, a fork shares it with the child. */
const commandLines = new WeakMap<readonly string[], { exe: string; text: string }>();
function commandLine(node: ProcNode): string {
  const c = commandLines.get(node.args);
  if (c && c.exe === node.exe) return c.text;
  const text = execResource(node.exe, node.args);
  commandLines.set(node.args, { exe: node.exe, text });
  return text;
}

const STRINGS_MAX = 4096;

/**
 * Values the events of one process repeat, built once and shared by those events (read-only,
 * as every object on an event after enrichment): Cwd with its trailing slash, ExecEvent, the
 * cgroup id text. Each table restarts when it reaches STRINGS_MAX entries.
 */
class SharedValues {
  private readonly dirs = new Map<string, string>();
  private readonly execEvents = new Map<string, Map<string, ExecEventInfo>>();
  private execEventCount = 0;
  private lastCgroup: unknown = undefined;
  private lastCgroupText = '0';

  /** "dir/" of a cwd (unchanged when it already ends with "/"). */
  dir(cwd: string): string {
    let d = this.dirs.get(cwd);
    if (d === undefined) {
      d = cwd.endsWith('/') ? cwd : `${cwd}/`;
      if (this.dirs.size >= STRINGS_MAX) this.dirs.clear();
      this.dirs.set(cwd, d);
    }
    return d;
  }

  execEvent(execId: string, comm: string): ExecEventInfo {
    if (this.execEventCount >= STRINGS_MAX) { this.execEvents.clear(); this.execEventCount = 0; }
    let byComm = this.execEvents.get(execId);
    if (!byComm) this.execEvents.set(execId, (byComm = new Map()));
    let e = byComm.get(comm);
    if (!e) {
      byComm.set(comm, (e = { ExecID: execId, ExecutableName: comm }));
      this.execEventCount++;
    }
    return e;
  }

  /** Decimal text of the record's cgroup id (bigint from decodeBatch; hand-built records may differ). */
  cgroup(id: unknown): string {
    if (id !== this.lastCgroup) {
      this.lastCgroup = id;
      this.lastCgroupText = typeof id === 'bigint' ? id.toString() : String(id ?? 0);
    }
    return this.lastCgroupText;
  }
}

const HEADER_INTS = ['tgid', 'ppid', 'nsTgid', 'nsPpid', 'uid', 'pidNs', 'mntNs', 'flags'] as const;

/** Wall-clock now in ns at µs precision (Date.now() is ms: an event could look observed before
 *  it happened). One reading per enriched batch: the OTLP observedTimestamp. */
function observedNowNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

export class Enricher {
  readonly tree: ProcessTree;
  readonly containers: ContainerResolver;
  readonly stats: EnricherStats = { podMetaUnresolved: 0, podHoldOverflow: 0 };
  private readonly opts: EnricherOptions;
  private readonly now: () => number;
  private readonly toWall: (bootNs: bigint) => bigint;
  /** observedNowNs() of the batch being enriched. */
  private observedNs = 0n;
  private readonly users: UserNames;
  private readonly strings = new SharedValues();
  private held: Held[] = [];
  private readonly podHoldMs: number;
  private readonly podHoldMax: number;

  constructor(opts: EnricherOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    const procRoot = opts.procRoot ?? '/proc';
    this.tree = new ProcessTree({ procRoot, maxSize: opts.treeMaxSize, exitGraceMs: opts.exitGraceMs, now: this.now });
    this.containers = new ContainerResolver({ procRoot, hostPidNs: opts.hostPidNs, now: this.now });
    this.toWall = opts.bootToWallNs ?? loadClock();
    this.users = new UserNames(opts.passwdPath ?? '/etc/passwd', this.now);
    this.podHoldMs = opts.podHoldMs ?? 1000;
    this.podHoldMax = opts.podHoldMax ?? 4096;
  }

  /** Seed the process tree from /proc (call once before the first records). */
  seedFromProc(): void {
    this.tree.seedFromProc();
    this.opts.metrics.gauges.processTreeSize = this.tree.size;
  }

  get processCount(): number {
    return this.tree.size;
  }

  /** Events held for pod metadata right now. */
  get heldCount(): number {
    return this.held.length;
  }

  enrich(records: readonly KernelRecord[]): AgentEvent[] {
    const out: AgentEvent[] = [];
    this.observedNs = observedNowNs();
    if (this.held.length > 0) this.replayHeld(out);
    for (const rec of records) {
      try {
        this.one(rec, out);
      } catch {
        this.opts.metrics.dropped('decode', 'enrich_error');
      }
    }
    this.tree.reap();
    this.opts.metrics.gauges.processTreeSize = this.tree.size;
    // otelarmor_events_total is counted once, at the sinks (src/metrics/sink.ts), after policy
    // matching has given each event its final Type.
    return out;
  }

  private one(rec: KernelRecord, out: AgentEvent[]): void {
    const m = this.opts.metrics;
    if (rec === null || typeof rec !== 'object') {
      m.dropped('decode', 'bad_record');
      return;
    }
    const handler = HANDLERS[rec.op] as Handler | undefined;
    if (!handler) {
      m.dropped('decode', 'unknown_op');
      return;
    }
    for (const k of HEADER_INTS) {
      if (!isInt(rec[k])) {
        m.dropped('decode', 'header_fields');
        return;
      }
    }
    if (typeof rec.ktimeNs !== 'bigint' || typeof rec.comm !== 'string') {
      m.dropped('decode', 'header_fields');
      return;
    }
    const node = this.tree.peek(rec.tgid) ?? (rec.op === Op.ProcessExit ? undefined : this.tree.get(rec.tgid));
    if (node) this.tree.touch(node, rec.ppid, rec.nsTgid, rec.nsPpid, rec.pidNs, rec.mntNs, rec.comm);
    const ctx: HandlerContext = { tree: this.tree, node };
    const res = handler(rec, ctx);
    if (res === null) return;
    if (typeof res === 'string') {
      m.dropped('decode', res);
      return;
    }
    this.emit(rec, res, ctx.node, out);
  }

  private emit(rec: KernelRecord, d: EventDraft, node: ProcNode | undefined, out: AgentEvent[]): void {
    const o = this.opts;
    const att = this.containers.resolve(rec.tgid, rec.pidNs, rec.mntNs, [rec.ppid]);
    const type: EventType = att.containerId ? 'ContainerLog' : 'HostLog';
    const parent = rec.ppid > 0 ? this.tree.get(rec.ppid) : undefined;
    const processName = node?.exe || rec.comm;
    const parentName = parent?.exe || parent?.comm || '';
    let source: string;
    if (d.sourceIsParent) source = parentName;
    else if (node && node.exe) source = commandLine(node);
    else source = rec.comm;
    if (d.cwd && node) node.cwd = d.cwd;
    const cwd = d.cwd ?? node?.cwd ?? '';
    const tty = node?.tty ?? '';
    const timeNs = this.toWall(rec.ktimeNs);
    const result = resultText(d.ret);
    const ka: KubeArmorEvent = {
      Timestamp: unixSeconds(timeNs),
      UpdatedTime: updatedTime(timeNs),
      ClusterName: o.clusterName,
      HostName: o.hostName,
      HostPPID: rec.ppid,
      HostPID: rec.tgid,
      PPID: rec.nsPpid === rec.ppid ? 0 : rec.nsPpid,
      PID: rec.nsTgid,
      UID: rec.uid,
      Type: type,
      Operation: d.operation,
      Result: result,
    };
    if (att.containerId) ka.ContainerID = att.containerId;
    if (parentName) ka.ParentProcessName = parentName;
    if (processName) ka.ProcessName = processName;
    if (source) ka.Source = source;
    if (d.resource) ka.Resource = d.resource;
    if (d.data) ka.Data = d.data;
    const ed = sharedEventData(d.operation, d.data, d.resource);
    if (ed) ka.EventData = ed;
    if (cwd) ka.Cwd = this.strings.dir(cwd);
    if (tty) ka.TTY = tty;
    ka.ExecEvent = this.strings.execEvent(node?.execId ?? '0', rec.comm);
    if (o.nodeId) ka.NodeID = o.nodeId;
    if (type === 'HostLog') {
      const u = this.users.get(rec.uid);
      if (u) ka.UserName = u;
    }
    const extras: EventExtras = {
      syscall: d.syscall,
      retval: d.ret,
      ...d.extras,
      ancestry: this.tree.ancestry(rec.tgid, 8),
      pidNs: rec.pidNs,
      mntNs: rec.mntNs,
      cgroupId: this.strings.cgroup(rec.cgroupId),
    };
    // RecordFlag bits: `recordFlags` when the decoder sets it; else `flags`, except on file records
    // where `flags` is the syscall's flags word (then only ruleId != 0 tells a kernel match).
    const rf = (rec as { recordFlags?: unknown }).recordFlags;
    const hflags = typeof rf === 'number' ? rf : rec.op === Op.File ? (rec.ruleId !== 0 ? RecordFlag.Matched : 0) : rec.flags;
    if (hflags & RecordFlag.Matched) extras.kernelRuleId = rec.ruleId;
    if (hflags & RecordFlag.Killed) extras.killed = true;
    if (hflags & RecordFlag.RuleOnly) extras.ruleOnly = true;
    const ev: AgentEvent = { ka, timeNs, observedNs: this.observedNs, extras };
    if (att.containerId && o.pods) {
      if (!this.applyPod(ka, att.containerId)) {
        if (this.held.length >= this.podHoldMax) {
          this.stats.podMetaUnresolved++;
          this.stats.podHoldOverflow++;
          o.metrics.podMetadataUnresolved('hold_full');
        } else {
          this.held.push({ ev, containerId: att.containerId, sinceMs: this.now() });
          return;
        }
      }
    }
    out.push(ev);
  }

  private applyPod(ka: KubeArmorEvent, containerId: string): boolean {
    let meta;
    try {
      meta = this.opts.pods?.lookup(containerId);
    } catch {
      meta = undefined;
    }
    if (!meta) return false;
    if (meta.namespace) ka.NamespaceName = meta.namespace;
    if (meta.podName) ka.PodName = meta.podName;
    const labels = renderedLabels(meta.labels ?? {});
    if (labels) ka.Labels = labels;
    if (meta.owner && (meta.owner.Ref || meta.owner.Name || meta.owner.Namespace)) ka.Owner = { ...meta.owner };
    if (meta.containerName) ka.ContainerName = meta.containerName;
    if (meta.image) ka.ContainerImage = meta.image;
    return true;
  }

  private replayHeld(out: AgentEvent[]): void {
    const now = this.now();
    const keep: Held[] = [];
    for (const h of this.held) {
      if (this.applyPod(h.ev.ka, h.containerId)) out.push(h.ev);
      else if (now - h.sinceMs >= this.podHoldMs) {
        this.stats.podMetaUnresolved++;
        this.opts.metrics.podMetadataUnresolved('timeout');
        out.push(h.ev);
      } else keep.push(h);
    }
    this.held = keep;
  }
}
