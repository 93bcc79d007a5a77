// The CLI contract: `otelarmor run --duration N --output jsonl:FILE` on free ports, without
// Kubernetes, exits 0 on its own, reports every hook it attached on stderr, and writes a tester's
// openat as one exact line of the karmor --json dialect.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readMachineId } from '../../src/sensors/index';
import { requireFile, requireRoot, ROOT } from '../helpers/env';
import { freePort, sleep } from '../helpers/procs';

const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const DURATION_S = 8;
/** Start-up (BPF load and attach of every program, Rego pack) plus the run plus shutdown. */
const DEADLINE_MS = 90_000;

describe('e2e: otelarmor run (CLI) → jsonl file', function () {
  this.timeout(DEADLINE_MS + 30_000);
  let dir: string;

  before(function () {
    requireRoot(this);
    requireFile(this, 'bpf/.output/sensors.bpf.o');
    requireFile(this, 'native/build/otelarmor.node');
    requireFile(this, 'dist/rules/default-bundle.tar.gz');
    requireFile(this, 'test/progs/build/timedopen');
    dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'otelarmor-cli-')));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('exits 0 after --duration, prints "hook …: attached", writes the exact karmor JSON line of a tester\'s openat', async () => {
    const out = path.join(dir, 'events.jsonl');
    const target = path.join(dir, 'opened.txt');
    writeFileSync(target, 'x');
    const [metrics, grpc, health] = [await freePort(), await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (/^(OTEL_|OTELARMOR_|NODE_NAME$)/.test(k)) delete env[k];
    const started = Date.now();
    const agent = spawn(process.execPath, [CLI, 'run', '--duration', String(DURATION_S), '--output', `jsonl:${out}`,
      '--metrics-address', `127.0.0.1:${metrics}`, '--grpc-address', `127.0.0.1:${grpc}`,
      '--health-grpc-address', `127.0.0.1:${health}`, '--k8s', 'off'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    agent.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    agent.stdout.resume();
    const exited = new Promise<number | null>((res) => agent.on('exit', (c) => res(c)));
    try {
      while (!/^otelarmor: running: /m.test(stderr)) {
        if (agent.exitCode !== null) throw new Error(`agent exited ${agent.exitCode} before running:\n${stderr}`);
        if (Date.now() - started > DEADLINE_MS) throw new Error(`agent not running after ${DEADLINE_MS} ms:\n${stderr}`);
        await sleep(100);
      }
      const t = spawnSync(path.join(ROOT, 'test', 'progs', 'build', 'timedopen'), ['opened.txt'], { cwd: dir, encoding: 'utf8' });
      assert.equal(t.status, 0, t.stderr);
      const [before, openLine, after] = t.stdout.trim().split('\n');
      assert.equal(openLine, 'openat 3');
      const code = await Promise.race([exited, sleep(DEADLINE_MS).then(() => 'timeout' as const)]);
      assert.equal(code, 0, `exit code (within ${DEADLINE_MS} ms of the start):\n${stderr}`);
      assert.ok(Date.now() - started >= DURATION_S * 1000, 'ran for --duration');

      for (const hook of ['oa_sched_exec', 'oa_sched_fork', 'oa_sched_exit', 'oa_exit_openat',
        'oa_exit_connect', 'oa_cap_capable', 'oa_exit_setns', 'oa_exit_chdir']) {
        assert.match(stderr, new RegExp(`^otelarmor: hook ${hook}: attached$`, 'm'), hook);
      }
      assert.doesNotMatch(stderr, /^otelarmor: hook \S+: (?!attached$)/m, 'every hook attached');

      const lines = readFileSync(out, 'utf8').split('\n').filter((l) => l.includes(`"HostPID":${t.pid},`) && l.includes(`"Resource":"${target}"`));
      assert.equal(lines.length, 1, `one line for the tester's openat of ${target}`);
      const line = lines[0]!;
      // Timestamp/UpdatedTime are the kernel event time: inside the tester's CLOCK_REALTIME window.
      const m = /^\{"Timestamp":(\d+),"UpdatedTime":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})Z",/.exec(line);
      assert.ok(m, line);
      const us = BigInt(Date.parse(`${m[2]}Z`)) * 1000n + BigInt(m[3]!);
      const [b, a] = [BigInt(before!.split(' ')[1]!) / 1000n, BigInt(after!.split(' ')[1]!) / 1000n];
      assert.ok(us >= b && us <= a, `event time ${us} µs inside [${b}, ${a}]`);
      assert.equal(BigInt(m[1]!), us / 1_000_000n);
      const timedopen = realpathSync(path.join(ROOT, 'test', 'progs', 'build', 'timedopen'));
      const node = realpathSync(process.execPath);
      const nodeId = readMachineId();
      const expected = JSON.stringify({
        Timestamp: Number(m[1]), UpdatedTime: `${m[2]}.${m[3]}Z`, ClusterName: 'default', HostName: os.hostname(),
        HostPID: t.pid, PPID: 0, PID: t.pid, UID: 0, Type: 'HostLog', Source: `${timedopen} opened.txt`, Operation: 'File',
        Resource: target, Data: 'syscall=SYS_OPENAT fd=-100 flags=O_RDONLY', Result: 'Passed', ParentProcessName: node,
        ProcessName: timedopen, HostPPID: process.pid, Cwd: `${dir}/`, ExecEvent: { ExecID: '0', ExecutableName: 'timedopen' },
        // EventData is a Go map in KubeArmor's struct: encoding/json writes its keys sorted.
        ...(nodeId ? { NodeID: nodeId } : {}), EventData: { Fd: '-100', Flags: 'O_RDONLY', Syscall: 'SYS_OPENAT' }, UserName: 'root',
      });
      assert.equal(line, expected);
    } finally {
      if (agent.exitCode === null) {
        agent.kill('SIGKILL');
        await exited;
      }
    }
  });
});
