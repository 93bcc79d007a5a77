// issue 9, exposure: with no address flags every listener of `otelarmor run` is on loopback
// (metrics 9464, gRPC 32767, gRPC health 32766), and credentials given to it (OTLP headers,
// userinfo in the endpoint URL) never appear in what it prints. TLS for the gRPC server and the
// OTLP client: test/e2e/grpc-tls.test.ts, otlp-tls.test.ts; Helm (no privileged, read-only root
// filesystem): test/e2e/helm.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { requireRoot } from '../helpers/env';
import { sleep, start, waitForHttp } from '../helpers/procs';
import { CLI } from './agent';

/** Listening TCP sockets of a process: "addr:port" from /proc/<pid>/net/tcp{,6} whose inode is
 *  one of its fds. */
function listeners(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch { /* fd closed meanwhile */ }
  }
  const out: string[] = [];
  for (const [file, v6] of [['tcp', false], ['tcp6', true]] as const) {
    for (const line of readFileSync(`/proc/${pid}/net/${file}`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9]!)) continue; // 0A = TCP_LISTEN
      const [hexAddr, hexPort] = f[1]!.split(':') as [string, string];
      const addr = v6 ? `[${hexAddr}]` : hexAddr.match(/../g)!.reverse().map((b) => parseInt(b, 16)).join('.');
      out.push(`${addr}:${parseInt(hexPort, 16)}`);
    }
  }
  return out.sort();
}

describe('reliability: exposure (listeners, secrets)', function () {
  this.timeout(120_000);

  it('defaults listen on 127.0.0.1 only; OTLP credentials are never printed', async function () {
    requireRoot(this);
    const secret = 's3cr3t-T0KEN-9f2c';
    const agent = start(process.execPath, [CLI, 'run', '--output', 'stdout', '--duration', '20', '--k8s', 'off',
      '--otlp-endpoint', 'http://127.0.0.1:1'], {
      env: {
        ...process.env,
        // A well-formed header, and one with a typo (no "=") that is reported without its text.
        OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer ${secret},x-api-key ${secret}-key`,
        OTEL_EXPORTER_OTLP_LOGS_HEADERS: `x-tenant-token=${secret}-logs`,
      },
    });
    try {
      await waitForHttp('http://127.0.0.1:9464/readyz', 90_000, agent);
      // Start-up lines are read from stderr alone: stdout carries the events (--output stdout).
      for (let i = 0; i < 100 && !/otelarmor: running: /.test(agent.stderr()); i++) await sleep(100);
      assert.deepEqual(listeners(agent.proc.pid!), ['127.0.0.1:32766', '127.0.0.1:32767', '127.0.0.1:9464']);
      // Export attempts fail (nothing listens on :1): retries and their logging happen meanwhile.
      await sleep(3000);
    } finally {
      await agent.stop();
    }
    const out = `${agent.output()}\n${agent.stderr()}`;
    assert.match(agent.stderr(), /otlp: exporting logs to http:\/\/127\.0\.0\.1:1\b/);
    assert.ok(!out.includes(secret), `a credential was printed:\n${out.split('\n').filter((l) => l.includes(secret)).join('\n')}`);
  });

  it('an endpoint with userinfo is refused without printing the password', () => {
    const r = spawnSync(process.execPath, [CLI, 'run', '--k8s', 'off', '--otlp-endpoint', 'http://otel:hunter2-pw@127.0.0.1:4317',
      '--metrics-address', '127.0.0.1:0', '--grpc-address', '127.0.0.1:0', '--health-grpc-address', '127.0.0.1:0'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /otlpEndpoint \(--otlp-endpoint\)="http:\/\/\*\*\*@127\.0\.0\.1:4317": unexpected query, fragment or credentials/);
    assert.ok(!`${r.stdout}${r.stderr}`.includes('hunter2'));
  });
});
