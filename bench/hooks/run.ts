// What observing an openat costs through each kind of hook the running kernel takes
// (bench/hooks/hooks.bpf.c: syscall tracepoint, raw tracepoint, fexit, BPF-LSM), in ONE run:
// the loop of bench/openat with no program, then with each hook's counting program attached
// alone, then with the file sensor itself (file visible, records decoded and counted only).
// Prints, per hook: whether it loads here, the opens it saw, the loop's wall-time ratio to no
// program (median of the rounds), the program's own time per run from bpf_stats relative to the
// tracepoint program's, and its translated size. Under TCG (the kernel-matrix VMs) wall times
// are emulation times: only the ratios within one run and the instruction counts mean anything.
// Usage (root): make -C bench/hooks && node dist/bench/hooks/run.js [iterations] [rounds]
// In a kernel-matrix VM: bash bench/hooks/vm.sh <kernel release> (docs/kernels.md).
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Op, type KernelRecord } from '../../src/events/record';
import { KernelSensors } from '../../src/kernel/sensors';
import { binding, type ObjectHandle } from '../../src/native/binding';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const LOOP = path.join(ROOT, 'bench', 'openat', 'build', 'loop');
const OBJ = path.join(ROOT, 'bench', 'hooks', 'build', 'hooks.bpf.o');
const N = Number(process.argv[2] ?? 100000);
const ROUNDS = Number(process.argv[3] ?? 5);
const HOOKS = [
  { name: 'hooks_tp', slot: 0, what: 'tp/syscalls/sys_exit_openat' },
  { name: 'hooks_raw', slot: 1, what: 'raw_tp/sys_exit (openat only)' },
  { name: 'hooks_fexit', slot: 2, what: 'fexit/do_sys_openat2' },
  { name: 'hooks_lsm', slot: 3, what: 'lsm/file_open' },
] as const;

function runLoop(): Promise<number> {
  return new Promise((res, rej) => execFile(LOOP, [String(N), '/etc/hostname'], (err, out) => (err ? rej(err) : res(Number(out.trim().split(' ')[0])))));
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** bpf_stats and sizes of the loaded program named `name` (bpftool). */
function progInfo(name: string): { runNs: number; runCnt: number; xlated: number } {
  const all = JSON.parse(execFileSync('bpftool', ['prog', 'show', '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 })) as { name?: string; run_time_ns?: number; run_cnt?: number; bytes_xlated?: number }[];
  const p = all.filter((x) => x.name === name).pop();
  return { runNs: p?.run_time_ns ?? 0, runCnt: p?.run_cnt ?? 0, xlated: p?.bytes_xlated ?? 0 };
}

function seen(h: ObjectHandle, slot: number): number {
  const k = Buffer.alloc(4);
  k.writeUInt32LE(slot);
  return binding().mapLookupPercpu(h, 'seen', k).reduce((s, v) => s + Number(v.readBigUInt64LE(0)), 0);
}

interface Row { what: string; error: string | null; wall: number[]; seen: number; runNs: number; runCnt: number; xlated: number }

async function main(): Promise<void> {
  writeFileSync('/proc/sys/kernel/bpf_stats_enabled', '1');
  const b = binding();
  await runLoop();
  const base: number[] = [];
  const rows = new Map<string, Row>();
  for (const hk of HOOKS) rows.set(hk.name, { what: hk.what, error: null, wall: [], seen: 0, runNs: 0, runCnt: 0, xlated: 0 });
  const sensor: Row = { what: 'file sensor oa_exit_openat (file visible, count-only consumer)', error: null, wall: [], seen: 0, runNs: 0, runCnt: 0, xlated: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    base.push(await runLoop());
    for (const hk of HOOKS) {
      const row = rows.get(hk.name)!;
      if (row.error) continue;
      let h: ObjectHandle | null = null;
      try {
        const autoload = Object.fromEntries(HOOKS.map((x) => [x.name, x.name === hk.name]));
        h = b.objectOpen(OBJ, { rodata: null, mapMaxEntries: null, reuseMaps: null, autoload });
        b.objectLoad(h);
        const link = b.programAttach(h, hk.name);
        row.wall.push(await runLoop());
        row.seen += seen(h, hk.slot);
        const info = progInfo(hk.name);
        row.runNs += info.runNs;
        row.runCnt += info.runCnt;
        row.xlated = info.xlated;
        b.linkDestroy(link);
      } catch (e) {
        row.error = (e as Error).message;
      } finally {
        if (h) b.objectClose(h);
      }
    }
    const s = KernelSensors.open({ ringbufBytes: 16 * 1024 * 1024 });
    s.setVisibility(0, 0, ['process', 'file']);
    s.attachAll();
    s.start((recs: KernelRecord[]) => { for (const r of recs) if (r.op === Op.File && r.comm === 'loop') sensor.seen++; });
    await s.attachSettled();
    const before = progInfo('oa_exit_openat');
    sensor.wall.push(await runLoop());
    const after = progInfo('oa_exit_openat');
    sensor.runNs += after.runNs - before.runNs;
    sensor.runCnt += after.runCnt - before.runCnt;
    sensor.xlated = after.xlated;
    await s.flush(10_000);
    await s.stop();
  }
  writeFileSync('/proc/sys/kernel/bpf_stats_enabled', '0');
  const tp = rows.get('hooks_tp')!;
  const tpNs = tp.runCnt ? tp.runNs / tp.runCnt : 0;
  console.log(`openat+close x ${N}, ${ROUNDS} rounds, kernel ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}; ratios to the loop without programs (medians) and program time per run relative to the tracepoint program's (bpf_stats):`);
  for (const r of [...rows.values(), sensor]) {
    if (r.error) {
      console.log(`  ${r.what.padEnd(30)} does not load here: ${r.error}`);
      continue;
    }
    const ratios = r.wall.map((w, i) => w / base[i]!);
    const perRun = r.runCnt ? r.runNs / r.runCnt : 0;
    console.log(`  ${r.what.padEnd(30)} wall ratio ${median(ratios).toFixed(3)}x (rounds ${ratios.map((x) => x.toFixed(2)).join(' ')}), saw ${r.seen}/${N * ROUNDS} opens, program time per run ${tpNs ? (perRun / tpNs).toFixed(2) : '?'}x the tracepoint program's, ${r.xlated} bytes translated`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
