// The full agent (`otelarmor run --grpc-address …`) serving KubeArmor's Go client (test/go
// kaclient): events from real syscalls of a child process arrive on WatchLogs as HostLog.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireFile, requireRoot, ROOT } from '../helpers/env';
import { buildGoTools, Proc } from '../go/harness';
import { freePort, sleep } from './otlp-helpers';

const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');

describe('e2e: KubeArmor Go client ← otelarmor agent (real syscalls)', function () {
  this.timeout(180000);
  const procs: Proc[] = [];

  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill()));
  });

  it('a file open and an exec by a host process arrive as HostLog on WatchLogs{system}', async function () {
    requireRoot(this);
    // The agent loads the default Rego pack built by scripts/build-rego.sh.
    requireFile(this, 'dist/rules/default-bundle.tar.gz');
    const { kaclient } = buildGoTools(this);
    const [grpcPort, healthPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    const agent = new Proc(process.execPath, [CLI, 'run', '--output', 'none', '--duration', '120',
      '--grpc-address', `127.0.0.1:${grpcPort}`, '--health-grpc-address', `127.0.0.1:${healthPort}`,
      '--metrics-address', `127.0.0.1:${metricsPort}`, '--host-visibility', 'process,file,network'],
    { env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: '' } });
    procs.push(agent);

    // Ready when grpc.health.v1 answers SERVING on the health port.
    const deadline = Date.now() + 90000;
    for (;;) {
      if (agent.child.exitCode !== null) throw new Error(`agent exited ${agent.child.exitCode}:\n${agent.stderr}`);
      const h = spawnSync(kaclient, ['-addr', `127.0.0.1:${healthPort}`, '-health', 'feeder.LogService', '-timeout', '2s'], { encoding: 'utf8' });
      if (h.stdout.includes('check SERVING')) break;
      if (Date.now() > deadline) throw new Error(`agent not serving gRPC health:\n${agent.stderr}`);
      await sleep(250);
    }

    const c = new Proc(kaclient, ['-addr', `127.0.0.1:${grpcPort}`, '-nonce', '4242', '-no-alerts', '-logs', 'system']);
    procs.push(c);
    await c.waitLine('STREAMS-OPEN');
    // Wait until the agent counts the client (otelarmor_grpc_clients{stream="logs"} 1).
    for (;;) {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text().catch(() => '');
      if (/otelarmor_grpc_clients\{stream="logs"[^}]*\} 1/.test(text)) break;
      if (Date.now() > deadline) throw new Error('client never counted by the agent');
      await sleep(100);
    }

    const dir = mkdtempSync(path.join(os.tmpdir(), 'otelarmor-grpc-'));
    const marker = path.join(dir, `marker-${process.pid}.txt`);
    writeFileSync(marker, 'x');
    const cat = realpathSync('/bin/cat');
    const r = spawnSync(cat, [marker], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    const pid = r.pid;

    // The test process itself created the marker: only cat's open counts.
    const isOpen = (l: string) => l.startsWith('LOG ') && l.includes(`"Resource":${JSON.stringify(marker)}`) && l.includes('"Operation":"File"') && l.includes(`"HostPID":${pid},`);
    await c.waitFor((ls) => ls.some(isOpen), 30000, 'the open of the marker file');
    const open = JSON.parse(c.lines.find(isOpen)!.slice(4)) as Record<string, unknown>;
    assert.equal(c.lines.find((l) => l.startsWith('HEALTHCHECK')), 'HEALTHCHECK 4242 4242');
    assert.equal(open.Type, 'HostLog');
    assert.equal(open.Operation, 'File');
    assert.equal(open.Resource, marker);
    assert.equal(open.HostPID, pid);
    assert.equal(open.PID, pid);
    assert.equal(open.ProcessName, cat);
    assert.equal(open.Result, 'Passed');
    assert.match(String(open.Data), /^syscall=SYS_OPENAT? /);
    assert.equal(open.ContainerID, undefined);
    assert.equal(open.ClusterName, 'default');
    assert.equal(open.HostName, os.hostname());
    assert.match(String(open.UpdatedTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(open.Timestamp, Math.floor(Date.parse(String(open.UpdatedTime)) / 1000));
    assert.equal(typeof open.UID, 'number');
    assert.equal(typeof open.PPID, 'number');

    const isExec = (l: string) => l.startsWith('LOG ') && l.includes('"Operation":"Process"') && l.includes(`"HostPID":${pid},`);
    await c.waitFor((ls) => ls.some(isExec), 30000, 'the exec of cat');
    const exec = JSON.parse(c.lines.find(isExec)!.slice(4)) as Record<string, unknown>;
    assert.equal(exec.Type, 'HostLog');
    assert.equal(exec.Resource, `${cat} ${marker}`);
    assert.equal(exec.ProcessName, cat);
    assert.equal(exec.Result, 'Passed');
    assert.deepEqual(c.lines.filter((l) => l.startsWith('ALERT ')), []);

    agent.child.kill('SIGTERM');
    await agent.exited;
    await c.waitLine('END logs OK');
  });
});
