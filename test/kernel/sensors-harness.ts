// Shared set-up of the sensors-*.test.ts suites: one loaded KernelSensors with host visibility
// for every category, a record log, and tester-program runs from test/progs/build.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { Op, type KernelRecord } from '../../src/events/record';
import { KernelSensors } from '../../src/kernel/sensors';
import { requireFile, requireRoot, ROOT } from '../helpers/env';

export interface RunResult {
  pid: number;
  code: number | null;
  /** stdout lines "<op> <ret>" of the tester. */
  lines: string[];
}

export class SensorsHarness {
  readonly records: KernelRecord[] = [];

  private constructor(readonly sensors: KernelSensors) {}

  /** Gates on root and built artefacts, loads + attaches everything, makes the host visible. */
  static async open(ctx: Mocha.Context): Promise<SensorsHarness> {
    requireRoot(ctx);
    requireFile(ctx, 'bpf/.output/sensors.bpf.o');
    requireFile(ctx, 'native/build/otelarmor.node');
    requireFile(ctx, 'test/progs/build/fileops');
    const s = KernelSensors.open({ ringbufBytes: 16 * 1024 * 1024 });
    const h = new SensorsHarness(s);
    const failed = s.attachAll().filter((r) => !r.attached);
    if (failed.length > 0) {
      await s.stop();
      throw new Error(`attach failed: ${failed.map((f) => `${f.program}: ${f.error}`).join('; ')}`);
    }
    s.setVisibility(0, 0, ['process', 'file', 'network', 'capabilities', 'syscall']);
    s.start((recs) => {
      for (const r of recs) h.records.push(r);
    });
    return h;
  }

  static prog(name: string): string {
    return path.join(ROOT, 'test', 'progs', 'build', name);
  }

  /** Runs a tester and waits until its process-exit record has been decoded. */
  async run(name: string, args: string[], opts: { cwd?: string } = {}): Promise<RunResult> {
    const child = spawn(SensorsHarness.prog(name), args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c) => resolve(c));
    });
    const pid = child.pid ?? -1;
    await this.waitFor((r) => r.op === Op.ProcessExit && r.tgid === pid, `exit record of ${name} (${pid})`);
    return { pid, code, lines: out.trim().split('\n').filter((l) => l.length > 0) };
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
    await this.sensors.stop();
  }
}
