// Optional TLS on feeder.LogService: server certificate, and with a client CA, client
// certificates required. Checked with KubeArmor's Go client and `otelarmor logs`; the health
// server stays plaintext (Kubernetes gRPC probes do not speak TLS).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startGrpcServers, type GrpcServers } from '../../src/grpc/server';
import { AgentMetrics } from '../../src/metrics/metrics';
import { IN_CI, ROOT } from '../helpers/env';
import { buildGoTools, Proc, until } from '../go/harness';
import { ALERT, ALERT_KARMOR_JSON, ev } from '../unit/grpc/fixtures';

const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');

function openssl(ctx: Mocha.Context, dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.error) {
    if (IN_CI) throw new Error(`required in CI but unavailable: openssl (${r.error.message})`);
    ctx.skip();
  }
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all signed by the CA. */
function makePki(ctx: Mocha.Context): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'otelarmor-pki-'));
  openssl(ctx, dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=otelarmor-test-ca']);
  writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    openssl(ctx, dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who}`]);
    openssl(ctx, dir, ['x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', `${who}.pem`, '-days', '2', '-extfile', `${who}.ext`]);
  }
  const p = (f: string) => path.join(dir, f);
  return { ca: p('ca.pem'), serverCert: p('server.pem'), serverKey: p('server.key'), clientCert: p('client.pem'), clientKey: p('client.key') };
}

describe('e2e: gRPC feeder with TLS', function () {
  this.timeout(120000);
  let srv: GrpcServers | undefined;
  const procs: Proc[] = [];

  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill()));
    await srv?.close();
  });

  it('requires a client certificate signed by the client CA; health stays plaintext', async function () {
    const { kaclient } = buildGoTools(this);
    const pki = makePki(this);
    srv = await startGrpcServers({
      address: '127.0.0.1:0', healthAddress: '127.0.0.1:0', metrics: new AgentMetrics(),
      tls: { cert: pki.serverCert, key: pki.serverKey, clientCa: pki.ca },
    });
    const addr = `127.0.0.1:${srv.port}`;
    const run = (args: string[]) => {
      const p = new Proc(kaclient, ['-addr', addr, ...args]);
      procs.push(p);
      return p;
    };

    const plain = run(['-nonce', '7', '-alerts', 'policy', '-no-logs', '-timeout', '5s']);
    assert.equal(await plain.exited, 1);
    assert.match(plain.stderr, /HealthCheck: .*Unavailable/);

    const noCert = run(['-nonce', '7', '-alerts', 'policy', '-no-logs', '-tls-ca', pki.ca, '-timeout', '5s']);
    assert.equal(await noCert.exited, 1);
    assert.match(noCert.stderr, /HealthCheck:/);

    const good = run(['-nonce', '7', '-alerts', 'policy', '-no-logs', '-tls-ca', pki.ca, '-tls-cert', pki.clientCert, '-tls-key', pki.clientKey]);
    const ours = new Proc(process.execPath, [CLI, 'logs', '--grpc', addr, '--json', '--tls-ca', pki.ca,
      '--tls-cert', pki.clientCert, '--tls-key', pki.clientKey]);
    procs.push(ours);
    await until(() => srv!.feeder.clientCount('alerts') === 2, 20000, 'TLS clients attach');
    srv.feeder.write([ev(ALERT)]);
    await good.waitLine('ALERT ');
    await ours.waitFor((l) => l.length === 1, 20000, 'logs: 1 line');
    assert.deepEqual(good.lines.filter((l) => l.startsWith('HEALTHCHECK')), ['HEALTHCHECK 7 7']);
    assert.equal(good.lines.find((l) => l.startsWith('ALERT ')), `ALERT ${ALERT_KARMOR_JSON}`);
    assert.deepEqual(ours.lines, [ALERT_KARMOR_JSON]);

    const health = new Proc(kaclient, ['-addr', `127.0.0.1:${srv.healthPort}`, '-health', 'feeder.LogService']);
    procs.push(health);
    assert.equal(await health.exited, 0, health.stderr);
    assert.deepEqual(health.lines, ['HEALTH "feeder.LogService" check SERVING']);
  });

  it('names the file when a certificate cannot be read', async () => {
    await assert.rejects(
      startGrpcServers({ address: '127.0.0.1:0', healthAddress: '', metrics: new AgentMetrics(), tls: { cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem' } }),
      /grpc tls: cannot read certificate \/nonexistent\/cert\.pem/,
    );
  });
});
