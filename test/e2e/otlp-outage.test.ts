// Collector outage: the real collector is stopped for ~30 s while alerts and logs keep coming, then
// restarted on the same port. Every alert must arrive exactly once and in order; the logs that did
// not arrive must equal otelarmor_events_dropped_total{stage="export",reason="logs_queue_full"}.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultConfig } from '../../src/config';
import type { AgentEvent } from '../../src/events/types';
import { AgentMetrics } from '../../src/metrics/metrics';
import { createOtlpSink, otlpOptionsFromConfig, type OtlpSink } from '../../src/otlp';
import { tool } from '../helpers/env';
import { fixture } from '../fixtures/events';
import { freePort, readOtlpFile, sleep, TestCollector, waitForRecords } from './otlp-helpers';

const OUTAGE_MS = 30_000;
const TICK_MS = 250;
const LOGS_PER_TICK = 50;
const LOGS_CAPACITY = 1000;

describe('OTLP delivery across a collector outage (real collector, ~45 s)', function () {
  this.timeout(180_000);

  it('delivers every alert exactly once in order; lost logs equal the drop counter', async function () {
    const bin = tool(this, 'otelcol-otelarmor');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'oa-otlp-outage-'));
    const port = await freePort();
    const before = new TestCollector(bin, port, path.join(dir, 'before.jsonl'));
    const afterCol = new TestCollector(bin, port, path.join(dir, 'after.jsonl'));
    await before.start();

    const metrics = new AgentMetrics();
    const opts = otlpOptionsFromConfig({ ...defaultConfig(), nodeName: 'node-a', otlpEndpoint: `http://127.0.0.1:${port}` }, {})!;
    opts.logsQueueCapacity = LOGS_CAPACITY;
    opts.retryMaxMs = 2_000;
    const sink = createOtlpSink(opts, metrics) as OtlpSink;

    const alertT = fixture('alert');
    const logT = fixture('open');
    let alertSeq = 0;
    let logSeq = 0;
    const alert = (): AgentEvent => {
      alertSeq++;
      return { ...alertT, ka: { ...alertT.ka, HostPID: alertSeq }, timeNs: alertT.timeNs + BigInt(alertSeq) };
    };
    const log = (): AgentEvent => {
      logSeq++;
      return { ...logT, ka: { ...logT.ka, HostPID: logSeq }, timeNs: logT.timeNs + BigInt(logSeq) };
    };
    const tick = () => {
      const batch: AgentEvent[] = [alert()];
      for (let i = 0; i < LOGS_PER_TICK; i++) batch.push(log());
      sink.write(batch);
    };

    try {
      // Up: a few ticks, all delivered.
      for (let i = 0; i < 4; i++) { tick(); await sleep(TICK_MS); }
      await sink.flush(Date.now() + 10_000);
      assert.deepEqual(sink.queued(), { alerts: 0, logs: 0 });

      // Down for OUTAGE_MS while traffic continues.
      await before.stop();
      const t0 = Date.now();
      while (Date.now() - t0 < OUTAGE_MS) { tick(); await sleep(TICK_MS); }
      const q = sink.queued();
      assert.equal(q.alerts, alertSeq - 4, 'every alert since the outage is queued');
      assert.equal(q.logs, LOGS_CAPACITY, 'the logs queue is full');
      assert.notEqual(sink.lastErrors().alerts, '');

      // Back on the same port; a little more traffic, then flush.
      await afterCol.start();
      for (let i = 0; i < 4; i++) { tick(); await sleep(TICK_MS); }
      await sink.flush(Date.now() + 30_000);
      assert.deepEqual(sink.queued(), { alerts: 0, logs: 0 });
      await sink.close();

      await waitForRecords(afterCol.file, 1);
      await sleep(500); // file exporter flush interval
      const recs = [...readOtlpFile(before.file), ...readOtlpFile(afterCol.file)];
      const alertPids = recs.filter((r) => r.eventName === 'kubearmor.alert').map((r) => Number((r.attributes.HostPID as { intValue: string }).intValue));
      assert.deepEqual(alertPids, Array.from({ length: alertSeq }, (_, k) => k + 1), 'alerts exactly once, in order');

      const logPids = recs.filter((r) => r.eventName === 'kubearmor.log').map((r) => Number((r.attributes.HostPID as { intValue: string }).intValue));
      assert.equal(new Set(logPids).size, logPids.length, 'no duplicate logs');
      const dropped = metrics.dropCounts.get('export/logs_queue_full') ?? 0;
      assert.ok(dropped > 0, 'the outage overflowed the logs queue');
      assert.equal(logPids.length + dropped, logSeq, `received ${logPids.length} + dropped ${dropped} = written ${logSeq}`);
      assert.deepEqual([...metrics.dropCounts.keys()], ['export/logs_queue_full'], 'no other drops, no alert drops');
      // Drop-oldest: the newest logs of the outage are the ones that survived.
      assert.ok(logPids.includes(logSeq));
    } finally {
      await sink.close();
      await before.stop();
      await afterCol.stop();
    }
  });
});
