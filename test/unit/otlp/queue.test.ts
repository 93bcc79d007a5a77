// Queue policy of the OTLP sink against an endpoint nobody listens on (every export fails with
// UNAVAILABLE, as with a collector that is down): logs overflow drops the oldest logs, alerts are
// never displaced by logs, a full alert queue rejects the newest alert, close() counts what is left.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { defaultConfig } from '../../../src/config';
import type { AgentEvent } from '../../../src/events/types';
import { AgentMetrics } from '../../../src/metrics/metrics';
import { createOtlpSink, otlpOptionsFromConfig, type OtlpSink } from '../../../src/otlp';
import { EventQueue } from '../../../src/otlp/queue';
import { fixture } from '../../fixtures/events';

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

const mk = (t: AgentEvent, pid: number): AgentEvent => ({ ...t, ka: { ...t.ka, HostPID: pid } });

describe('otlp sink queue policy (collector down)', () => {
  it('drops oldest logs, never alerts for logs, rejects newest alerts when full; close() counts the rest', async () => {
    const port = await closedPort();
    const metrics = new AgentMetrics();
    const opts = otlpOptionsFromConfig({ ...defaultConfig(), otlpEndpoint: `http://127.0.0.1:${port}` }, {})!;
    opts.logsQueueCapacity = 10;
    opts.alertsQueueCapacity = 5;
    opts.closeTimeoutMs = 600_000; // close() below passes its own deadline
    opts.logsDelayMs = 10_000; // logs wait in the queue (no batch is full)
    const sink = createOtlpSink(opts, metrics) as OtlpSink;
    assert.equal(metrics.gauges.exportQueueCapacity.get('logs'), 10);
    assert.equal(metrics.gauges.exportQueueCapacity.get('alerts'), 5);

    const logs = Array.from({ length: 25 }, (_, i) => mk(fixture('open'), i + 1));
    const alerts = Array.from({ length: 8 }, (_, i) => mk(fixture('alert'), 100 + i));
    sink.write([...alerts.slice(0, 3), ...logs]);
    assert.deepEqual(sink.queued(), { alerts: 3, logs: 10 });
    assert.equal(metrics.dropCounts.get('export/logs_queue_full'), 15);
    assert.equal(metrics.gauges.exportQueueSize.get('logs'), 10);

    sink.write(alerts.slice(3));
    assert.deepEqual(sink.queued(), { alerts: 5, logs: 10 });
    assert.equal(metrics.dropCounts.get('export/alerts_queue_full'), 3);

    await new Promise((r) => setTimeout(r, 300)); // at least one failed attempt
    assert.match(sink.lastErrors().alerts, /^14: /); // UNAVAILABLE

    // The caller's deadline bounds close(): queued and in-flight records are given up at 300 ms.
    await sink.close(Date.now() + 300);
    assert.deepEqual(sink.queued(), { alerts: 0, logs: 0 });
    assert.deepEqual(sink.lostAtClose, { alerts: 5, logs: 10 });
    assert.equal(metrics.dropCounts.get('export/shutdown'), 15);
    assert.equal(metrics.gauges.exportQueueSize.get('alerts'), 0);
    sink.write([logs[0]!]);
    assert.equal(metrics.dropCounts.get('export/shutdown'), 16);
  });

  it('EventQueue keeps FIFO order through take, prepend and dropOldest', () => {
    const q = new EventQueue();
    const evs = Array.from({ length: 10000 }, (_, i) => mk(fixture('open'), i));
    for (const e of evs) q.push(e);
    const a = q.take(6000);
    assert.equal(a[0]!.ka.HostPID, 0);
    q.prepend(a.slice(5000));
    assert.equal(q.length, 5000);
    assert.equal(q.dropOldest(2), 2);
    assert.deepEqual(q.take(3).map((e) => e.ka.HostPID), [5002, 5003, 5004]);
    assert.equal(q.dropOldest(1e9), 4995);
    assert.equal(q.length, 0);
  });
});
