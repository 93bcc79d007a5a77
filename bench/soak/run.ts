// Soak: `otelarmor run` (host visibility process,file,network, default Rego pack, an Audit host
// policy hit every second, OTLP to the real collector of otel/collector-test.yaml, writing to /dev/null) under a
// steady load for a fixed time. Every interval it prints events/s, the drops of that interval by
// stage, RSS and event-loop lag; at the end the totals and the RSS growth from the first minute
// to the end. Not part of CI (minutes long).
// Usage (root, after bash scripts/setup.sh):
//   node dist/bench/soak/run.js [minutes=5] [opens_per_second=5000] [interval_s=10]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestCollector } from '../../test/e2e/otlp-helpers';
import { freePort, sleep } from '../../test/helpers/procs';
import { hostFilePolicy, startAgent, sumSamples } from '../../test/reliability/agent';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const STORM = path.join(ROOT, 'test', 'progs', 'build', 'storm');
const FILEOPS = path.join(ROOT, 'test', 'progs', 'build', 'fileops');
const OTELCOL = path.join(ROOT, '.tools', 'bin', 'otelcol-otelarmor');

const minutes = Number(process.argv[2] ?? 5);
const rate = Number(process.argv[3] ?? 5000);
const intervalS = Number(process.argv[4] ?? 10);
const STAGES = ['kernel', 'ringbuf', 'decode', 'pipeline', 'export', 'grpc'] as const;

function dropsByStage(text: string): Record<string, number> {
  return Object.fromEntries(STAGES.map((s) => [s, sumSamples(text, 'otelarmor_events_dropped_total', { stage: s })]));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'oa-soak-'));
  const marker = path.join(dir, 'audited');
  writeFileSync(marker, 'x');
  mkdirSync(path.join(dir, 'policies'));
  writeFileSync(path.join(dir, 'policies', 'hsp.yaml'), hostFilePolicy('soak-audit', marker, 'Audit', os.hostname()));
  const port = await freePort();
  const collector = new TestCollector(OTELCOL, port, '/dev/null');
  await collector.start();
  const agent = await startAgent(['--output', 'none', '--host-visibility', 'process,file,network', '--alert-throttling', 'false',
    '--otlp-endpoint', `http://127.0.0.1:${port}`, '--policies', path.join(dir, 'policies')]);
  const total = minutes * 60;
  const load = spawn(STORM, ['2', String(total + 5), 'open', '/etc/hostname', String(rate / 2)], { stdio: 'ignore' });
  const execs = spawn(STORM, ['1', String(total + 5), 'exec'], { stdio: 'ignore' });
  let alerts = 0;
  const alerting = setInterval(() => { spawnSync(FILEOPS, ['open', marker, '0', '0']); alerts++; }, 1000);

  console.log(`soak: ${minutes} min, ${rate} opens/s + an exec loop + 1 audited open/s; agent pid ${agent.pid}`);
  console.log('   t(s)  events/s  alerts/s  drops(kernel ringbuf decode pipeline export grpc)   RSS MiB  lag ms');
  const start = Date.now();
  let prevText = await agent.scrape();
  const rss: { t: number; mib: number }[] = [];
  for (let t = intervalS; t <= total; t += intervalS) {
    await sleep(start + t * 1000 - Date.now());
    const text = await agent.scrape();
    const ev = sumSamples(text, 'otelarmor_events_total') - sumSamples(prevText, 'otelarmor_events_total');
    const al = sumSamples(text, 'otelarmor_alerts_total') - sumSamples(prevText, 'otelarmor_alerts_total');
    const d1 = dropsByStage(text);
    const d0 = dropsByStage(prevText);
    const mib = agent.rss() / 1048576;
    rss.push({ t, mib });
    const lag = sumSamples(text, 'otelarmor_event_loop_lag_seconds') * 1000;
    console.log(`${String(t).padStart(7)} ${(ev / intervalS).toFixed(0).padStart(9)} ${(al / intervalS).toFixed(1).padStart(9)}  ` +
      `${STAGES.map((s) => String(d1[s]! - d0[s]!)).join(' ').padEnd(44)} ${mib.toFixed(0).padStart(8)} ${lag.toFixed(1).padStart(7)}`);
    prevText = text;
  }
  clearInterval(alerting);
  load.kill('SIGKILL');
  execs.kill('SIGKILL');
  await sleep(2000);
  const text = await agent.scrape();
  await agent.stop();
  await collector.stop();
  const firstMin = rss.filter((r) => r.t <= 60);
  const base = firstMin.length ? Math.max(...firstMin.map((r) => r.mib)) : rss[0]?.mib ?? 0;
  const last = rss[rss.length - 1]?.mib ?? 0;
  console.log(`totals: ${sumSamples(text, 'otelarmor_events_total')} events, ${sumSamples(text, 'otelarmor_alerts_total')} alerts ` +
    `(${alerts} audited opens), exported ${sumSamples(text, 'otelarmor_export_records_total', { outcome: 'exported' })} records`);
  console.log(`drops by stage: ${JSON.stringify(dropsByStage(text))}`);
  console.log(`RSS: max in the first minute ${base.toFixed(0)} MiB, at the end ${last.toFixed(0)} MiB, ` +
    `max ${Math.max(...rss.map((r) => r.mib)).toFixed(0)} MiB; end / first minute = ${(last / base).toFixed(2)}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
