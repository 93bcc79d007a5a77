// The enforcer: owns the compiled rule set in the kernel and the programs that act on it.
// One rule set drives everything: the rule maps (oa_rules, oa_postures, oa_enforce) belong to the
// sensors object; netblock.bpf.o and lsm.bpf.o are opened with reuseMaps pointing at them.
//   bpf-lsm                 lsm.bpf.o denies exec/open/connect with EACCES; netblock denies
//                           connect/sendmsg/bind; sensors only flag (oa_enforce = Lsm).
//   kill-on-attempt+cgroup  sensors SIGKILL the caller on a Block verdict (after the syscall);
//                           netblock denies connect/sendmsg/bind before it (oa_enforce = Kill).
//   audit-only              nothing is stopped; matches are flagged (oa_enforce = Audit).
import type { AgentMetrics } from '../metrics/metrics';
import { binding, MapUpdateFlag, type LinkHandle, type ObjectHandle } from '../native/binding';
import { loadRetryingEagain, native } from '../native/errors';
import {
  KernelRuleWriter,
  POSTURES_MAP,
  POSTURES_MAX_ENTRIES,
  RULES_MAP,
  RULES_MAX_ENTRIES,
  type ApplyResult,
  type RuleMapTarget,
} from '../kernel/rules';
import type { KernelRuleSet } from '../kernel/rule-types';
import { objectMapTarget } from '../kernel/map-target';
import * as path from 'node:path';
import {
  BPF_OUTPUT_DIR,
  LSM_OBJECT,
  LSM_PROGRAMS,
  NETBLOCK_OBJECT,
  NETBLOCK_PROGRAMS,
  findCgroup2Root,
  lsmInactive,
} from './detect';
import { ENFORCER_MODES, enforceValue, type EnforcerMode } from './mode';

export const ENFORCE_MAP = 'oa_enforce';
/** Maps the enforcer objects share with the sensors object. */
export const SHARED_RULE_MAPS = [RULES_MAP, POSTURES_MAP, ENFORCE_MAP] as const;
/** lsm.bpf.o also writes the records of the denials no sensor reports (mkdir, rename) into the
 *  sensors' rings and counters and reads their visibility. */
export const LSM_SHARED_MAPS = [...SHARED_RULE_MAPS, 'oa_events', 'oa_alerts', 'oa_drops', 'oa_counters', 'oa_visibility', 'oa_vis_host'] as const;

/** What owns the rule maps: src/kernel/sensors.ts KernelSensors (a loaded sensors object). */
export interface RuleMapsOwner {
  readonly objectHandle: ObjectHandle;
  /** The owner's own binding of the rule writer (KernelSensors attaches the programs of a rule
   *  kind before oa_rule_kinds announces it); default objectMapTarget(objectHandle). */
  ruleMapTarget?(): RuleMapTarget;
}

export interface EnforcerOptions {
  /** Detected (or configured) mode; start() may only weaken it, and says why. */
  mode: EnforcerMode;
  kernel: RuleMapsOwner;
  metrics: AgentMetrics;
  /** cgroup v2 mount to attach netblock to; default: from /proc/mounts. */
  cgroupRoot?: string;
  /** Directory holding netblock.bpf.o / lsm.bpf.o; default bpf/.output. */
  objectDir?: string;
  /** Start-up line sink; default stderr. */
  log?: (line: string) => void;
}

export interface EnforcerStatus {
  mode: EnforcerMode;
  /** Programs attached by the enforcer (names). */
  attached: string[];
  cgroupRoot: string | null;
  /** Set when start() had to fall back from the requested mode. */
  degraded: string | null;
}

interface LoadedObject {
  handle: ObjectHandle;
  links: LinkHandle[];
  names: string[];
}

export class Enforcer {
  private _mode: EnforcerMode;
  private readonly _objects: LoadedObject[] = [];
  private readonly _writer: KernelRuleWriter;
  private _cgroupRoot: string | null = null;
  private _degraded: string | null = null;
  private _started = false;

  constructor(private readonly opts: EnforcerOptions) {
    this._mode = opts.mode;
    this._writer = new KernelRuleWriter(opts.kernel.ruleMapTarget?.() ?? objectMapTarget(opts.kernel.objectHandle), {
      rules: RULES_MAX_ENTRIES,
      postures: POSTURES_MAX_ENTRIES,
    });
  }

  get mode(): EnforcerMode {
    return this._mode;
  }

  get status(): EnforcerStatus {
    return {
      mode: this._mode,
      attached: this._objects.flatMap((o) => o.names),
      cgroupRoot: this._cgroupRoot,
      degraded: this._degraded,
    };
  }

  /** Loads and attaches the mode's programs, then arms oa_enforce. A failure weakens the mode
   *  (bpf-lsm -> kill-on-attempt+cgroup -> audit-only) instead of throwing. */
  async start(): Promise<EnforcerStatus> {
    if (this._started) return this.status;
    this._started = true;
    const dir = this.opts.objectDir ?? BPF_OUTPUT_DIR;
    const problems: string[] = [];
    if (this._mode === 'bpf-lsm') {
      try {
        const inactive = lsmInactive();
        if (inactive) throw new Error(inactive);
        this._objects.push(this.load(path.join(dir, LSM_OBJECT), LSM_SHARED_MAPS, (h) => LSM_PROGRAMS.map((p) => [p, binding().programAttach(h, p)] as const)));
      } catch (e) {
        problems.push(`bpf-lsm: ${(e as Error).message}`);
        this._mode = 'kill-on-attempt+cgroup';
      }
    }
    if (this._mode !== 'audit-only') {
      try {
        const cg = this.opts.cgroupRoot ?? findCgroup2Root();
        if (cg === null) throw new Error('no cgroup v2 hierarchy in /proc/mounts');
        this._objects.push(this.load(path.join(dir, NETBLOCK_OBJECT), SHARED_RULE_MAPS, (h) => NETBLOCK_PROGRAMS.map((p) => [p, binding().programAttachCgroup(h, p, cg)] as const)));
        this._cgroupRoot = cg;
      } catch (e) {
        problems.push(`netblock: ${(e as Error).message}`);
        if (this._mode === 'kill-on-attempt+cgroup') {
          this._mode = 'audit-only';
          this.unloadAll();
        }
      }
    }
    if (problems.length > 0) this._degraded = problems.join('; ');
    this.arm(this._mode);
    for (const m of ENFORCER_MODES) this.opts.metrics.gauges.enforcerMode.set(m, m === this._mode ? 1 : 0);
    (this.opts.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(this.startupLine());
    return this.status;
  }

  /** Replaces the kernel rule set (write new, delete stale). Throws RuleEncodeError on bad input
   *  with nothing written. Works in every mode: matches are flagged even in audit-only. */
  apply(set: KernelRuleSet): ApplyResult {
    return this._writer.apply(set);
  }

  /** Disarms (oa_enforce = Audit), detaches and closes the enforcer objects. Idempotent. */
  async stop(): Promise<void> {
    if (!this._started) return;
    this._started = false;
    try {
      this.arm('audit-only');
    } catch {
      // the sensors object may already be closed: nothing left to disarm
    }
    this.unloadAll();
  }

  private startupLine(): string {
    const progs = this.status.attached;
    const what =
      this._mode === 'bpf-lsm'
        ? `BPF-LSM denies exec, open, unlink, rmdir, chmod, chown, mkdir, rename, connect and capabilities before they act; ${progs.filter((p) => p.startsWith('oa_nb_')).length} cgroup programs on ${this._cgroupRoot} deny sendmsg/bind`
        : this._mode === 'kill-on-attempt+cgroup'
          ? `Block kills the caller after the syscall (SIGKILL from the sensors); ${progs.length} cgroup programs on ${this._cgroupRoot} deny connect/sendmsg/bind`
          : 'nothing is blocked, matches are only reported';
    return `enforcer: ${this._mode}: ${what}${this._degraded ? ` (degraded: ${this._degraded})` : ''}`;
  }

  private arm(mode: EnforcerMode): void {
    const v = Buffer.alloc(4);
    v.writeUInt32LE(enforceValue(mode));
    native(() => binding().mapUpdate(this.opts.kernel.objectHandle, ENFORCE_MAP, Buffer.alloc(4), v, MapUpdateFlag.Any), ENFORCE_MAP);
  }

  private load(file: string, shared: readonly string[], attach: (h: ObjectHandle) => (readonly [string, LinkHandle])[]): LoadedObject {
    const b = binding();
    const from = this.opts.kernel.objectHandle;
    const h = loadRetryingEagain(
      () => b.objectOpen(file, { rodata: null, mapMaxEntries: null, reuseMaps: shared.map((name) => ({ name, from })), autoload: null }),
      (o) => b.objectLoad(o),
      (o) => b.objectClose(o),
    );
    const obj: LoadedObject = { handle: h, links: [], names: [] };
    try {
      native(() => {
        for (const [name, link] of attach(h)) {
          obj.links.push(link);
          obj.names.push(name);
        }
      });
    } catch (e) {
      for (const l of obj.links) b.linkDestroy(l);
      b.objectClose(h);
      throw e;
    }
    return obj;
  }

  private unloadAll(): void {
    const b = binding();
    for (const o of this._objects.splice(0)) {
      for (const l of o.links) b.linkDestroy(l);
      b.objectClose(o.handle);
    }
    this._cgroupRoot = null;
  }
}
