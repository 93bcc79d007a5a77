// A client that stops reading (KubeArmor Go stubs, 64 KiB flow-control window, parked until
// SIGUSR1) must not block the agent or the other clients: its messages beyond the 1000-entry
// queue are dropped for it alone and every drop is counted.
import assert from 'node:assert/strict';
import { startGrpcServers, type GrpcServers } from '../../src/grpc/server';
import { AgentMetrics } from '../../src/metrics/metrics';
import type { AgentEvent } from '../../src/events/types';
import { buildGoTools, Proc, until } from '../go/harness';
import { ALERT, ev } from '../unit/grpc/fixtures';

describe('e2e: slow gRPC client (KubeArmor Go stubs)', function () {
  this.timeout(180000);
  let tools: { kaclient: string };
  let srv: GrpcServers;
  const procs: Proc[] = [];

  before(function () {
    this.timeout(300000);
    tools = buildGoTools(this);
  });

  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill()));
    await srv?.close();
  });

  it('a stuck client loses only its own overflow, counted exactly; the others receive everything', async () => {
    const metrics = new AgentMetrics();
    srv = await startGrpcServers({ address: '127.0.0.1:0', healthAddress: '', metrics });
    const addr = `127.0.0.1:${srv.port}`;
    const slow = new Proc(tools.kaclient, ['-addr', addr, '-alerts', 'policy', '-no-logs', '-window', '65535', '-stall-until-usr1']);
    procs.push(slow);
    await until(() => srv.feeder.clientCount('alerts') === 1, 20000, 'slow client attach');
    const fast = [1, 2].map(() => new Proc(tools.kaclient, ['-addr', addr, '-alerts', 'all', '-no-logs']));
    procs.push(...fast);
    await until(() => srv.feeder.clientCount('alerts') === 3, 20000, 'fast clients attach');
    const [slowClient, ...fastClients] = srv.feeder.connected('alerts');

    const total = 12000;
    const batch = 200;
    for (let i = 0; i < total; i += batch) {
      const b: AgentEvent[] = [];
      for (let j = i; j < i + batch; j++) b.push(ev({ ...ALERT, HostPID: 100000 + j }));
      srv.feeder.write(b);
      // The producer paces itself on the fast clients only; the slow one never drains.
      await Promise.all(fastClients.map((c) => c.whenDrained()));
    }
    for (const f of fast) {
      await f.waitFor((l) => l.filter((x) => x.startsWith('ALERT ')).length === total, 60000, `${total} alerts`);
    }
    const slowDropped = slowClient!.dropped;
    assert.equal(slow.lines.filter((l) => l.startsWith('ALERT ')).length, 0, 'the slow client has not read yet');
    assert.equal(slowClient!.queue.length, 1000, 'queue bound is KubeArmor QueueSize');
    assert.ok(slowDropped > 0 && slowDropped < total, `dropped ${slowDropped}`);
    assert.equal(metrics.dropCounts.get('grpc/client_queue_full'), slowDropped);
    for (const c of fastClients) assert.equal(c!.dropped, 0);

    slow.child.kill('SIGUSR1');
    await slow.waitLine('RELEASED');
    await srv.close();
    await Promise.all([slow.exited, ...fast.map((f) => f.exited)]);

    const got = slow.lines.filter((l) => l.startsWith('ALERT ')).map((l) => (JSON.parse(l.slice(6)) as { HostPID: number }).HostPID);
    assert.equal(got.length + slowDropped, total, 'every message was either delivered or counted as dropped');
    assert.ok(slow.lines.includes(`END alerts OK ${got.length}`), slow.lines.slice(-3).join('\n'));
    // Delivered in order, without duplicates: the first messages went out, the overflow was dropped.
    for (let k = 1; k < got.length; k++) assert.ok(got[k]! > got[k - 1]!, `order at ${k}`);
    for (const f of fast) {
      const pids = f.lines.filter((l) => l.startsWith('ALERT ')).map((l) => (JSON.parse(l.slice(6)) as { HostPID: number }).HostPID);
      assert.deepEqual(pids, Array.from({ length: total }, (_, j) => 100000 + j));
    }
    assert.equal(metrics.dropCounts.get('grpc/shutdown'), undefined);
    assert.equal(metrics.gauges.grpcClients.get('alerts'), 0);
  });
});
