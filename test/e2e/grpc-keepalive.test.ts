// Keepalive with KubeArmor's client parameters (kubearmor-relay-server: ClientParameters{Time: 1s,
// Timeout: 5s, PermitWithoutStream: true}) from KubeArmor's Go stubs (test/go kaclient) against
// otelarmor's feeder.LogService: the connection stays up past the 5 s timeout, idle or streaming,
// with no GOAWAY (a server enforcing a ping policy answers excess pings with GOAWAY
// ENHANCE_YOUR_CALM "too_many_pings"). kaclient -h2-frames reports every PING and GOAWAY frame.
import assert from 'node:assert/strict';
import { startGrpcServers, type GrpcServers } from '../../src/grpc/server';
import { AgentMetrics } from '../../src/metrics/metrics';
import { buildGoTools, Proc, until } from '../go/harness';
import { ALERT, ev } from '../unit/grpc/fixtures';
import { sleep } from './otlp-helpers';

const KEEPALIVE = ['-keepalive-time', '1s', '-keepalive-timeout', '5s', '-keepalive-permit-without-stream', '-h2-frames'];

describe('e2e: KubeArmor client keepalive against otelarmor feeder.LogService', function () {
  this.timeout(60000);
  let kaclient: string;
  let srv: GrpcServers;
  const procs: Proc[] = [];

  before(function () {
    this.timeout(300000);
    ({ kaclient } = buildGoTools(this));
  });

  beforeEach(async () => {
    srv = await startGrpcServers({ address: '127.0.0.1:0', healthAddress: '', metrics: new AgentMetrics() });
  });

  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill()));
    await srv.close();
  });

  const count = (p: Proc, line: string) => p.lines.filter((l) => l === line).length;
  const goaways = (p: Proc) => p.lines.filter((l) => l.startsWith('H2 recv GOAWAY'));

  it('a WatchAlerts stream idle for 7 s stays on its one connection, then delivers', async () => {
    const c = new Proc(kaclient, ['-addr', `127.0.0.1:${srv.port}`, ...KEEPALIVE, '-nonce', '31', '-alerts', 'policy', '-no-logs']);
    procs.push(c);
    await c.waitLine('STREAMS-OPEN');
    await until(() => srv.feeder.clientCount('alerts') === 1, 20000, 'client attach');
    await sleep(7000);
    assert.deepEqual(goaways(c), []);
    // The server pings every second (SERVER_KEEPALIVE) and the client answers each ping.
    const pings = count(c, 'H2 recv PING');
    assert.ok(pings >= 5, `only ${pings} server pings in 7 s:\n${c.lines.join('\n')}`);
    assert.ok(count(c, 'H2 sent PING-ACK') >= pings - 1, c.lines.join('\n'));
    assert.equal(count(c, 'H2 recv PING-ACK'), count(c, 'H2 sent PING'));

    srv.feeder.write([ev(ALERT)]);
    await c.waitFor((l) => l.some((x) => x.startsWith('ALERT ')), 10000, 'the alert after 7 s idle');
    assert.equal(srv.feeder.clientCount('alerts'), 1);
    await srv.close();
    await c.exited;
    assert.deepEqual(c.lines.filter((l) => l.startsWith('DIAL ')), ['DIAL 1']);
    assert.ok(c.lines.includes('END alerts OK 1'), c.lines.join('\n'));
    // Shutdown ends the connection with GOAWAY NO_ERROR, never with ENHANCE_YOUR_CALM.
    assert.deepEqual(goaways(c).filter((l) => !l.startsWith('H2 recv GOAWAY NO_ERROR ')), []);
  });

  it('with no RPC in flight (PermitWithoutStream) the connection stays up for 7 s; the next HealthCheck reuses it', async () => {
    const c = new Proc(kaclient, ['-addr', `127.0.0.1:${srv.port}`, ...KEEPALIVE, '-nonce', '41', '-idle', '7s', '-no-alerts', '-no-logs']);
    procs.push(c);
    await c.waitLine('IDLE-DONE', 20000);
    assert.equal(await c.exited, 0, c.stderr);
    assert.deepEqual(c.lines.filter((l) => l.startsWith('HEALTHCHECK ')), ['HEALTHCHECK 41 41', 'HEALTHCHECK 42 42']);
    assert.deepEqual(c.lines.filter((l) => l.startsWith('DIAL ')), ['DIAL 1']);
    assert.deepEqual(goaways(c), []);
    assert.ok(count(c, 'H2 recv PING') >= 5, c.lines.join('\n'));
  });
});
