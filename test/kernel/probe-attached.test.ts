// otelarmor_probe_attached follows the programs the sensors attach and detach after start-up:
// the generic raw_tp pair (oa_raw_sys_enter/exit) is -1 (not needed) after attachAll, 1 while
// setSyscallFilter has numbers, -1 again when the filter empties (never 0: that is a failed hook).
// Demand groups (file, network, syscall, capabilities) are 1 after attachAll, -1 once
// detachDelayMs has passed with nothing wanting them, 1 again while a visibility entry does.
import assert from 'node:assert/strict';
import { DEMAND_GROUPS, GENERIC_SYSCALL_PROGRAMS, KernelSensors, PROCESS_PROGRAMS } from '../../src/kernel/sensors';
import { RuleKind } from '../../src/kernel/rule-types';
import type { Category } from '../../src/config';
import { recordAttach } from '../../src/metrics/probes';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/server';
import { requireFile, requireRoot } from '../helpers/env';

const NR_GETPPID = 110;
const DELAY_MS = 300;

describe('probe_attached follows setSyscallFilter (real BPF, /metrics)', function () {
  this.timeout(60_000);
  let sensors: KernelSensors | undefined;
  let srv: MetricsServer | undefined;
  const programsOf = (c: Category): readonly string[] => sensors!.demandPrograms(c);

  before(async function () {
    requireRoot(this);
    requireFile(this, 'bpf/.output/sensors.bpf.o');
    srv = await startMetricsServer({ address: '127.0.0.1:0', readiness: () => ({ ready: true, detail: {} }) });
    sensors = KernelSensors.open({ ringbufBytes: 1 << 20, ignoreTgid: process.pid, detachDelayMs: DELAY_MS });
    sensors.onAttachChange((r) => recordAttach(srv!.metrics, r));
  });
  after(async () => {
    await sensors?.stop();
    await srv?.close();
  });

  /** program → value of otelarmor_probe_attached on /metrics. */
  const probes = async (): Promise<Map<string, number>> => {
    const text = await (await fetch(`http://${srv!.address}/metrics`)).text();
    return new Map([...text.matchAll(/^otelarmor_probe_attached\{program="([^"]+)"\} (-?\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
  };

  /** Values of the generic pair on /metrics. */
  const pair = (p: Map<string, number>) => GENERIC_SYSCALL_PROGRAMS.map((g) => p.get(g));

  it('attachAll: 1 per attached program, -1 for the generic pair', async () => {
    // Everything wanted while /metrics is read: on a slow machine (a TCG guest of the kernel
    // matrix) detachDelayMs can pass between attachAll and the scrape.
    sensors!.setVisibility(0, 0, ['process', 'file', 'network', 'capabilities', 'syscall']);
    const res = sensors!.attachAll();
    const p = await probes();
    assert.deepEqual([...p.keys()].sort(), [...res.map((r) => r.program), ...GENERIC_SYSCALL_PROGRAMS].sort());
    assert.ok(res.length > 10 && res.every((r) => r.attached), JSON.stringify(res.filter((r) => !r.attached)));
    for (const r of res) assert.equal(p.get(r.program), 1, r.program);
    assert.deepEqual(pair(p), [-1, -1]);
  });

  it(`nothing visible, no rules: after ${DELAY_MS} ms every demand program is -1, process programs stay 1`, async () => {
    const t0 = Date.now();
    sensors!.clearVisibility(0, 0);
    await sensors!.attachSettled();
    assert.ok(Date.now() - t0 >= DELAY_MS - 20, `detach waited for detachDelayMs (${Date.now() - t0} ms)`);
    const p = await probes();
    for (const g of DEMAND_GROUPS) for (const prog of programsOf(g.category)) assert.equal(p.get(prog), -1, prog);
    for (const prog of PROCESS_PROGRAMS) assert.equal(p.get(prog), 1, prog);
    assert.deepEqual(sensors!.idleCategories(), ['file', 'network', 'syscall', 'capabilities']);
    assert.deepEqual(sensors!.attachedPrograms(), [...PROCESS_PROGRAMS].sort());
  });

  it('a visibility entry with [file] attaches the file programs at once (1); cleared, -1 after the delay; wanted again within it, never detached', async () => {
    const epoch0 = sensors!.epochs()[RuleKind.File]!;
    const seen: string[] = [];
    sensors!.onAttachChange((r) => { seen.push(`${r.program}:${r.attached}`); recordAttach(srv!.metrics, r); });
    sensors!.setVisibility(4026531836, 4026531840, ['file']);
    let p = await probes();
    for (const prog of programsOf('file')) assert.equal(p.get(prog), 1, prog);
    for (const prog of programsOf('network')) assert.equal(p.get(prog), -1, prog);
    assert.equal(sensors!.epochs()[RuleKind.File], epoch0 + 1, 'oa_epochs[RuleKind.File] incremented before the attach');
    assert.deepEqual(sensors!.idleCategories(), ['network', 'syscall', 'capabilities']);

    sensors!.clearVisibility(4026531836, 4026531840);
    sensors!.setVisibility(4026531836, 4026531840, ['file']); // back within the delay
    await new Promise((res) => setTimeout(res, DELAY_MS + 100));
    await sensors!.attachSettled();
    assert.deepEqual(seen, programsOf('file').map((prog) => `${prog}:true`), 'no detach, no second attach');

    sensors!.clearVisibility(4026531836, 4026531840);
    p = await probes();
    for (const prog of programsOf('file')) assert.equal(p.get(prog), 1, `${prog} until the delay has passed`);
    await sensors!.attachSettled();
    p = await probes();
    for (const prog of programsOf('file')) assert.equal(p.get(prog), -1, prog);
    assert.deepEqual(sensors!.idleCategories(), ['file', 'network', 'syscall', 'capabilities']);
    sensors!.onAttachChange((r) => recordAttach(srv!.metrics, r));
  });

  it('a non-empty filter attaches the pair (1), an empty one detaches it (-1), twice', async () => {
    const base = await probes();
    for (let round = 0; round < 2; round++) {
      assert.deepEqual(sensors!.setSyscallFilter([NR_GETPPID]), [NR_GETPPID]);
      let p = await probes();
      assert.deepEqual(pair(p), [1, 1], `round ${round}`);
      sensors!.setSyscallFilter([]);
      p = await probes();
      assert.deepEqual(pair(p), [-1, -1], `round ${round}`);
      assert.deepEqual(p, base, 'the other programs are untouched');
    }
  });

  it('a filter change that keeps the pair attached reports nothing new; stop() reports nothing', async () => {
    const seen: string[] = [];
    sensors!.onAttachChange((r) => { seen.push(`${r.program}:${r.attached}`); recordAttach(srv!.metrics, r); });
    sensors!.setSyscallFilter([NR_GETPPID]);
    sensors!.setSyscallFilter([NR_GETPPID, 39]);
    assert.deepEqual(seen, GENERIC_SYSCALL_PROGRAMS.map((g) => `${g}:true`));
    await sensors!.stop();
    assert.deepEqual(seen, GENERIC_SYSCALL_PROGRAMS.map((g) => `${g}:true`));
    sensors = undefined;
  });
});
