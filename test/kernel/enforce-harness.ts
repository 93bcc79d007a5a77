// Shared set-up of the enforce-*.test.ts suites: real KernelSensors + a real Enforcer in
// kill-on-attempt+cgroup mode (forced, so the suites test that path on any kernel), a record
// log, and tester runs from test/progs/build. Rules are scoped so nothing else on the machine is
// affected: by exact target path, by source binary, or by a private (pid ns, mnt ns) pair.
import { spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import * as path from 'node:path';
import type { Category } from '../../src/config';
import { Enforcer } from '../../src/enforcer';
import type { EnforcerMode } from '../../src/enforcer/mode';
import { Op, type KernelRecord } from '../../src/events/record';
import type { KernelRuleSet } from '../../src/kernel/rule-types';
import { KernelSensors } from '../../src/kernel/sensors';
import { settleHandoff } from './sensors-harness';
import { AgentMetrics } from '../../src/metrics/metrics';
import { requireFile, requireRoot, ROOT } from '../helpers/env';

export interface RunResult {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout lines. */
  lines: string[];
}

export const EMPTY_RULES: KernelRuleSet = { rules: [], postures: [], userSpaceOnly: [] };

export function prog(name: string): string {
  return path.join(ROOT, 'test', 'progs', 'build', name);
}

export class EnforceHarness {
  readonly records: KernelRecord[] = [];

  private constructor(
    readonly sensors: KernelSensors,
    readonly enforcer: Enforcer,
    readonly metrics: AgentMetrics,
    /** Lines the Enforcer logged (its start-up line). */
    readonly logLines: string[],
  ) {}

  /** `mode`: kill-on-attempt+cgroup by default (forced: the suites test that path on any
   *  kernel); test/kernels/lsm-allowlist.test.ts asks for bpf-lsm where the kernel has it. */
  static async open(ctx: Mocha.Context, hostVisibility: Category[], mode: EnforcerMode = 'kill-on-attempt+cgroup'): Promise<EnforceHarness> {
    requireRoot(ctx);
    requireFile(ctx, 'bpf/.output/sensors.bpf.o');
    requireFile(ctx, 'bpf/.output/netblock.bpf.o');
    requireFile(ctx, 'native/build/otelarmor.node');
    for (const p of ['enforce-net', 'enforce-read', 'enforce-marker', 'enforce-nsexec', 'fileops']) requireFile(ctx, prog(p));
    const sensors = KernelSensors.open({ ringbufBytes: 4 * 1024 * 1024 });
    const failed = sensors.attachAll().filter((r) => !r.attached);
    if (failed.length > 0) {
      await sensors.stop();
      throw new Error(`attach failed: ${failed.map((f) => `${f.program}: ${f.error}`).join('; ')}`);
    }
    sensors.setVisibility(0, 0, hostVisibility);
    const metrics = new AgentMetrics();
    const logLines: string[] = [];
    const enforcer = new Enforcer({ mode, kernel: sensors, metrics, log: (l) => logLines.push(l) });
    const h = new EnforceHarness(sensors, enforcer, metrics, logLines);
    await enforcer.start();
    sensors.start((recs) => {
      for (const r of recs) h.records.push(r);
    });
    return h;
  }

  /** Runs a program; `stdin` lines are written after the first stdout line when given. */
  async run(file: string, args: string[], opts: { onLine?: (line: string, write: (s: string) => void) => void | Promise<void> } = {}): Promise<RunResult> {
    await this.sensors.attachSettled();
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    let pending = '';
    const handlers: Promise<void>[] = [];
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      pending += d.toString();
      let i: number;
      while ((i = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, i);
        pending = pending.slice(i + 1);
        if (opts.onLine) handlers.push(Promise.resolve(opts.onLine(line, (s) => child.stdin.write(s))));
      }
    });
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c, s) => resolve([c, s]));
    });
    await Promise.all(handlers);
    const pid = child.pid ?? -1;
    await this.waitFor((r) => r.op === Op.ProcessExit && r.tgid === pid, `exit record of ${path.basename(file)} (${pid})`);
    await settleHandoff(this.sensors);
    return { pid, code, signal, lines: out.split('\n').filter((l) => l.length > 0) };
  }

  /** Runs `target` as pid 1 of new pid + mount namespaces (test/progs/enforce-nsexec): once
   *  the child exists, the rules `rules(ns)` keyed by its (pid ns, mnt ns) are applied, then it
   *  execs. Its lines: "unshare 0", "pipe 0", "child <pid>", then "exit N" or "signal N". */
  runInNamespace(target: string, args: string[], rules: (ns: { pidNs: number; mntNs: number }) => KernelRuleSet): Promise<RunResult> {
    return this.run(prog('enforce-nsexec'), [target, ...args], {
      onLine: (line, write) => {
        const m = /^child (\d+)$/.exec(line);
        if (!m) return;
        this.enforcer.apply(rules(namespacesOf(Number(m[1]))));
        write('go\n');
      },
    });
  }

  /** Resolves once a record matches; rejects after 5 s (the drain period is 50 ms). */
  async waitFor(pred: (r: KernelRecord) => boolean, what: string): Promise<KernelRecord> {
    for (let i = 0; i < 100; i++) {
      const r = this.records.find(pred);
      if (r) return r;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  of(pid: number, op?: Op): KernelRecord[] {
    return this.records.filter((r) => r.tgid === pid && (op === undefined || r.op === op));
  }

  async close(): Promise<void> {
    await this.enforcer.stop();
    await this.sensors.stop();
  }
}

/** (pid ns, mnt ns) inode numbers of a process, as the kernel keys containers. */
export function namespacesOf(pid: number): { pidNs: number; mntNs: number } {
  const ino = (ns: string) => {
    const m = /\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/${ns}`));
    if (!m) throw new Error(`cannot read /proc/${pid}/ns/${ns}`);
    return Number(m[1]);
  };
  return { pidNs: ino('pid'), mntNs: ino('mnt') };
}
