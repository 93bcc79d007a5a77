// Receiver mode against a KubeArmor LogService on KubeArmor's Go stubs (test/go kaserver):
// reconnect with backoff after the server goes away, the connected gauge following the state,
// and refusal of a server that does not echo the HealthCheck nonce.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { AgentEvent } from '../../src/events/types';
import { AgentMetrics } from '../../src/metrics/metrics';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/server';
import type { EventSink } from '../../src/pipeline/sink';
import { KubeArmorReceiver } from '../../src/receiver/receiver';
import { ROOT } from '../helpers/env';
import { buildGoTools, Proc, until } from '../go/harness';
import { freePort } from './otlp-helpers';
import { promSamples, scrape } from './receive-helpers';

const FIXTURE = path.join(ROOT, 'test', 'e2e', 'fixtures', 'kubearmor-events.json');

/** Collects what the receiver hands to its sinks (stands where the OTLP sink would be). */
class CollectSink implements EventSink {
  readonly name = 'collect';
  readonly events: AgentEvent[] = [];
  write(batch: readonly AgentEvent[]): void { this.events.push(...batch); }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

describe('e2e: receiver reconnects (KubeArmor Go server)', function () {
  this.timeout(120000);
  const procs: Proc[] = [];
  let receiver: KubeArmorReceiver | undefined;

  let metricsServer: MetricsServer | undefined;

  /** kaserver replaying the fixture on `target` (host:port), once it listens. */
  async function listen(kaserver: string, target: string): Promise<Proc> {
    const p = new Proc(kaserver, ['-addr', target, '-fixture', FIXTURE]);
    procs.push(p);
    await p.waitLine('LISTENING ');
    return p;
  }

  afterEach(async () => {
    await receiver?.stop();
    await Promise.all(procs.splice(0).map((p) => p.kill()));
    await metricsServer?.close();
    metricsServer = undefined;
  });

  it('backoff doubles up to maxMs while the endpoint is down and resets once connected; reconnects_total counts every retry', async function () {
    const { kaserver } = buildGoTools(this);
    const port = await freePort();
    const target = `127.0.0.1:${port}`;
    metricsServer = await startMetricsServer({ address: '127.0.0.1:0', readiness: () => ({ ready: true, detail: {} }) });
    const sink = new CollectSink();
    const retries: { at: number; msg: string; delay: number }[] = [];
    receiver = new KubeArmorReceiver({
      target, filter: 'all', sinks: [sink], metrics: metricsServer.metrics, backoff: { initialMs: 100, maxMs: 400 },
      log: (msg) => {
        const m = / retrying in (\d+) ms$/.exec(msg);
        if (m) retries.push({ at: Date.now(), msg, delay: Number(m[1]) });
      },
    });
    const families = ['otelarmor_receiver_reconnects_total', 'otelarmor_receiver_connected'];
    const samples = async () => promSamples(await scrape(metricsServer!.address), families);
    receiver.start();
    // Nothing listens on the port: every attempt is refused.
    await until(() => retries.length >= 5, 20000, 'five refused attempts');
    const start = () => listen(kaserver, target);
    const s1 = await start();
    await until(() => sink.events.length === 5, 20000, '5 events');
    const refused = retries.slice();
    assert.ok(refused.every((r) => r.msg.startsWith(`receive: cannot connect to ${target}: `)), refused.map((r) => r.msg).join('\n'));
    assert.deepEqual(refused.slice(0, 5).map((r) => r.delay), [100, 200, 400, 400, 400]);
    assert.deepEqual(refused.slice(5).map((r) => r.delay), refused.slice(5).map(() => 400));
    // Each attempt waited its delay (timers never fire early; 1 ms of rounding).
    for (let i = 1; i < refused.length; i++) assert.ok(refused[i]!.at - refused[i - 1]!.at >= refused[i - 1]!.delay - 1, `attempt ${i}`);
    // Every scheduled retry ran: the last one connected.
    assert.deepEqual(await samples(), {
      [`otelarmor_receiver_reconnects_total{endpoint="${target}"}`]: refused.length,
      [`otelarmor_receiver_connected{endpoint="${target}"}`]: 1,
    });
    assert.equal(receiver.stats.connects, 1);

    // A lost connection starts again from initialMs.
    await s1.kill();
    await until(() => retries.length > refused.length, 20000, 'the disconnect');
    const lost = retries[refused.length]!;
    assert.match(lost.msg, new RegExp(`^receive: disconnected from ${target}: `));
    assert.equal(lost.delay, 100);
    await start();
    await until(() => sink.events.length === 10, 30000, '10 events');
    assert.deepEqual(retries.slice(refused.length).map((r) => r.delay), [100, 200, 400, 400, 400, 400, 400, 400].slice(0, retries.length - refused.length));
    assert.deepEqual(await samples(), {
      [`otelarmor_receiver_reconnects_total{endpoint="${target}"}`]: retries.length,
      [`otelarmor_receiver_connected{endpoint="${target}"}`]: 1,
    });
    assert.equal(receiver.stats.connects, 2);
    assert.equal(receiver.stats.disconnects, 1);
  });

  it('reconnects after the server restarts; receiver_connected follows 1 → 0 → 1', async function () {
    const { kaserver } = buildGoTools(this);
    const port = await freePort();
    const target = `127.0.0.1:${port}`;
    const start = () => listen(kaserver, target);
    const s1 = await start();
    const metrics = new AgentMetrics();
    const sink = new CollectSink();
    const logs: string[] = [];
    receiver = new KubeArmorReceiver({
      target, filter: 'all', sinks: [sink], metrics, backoff: { initialMs: 100, maxMs: 400 }, log: (m) => logs.push(m),
    });
    receiver.start();
    await until(() => sink.events.length === 5, 20000, '5 events');
    assert.equal(metrics.gauges.receiverConnected.get(target), 1);
    assert.deepEqual(s1.lines.filter((l) => l.startsWith('WATCH ')).sort(), ['WATCH WatchAlerts "all"', 'WATCH WatchLogs "all"']);

    await s1.kill();
    await until(() => metrics.gauges.receiverConnected.get(target) === 0, 20000, 'gauge 0');
    assert.equal(receiver.stats.disconnects, 1);
    assert.ok(logs.some((l) => l.startsWith(`receive: disconnected from ${target}`)), logs.join('\n'));

    const s2 = await start();
    await until(() => sink.events.length === 10, 30000, '10 events');
    assert.equal(metrics.gauges.receiverConnected.get(target), 1);
    assert.equal(receiver.stats.connects, 2);
    assert.equal(s2.lines.filter((l) => l.startsWith('HEALTHCHECK ')).length, 1);
    // The same five events again, with their own times (µs from UpdatedTime).
    assert.deepEqual(sink.events.slice(5).map((e) => e.timeNs).sort(), sink.events.slice(0, 5).map((e) => e.timeNs).sort());
    assert.equal(receiver.stats.alerts, 4);
    assert.equal(receiver.stats.logs, 6);
  });

  it('does not open streams when the HealthCheck reply does not echo the nonce', async function () {
    const { kaserver } = buildGoTools(this);
    const s = new Proc(kaserver, ['-fixture', FIXTURE, '-nonce-offset', '1']);
    procs.push(s);
    const target = (await s.waitLine('LISTENING ')).split(' ')[1]!;
    const metrics = new AgentMetrics();
    const sink = new CollectSink();
    receiver = new KubeArmorReceiver({ target, filter: 'all', sinks: [sink], metrics, backoff: { initialMs: 50, maxMs: 100 } });
    receiver.start();
    await s.waitFor((l) => l.filter((x) => x.startsWith('HEALTHCHECK ')).length >= 3, 20000, 'three attempts');
    assert.match(receiver.stats.lastError, /^HealthCheck: nonce \d+ answered with \d+$/);
    assert.equal(receiver.stats.connects, 0);
    assert.equal(metrics.gauges.receiverConnected.get(target), 0);
    assert.deepEqual(s.lines.filter((l) => l.startsWith('WATCH ')), []);
    assert.equal(sink.events.length, 0);
  });
});
