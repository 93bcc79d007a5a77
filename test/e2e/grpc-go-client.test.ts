// KubeArmor's own Go stubs (test/go kaclient) against otelarmor's feeder.LogService: every field
// as karmor --json prints it, filter gating, stream routing, and grpc.health.v1.
import assert from 'node:assert/strict';
import { startGrpcServers, type GrpcServers } from '../../src/grpc/server';
import { AgentMetrics } from '../../src/metrics/metrics';
import { buildGoTools, Proc, until } from '../go/harness';
import {
  ALERT, ALERT_KARMOR_JSON, CONTAINER_LOG, HOST_LOG, HOST_LOG_KARMOR_JSON, THROTTLE_NOTICE, ev,
} from '../unit/grpc/fixtures';

describe('e2e: KubeArmor Go client (published stubs) ↔ otelarmor gRPC feeder', function () {
  this.timeout(120000);
  let tools: { kaclient: string };
  let srv: GrpcServers;
  let metrics: AgentMetrics;
  const procs: Proc[] = [];

  before(function () {
    this.timeout(300000);
    tools = buildGoTools(this);
  });

  beforeEach(async () => {
    metrics = new AgentMetrics();
    srv = await startGrpcServers({ address: '127.0.0.1:0', healthAddress: '127.0.0.1:0', metrics });
  });

  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill()));
    await srv.close();
  });

  function client(args: string[]): Proc {
    const p = new Proc(tools.kaclient, ['-addr', `127.0.0.1:${srv.port}`, ...args]);
    procs.push(p);
    return p;
  }

  it('HealthCheck echoes the nonce; alerts and logs arrive field by field on their own streams', async () => {
    const c = client(['-nonce', '918273645', '-alerts', 'all', '-logs', 'all']);
    await c.waitLine('STREAMS-OPEN');
    await until(() => srv.feeder.clientCount('alerts') === 1 && srv.feeder.clientCount('logs') === 1, 20000, 'client attach');
    assert.equal(metrics.gauges.grpcClients.get('alerts'), 1);
    assert.equal(metrics.gauges.grpcClients.get('logs'), 1);

    srv.feeder.write([ev(ALERT), ev(HOST_LOG), ev(CONTAINER_LOG), ev(THROTTLE_NOTICE)]);
    await c.waitFor((l) => l.filter((x) => x.startsWith('ALERT ') || x.startsWith('LOG ')).length === 4, 20000, '4 messages');
    await srv.close();
    await c.exited;

    assert.deepEqual(c.lines.filter((l) => l.startsWith('HEALTHCHECK')), ['HEALTHCHECK 918273645 918273645']);
    const alerts = c.lines.filter((l) => l.startsWith('ALERT ')).map((l) => l.slice(6));
    const logs = c.lines.filter((l) => l.startsWith('LOG ')).map((l) => l.slice(4));
    assert.equal(alerts.length, 2);
    assert.equal(logs.length, 2);

    // Byte-exact karmor --json (Go encoding/json of *pb.Alert).
    assert.equal(alerts[0], ALERT_KARMOR_JSON);
    const a = JSON.parse(alerts[0]!) as Record<string, unknown>;
    assert.equal(a.Timestamp, 1784895200);
    assert.equal(a.UpdatedTime, '2026-07-24T12:13:20.123456Z');
    assert.equal(a.ClusterName, 'default');
    assert.equal(a.HostName, 'node-a');
    assert.equal(a.NamespaceName, 'shop');
    assert.deepEqual(a.Owner, { Ref: 'Deployment', Name: 'web', Namespace: 'shop' });
    assert.equal(a.PodName, 'web-7d9c-abcde');
    assert.equal(a.Labels, 'app=web,tier=front');
    assert.equal(a.ContainerID, ALERT.ContainerID);
    assert.equal(a.ContainerName, 'web');
    assert.equal(a.ContainerImage, 'docker.io/library/nginx:1.27@sha256:0123abcd');
    assert.equal(a.HostPPID, 4100);
    assert.equal(a.HostPID, 1234567);
    assert.equal(a.PPID, 1);
    assert.equal(a.PID, 17);
    assert.equal(a.UID, 1000);
    assert.equal(a.ParentProcessName, '/bin/bash');
    assert.equal(a.ProcessName, '/bin/cat');
    assert.equal(a.PolicyName, 'block-shadow');
    assert.equal(a.Severity, '5');
    assert.equal(a.Tags, 'PCI_DSS,MITRE');
    assert.deepEqual(a.ATags, ['PCI_DSS', 'MITRE']);
    assert.equal(a.Message, 'shadow read');
    assert.equal(a.Type, 'MatchedPolicy');
    assert.equal(a.Source, '/bin/cat /etc/shadow <&3 && true');
    assert.equal(a.Operation, 'File');
    assert.equal(a.Resource, '/etc/shadow');
    assert.equal(a.Data, 'syscall=SYS_OPENAT fd=-100 flags=O_RDONLY');
    assert.deepEqual(a.EventData, { Syscall: 'SYS_OPENAT', Fd: '-100', Flags: 'O_RDONLY' });
    assert.equal(a.Enforcer, 'eBPF Monitor');
    assert.equal(a.Action, 'Block');
    assert.equal(a.Result, 'Permission denied');
    assert.equal(a.Cwd, '/');
    assert.equal(a.TTY, 'pts0');
    assert.deepEqual(a.ExecEvent, { ExecID: '91827364550017', ExecutableName: 'cat' });
    assert.equal(a.KubeArmorVersion, 'otelarmor-0.1.0');
    assert.equal(a.NodeID, '0f1e2d3c4b5a69788796a5b4c3d2e1f0');
    assert.equal(Object.keys(a).length, 37);

    const t = JSON.parse(alerts[1]!) as Record<string, unknown>;
    assert.deepEqual(t, {
      Timestamp: 1784895203,
      UpdatedTime: '2026-07-24T12:13:23.000001Z',
      ClusterName: 'default',
      HostName: 'node-a',
      NamespaceName: 'shop',
      PodName: 'web-7d9c-abcde',
      ContainerID: THROTTLE_NOTICE.ContainerID,
      ContainerName: 'web',
      PPID: 0,
      UID: 0,
      Message: 'Alert threshold reached, dropping alerts for 30s',
      Type: 'SystemEvent',
      Operation: 'AlertThreshold',
      MaxAlertsPerSec: 10,
      DroppingAlertsInterval: 30,
      KubeArmorVersion: 'otelarmor-0.1.0',
    });

    assert.equal(logs[0], HOST_LOG_KARMOR_JSON);
    const h = JSON.parse(logs[0]!) as Record<string, unknown>;
    assert.equal(h.Type, 'HostLog');
    assert.equal(h.PPID, 0);
    assert.equal(h.UID, 0);
    assert.equal(h.UserName, 'root');
    assert.deepEqual(h.EventData, { Syscall: 'SYS_CONNECT', Fd: '5', Remoteip: '93.184.215.14', Port: '443', Protocol: 'TCP' });
    assert.equal(h.PolicyName, undefined);
    const cl = JSON.parse(logs[1]!) as Record<string, unknown>;
    assert.equal(cl.Type, 'ContainerLog');
    assert.equal(cl.Resource, '/bin/ls -la /tmp');
    assert.deepEqual(cl.Owner, { Ref: 'Deployment', Name: 'web', Namespace: 'shop' });
    assert.deepEqual(cl.ExecEvent, { ExecID: '91827364550017', ExecutableName: 'ls' });

    assert.ok(c.lines.includes('END alerts OK 2'), c.lines.join('\n'));
    assert.ok(c.lines.includes('END logs OK 2'), c.lines.join('\n'));
  });

  it('gating: WatchAlerts{system} and WatchLogs{policy} end at once with status OK', async () => {
    const c = client(['-alerts', 'system', '-logs', 'policy']);
    assert.equal(await c.exited, 0);
    assert.ok(c.lines.includes('END alerts OK 0'), c.lines.join('\n'));
    assert.ok(c.lines.includes('END logs OK 0'), c.lines.join('\n'));
    const d = client(['-alerts', '', '-logs', 'nonsense']);
    assert.equal(await d.exited, 0);
    assert.ok(d.lines.includes('END alerts OK 0'), d.lines.join('\n'));
    assert.ok(d.lines.includes('END logs OK 0'), d.lines.join('\n'));
    assert.equal(srv.feeder.clientCount('alerts'), 0);
    assert.equal(srv.feeder.clientCount('logs'), 0);
  });

  it('policy filter: only the alert stream; system filter: only the log stream', async () => {
    const p = client(['-alerts', 'policy', '-logs', 'policy']);
    const s = client(['-alerts', 'system', '-logs', 'system']);
    await p.waitLine('END logs OK 0');
    await s.waitLine('END alerts OK 0');
    await until(() => srv.feeder.clientCount('alerts') === 1 && srv.feeder.clientCount('logs') === 1, 20000, 'attach');
    srv.feeder.write([ev(HOST_LOG), ev(ALERT), ev(CONTAINER_LOG)]);
    await p.waitFor((l) => l.some((x) => x.startsWith('ALERT ')), 20000, 'alert');
    await s.waitFor((l) => l.filter((x) => x.startsWith('LOG ')).length === 2, 20000, 'logs');
    await srv.close();
    await Promise.all([p.exited, s.exited]);
    assert.deepEqual(p.lines.filter((l) => l.startsWith('LOG ')), []);
    assert.deepEqual(p.lines.filter((l) => l.startsWith('ALERT ')), [`ALERT ${ALERT_KARMOR_JSON}`]);
    assert.deepEqual(s.lines.filter((l) => l.startsWith('ALERT ')), []);
    assert.equal(s.lines.filter((l) => l.startsWith('LOG ')).length, 2);
    assert.equal(s.lines.find((l) => l.startsWith('LOG ')), `LOG ${HOST_LOG_KARMOR_JSON}`);
  });

  it('grpc.health.v1 on the separate health port: "" and feeder.LogService SERVING (Check and Watch)', async () => {
    const h = new Proc(tools.kaclient, [
      '-addr', `127.0.0.1:${srv.healthPort}`, '-health', '<empty>,feeder.LogService,no.Such', '-health-watch',
    ]);
    procs.push(h);
    assert.equal(await h.exited, 0, h.stderr);
    assert.deepEqual(h.lines, [
      'HEALTH "" check SERVING',
      'HEALTH "" watch SERVING',
      'HEALTH "feeder.LogService" check SERVING',
      'HEALTH "feeder.LogService" watch SERVING',
      'HEALTH "no.Such" check-error NotFound',
      'HEALTH "no.Such" watch SERVICE_UNKNOWN',
    ]);
  });
});
