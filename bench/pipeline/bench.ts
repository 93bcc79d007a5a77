// CPU cost per event of each stage of the agent's batch path, in one run, on wire records built
// here (struct oa_file, openat of a few paths by a few live processes, in the host pid namespace
// or in a pid namespace of its own as bench/export's rateloop): decodeBatch, Enricher.enrich,
// PolicyEngine.process (no policies), RegoEngine.process (default pack), the KubeArmor result
// filter, and the sinks — metrics, karmor JSON lines (the jsonl output's rendering and buffering,
// to /dev/null), the OTLP request encoder (batches of the sink's batchSize). Prints µs/event per
// stage and in total (best of ROUNDS interleaved rounds; other load only adds time), and the
// events/s one core sustains at that cost. No kernel, no root: the agent's user-space ceiling.
//   node dist/bench/pipeline/bench.js [events=200000] [rounds=5] [host|container]
import * as os from 'node:os';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { defaultConfig } from '../../src/config';
import { decodeBatch, FILE_SYSCALLS, LAYOUT } from '../../src/events/decode';
import { Op, type KernelRecord } from '../../src/events/record';
import type { AgentEvent } from '../../src/events/types';
import { createMetricsSink } from '../../src/metrics/sink';
import { AgentMetrics } from '../../src/metrics/metrics';
import { LogsRequestEncoder } from '../../src/otlp/encode';
import { OTLP_DEFAULTS } from '../../src/otlp/options';
import { agentResourceAttributes, SERVICE_NAME } from '../../src/otlp/resource';
import { createOutputSink } from '../../src/output';
import { PolicyEngine } from '../../src/policy/engine';
import { PolicyStore } from '../../src/policy/store';
import { RegoEngine } from '../../src/rego/engine';
import { PROC_PID_INIT_INO } from '../../src/sensors/containers';
import { Enricher, KubeArmorResultFilter, readMachineId } from '../../src/sensors';

const N = Number(process.argv[2] ?? 200_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const MODE = process.argv[4] ?? 'container';
const SLICE = 2048; // records per onRecords call (src/kernel/drain.ts SLICE)

const F = LAYOUT.oa_file.fields;
const H = LAYOUT.oa_hdr.fields;
const OPENAT = Number(Object.entries(FILE_SYSCALLS).find(([, n]) => n === 'openat')![0]);
const O_RDONLY_CLOEXEC = 0o2000000;

/** `n` struct oa_file records back to back: openat(AT_FDCWD, path, O_RDONLY|O_CLOEXEC) = 3. */
function wireRecords(n: number, pids: readonly number[], pidNs: number): Buffer {
  const size = LAYOUT.oa_file.size;
  const b = Buffer.alloc(n * size);
  const paths = ['/etc/hostname', '/etc/ld.so.cache', '/usr/lib/x86_64-linux-gnu/libc.so.6', '/etc/passwd'];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const o = i * size;
    const pid = pids[i % pids.length]!;
    b.writeUInt16LE(Op.File, o + H.op[0]);
    b.writeUInt16LE(size, o + H.size[0]);
    b.writeBigUInt64LE(t0 + BigInt(i) * 3_217n, o + H.ktime_ns[0]);
    for (const k of ['tgid', 'tid', 'ns_tgid'] as const) b.writeUInt32LE(pid, o + H[k][0]);
    b.writeUInt32LE(process.ppid, o + H.ppid[0]);
    b.writeUInt32LE(process.ppid, o + H.ns_ppid[0]);
    b.writeUInt32LE(pidNs, o + H.pid_ns[0]);
    b.writeUInt32LE(4026531841, o + H.mnt_ns[0]);
    b.writeBigUInt64LE(12345n, o + H.cgroup_id[0]);
    b.write('loop', o + H.comm[0]);
    b.writeInt32LE(3, o + F.ret[0]);
    b.writeInt32LE(-100, o + F.dirfd[0]);
    b.writeUInt32LE(O_RDONLY_CLOEXEC, o + F.flags[0]);
    b.writeInt32LE(-1, o + F.owner_uid[0]);
    b.writeInt32LE(-1, o + F.owner_gid[0]);
    b.writeInt32LE(0, o + F.file_owner_uid[0]);
    b.writeUInt16LE(OPENAT, o + F.nr[0]);
    b.write(paths[i % paths.length]!, o + F.path[0]);
  }
  return b;
}

type Stage = [name: string, run: () => void];

async function main(): Promise<void> {
  const metrics = new AgentMetrics(new MeterProvider().getMeter('bench'));
  const hostName = os.hostname();
  const enricher = new Enricher({ clusterName: 'default', hostName, nodeId: readMachineId(), metrics });
  enricher.seedFromProc();
  const cfg = defaultConfig();
  const engine = new PolicyEngine({
    store: new PolicyStore(), config: cfg, metrics, hostName, hostLabels: {}, enforcerCanBlock: false, lsmActive: false,
  });
  const rego = await RegoEngine.load([], { metrics });
  const filter = new KubeArmorResultFilter(metrics);
  const metricsSink = createMetricsSink(metrics);
  const jsonl = createOutputSink('jsonl:/dev/null', metrics);
  const encoder = new LogsRequestEncoder(agentResourceAttributes({ hostName, nodeName: hostName, cluster: 'default' }), { name: SERVICE_NAME, version: '0' },
    { commandLine: false });

  // Live processes (the tree reads /proc for them once), as the kernel would report them.
  const pids = [process.pid, process.ppid, 1];
  const wire = wireRecords(N, pids, MODE === 'host' ? PROC_PID_INIT_INO : 4026532999);
  const recSize = LAYOUT.oa_file.size;
  const bufs: Buffer[] = [];
  for (let o = 0; o < wire.length; o += SLICE * recSize) bufs.push(wire.subarray(o, Math.min(wire.length, o + SLICE * recSize)));

  let records: KernelRecord[][] = [];
  let enriched: AgentEvent[][] = [];
  let out: AgentEvent[][] = [];
  const stages: Stage[] = [
    ['decode', () => { records = bufs.map((b) => decodeBatch(b).records); }],
    ['enrich', () => { enriched = records.map((r) => enricher.enrich(r)); }],
    ['policy', () => { out = enriched.map((b) => engine.process(b)); }],
    ['rego', () => { out = out.map((b) => rego.process(b)); }],
    ['result filter', () => { out = out.map((b) => filter.process(b)); }],
    ['metrics sink', () => { for (const b of out) metricsSink.write(b); }],
    ['karmor JSON (jsonl)', () => { for (const b of out) jsonl.write(b); }],
    ['OTLP encode', () => {
      const all = out.flat();
      for (let i = 0; i < all.length; i += OTLP_DEFAULTS.batchSize) encoder.encode(all.slice(i, i + OTLP_DEFAULTS.batchSize));
    }],
  ];
  const best = new Map<string, number>();
  let events = 0;
  for (let r = 0; r < ROUNDS + 1; r++) {
    for (const [name, run] of stages) {
      const t0 = process.hrtime.bigint();
      run();
      const us = Number(process.hrtime.bigint() - t0) / 1e3 / N;
      if (r > 0) best.set(name, Math.min(best.get(name) ?? Infinity, us)); // round 0 warms up
    }
    events = out.reduce((n, b) => n + b.length, 0);
    await jsonl.flush(Date.now() + 10_000);
  }
  let total = 0;
  console.log(`pipeline: ${N} openat records (${MODE} pid namespace), ${SLICE}-record batches, ${events} events out per round; best of ${ROUNDS} rounds, µs/event:`);
  for (const [name] of stages) {
    const us = best.get(name)!;
    total += us;
    console.log(`  ${name.padEnd(22)} ${us.toFixed(2).padStart(6)}`);
  }
  console.log(`  ${'total'.padEnd(22)} ${total.toFixed(2).padStart(6)}  (${Math.round(1e6 / total)} events/s on one core; ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(2)})`);
  await jsonl.close();
}

main().catch((e) => { console.error(e); process.exit(1); });
