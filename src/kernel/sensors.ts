// Loads the sensors object, attaches its tracepoints, owns the visibility / syscall filter /
// rule-kind maps and the ring-buffer drain, and hands decoded records to one callback.
//
// Kernel variants: the object is built twice from one source (bpf/Makefile): sensors.bpf.o walks
// kernel structures by bpf_rdonly_cast loads, sensors-probe-read.bpf.o by
// bpf_probe_read_kernel; 'auto' loads the first where the kernel's BTF has the kfunc and falls
// back to the second when it does not or when the first fails to load. A sensor with several
// possible hooks (HOOK_CHOICES) gets the first its kernel takes; the others are left out of the
// load (an fexit program fails the whole load where trampolines are refused).
//
// Demand attachment: the programs of the file, network, syscall and capabilities sensors
// (DEMAND_GROUPS) stay attached only while some visibility entry has the category's bit or
// oa_rule_kinds has its rule kind; otherwise nothing of the category can be wanted from any task
// and a detached tracepoint costs the traced syscall nothing (an attached one that returns at
// once costs its fixed entry overhead: bench/openat "empty programs"). Process programs feed the
// process tree and are always attached. attachAll attaches every program once, so start-up proves
// and reports each hook, then detaches the groups nothing wants. A group is attached before the
// visibility entry or rule-kind bit that wants it is written, and detached detachDelayMs after
// the last one is removed unless a want returns first. Destroying a tracepoint link waits out an
// RCU grace period and the tracepoint refuses the same program again until it has (EEXIST), so
// detaches run off the event loop and a group wanted again meanwhile attaches once they finish
// (attachSettled() resolves then). Before a group is attached again its oa_epochs entry is
// incremented (bpf/include/events.h), so arguments stored by an enter before a detach are never
// paired with a later exit.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Category } from '../config';
import type { DecodeErrorReason } from '../events/decode';
import { Op, type KernelRecord } from '../events/record';
import { binding, MapUpdateFlag, type LinkHandle, type ObjectHandle, type RingbufHandle } from '../native/binding';
import { loadRetryingEagain, native } from '../native/errors';
import { BPF_OUTPUT_DIR, kernelFeatures, TRACEFS, type KernelFeatures } from './features';
import { DrainScheduler, type DrainCounters } from './drain';
import { objectMapTarget } from './map-target';
import { RULE_KINDS_MAP, type RuleMapTarget } from './rules';
import { RuleKind } from './rule-types';

export const SENSORS_OBJECT = path.join(BPF_OUTPUT_DIR, 'sensors.bpf.o');

/** Builds of the sensors object (bpf/lib/common.h OA_BTF_CAST). */
export type SensorsVariant = 'btf-cast' | 'probe-read';
export const SENSORS_VARIANTS: Readonly<Record<SensorsVariant, string>> = {
  'btf-cast': 'sensors.bpf.o',
  'probe-read': 'sensors-probe-read.bpf.o',
};

/** One possible hook of a sensor: its program, what it hooks, and null when the running kernel
 *  takes it (else why not). */
export interface HookChoice {
  program: string;
  hook: string;
  available(f: KernelFeatures): string | null;
}

/** Sensors with alternative hooks, in order of preference; exactly one program of each is
 *  loaded, or none when the kernel takes none of them. */
export const HOOK_CHOICES: Readonly<Record<string, readonly HookChoice[]>> = {
  capabilities: [
    {
      program: 'oa_cap_capable',
      hook: 'tracepoint capability/cap_capable',
      available: (f) => (f.capCapableTracepoint ? null : 'no tracepoint capability/cap_capable (it appeared in 6.13)'),
    },
    {
      program: 'oa_cap_capable_fexit',
      hook: 'fexit cap_capable',
      available: (f) => (f.capCapableFexit === undefined ? 'not probed' : f.capCapableFexit),
    },
  ],
};

/** One feature of the running kernel as start-up reports it: present or not, and when it is
 *  missing what that costs (otelarmor_kernel_feature{feature}). */
export interface FeatureLine {
  feature: string;
  present: boolean;
  /** Start-up line when missing. */
  cost: string | null;
}

/** The kernel features KernelSensors.open looked at, with what each missing one costs. */
export function featureLines(f: KernelFeatures, report: SensorsLoadReport): FeatureLine[] {
  const cap = report.hooks.find((h) => h.sensor === 'capabilities');
  const out: FeatureLine[] = [
    {
      feature: 'kfunc_bpf_rdonly_cast',
      present: f.rdonlyCast,
      cost: f.rdonlyCast ? null : 'kfunc bpf_rdonly_cast (6.2+) missing: the sensors read dentry chains, fd tables and pid numbers with one bpf_probe_read_kernel call per field (sensors-probe-read.bpf.o): more CPU per file, exec and network event',
    },
    {
      feature: 'dentry_d_shortname',
      present: f.dentryShortname,
      cost: f.dentryShortname ? null : 'struct dentry d_shortname (6.14+) missing: each path component is copied with bpf_probe_read_kernel_str: more CPU per file and exec event',
    },
    {
      feature: 'tracepoint_cap_capable',
      present: f.capCapableTracepoint,
      cost: f.capCapableTracepoint ? null : cap?.hook
        ? `tracepoint capability/cap_capable (6.13+) missing: capability events come from ${cap.hook}`
        : `tracepoint capability/cap_capable (6.13+) missing and no other capability hook loads (${cap?.notUsed.join('; ') ?? 'none'}): no capability events, capabilities rules match nothing`,
    },
  ];
  if (f.capCapableFexit !== undefined) out.push({ feature: 'fexit_cap_capable', present: f.capCapableFexit === null, cost: null });
  return out;
}

/** What KernelSensors.open loaded and why. */
export interface SensorsLoadReport {
  variant: SensorsVariant;
  object: string;
  /** Why this variant (auto: the feature found, or the other variant's load error). */
  variantReason: string;
  /** Per HOOK_CHOICES sensor: the hook in use (null: none) and why each better one was not. */
  hooks: { sensor: string; program: string | null; hook: string | null; notUsed: string[] }[];
}

/** Programs of the generic syscall pair: attached only while the syscall filter is non-empty. */
export const GENERIC_SYSCALL_PROGRAMS = ['oa_raw_sys_enter', 'oa_raw_sys_exit'] as const;

/** x86_64 syscalls that have dedicated sensors (never put into the generic filter). */
export const DEDICATED_SYSCALLS: readonly number[] = [
  59, 322, 2, 257, 437, 87, 263, 84, 92, 93, 94, 260, 90, 91, 268, 41, 42, 43, 49, 50, 288, 105, 106, 101, 165, 166,
];

/** Visibility bits, bpf/include/events.h OA_VIS_*. */
export const VISIBILITY_BIT: Readonly<Record<Category, number>> = {
  process: 1,
  file: 2,
  network: 4,
  capabilities: 8,
  syscall: 16,
};

/** Programs attached only while a visibility entry or a rule wants their category. */
export interface DemandGroup {
  category: Category;
  kind: RuleKind;
  programs: readonly string[];
}

const tpPair = (names: readonly string[]): string[] => names.flatMap((n) => [`oa_enter_${n}`, `oa_exit_${n}`]);
/** The file and network sensors run at sys_exit only: they read the arguments from pt_regs. */
const tpExit = (names: readonly string[]): string[] => names.map((n) => `oa_exit_${n}`);

/** Every program of bpf/file.bpf.c, network.bpf.c, syscalls.bpf.c (dedicated hooks) and the
 *  cap_capable program; a kernel test checks that each program of the object is either here, a
 *  process program, the generic pair or a tail-call target. */
export const DEMAND_GROUPS: readonly DemandGroup[] = [
  {
    category: 'file',
    kind: RuleKind.File,
    programs: tpExit(['open', 'openat', 'openat2', 'unlink', 'unlinkat', 'rmdir', 'chown', 'fchown', 'lchown', 'fchownat', 'chmod', 'fchmod', 'fchmodat']),
  },
  { category: 'network', kind: RuleKind.Network, programs: tpExit(['socket', 'connect', 'bind', 'listen', 'accept', 'accept4']) },
  { category: 'syscall', kind: RuleKind.Syscall, programs: tpPair(['setuid', 'setgid', 'ptrace', 'mount', 'umount']) },
  { category: 'capabilities', kind: RuleKind.Capability, programs: (HOOK_CHOICES.capabilities ?? []).map((c) => c.program) },
];

/** Always attached: exec/fork/exit/cwd (process tree), and the capability dedupe cleanup. */
export const PROCESS_PROGRAMS: readonly string[] = [
  'oa_enter_execve', 'oa_enter_execveat', 'oa_sched_exec', 'oa_exit_execve', 'oa_exit_execveat', 'oa_sched_fork',
  'oa_sched_exit', 'oa_exit_chdir', 'oa_exit_fchdir', 'oa_exit_setns', 'oa_cap_exit',
];

const EPOCHS_MAP = 'oa_epochs';
const VIS_DEFAULT = 0xffffffff;
/** Programs only reached by bpf_tail_call (section "tp", no attach target). */
const TAIL_PREFIX = 'oa_tail_';
const OPS: readonly Op[] = [Op.ProcessExec, Op.ProcessFork, Op.ProcessExit, Op.File, Op.Network, Op.Capability, Op.Syscall, Op.TaskState];

export interface KernelSensorsOptions {
  /** Ring buffer size in bytes: a power of two, at least 64 KiB. */
  ringbufBytes: number;
  /** Unread bytes that force a consumer wakeup; default ringbufBytes / 8. */
  wakeupThreshold?: number;
  /** Object file; default: the file of the chosen variant in bpf/.output. */
  objectPath?: string;
  /** Which build to load (SensorsVariant); default 'auto'. */
  variant?: 'auto' | SensorsVariant;
  /** A tgid whose activity the kernel never reports (the agent passes its own pid). */
  ignoreTgid?: number;
  /** 'demand' (default): DEMAND_GROUPS are attached only while wanted (see the file comment);
   *  'all': every program stays attached from attachAll to close. */
  attach?: 'demand' | 'all';
  /** 'demand' mode: how long a group stays attached after the last want of it goes away; a
   *  want that returns within it (a container restarting, a policy replaced) costs nothing.
   *  Default 2000 ms; 0 detaches at once. */
  detachDelayMs?: number;
}

export interface AttachResult {
  program: string;
  attached: boolean;
  error: string | null;
}

/** struct oa_op_counters (bpf/include/events.h), summed over CPUs. */
export interface OpCounters {
  emitted: number;
  invisible: number;
  dedup: number;
  /** Events dropped for want of usable enter args: stored before a detach (oa_epochs) or of
   *  another syscall, or not storable at enter (struct oa_op_counters.args_lost). */
  argsLost: number;
}

export interface KernelSensorsStats {
  /** Ring-buffer reserve failures per op (kernel stage drops). */
  kernelDropsByOp: Partial<Record<Op, number>>;
  /** Per-op kernel counters (emitted, dropped as invisible, capability dedupe hits). */
  countersByOp: Partial<Record<Op, OpCounters>>;
  /** Unread bytes / ring size of oa_events at the time of the call. */
  ringbufFillRatio: number;
  /** The same for the priority lane oa_alerts (records that matched a rule). */
  alertRingFillRatio: number;
  decodeErrors: Partial<Record<DecodeErrorReason, number>>;
  /** Records drained but dropped because the JS hand-off failed (both rings). */
  lostHandoff: number;
  /** Drain rounds deferred because the JS thread was behind (both rings). */
  stalls: number;
  /** Records delivered to JS by the drain threads (both rings). */
  delivered: number;
  /** Of those, records delivered through the priority lane. */
  deliveredAlertLane: number;
  /** Records decoded and passed to onRecords. */
  decoded: number;
  /** onRecords threw (the batch's records are counted here and dropped). */
  callbackErrors: number;
  /** Batches delivered by the drain threads and not yet fully processed on the JS thread. */
  pendingBatches: number;
  /** Bytes handed to the JS thread (queued or being processed) and not yet acknowledged. */
  handoffQueuedBytes: number;
}

export function visibilityMask(categories: readonly Category[]): number {
  let m = 0;
  for (const c of categories) {
    const bit = VISIBILITY_BIT[c];
    if (bit === undefined) throw new Error(`visibility: unknown category '${String(c)}'`);
    m |= bit;
  }
  return m;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

function visKey(pidNs: number, mntNs: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(pidNs >>> 0, 0);
  b.writeUInt32LE(mntNs >>> 0, 4);
  return b;
}

/** Mounts tracefs when it is missing (tracepoint attach reads event ids from it). */
export function ensureTracefs(): void {
  if (existsSync(path.join(TRACEFS, 'events'))) return;
  execFileSync('mount', ['-t', 'tracefs', 'nodev', TRACEFS], { stdio: 'ignore' });
}

export class KernelSensors {
  private readonly _links = new Map<string, LinkHandle>();
  /** Drain of oa_events and of the priority lane oa_alerts (bpf/lib/common.h). */
  private _rb: RingbufHandle | null = null;
  private _filter = new Set<number>();
  private readonly _decodeErrors = new Map<DecodeErrorReason, number>();
  private _drain: DrainScheduler | null = null;
  private _counters: DrainCounters = { decoded: 0, callbackErrors: 0, decodeErrors: new Map() };
  private _closed = false;
  private _closing: Promise<void> | null = null;
  private _onAttachChange: ((r: AttachResult) => void) | null = null;
  /** oa_visibility as written by this object: key "pidNs:mntNs" -> mask. */
  private _vis = new Map<string, number>();
  private _ruleKinds = 0;
  /** Demand groups currently attached (after attachAll). */
  private readonly _groupOn = new Set<Category>();
  private _attachedAll = false;
  private readonly _epochs = Buffer.alloc(32);
  /** Per demand group: its links being destroyed (linksDestroy, off the event loop). */
  private readonly _detaching = new Map<Category, Promise<void>>();
  /** Re-attaches waiting for a detach of the same group. */
  private readonly _deferred = new Map<Category, Promise<void>>();
  /** Per demand group: a detach scheduled detachDelayMs after the group became unwanted. */
  private readonly _delayed = new Map<Category, { timer: NodeJS.Timeout; done: Promise<void>; resolve: () => void }>();

  /** Programs left out of the load (alternative hooks not chosen) and, per sensor without any
   *  hook, the error attachAll reports for its first program. */
  private readonly _notLoaded: Set<string>;
  private readonly _noHook = new Map<string, string>();

  private constructor(
    readonly objectHandle: ObjectHandle,
    private readonly _demand: boolean,
    private readonly _detachDelayMs: number,
    readonly loadReport: SensorsLoadReport,
    notLoaded: readonly string[],
  ) {
    this._notLoaded = new Set(notLoaded);
    for (const h of loadReport.hooks) {
      const first = HOOK_CHOICES[h.sensor]?.[0];
      if (h.program === null && first) this._noHook.set(first.program, `no ${h.sensor} hook on this kernel: ${h.notUsed.join('; ')}`);
    }
  }

  /**
   * `f` runs after every attach attempt (attachAll, setSyscallFilter) and every detach before
   * stop(): a failed attach has `error` set; a program not attached on purpose (the generic pair
   * while the filter is empty: at attachAll and when the filter empties) reports attached=false
   * with error=null.
   */
  onAttachChange(f: ((r: AttachResult) => void) | null): void {
    this._onAttachChange = f;
  }

  private _report(r: AttachResult): AttachResult {
    try { this._onAttachChange?.(r); } catch { /* a listener must not break attaching */ }
    return r;
  }

  static open(opts: KernelSensorsOptions): KernelSensors {
    const { ringbufBytes } = opts;
    if (!Number.isInteger(ringbufBytes) || ringbufBytes < 65536 || (ringbufBytes & (ringbufBytes - 1)) !== 0) {
      throw new Error(`ringbufBytes: must be a power of two >= 65536, got ${ringbufBytes}`);
    }
    const wakeup = opts.wakeupThreshold ?? ringbufBytes / 8;
    if (!Number.isInteger(wakeup) || wakeup < 0 || wakeup > ringbufBytes) {
      throw new Error(`wakeupThreshold: must be an integer in [0, ringbufBytes], got ${wakeup}`);
    }
    const delay = opts.detachDelayMs ?? 2000;
    if (!Number.isInteger(delay) || delay < 0) throw new Error(`detachDelayMs: must be an integer >= 0, got ${delay}`);
    ensureTracefs();
    const features = kernelFeatures();
    const hooks: SensorsLoadReport['hooks'] = [];
    const autoload: Record<string, boolean> = {};
    for (const [sensor, choices] of Object.entries(HOOK_CHOICES)) {
      const notUsed: string[] = [];
      let chosen: HookChoice | null = null;
      for (const c of choices) {
        const why = chosen ? null : c.available(features);
        if (!chosen && why === null) chosen = c;
        else if (!chosen) notUsed.push(`${c.hook}: ${why}`);
        autoload[c.program] = c === chosen;
      }
      hooks.push({ sensor, program: chosen?.program ?? null, hook: chosen?.hook ?? null, notUsed });
    }
    const notLoaded = Object.keys(autoload).filter((p) => !autoload[p]);
    const b = binding();
    const w = Buffer.alloc(8);
    w.writeBigUInt64LE(BigInt(wakeup));
    const self = Buffer.alloc(4);
    self.writeUInt32LE(opts.ignoreTgid ?? 0);
    const load = (file: string): ObjectHandle => {
      if (!existsSync(file)) throw new Error(`sensors object ${file} is missing (run make -C bpf)`);
      return loadRetryingEagain(
        () => b.objectOpen(file, { rodata: { oa_wakeup_bytes: w, oa_self_tgid: self }, mapMaxEntries: { oa_events: ringbufBytes }, reuseMaps: null, autoload }),
        (o) => b.objectLoad(o),
        (o) => b.objectClose(o),
      );
    };
    const want = opts.variant ?? 'auto';
    const fileOf = (v: SensorsVariant) => opts.objectPath ?? path.join(BPF_OUTPUT_DIR, SENSORS_VARIANTS[v]);
    let variant: SensorsVariant;
    let reason: string;
    let h: ObjectHandle;
    if (want !== 'auto') {
      variant = want;
      reason = 'configured';
      h = load(fileOf(variant));
    } else if (!features.rdonlyCast) {
      variant = 'probe-read';
      reason = 'the kernel has no kfunc bpf_rdonly_cast (it appeared in 6.2): kernel structures are read by bpf_probe_read_kernel';
      h = load(fileOf(variant));
    } else {
      try {
        variant = 'btf-cast';
        reason = 'the kernel has the kfunc bpf_rdonly_cast';
        h = load(fileOf(variant));
      } catch (e) {
        variant = 'probe-read';
        reason = `${SENSORS_VARIANTS['btf-cast']} did not load (${(e as Error).message}): kernel structures are read by bpf_probe_read_kernel`;
        h = load(fileOf(variant));
      }
    }
    const report: SensorsLoadReport = { variant, object: fileOf(variant), variantReason: reason, hooks };
    return new KernelSensors(h, (opts.attach ?? 'demand') === 'demand', delay, report, notLoaded);
  }

  /** Program names in the object. */
  programs(): string[] {
    return native(() => binding().programList(this.objectHandle)).map((p) => p.name);
  }

  /** Attaches every program except the generic syscall pair; one failure never stops the rest. */
  attachAll(): AttachResult[] {
    const out: AttachResult[] = [];
    for (const name of this.programs()) {
      const noHook = this._noHook.get(name);
      if (noHook !== undefined) {
        out.push(this._report({ program: name, attached: false, error: noHook }));
        continue;
      }
      if (this._notLoaded.has(name)) continue; // an alternative hook of another kernel
      if ((GENERIC_SYSCALL_PROGRAMS as readonly string[]).includes(name)) {
        if (!this._links.has(name)) this._report({ program: name, attached: false, error: null });
        continue;
      }
      if (name.startsWith(TAIL_PREFIX)) continue; // tail-call targets, reached through prog arrays
      out.push(this._attach(name));
    }
    if (!this._attachedAll) {
      this._attachedAll = true;
      for (const g of DEMAND_GROUPS) this._groupOn.add(g.category);
      this._detachUnwanted();
    }
    return out;
  }

  /** Whether the category's programs are wanted: a visibility entry has its bit or a rule of
   *  its kind exists (the process category is always wanted). */
  wanted(category: Category): boolean {
    const g = DEMAND_GROUPS.find((d) => d.category === category);
    return !g || this._wants(g, this._visAny(this._vis), this._ruleKinds);
  }

  /** Demand categories nothing wants now ('all' mode: none); their groups are detached or
   *  will be once detachDelayMs has passed. */
  unwantedCategories(): Category[] {
    if (!this._demand) return [];
    return DEMAND_GROUPS.filter((g) => !this.wanted(g.category)).map((g) => g.category);
  }

  /** Demand groups detached now because nothing wants them ('all' mode: none). */
  idleCategories(): Category[] {
    if (!this._attachedAll) return [];
    return DEMAND_GROUPS.filter((g) => !this._groupOn.has(g.category)).map((g) => g.category);
  }

  /** The programs of a demand group this kernel loaded (an alternative hook of another kernel
   *  is not among them; a sensor without any hook keeps its first program, reported failed). */
  demandPrograms(category: Category): string[] {
    const g = DEMAND_GROUPS.find((d) => d.category === category);
    return (g?.programs ?? []).filter((p) => this._noHook.has(p) || !this._notLoaded.has(p));
  }

  /** Names of the programs attached now. */
  attachedPrograms(): string[] {
    return [...this._links.keys()].sort();
  }

  private _visAny(vis: ReadonlyMap<string, number>): number {
    let m = 0;
    for (const v of vis.values()) m |= v;
    return m >>> 0;
  }

  private _wants(g: DemandGroup, visAny: number, kinds: number): boolean {
    return !this._demand || (visAny & VISIBILITY_BIT[g.category]) !== 0 || (kinds & (1 << g.kind)) !== 0;
  }

  /** Attaches the groups `visAny`/`kinds` want that are detached (epoch first); never detaches. */
  private _attachWanted(visAny: number, kinds: number): void {
    if (!this._attachedAll) return;
    for (const g of DEMAND_GROUPS) {
      if (!this._wants(g, visAny, kinds)) continue;
      this._cancelDelayed(g.category);
      if (this._groupOn.has(g.category)) continue;
      this._groupOn.add(g.category);
      const pending = this._detaching.get(g.category);
      if (pending) {
        // A tracepoint refuses a program still in its prog array (EEXIST): attach once the
        // previous links are gone, if the group is still wanted then.
        const later: Promise<void> = pending.then(() => {
          if (this._deferred.get(g.category) === later) this._deferred.delete(g.category);
          if (this._closed || !this._groupOn.has(g.category) || g.programs.some((p) => this._links.has(p))) return;
          this._attachGroup(g);
        });
        this._deferred.set(g.category, later);
      } else {
        this._attachGroup(g);
      }
    }
  }

  private _attachGroup(g: DemandGroup): void {
    this._bumpEpoch(g.kind);
    for (const p of g.programs) this._attach(p);
  }

  /** Resolves once the attached groups (of `categories`; default all) match what is wanted:
   *  delayed detaches have run, detaches in flight are complete and the re-attaches they deferred
   *  have run. */
  async attachSettled(categories?: readonly Category[]): Promise<void> {
    const pending = (): Promise<void>[] => {
      const out: Promise<void>[] = [];
      for (const [c, d] of this._delayed) if (!categories || categories.includes(c)) out.push(d.done);
      for (const m of [this._detaching, this._deferred]) {
        for (const [c, p] of m) if (!categories || categories.includes(c)) out.push(p);
      }
      return out;
    };
    for (let p = pending(); p.length > 0; p = pending()) await Promise.all(p);
  }

  private _cancelDelayed(category: Category): void {
    const d = this._delayed.get(category);
    if (!d) return;
    clearTimeout(d.timer);
    this._delayed.delete(category);
    d.resolve();
  }

  /** oa_epochs[kind] += 1: args stored (oa_args task storage) before now no longer pair with an exit. */
  private _bumpEpoch(kind: RuleKind): void {
    this._epochs.writeUInt32LE((this._epochs.readUInt32LE(kind * 4) + 1) >>> 0, kind * 4);
    native(() => binding().mapUpdate(this.objectHandle, EPOCHS_MAP, u32(0), this._epochs, MapUpdateFlag.Any), EPOCHS_MAP);
  }

  /** oa_epochs as written by this object (index = RuleKind). */
  epochs(): number[] {
    return Array.from({ length: 8 }, (_, i) => this._epochs.readUInt32LE(i * 4));
  }

  /** Schedules the detach of the groups the current visibility entries and rule kinds do not
   *  want (detachDelayMs from now; at once when it is 0). */
  private _detachUnwanted(): void {
    if (!this._attachedAll || this._closed) return;
    const visAny = this._visAny(this._vis);
    for (const g of DEMAND_GROUPS) {
      if (!this._groupOn.has(g.category) || this._wants(g, visAny, this._ruleKinds) || this._delayed.has(g.category)) continue;
      if (this._detachDelayMs === 0) {
        this._detachGroup(g);
        continue;
      }
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      const timer = setTimeout(() => {
        this._delayed.delete(g.category);
        if (!this._closed && !this._wants(g, this._visAny(this._vis), this._ruleKinds)) this._detachGroup(g);
        resolve();
      }, this._detachDelayMs);
      timer.unref();
      this._delayed.set(g.category, { timer, done, resolve });
    }
  }

  private _detachGroup(g: DemandGroup): void {
    const links: LinkHandle[] = [];
    for (const p of g.programs) {
      const l = this._links.get(p);
      if (!l) continue;
      links.push(l);
      this._links.delete(p);
      this._report({ program: p, attached: false, error: null });
    }
    this._groupOn.delete(g.category);
    if (links.length === 0) return;
    // Off the event loop and in parallel: each tracepoint detach waits out an RCU grace
    // period (~70 ms here, measured synchronously).
    const prev = this._detaching.get(g.category) ?? Promise.resolve();
    const done: Promise<void> = prev
      .then(() => native(() => binding().linksDestroy(links)))
      .catch(() => undefined)
      .then(() => { if (this._detaching.get(g.category) === done) this._detaching.delete(g.category); });
    this._detaching.set(g.category, done);
  }

  /** The rule writer's binding to this object's maps (src/enforcer Enforcer uses it): an
   *  oa_rule_kinds write attaches the groups of new kinds before it and detaches the groups of
   *  removed kinds after it. */
  ruleMapTarget(): RuleMapTarget {
    const base = objectMapTarget(this.objectHandle);
    return {
      ...base,
      update: (map, key, value) => {
        if (map !== RULE_KINDS_MAP) return base.update(map, key, value);
        this._writeRuleKinds(value.readUInt32LE(0), () => base.update(map, key, value));
      },
    };
  }

  private _writeRuleKinds(mask: number, write: () => void): void {
    this._attachWanted(this._visAny(this._vis), mask);
    write();
    this._ruleKinds = mask >>> 0;
    this._detachUnwanted();
  }

  private _attach(name: string): AttachResult {
    if (this._links.has(name)) return { program: name, attached: true, error: null };
    if (this._notLoaded.has(name) || this._noHook.has(name)) return { program: name, attached: false, error: this._noHook.get(name) ?? null };
    try {
      this._links.set(name, native(() => binding().programAttach(this.objectHandle, name), name));
      return this._report({ program: name, attached: true, error: null });
    } catch (err) {
      return this._report({ program: name, attached: false, error: (err as Error).message });
    }
  }

  private _detach(name: string): void {
    const l = this._links.get(name);
    if (l) native(() => binding().linkDestroy(l), name);
    this._links.delete(name);
    if (l && !this._closed) this._report({ program: name, attached: false, error: null });
  }

  /** The host's bits live in oa_vis_host (an array: inlined lookup), every other key in
   *  oa_visibility; null removes the key (the host's bits become 0: it sees nothing). */
  private _writeVisibility(pidNs: number, mntNs: number, mask: number | null): void {
    const b = binding();
    if (pidNs === 0 && mntNs === 0) {
      native(() => b.mapUpdate(this.objectHandle, 'oa_vis_host', u32(0), u32(mask ?? 0), MapUpdateFlag.Any));
    } else if (mask === null) {
      native(() => b.mapDelete(this.objectHandle, 'oa_visibility', visKey(pidNs, mntNs)));
    } else {
      native(() => b.mapUpdate(this.objectHandle, 'oa_visibility', visKey(pidNs, mntNs), u32(mask), MapUpdateFlag.Any));
    }
  }

  /** Visibility of one container (host: pidNs = mntNs = 0). */
  setVisibility(pidNs: number, mntNs: number, categories: readonly Category[]): void {
    const mask = visibilityMask(categories);
    const next = new Map(this._vis).set(`${pidNs >>> 0}:${mntNs >>> 0}`, mask);
    this._attachWanted(this._visAny(next), this._ruleKinds);
    this._writeVisibility(pidNs, mntNs, mask);
    this._vis = next;
    this._detachUnwanted();
  }

  clearVisibility(pidNs: number, mntNs: number): void {
    this._writeVisibility(pidNs, mntNs, null);
    this._vis.delete(`${pidNs >>> 0}:${mntNs >>> 0}`);
    this._detachUnwanted();
  }

  /** Visibility of containers that have no entry of their own. */
  setDefaultContainerVisibility(categories: readonly Category[]): void {
    this.setVisibility(VIS_DEFAULT, VIS_DEFAULT, categories);
  }

  /** Rule kinds that have compiled rules or postures (src/kernel/rules.ts calls this). Events of
   *  these kinds reach the rule check even when invisible; others are dropped early. */
  setRuleKinds(kinds: readonly RuleKind[]): void {
    let m = 0;
    for (const k of kinds) m |= 1 << k;
    this._writeRuleKinds(m, () => native(() => binding().mapUpdate(this.objectHandle, RULE_KINDS_MAP, u32(0), u32(m), MapUpdateFlag.Any)));
  }

  /** Syscall numbers emitted by the generic raw_tp pair (dedicated ones are ignored). The pair
   *  is attached only while the filter is non-empty. Returns the numbers actually filtered. */
  setSyscallFilter(nrs: readonly number[]): number[] {
    const want = new Set<number>();
    for (const nr of nrs) {
      if (!Number.isInteger(nr) || nr < 0 || nr > 1023) throw new Error(`syscall filter: bad syscall number ${nr}`);
      if (!DEDICATED_SYSCALLS.includes(nr)) want.add(nr);
    }
    const b = binding();
    for (const nr of this._filter) {
      if (!want.has(nr)) native(() => b.mapDelete(this.objectHandle, 'oa_syscall_filter', u32(nr)));
    }
    for (const nr of want) native(() => b.mapUpdate(this.objectHandle, 'oa_syscall_filter', u32(nr), u32(1), MapUpdateFlag.Any));
    this._filter = want;
    if (want.size > 0) {
      if (!this._links.has(GENERIC_SYSCALL_PROGRAMS[0])) this._bumpEpoch(RuleKind.Syscall);
      for (const p of GENERIC_SYSCALL_PROGRAMS) this._attach(p);
    } else for (const p of GENERIC_SYSCALL_PROGRAMS) this._detach(p);
    return [...want].sort((a, b2) => a - b2);
  }

  /** Starts the drain; onRecords runs on the JS thread once per batch. */
  start(onRecords: (records: KernelRecord[]) => void): void {
    if (this._rb) throw new Error('KernelSensors.start: already started');
    const counters = { decoded: 0, callbackErrors: 0, decodeErrors: this._decodeErrors };
    this._drain = new DrainScheduler(onRecords, counters);
    this._counters = counters;
    const drain = this._drain;
    const b = binding();
    let rb: RingbufHandle | null = null;
    const onBatch = (batch: Buffer, priority: boolean) => {
      const n = batch.length;
      drain.push(batch, () => { if (rb) b.ringbufAck(rb, n); }, priority);
    };
    rb = native(() => b.ringbufStart(this.objectHandle, 'oa_events', 'oa_alerts', onBatch));
    this._rb = rb;
  }

  private _percpuSum(map: string, op: number, width: number): bigint[] {
    const sums: bigint[] = new Array<bigint>(width).fill(0n);
    for (const v of native(() => binding().mapLookupPercpu(this.objectHandle, map, u32(op)))) {
      for (let i = 0; i < width; i++) sums[i]! += v.readBigUInt64LE(i * 8);
    }
    return sums;
  }

  stats(): KernelSensorsStats {
    const kernelDropsByOp: Partial<Record<Op, number>> = {};
    const countersByOp: Partial<Record<Op, OpCounters>> = {};
    for (const op of OPS) {
      kernelDropsByOp[op] = Number(this._percpuSum('oa_drops', op, 1)[0]);
      const [emitted = 0n, invisible = 0n, dedup = 0n, argsLost = 0n] = this._percpuSum('oa_counters', op, 4);
      countersByOp[op] = { emitted: Number(emitted), invisible: Number(invisible), dedup: Number(dedup), argsLost: Number(argsLost) };
    }
    const rb = this._rb;
    const rs = rb ? native(() => binding().ringbufStats(rb)) : null;
    return {
      kernelDropsByOp,
      countersByOp,
      ringbufFillRatio: rs && rs.sizeBytes > 0 ? rs.availBytes / rs.sizeBytes : 0,
      alertRingFillRatio: rs && rs.prioSizeBytes > 0 ? rs.prioAvailBytes / rs.prioSizeBytes : 0,
      decodeErrors: Object.fromEntries(this._decodeErrors),
      lostHandoff: rs?.lostHandoff ?? 0,
      stalls: rs?.stalls ?? 0,
      delivered: rs?.delivered ?? 0,
      deliveredAlertLane: rs?.deliveredPrio ?? 0,
      decoded: this._counters.decoded,
      callbackErrors: this._counters.callbackErrors,
      pendingBatches: this._drain?.pending ?? 0,
      handoffQueuedBytes: rs?.queuedBytes ?? 0,
    };
  }

  /** Resolves true once every record committed to either ring before this call has been
   *  passed to onRecords (records behind a reservation still uncommitted on another CPU are
   *  the kernel's to release); false after `timeoutMs` or when the drain is not running. The
   *  priority ring is drained after the main ring in each round, so a process's exit record
   *  can reach onRecords before its last main-ring records: wait on this, not on the exit. */
  async flush(timeoutMs = 2000): Promise<boolean> {
    const rb = this._rb;
    const drain = this._drain;
    if (!rb || !drain) return false;
    const b = binding();
    const n = native(() => b.ringbufFlush(rb));
    const until = Date.now() + timeoutMs;
    let handed = -1;
    while (Date.now() < until && this._rb === rb) {
      if (handed < 0) {
        const rs = native(() => b.ringbufStats(rb));
        if (rs.flushedSeq >= n) handed = rs.batches;
      }
      if (handed >= 0 && drain.pushed >= handed && drain.processedThrough(handed)) return true;
      await new Promise((res) => setTimeout(res, 2));
    }
    return false;
  }

  /** Stops the drain threads and processes the batches already handed over (until
   *  `deadlineMs`); the programs stay attached (what they still write is never read). Resolves
   *  with the number of records still waiting at the deadline, which are dropped. Idempotent. */
  async stopDrain(deadlineMs = Date.now() + 5000): Promise<number> {
    const rb = this._rb;
    if (!rb) return 0;
    native(() => binding().ringbufStop(rb));
    this._rb = null;
    // Batches still queued on the thread-safe functions are dispatched by the event loop.
    await new Promise<void>((resolve) => setTimeout(resolve, 10));
    let lost = 0;
    if (this._drain) {
      await this._drain.idle(deadlineMs);
      lost = this._drain.discard();
    }
    return lost;
  }

  /** Detaches every program (in parallel, off the event loop: a tracepoint detach waits for an
   *  RCU grace period) and closes the object. Idempotent. */
  async close(): Promise<void> {
    if (this._closing) return this._closing;
    this._closed = true;
    for (const c of [...this._delayed.keys()]) this._cancelDelayed(c);
    const links = [...this._links.values()];
    this._links.clear();
    this._closing = (async () => {
      await Promise.all([native(() => binding().linksDestroy(links)), this.attachSettled()]);
      native(() => binding().objectClose(this.objectHandle));
    })();
    return this._closing;
  }

  /** stopDrain(deadlineMs), then close(). Idempotent. */
  async stop(deadlineMs = Date.now() + 5000): Promise<number> {
    if (this._closed) return 0;
    const lost = await this.stopDrain(deadlineMs);
    await this.close();
    return lost;
  }
}
