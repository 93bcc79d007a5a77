// issue 9, collector outage: `otelarmor run` exports to a real collector under steady load
// (file opens by a rate-limited storm, an Audit host policy hit every 2 s); the collector is
// stopped for 60 s and started again on the same port. Every alert arrives exactly once; the logs
// the collector did not get are exactly the export-stage drops; export resumes within 2 s of the
// collector's return; RSS stays bounded during the outage.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execAlerts, requireFile, requireRoot, ROOT, tool } from '../helpers/env';
import { freePort, sleep } from '../helpers/procs';
import { TestCollector } from '../e2e/otlp-helpers';
import { hostFilePolicy, startAgent, sumSamples, type Agent } from './agent';

const STORM = path.join(ROOT, 'test', 'progs', 'build', 'storm');
const FILEOPS = path.join(ROOT, 'test', 'progs', 'build', 'fileops');
const OUTAGE_S = 60;
const BEFORE_S = 8;
const AFTER_S = 8;
const RATE = 1500; // opens per second: 60 s of them overflow the 65,536-record logs queue
const RSS_BOUND = 450 * 1024 * 1024;

/** Scans the collector's OTLP-JSON file: alert records parsed (HostPID → PolicyName list), log
 *  records only counted (a line is one export request; alerts and logs travel separately). */
function scan(file: string): { alerts: Map<number, string[]>; logs: number } {
  const alerts = new Map<number, string[]>();
  let logs = 0;
  if (!existsSync(file)) return { alerts, logs };
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(8 << 20);
  let rest = '';
  let off = 0;
  const line = (l: string) => {
    if (l.includes('"kubearmor.alert"')) {
      const req = JSON.parse(l) as { resourceLogs: { scopeLogs: { logRecords: { eventName?: string; attributes: { key: string; value: { stringValue?: string; intValue?: string } }[] }[] }[] }[] };
      for (const rl of req.resourceLogs) for (const sl of rl.scopeLogs) for (const r of sl.logRecords) {
        if (r.eventName !== 'kubearmor.alert') continue;
        const a = Object.fromEntries(r.attributes.map((kv) => [kv.key, kv.value]));
        const pid = Number(a.HostPID?.intValue);
        alerts.set(pid, [...(alerts.get(pid) ?? []), String(a.PolicyName?.stringValue)]);
      }
    }
    logs += l.split('"eventName":"kubearmor.log"').length - 1;
  };
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, off);
      if (n <= 0) break;
      off += n;
      const parts = (rest + buf.subarray(0, n).toString('utf8')).split('\n');
      rest = parts.pop() ?? '';
      for (const l of parts) if (l) line(l);
    }
    if (rest) line(rest);
  } finally {
    closeSync(fd);
  }
  return { alerts, logs };
}

describe('reliability: 60 s collector outage under steady load (real agent, real collector)', function () {
  this.timeout(240_000);
  let agent: Agent | undefined;
  let load: ChildProcess | undefined;
  const collectors: TestCollector[] = [];
  after(async () => {
    load?.kill('SIGKILL');
    await agent?.stop();
    for (const c of collectors) await c.stop();
  });

  it('0 alerts lost, lost logs = export drops, export back within 2 s, RSS bounded', async function () {
    requireRoot(this);
    requireFile(this, STORM);
    requireFile(this, FILEOPS);
    const bin = tool(this, 'otelcol-otelarmor');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'oa-outage-'));
    const marker = path.join(dir, 'audited');
    writeFileSync(marker, 'x');
    const pol = path.join(dir, 'policies');
    mkdirSync(pol);
    writeFileSync(path.join(pol, 'hsp.yaml'), hostFilePolicy('outage-audit', marker, 'Audit', os.hostname()));
    const port = await freePort();
    const first = new TestCollector(bin, port, path.join(dir, 'before.jsonl'));
    collectors.push(first);
    await first.start();
    agent = await startAgent(['--output', 'none', '--otlp-endpoint', `http://127.0.0.1:${port}`, '--alert-throttling', 'false',
      '--host-visibility', 'process,file', '--policies', pol]);
    const a = agent;
    load = spawn(STORM, ['1', String(BEFORE_S + OUTAGE_S + AFTER_S + 5), 'open', '/etc/hostname', String(RATE)], { stdio: 'ignore' });

    const readers: number[] = [];
    let stopReading = false;
    const reading = (async () => {
      while (!stopReading) {
        const r = spawnSync(FILEOPS, ['open', marker, '0', '0'], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        readers.push(r.pid!);
        await sleep(2000);
      }
    })();

    await sleep(BEFORE_S * 1000);
    await first.stop();
    const outageStart = Date.now();
    let rssMax = 0;
    while (Date.now() - outageStart < OUTAGE_S * 1000) {
      rssMax = Math.max(rssMax, a.rss());
      await sleep(1000);
    }
    const exportedBefore = await a.metric('otelarmor_export_records_total', { signal: 'alerts', outcome: 'exported' });
    const second = new TestCollector(bin, port, path.join(dir, 'after.jsonl'));
    collectors.push(second);
    await second.start();
    const back = Date.now();
    let recoveredMs = -1;
    while (Date.now() - back < 10_000) {
      if (await a.metric('otelarmor_export_records_total', { signal: 'alerts', outcome: 'exported' }) > exportedBefore) {
        recoveredMs = Date.now() - back;
        break;
      }
      await sleep(50);
    }
    await sleep(AFTER_S * 1000);
    stopReading = true;
    await reading;
    load.kill('SIGKILL');
    load = undefined;
    // Let both queues drain into the collector.
    for (let i = 0; i < 200; i++) {
      const t = await a.scrape();
      if (sumSamples(t, 'otelarmor_export_queue_size') === 0 && i > 20) break;
      await sleep(100);
    }
    const text = await a.scrape();
    await second.stop();

    const before = scan(path.join(dir, 'before.jsonl'));
    const afterScan = scan(path.join(dir, 'after.jsonl'));
    const drops = (reasonPrefix: string) => text.split('\n')
      .filter((l) => l.startsWith('otelarmor_events_dropped_total{') && l.includes('stage="export"') && l.includes(`reason="${reasonPrefix}`))
      .reduce((s, l) => s + Number(l.split(' ').pop()), 0);
    const offeredLogs = sumSamples(text, 'otelarmor_events_total', { type: 'HostLog' });
    const exportedLogs = sumSamples(text, 'otelarmor_export_records_total', { signal: 'logs', outcome: 'exported' });
    const droppedLogs = drops('logs_');
    const receivedLogs = before.logs + afterScan.logs;
    console.log(`      outage: ${readers.length} alerts triggered; logs offered ${offeredLogs}, received ${receivedLogs} ` +
      `(${before.logs} before, ${afterScan.logs} after), dropped ${droppedLogs}; export back ${recoveredMs} ms after the collector; ` +
      `RSS max ${(rssMax / 1048576).toFixed(0)} MiB`);

    // Every alert exactly once.
    for (const pid of readers) {
      const got = [...(before.alerts.get(pid) ?? []), ...(afterScan.alerts.get(pid) ?? [])];
      // Sorted: a Rego alert is appended after its batch, a policy alert replaces its event in place.
      assert.deepEqual(got.sort(), [...execAlerts(FILEOPS), 'outage-audit'].sort(), `alert of reader ${pid}`);
    }
    assert.equal(drops('alerts_'), 0, 'no alert dropped at export');
    // The outage did overflow the logs queue, and every lost log is counted.
    assert.ok(droppedLogs > 0, 'the logs queue never overflowed: the load was too weak');
    assert.equal(receivedLogs, exportedLogs, 'collector received = exported');
    assert.equal(offeredLogs, exportedLogs + droppedLogs, 'offered = exported + dropped');
    assert.ok(recoveredMs >= 0 && recoveredMs <= 2000, `export resumed ${recoveredMs} ms after the collector returned`);
    assert.ok(rssMax < RSS_BOUND, `RSS ${rssMax}`);
  });
});
