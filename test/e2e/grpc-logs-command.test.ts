// `otelarmor logs` against otelarmor's feeder, side by side with the KubeArmor Go client
// (test/go kaclient): --json output must equal Go encoding/json of the received *pb.Alert/*pb.Log
// byte for byte (karmor --json), and text output must equal karmor's text rendering done in Go.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { startGrpcServers, type GrpcServers } from '../../src/grpc/server';
import { AgentMetrics } from '../../src/metrics/metrics';
import { ROOT } from '../helpers/env';
import { buildGoTools, Proc, until } from '../go/harness';
import { ALERT, ALERT_KARMOR_JSON, CONTAINER_LOG, HOST_LOG, THROTTLE_NOTICE, ev } from '../unit/grpc/fixtures';

const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');

/** Split text output into event blocks ("== Alert / ... ==" headers). */
function blocks(lines: string[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (l.startsWith('== ')) out.push(l);
    else if (out.length > 0) out[out.length - 1] += `\n${l}`;
  }
  return out;
}

describe('e2e: otelarmor logs (karmor-compatible client)', function () {
  this.timeout(120000);
  let tools: { kaclient: string };
  let srv: GrpcServers;
  const procs: Proc[] = [];

  before(function () {
    this.timeout(300000);
    tools = buildGoTools(this);
  });

  beforeEach(async () => {
    srv = await startGrpcServers({ address: '127.0.0.1:0', healthAddress: '', metrics: new AgentMetrics() });
  });

  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill()));
    await srv.close();
  });

  function logs(args: string[]): Proc {
    const p = new Proc(process.execPath, [CLI, 'logs', '--grpc', `127.0.0.1:${srv.port}`, ...args]);
    procs.push(p);
    return p;
  }
  function goClient(args: string[]): Proc {
    const p = new Proc(tools.kaclient, ['-addr', `127.0.0.1:${srv.port}`, ...args]);
    procs.push(p);
    return p;
  }
  const events = () => [ev(ALERT), ev(HOST_LOG), ev(CONTAINER_LOG), ev(THROTTLE_NOTICE)];

  it('--json prints exactly what Go encoding/json prints for the same messages', async () => {
    const ours = logs(['--filter', 'all', '--json']);
    const go = goClient(['-alerts', 'all', '-logs', 'all']);
    await until(() => srv.feeder.clientCount('alerts') === 2 && srv.feeder.clientCount('logs') === 2, 20000, 'attach');
    srv.feeder.write(events());
    await go.waitFor((l) => l.filter((x) => /^(ALERT|LOG) /.test(x)).length === 4, 20000, 'go: 4');
    await ours.waitFor((l) => l.length === 4, 20000, 'ours: 4');
    await srv.close();
    assert.equal(await ours.exited, 0, ours.stderr);
    const goLines = go.lines.filter((x) => /^(ALERT|LOG) /.test(x)).map((x) => x.replace(/^(ALERT|LOG) /, ''));
    assert.deepEqual([...ours.lines].sort(), [...goLines].sort());
    assert.ok(ours.lines.includes(ALERT_KARMOR_JSON));
  });

  it('text output equals karmor\'s text rendering (Go fmt %v of the decoded JSON)', async () => {
    const ours = logs(['--filter', 'all']);
    const go = goClient(['-alerts', 'all', '-logs', 'all', '-text']);
    await until(() => srv.feeder.clientCount('alerts') === 2 && srv.feeder.clientCount('logs') === 2, 20000, 'attach');
    srv.feeder.write(events());
    await go.waitFor((l) => l.filter((x) => x.startsWith('TEXT == ')).length === 4, 20000, 'go: 4 blocks');
    await ours.waitFor((l) => l.filter((x) => x.startsWith('== ')).length === 4, 20000, 'ours: 4 blocks');
    await srv.close();
    assert.equal(await ours.exited, 0, ours.stderr);
    const goBlocks = blocks(go.lines.filter((x) => x.startsWith('TEXT ')).map((x) => x.slice(5)));
    assert.deepEqual(blocks(ours.lines).sort(), goBlocks.sort());
    // Spot-check the rendering itself (Go prints a float64 of 1234567 as 1.234567e+06).
    const alertBlock = blocks(ours.lines).find((b) => b.startsWith('== Alert / 2026-07-24 12:13:20.123456 =='));
    assert.ok(alertBlock, ours.lines.join('\n'));
    const lines = alertBlock.split('\n');
    assert.equal(lines[1], 'ClusterName: default');
    assert.ok(lines.includes('HostPID: 1.234567e+06'), alertBlock);
    assert.ok(lines.includes('ATags: [PCI_DSS MITRE]'), alertBlock);
    assert.ok(lines.includes('EventData: map[Fd:-100 Flags:O_RDONLY Syscall:SYS_OPENAT]'), alertBlock);
    assert.ok(lines.includes('Owner: map[Name:web Namespace:shop Ref:Deployment]'), alertBlock);
    assert.ok(lines.includes('PPID: 1'), alertBlock);
  });

  it('default filter is policy (alerts only); regex filters and --limit work client side', async () => {
    const dflt = logs(['--json']);
    const filtered = logs(['--filter', 'all', '--json', '--namespace', '^sho', '--operation', '^File$']);
    const limited = logs(['--filter', 'all', '--json', '--limit', '2']);
    const nomatch = logs(['--filter', 'all', '--json', '--pod', 'db-']);
    await until(() => srv.feeder.clientCount('alerts') === 4 && srv.feeder.clientCount('logs') === 3, 20000, 'attach');
    srv.feeder.write(events());
    assert.equal(await limited.exited, 0, limited.stderr);
    assert.equal(limited.lines.length, 2);
    await dflt.waitFor((l) => l.length === 2, 20000, 'default: 2 alerts');
    await filtered.waitFor((l) => l.length === 1, 20000, 'filtered: 1');
    await srv.close();
    await Promise.all([dflt.exited, filtered.exited, nomatch.exited]);
    assert.deepEqual(dflt.lines.map((l) => (JSON.parse(l) as { Type: string }).Type), ['MatchedPolicy', 'SystemEvent']);
    assert.deepEqual(filtered.lines, [ALERT_KARMOR_JSON]);
    assert.deepEqual(nomatch.lines, []);
  });

  it('fails with exit code 1 and a clear message when the endpoint does not answer', async () => {
    await srv.close();
    const p = logs(['--json']);
    assert.equal(await p.exited, 1);
    assert.match(p.stderr, new RegExp(`otelarmor logs: 127\\.0\\.0\\.1:${srv.port}: HealthCheck failed: `));
  });

  it('rejects bad flags with exit code 2', async () => {
    const a = logs(['--filter', 'everything']);
    assert.equal(await a.exited, 2);
    assert.match(a.stderr, /--filter="everything": expected all, policy or system/);
    const b = logs(['--namespace', '(']);
    assert.equal(await b.exited, 2);
    assert.match(b.stderr, /--namespace="\(": Invalid regular expression/);
  });
});
