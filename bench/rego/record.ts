// Records a realistic event mix on this host with the real sensors + enrichment (root): a typical
// workload (shell pipelines, file reads/writes, package metadata scans, loopback connections,
// git/node activity) runs while events are captured, then they are written gzip'd as JSON lines
// (src/rego/events-file.ts) to bench/rego/recorded-mix.jsonl.gz for bench/rego/bench.ts.
//   node dist/bench/rego/record.js [seconds=8] [out]
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AgentEvent } from '../../src/events/types';
import { KernelSensors } from '../../src/kernel/sensors';
import { AgentMetrics } from '../../src/metrics/metrics';
import { eventLine } from '../../src/rego/events-file';
import { Enricher } from '../../src/sensors/index';

const ROOT = path.resolve(__dirname, '..', '..', '..');

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 8);
  const out = process.argv[3] ?? path.join(ROOT, 'bench', 'rego', 'recorded-mix.jsonl.gz');
  const metrics = new AgentMetrics();
  const enricher = new Enricher({ clusterName: 'default', hostName: 'bench-host', nodeId: 'bench', metrics });
  enricher.seedFromProc();
  const sensors = KernelSensors.open({ ringbufBytes: 64 * 1024 * 1024 });
  const failed = sensors.attachAll().filter((r) => !r.attached);
  if (failed.length) throw new Error(`attach failed: ${failed.map((f) => f.program).join(', ')}`);
  sensors.setVisibility(0, 0, ['process', 'file', 'network', 'capabilities', 'syscall']);
  const events: AgentEvent[] = [];
  sensors.start((recs) => { for (const e of enricher.enrich(recs)) events.push(e); });
  const work = spawn('bash', ['-c', `
    end=$((SECONDS+${seconds}))
    while [ $SECONDS -lt $end ]; do
      ls -la /etc /usr/bin >/dev/null; cat /etc/os-release /etc/hostname >/dev/null
      grep -r root /etc/passwd /etc/group >/dev/null; ps aux >/dev/null
      echo "$RANDOM" > /tmp/otelarmor-bench.$$; sort /tmp/otelarmor-bench.$$ >/dev/null; rm -f /tmp/otelarmor-bench.$$
      find /usr/share/doc -maxdepth 2 -name '*.gz' 2>/dev/null | head -20 >/dev/null
      (exec 3<>/dev/tcp/127.0.0.1/9 ) 2>/dev/null; curl -s -m 0.2 http://127.0.0.1:1/ >/dev/null 2>&1
      git -C ${ROOT} status --short >/dev/null 2>&1; node -e 'require("fs").readdirSync("/proc")' ; sleep 0.05
    done`], { stdio: 'ignore' });
  await new Promise((r) => work.on('close', r));
  await new Promise((r) => setTimeout(r, 300));
  await sensors.stop();
  events.push(...enricher.enrich([]));
  writeFileSync(out, gzipSync(events.map(eventLine).join('\n') + '\n'));
  const byOp = new Map<string, number>();
  for (const e of events) byOp.set(e.ka.Operation, (byOp.get(e.ka.Operation) ?? 0) + 1);
  process.stdout.write(`${out}: ${events.length} events ${JSON.stringify(Object.fromEntries(byOp))}\n`);
  void execFileSync;
}

main().catch((e: unknown) => { process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`); process.exitCode = 1; });
