// openat hot-loop overhead in ONE run: no agent, agent loaded with host file visibility off
// (the loop is not visible), and full file visibility. Prints both slowdown ratios (median of
// alternating rounds) and emitted vs delivered counts. Usage (root):
//   make -C bench/openat && node dist/bench/openat/run.js [iterations] [rounds]
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { Op } from '../../src/events/record';
import { KernelSensors } from '../../src/kernel/sensors';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const LOOP = path.join(ROOT, 'bench', 'openat', 'build', 'loop');
const N = Number(process.argv[2] ?? 200000);
const ROUNDS = Number(process.argv[3] ?? 5);

function runLoop(): number {
  return Number(execFileSync(LOOP, [String(N), '/etc/hostname'], { encoding: 'utf8' }).trim());
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  runLoop(); // warm caches
  const base: number[] = [];
  for (let i = 0; i < ROUNDS; i++) base.push(runLoop());

  const s = KernelSensors.open({ ringbufBytes: 16 * 1024 * 1024 });
  const failed = s.attachAll().filter((r) => !r.attached);
  if (failed.length) throw new Error(`attach failed: ${JSON.stringify(failed)}`);
  let delivered = 0;
  let loopRecords = 0;
  s.start((recs) => {
    delivered += recs.length;
    for (const r of recs) if (r.op === Op.File && r.comm === 'loop') loopRecords++;
  });
  // Async loop runs: the drain thread hands batches to this (JS) thread while the loop runs.
  const { execFile } = await import('node:child_process');
  const runAsync = (): Promise<number> =>
    new Promise((res, rej) =>
      execFile(LOOP, [String(N), '/etc/hostname'], (err, out) => (err ? rej(err) : res(Number(out.trim())))),
    );

  s.setVisibility(0, 0, ['process']);
  const invisible: number[] = [];
  for (let i = 0; i < ROUNDS; i++) invisible.push(await runAsync());

  s.setVisibility(0, 0, ['process', 'file']);
  const before = s.stats().countersByOp[Op.File]!.emitted;
  const visible: number[] = [];
  for (let i = 0; i < ROUNDS; i++) visible.push(await runAsync());
  await new Promise((r) => setTimeout(r, 500));
  const st = s.stats();
  await s.stop();

  const b = median(base);
  const fmt = (x: number): string => (x / N).toFixed(0);
  console.log(`openat+close x ${N}, ${ROUNDS} rounds each, medians (ns/iteration):`);
  console.log(`  no agent:              ${fmt(b)}`);
  console.log(`  agent, not visible:    ${fmt(median(invisible))}  ratio ${(median(invisible) / b).toFixed(3)}x  (target <= 1.10x)`);
  console.log(`  agent, file visible:   ${fmt(median(visible))}  ratio ${(median(visible) / b).toFixed(3)}x  (target <= 1.50x)`);
  console.log(`  file records emitted in kernel during visible rounds: ${st.countersByOp[Op.File]!.emitted - before}`);
  console.log(`  loop file records decoded in JS: ${loopRecords} (expected ${N * ROUNDS})`);
  console.log(`  kernel reserve drops (file): ${st.kernelDropsByOp[Op.File]}, hand-off lost: ${st.lostHandoff}, decode errors: ${JSON.stringify(st.decodeErrors)}, delivered total: ${st.delivered}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
