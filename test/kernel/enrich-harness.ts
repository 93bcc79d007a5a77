// Shared set-up of the enrich-*.test.ts suites and container.test.ts: the real KernelSensors
// (every program attached, host and containers visible) feeding the real Enricher, collecting
// the KubeArmor events it produces (`events`, what the rule stages see) and what the agent's last
// stage, KubeArmorResultFilter, lets through as logs (`logs`) or removes (`filtered`).
import { spawn, type SpawnOptions } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KernelRecord } from '../../src/events/record';
import type { AgentEvent } from '../../src/events/types';
import { KernelSensors } from '../../src/kernel/sensors';
import { AgentMetrics } from '../../src/metrics/metrics';
import { Enricher, KubeArmorResultFilter, readMachineId } from '../../src/sensors/index';
import { requireFile, requireRoot, ROOT } from '../helpers/env';

const ALL = ['process', 'file', 'network', 'capabilities', 'syscall'] as const;

export class EnrichHarness {
  /** Every decoded record, as the Enricher got it. */
  readonly records: KernelRecord[] = [];
  readonly events: AgentEvent[] = [];
  readonly logs: AgentEvent[] = [];
  readonly filtered: AgentEvent[] = [];
  readonly metrics = new AgentMetrics();
  readonly enricher: Enricher;
  readonly resultFilter: KubeArmorResultFilter;
  private timer: NodeJS.Timeout | undefined;

  private constructor(readonly sensors: KernelSensors) {
    this.enricher = new Enricher({ clusterName: 'default', hostName: os.hostname(), nodeId: readMachineId(), metrics: this.metrics });
    this.resultFilter = new KubeArmorResultFilter(this.metrics);
  }

  static async open(ctx: Mocha.Context): Promise<EnrichHarness> {
    requireRoot(ctx);
    requireFile(ctx, 'bpf/.output/sensors.bpf.o');
    requireFile(ctx, 'native/build/otelarmor.node');
    requireFile(ctx, 'test/progs/build/fileops');
    const s = KernelSensors.open({ ringbufBytes: 16 * 1024 * 1024 });
    const h = new EnrichHarness(s);
    const failed = s.attachAll().filter((r) => !r.attached);
    if (failed.length > 0) {
      await s.stop();
      throw new Error(`attach failed: ${failed.map((f) => `${f.program}: ${f.error}`).join('; ')}`);
    }
    s.setVisibility(0, 0, ALL);
    s.setDefaultContainerVisibility(ALL);
    // Groups detached by attachAll (nothing wanted them yet) re-attach once their old links are gone.
    await s.attachSettled();
    h.enricher.seedFromProc();
    s.start((recs) => {
      for (const r of recs) h.records.push(r);
      const batch = h.enricher.enrich(recs);
      for (const ev of batch) h.events.push(ev);
      const kept = new Set(h.resultFilter.process(batch));
      for (const ev of batch) (kept.has(ev) ? h.logs : h.filtered).push(ev);
    });
    return h;
  }

  static prog(name: string): string {
    return path.join(ROOT, 'test', 'progs', 'build', name);
  }

  /** Run a command to completion; returns its pid, exit code and stdout. */
  async run(file: string, args: string[], opts: SpawnOptions = {}): Promise<{ pid: number; code: number | null; out: string }> {
    const child = spawn(file, args, { ...opts, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c) => resolve(c));
    });
    return { pid: child.pid ?? -1, code, out };
  }

  /** Resolves with the first event matching; rejects after 5 s (drain period 50 ms). */
  async waitFor(pred: (e: AgentEvent) => boolean, what: string): Promise<AgentEvent> {
    for (let i = 0; i < 100; i++) {
      const e = this.events.find(pred);
      if (e) return e;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`timed out waiting for ${what}; ${this.events.length} events seen`);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sensors.stop();
  }
}
