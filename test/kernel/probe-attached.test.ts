// otelarmor_probe_attached follows the programs the sensors attach and detach after start-up:
// the generic raw_tp pair (oa_raw_sys_enter/exit) is -1 (not needed) after attachAll, 1 while
// setSyscallFilter has numbers, -1 again when the filter empties (never 0: that is a failed hook).
import assert from 'node:assert/strict';
import { GENERIC_SYSCALL_PROGRAMS, KernelSensors } from '../../src/kernel/sensors';
import { recordAttach } from '../../src/metrics/probes';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/server';
import { requireFile, requireRoot } from '../helpers/env';

const NR_GETPPID = 110;

describe('probe_attached follows setSyscallFilter (real BPF, /metrics)', function () {
  this.timeout(60_000);
  let sensors: KernelSensors | undefined;
  let srv: MetricsServer | undefined;

  before(async function () {
    requireRoot(this);
    requireFile(this, 'bpf/.output/sensors.bpf.o');
    srv = await startMetricsServer({ address: '127.0.0.1:0', readiness: () => ({ ready: true, detail: {} }) });
    sensors = KernelSensors.open({ ringbufBytes: 1 << 20, ignoreTgid: process.pid });
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
    const res = sensors!.attachAll();
    const p = await probes();
    assert.deepEqual([...p.keys()].sort(), [...res.map((r) => r.program), ...GENERIC_SYSCALL_PROGRAMS].sort());
    assert.ok(res.length > 10 && res.every((r) => r.attached), JSON.stringify(res.filter((r) => !r.attached)));
    for (const r of res) assert.equal(p.get(r.program), 1, r.program);
    assert.deepEqual(pair(p), [-1, -1]);
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
