// Kernel → agent → collector throughput, from one run: `otelarmor run` (file visibility, default
// Rego pack, OTLP to the real collector of otel/collector-bench.yaml) while
// bench/export/build/rateloop, in a pid namespace of its own, makes openat calls at a fixed
// offered rate. Prints the offered and
// delivered events/s, what the kernel emitted (the agent's BPF counters, read with bpftool), what
// the agent counted, what the collector accepted (otelcol_receiver_accepted_log_records), every
// drop counter that moved, and the verdict against the target (>= 100,000 events/s, 0 lost).
// Usage (root): make -C bench/export && node dist/bench/export/kernel-otlp.js [rate=105000] [seconds=10] [warm-rate warm-seconds]
//   rate 0 = rateloop as fast as it can (the agent's ceiling, with losses); warm-rate/warm-seconds:
//   a warm-up phase before the measured window (steady state); BENCH_TRACE=MS prints the
//   collector's intake and the agent's logs queue every MS ms of the measured window.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AGENT_NODE_FLAGS } from '../../src/node-flags';
import { freePort, sleep } from '../../test/e2e/otlp-helpers';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const LOOP = path.join(ROOT, 'bench', 'export', 'build', 'rateloop');
const TARGET = 100_000;

/** Prometheus text → `name{labels}` → value. */
async function scrape(port: number): Promise<Map<string, number>> {
  let text = '';
  // A busy agent may not accept the connection within undici's 10 s connect timeout: retry.
  for (let i = 0; ; i++) {
    try { text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(); break; } catch (e) { if (i >= 5) throw e; }
  }
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

const sum = (m: Map<string, number>, prefix: string) => {
  let n = 0;
  for (const [k, v] of m) if (k === prefix || k.startsWith(`${prefix}{`)) n += v;
  return n;
};

/** CPU seconds (user + system) of process `pid` from /proc/PID/stat; `children`: of its waited-for children instead. */
function cpuSecondsOf(pid: number | 'self', children = false): number {
  const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  const tick = 100; // USER_HZ, 100 on Linux
  return children ? (Number(f[13]) + Number(f[14])) / tick : (Number(f[11]) + Number(f[12])) / tick;
}

interface BpfMap { id: number; name: string }

/** Ids of the BPF maps process `pid` holds a file descriptor for (/proc/PID/fdinfo "map_id:"). */
function mapIdsOf(pid: number): Set<number> {
  const ids = new Set<number>();
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    try {
      const m = /^map_id:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (m) ids.add(Number(m[1]));
    } catch { /* fd closed meanwhile */ }
  }
  return ids;
}

/** Words (u64) of a per-CPU array map of process `pid`, each summed over CPUs and keys. */
function percpuWords(pid: number, name: string, valueWords: number): bigint[] {
  const held = mapIdsOf(pid);
  const maps = JSON.parse(execFileSync('bpftool', ['map', 'show', '-j'], { encoding: 'utf8' })) as BpfMap[];
  const m = maps.find((x) => x.name === name && held.has(x.id));
  if (!m) throw new Error(`no BPF map ${name} held by pid ${pid}`);
  const dump = JSON.parse(execFileSync('bpftool', ['map', 'dump', 'id', String(m.id), '-j'], { encoding: 'utf8' })) as
    { values: { value: string[] }[] }[];
  const words: bigint[] = new Array<bigint>(valueWords).fill(0n);
  for (const e of dump) {
    for (const v of e.values) {
      const b = Buffer.from(v.value.map((h) => parseInt(h, 16)));
      for (let i = 0; i < valueWords; i++) words[i]! += b.readBigUInt64LE(i * 8);
    }
  }
  return words;
}

/** Kernel side of the agent: records written to a ring (emitted) and reserve failures. */
function kernelCounts(pid: number): { emitted: number; reserveDrops: number } {
  // oa_counters value: struct oa_op_counters { u64 emitted, invisible, dedup, pad } per op slot;
  // oa_drops value: u64 per op slot (bpf/include/events.h, bpf/lib/common.h).
  const [emitted = 0n] = percpuWords(pid, 'oa_counters', 1);
  const [drops = 0n] = percpuWords(pid, 'oa_drops', 1);
  return { emitted: Number(emitted), reserveDrops: Number(drops) };
}

/**
 * Waits until the agent's export queues are empty and the collector's accepted count stopped
 * moving (3 polls 100 ms apart); returns the time the count last moved.
 */
async function drained(agentMetrics: number, colMetrics: number): Promise<bigint> {
  let last = -1;
  let tMoved = process.hrtime.bigint();
  for (let stable = 0, i = 0; stable < 3 && i < 1200; i++) {
    const queued = sum(await scrape(agentMetrics), 'otelarmor_export_queue_size');
    const c = sum(await scrape(colMetrics), 'otelcol_receiver_accepted_log_records');
    if (c !== last) tMoved = process.hrtime.bigint();
    stable = c === last && queued === 0 ? stable + 1 : 0;
    last = c;
    await sleep(100);
  }
  return tMoved;
}

async function main(): Promise<void> {
  // Offered a little above the target by default: delivered/s counts the collector's intake until
  // it stops moving, so the drain of the last queued records (~0.1-0.3 s) sits in the window.
  const rate = Number(process.argv[2] ?? TARGET * 1.05);
  const seconds = Number(process.argv[3] ?? 10);
  const warmRate = Number(process.argv[4] ?? 0);
  const warmSecs = Number(process.argv[5] ?? 0);
  const [otlpPort, colMetrics, agentMetrics] = [await freePort(), await freePort(), await freePort()];
  const col = spawn(path.join(ROOT, '.tools', 'bin', 'otelcol-otelarmor'), [`--config=${path.join(ROOT, 'otel', 'collector-bench.yaml')}`], {
    env: { ...process.env, OTELARMOR_BENCH_OTLP_PORT: String(otlpPort), OTELARMOR_BENCH_METRICS_PORT: String(colMetrics) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let agentErr = '';
  // BENCH_CPU_PROF=DIR: the agent writes a V8 CPU profile there on exit.
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // BENCH_NODE_FLAGS="--flag ...": extra node/V8 flags for the agent (A/B runs of a V8 setting).
  prof.push(...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f));
  const agent = spawn(process.execPath, [...AGENT_NODE_FLAGS, ...prof, path.join(ROOT, 'dist', 'src', 'cli.js'), 'run', '--output', 'none', '--k8s', 'off',
    // Only the loop is visible: it runs in a pid namespace of its own, which the kernel treats as
    // a container (default container visibility: file); host activity (other processes on this
    // machine, other tests) stays invisible and does not blur the counts.
    '--host-visibility', 'none', '--visibility', 'file', '--otlp-endpoint', `http://127.0.0.1:${otlpPort}`,
    '--metrics-address', `127.0.0.1:${agentMetrics}`, '--grpc-address', `127.0.0.1:${await freePort()}`,
    '--health-grpc-address', `127.0.0.1:${await freePort()}`],
  { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: '' } });
  agent.stderr.on('data', (d: Buffer) => { agentErr = (agentErr + d.toString()).slice(-20_000); });
  try {
    const t = Date.now();
    while (!agentErr.includes('otelarmor: running:')) {
      if (agent.exitCode !== null || Date.now() - t > 90_000) throw new Error(`agent did not start:\n${agentErr}`);
      await sleep(100);
    }
    await scrape(colMetrics);
    await sleep(2000); // start-up burst (the agent's own /proc scan, rego load) drains
    // Optional warm-up (arguments 3 and 4): the same loop at WARM_RATE for WARM_SECONDS before the
    // measured window, drained and not counted. A cold agent, channel and collector lose records
    // in the first second of a sudden 100,000/s (the first exports take ~0.8 s to come back).
    if (warmRate > 0 && warmSecs > 0) {
      execFileSync('unshare', ['--pid', '--fork', '--', LOOP, String(warmRate), String(warmSecs), '/etc/hostname']);
      await drained(agentMetrics, colMetrics);
    }

    // bpftool's own exec and file opens are kernel events too: read the BPF counters first and
    // the agent/collector counts after those events drained (and the same at the end).
    const k0 = kernelCounts(agent.pid!);
    await drained(agentMetrics, colMetrics);
    const a0 = await scrape(agentMetrics);
    const c0 = sum(await scrape(colMetrics), 'otelcol_receiver_accepted_log_records');
    const cpu0 = sum(a0, 'otelarmor_process_cpu_seconds_total');
    const t0 = process.hrtime.bigint();
    const colCpu0 = cpuSecondsOf(col.pid!);
    const loopCpu0 = cpuSecondsOf('self', true);
    // BENCH_TRACE=1: every 500 ms while the loop runs, what the collector accepted and the agent's
    // logs queue and drops (where a loss starts).
    const lp = spawn('unshare', ['--pid', '--fork', '--', LOOP, String(rate), String(seconds), '/etc/hostname'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let loop = '';
    lp.stdout.on('data', (d: Buffer) => { loop += d.toString(); });
    const loopDone = new Promise<void>((r) => lp.once('exit', () => r()));
    if (process.env.BENCH_TRACE) {
      let prev = c0;
      let [ds0, dc0] = [0, 0];
      const t1 = Date.now();
      while (lp.exitCode === null) {
        await Promise.race([sleep(Number(process.env.BENCH_TRACE) > 1 ? Number(process.env.BENCH_TRACE) : 500), loopDone]);
        const [a, c] = [await scrape(agentMetrics), sum(await scrape(colMetrics), 'otelcol_receiver_accepted_log_records')];
        const ds = sum(a, 'otelarmor_export_duration_seconds_sum');
        const dc = sum(a, 'otelarmor_export_duration_seconds_count');
        const avg = dc > dc0 ? `${(((ds - ds0) / (dc - dc0)) * 1000).toFixed(0)} ms` : '-';
        process.stdout.write(`  t=${((Date.now() - t1) / 1000).toFixed(1)}s accepted +${c - prev} logs queue ${a.get('otelarmor_export_queue_size{signal="logs"}') ?? '?'} dropped ${sum(a, 'otelarmor_events_dropped_total') - sum(a0, 'otelarmor_events_dropped_total')} exports +${dc - dc0} (mean ${avg})\n`);
        prev = c;
        [ds0, dc0] = [ds, dc];
      }
    }
    await loopDone;
    const m = /^opens (\d+) elapsed_ns (\d+)/.exec(loop);
    if (!m) throw new Error(`rateloop: ${loop}`);
    const opens = Number(m[1]);
    const loopSecs = Number(m[2]) / 1e9;
    // The loop's CPU includes the BPF programs: they run in its syscalls.
    const loopCpu = cpuSecondsOf('self', true) - loopCpu0;
    const tDone = await drained(agentMetrics, colMetrics);
    const colCpu = cpuSecondsOf(col.pid!) - colCpu0;
    const k1 = kernelCounts(agent.pid!);
    await drained(agentMetrics, colMetrics);
    const a1 = await scrape(agentMetrics);
    const c1 = sum(await scrape(colMetrics), 'otelcol_receiver_accepted_log_records');
    const secs = Number(tDone - t0) / 1e9;
    const accepted = c1 - c0;
    const emitted = k1.emitted - k0.emitted;
    const reserveDrops = k1.reserveDrops - k0.reserveDrops;
    const counted = sum(a1, 'otelarmor_events_total') - sum(a0, 'otelarmor_events_total');
    const drops: string[] = [];
    for (const [k, v] of a1) {
      if (!k.startsWith('otelarmor_events_dropped_total')) continue;
      const d = v - (a0.get(k) ?? 0);
      if (d > 0) drops.push(`${k.replace('otelarmor_events_dropped_total', '')}=${d}`);
    }
    const dropTotal = sum(a1, 'otelarmor_events_dropped_total') - sum(a0, 'otelarmor_events_dropped_total');
    const agentCpu = sum(a1, 'otelarmor_process_cpu_seconds_total') - cpu0;
    const rego = (o: string) => (a1.get(`otelarmor_rego_decisions_total{outcome="${o}"}`) ?? 0) - (a0.get(`otelarmor_rego_decisions_total{outcome="${o}"}`) ?? 0);
    // Balance of the window: what reached the ring (or failed to) minus what the collector accepted.
    const lost = emitted + reserveDrops - accepted;
    const delivered = accepted / secs;
    const ok = delivered >= TARGET && lost <= 0 && dropTotal === 0;
    process.stdout.write([
      `kernel-otlp: rateloop ${opens} openat in ${loopSecs.toFixed(2)} s (offered ${Math.round(opens / loopSecs)}/s${rate ? `, asked ${rate}/s` : ', unpaced'})` +
        (warmRate > 0 && warmSecs > 0 ? `, after a warm-up of ${warmSecs} s at ${warmRate}/s (not counted)` : ', cold (no warm-up)'),
      `  kernel: ${emitted} records emitted, ${reserveDrops} reserve failures (ring full)`,
      `  agent: ${counted} events counted (otelarmor_events_total), dropped ${dropTotal}${drops.length ? `: ${drops.join(' ')}` : ''}`,
      `  collector: ${accepted} log records accepted in ${secs.toFixed(2)} s = ${Math.round(delivered)} events/s delivered`,
      `  lost: ${lost} by balance (kernel emitted + reserve failures - collector accepted), ${dropTotal} by the agent's drop counters`,
      `  agent CPU ${agentCpu.toFixed(2)} s (${(agentCpu / Math.max(1, accepted) * 1e6).toFixed(1)} us/event delivered, ${(agentCpu / Math.max(1, counted) * 1e6).toFixed(1)} us/event counted), RSS ${((a1.get('otelarmor_process_resident_memory_bytes') ?? 0) / 1048576).toFixed(0)} MiB; ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(2)}`,
      `  rego decisions: ${rego('cached')} cached, ${rego('evaluated')} evaluated`,
      cpuBudget(loopCpu / Math.max(1, opens), agentCpu / Math.max(1, counted), colCpu / Math.max(1, accepted)),
      `  target >= ${TARGET} events/s with 0 lost: ${ok ? 'MET' : 'MISSED'}`,
      '',
    ].join('\n'));
  } catch (e) {
    process.stderr.write(`agent exit ${agent.exitCode ?? agent.signalCode ?? 'running'}, collector exit ${col.exitCode ?? col.signalCode ?? 'running'}; agent stderr tail:\n${agentErr.split('\n').filter((l) => !l.includes(': hook ')).slice(-15).join('\n')}\n`);
    throw e;
  } finally {
    agent.kill('SIGTERM');
    await new Promise<void>((r) => { if (agent.exitCode !== null) r(); else agent.once('exit', () => r()); });
    col.kill('SIGTERM');
  }
}

/** What each party costs per event in this run, and what TARGET events/s would take of this machine. */
function cpuBudget(loopS: number, agentS: number, colS: number): string {
  const us = (x: number) => (x * 1e6).toFixed(1);
  const need = (loopS + agentS + colS) * TARGET;
  return `  CPU per event: rateloop incl. BPF ${us(loopS)} us, agent ${us(agentS)} us, collector ${us(colS)} us; ` +
    `${TARGET}/s at these costs needs ${need.toFixed(2)} CPUs (this machine: ${os.cpus().length}), ` +
    `the collector alone ${(colS * TARGET).toFixed(2)}`;
}

main().catch((e) => { process.stderr.write(`${e instanceof Error ? e.stack : e}\n`); process.exitCode = 1; });
