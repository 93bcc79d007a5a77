import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfigFile, parseFlags, resolveConfig } from '../../src/config-load';
import { defaultConfig } from '../../src/config';

describe('config-load', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'oa-config-'));

  it('embedded defaults: host visibility process,file,network, loopback listeners, stdout', () => {
    const c = resolveConfig([], {}, () => {});
    assert.deepEqual(c, defaultConfig());
    assert.deepEqual(c.hostVisibility, ['process', 'file', 'network']);
    assert.equal(c.metricsAddress, '127.0.0.1:9464');
    assert.equal(c.grpcAddress, '127.0.0.1:32767');
    assert.equal(c.healthGrpcAddress, '127.0.0.1:32766');
    assert.equal(c.output, 'stdout');
  });

  it('flags: --key value, --key=value, repeatable lists, boolean without value', () => {
    const f = parseFlags(['--output', 'jsonl:/tmp/x', '--duration=5', '--policies', 'a', '--policies=b,c', '--otlp-metrics', '--host-visibility', 'none']);
    assert.deepEqual(f.config, { output: 'jsonl:/tmp/x', duration: 5, policies: ['a', 'b', 'c'], otlpMetrics: true, hostVisibility: [] });
  });

  it('precedence: flag > env > file > default', () => {
    const file = path.join(tmp, 'c.yaml');
    writeFileSync(file, 'cluster: from-file\nmaxAlertPerSec: 3\nthrottleSec: 7\n');
    const c = resolveConfig(['--config', file, '--cluster', 'from-flag'], { OTELARMOR_MAX_ALERT_PER_SEC: '4' }, () => {});
    assert.equal(c.cluster, 'from-flag');
    assert.equal(c.maxAlertPerSec, 4);
    assert.equal(c.throttleSec, 7);
  });

  it('bad explicit values name the source and key', () => {
    assert.throws(() => parseFlags(['--visibility', 'process,files']), (e: unknown) =>
      e instanceof ConfigError && e.message === 'flag --visibility: visibility: unknown category "files" (allowed: process, file, network, capabilities, syscall, none)');
    assert.throws(() => parseFlags(['--no-such-flag']), /command line: --no-such-flag: unknown flag/);
    assert.throws(() => parseFlags(['--duration']), /command line: --duration: missing value/);
    const file = path.join(tmp, 'bad.yaml');
    writeFileSync(file, 'defaultFilePosture: deny\n');
    assert.throws(() => loadConfigFile(file), (e: unknown) => e instanceof ConfigError && e.message === `${file}: defaultFilePosture: expected audit or block, got "deny"`);
    writeFileSync(file, 'clusterName: x\n');
    assert.throws(() => loadConfigFile(file), new RegExp(`^ConfigError: ${file.replace(/[/.]/g, '\\$&')}: clusterName: unknown key`));
  });

  it('bad env values warn and fall back', () => {
    const warnings: string[] = [];
    const c = resolveConfig([], { OTELARMOR_ENFORCER: 'lsm' }, (m) => warnings.push(m));
    assert.equal(c.enforcer, 'auto');
    assert.deepEqual(warnings, ['env OTELARMOR_ENFORCER: enforcer: expected one of auto|audit, got "lsm"; using the default']);
  });

  describe('gRPC TLS options (a partial set would serve plaintext)', () => {
    const reject = (argv: string[], env: NodeJS.ProcessEnv, message: string) =>
      assert.throws(() => resolveConfig(argv, env, () => {}), (e: unknown) => e instanceof ConfigError && e.message === message);

    it('key without cert, cert without key: ConfigError naming both keys and the source', () => {
      reject(['--grpc-tls-key', '/k.pem'], {},
        'flag --grpc-tls-key: grpcTlsKey: server TLS needs a certificate and its key, but grpcTlsCert (--grpc-tls-cert) is not set (feeder.LogService would serve plaintext)');
      reject(['--grpc-tls-cert', '/c.pem'], {},
        'flag --grpc-tls-cert: grpcTlsCert: server TLS needs a certificate and its key, but grpcTlsKey (--grpc-tls-key) is not set (feeder.LogService would serve plaintext)');
    });

    it('client CA without cert and key; refused from env and file too', () => {
      reject(['--grpc-tls-client-ca', '/ca.pem'], {},
        'flag --grpc-tls-client-ca: grpcTlsClientCa: client certificate verification needs server TLS, but grpcTlsCert (--grpc-tls-cert) and grpcTlsKey (--grpc-tls-key) are not set (feeder.LogService would serve plaintext)');
      reject([], { OTELARMOR_GRPC_TLS_CLIENT_CA: '/ca.pem', OTELARMOR_GRPC_TLS_CERT: '/c.pem' },
        'env OTELARMOR_GRPC_TLS_CERT: grpcTlsCert: server TLS needs a certificate and its key, but grpcTlsKey (--grpc-tls-key) is not set (feeder.LogService would serve plaintext)');
      const file = path.join(tmp, 'tls.yaml');
      writeFileSync(file, 'grpcTlsKey: /k.pem\n');
      reject(['--config', file], {},
        `${file}: grpcTlsKey: server TLS needs a certificate and its key, but grpcTlsCert (--grpc-tls-cert) is not set (feeder.LogService would serve plaintext)`);
      // The cert from a flag completes the key from the file.
      const c = resolveConfig(['--config', file, '--grpc-tls-cert', '/c.pem'], {}, () => {});
      assert.deepEqual([c.grpcTlsCert, c.grpcTlsKey, c.grpcTlsClientCa], ['/c.pem', '/k.pem', '']);
    });

    it('cert and key, with or without a client CA, and none at all, are accepted', () => {
      const c = resolveConfig(['--grpc-tls-cert', '/c.pem', '--grpc-tls-key', '/k.pem', '--grpc-tls-client-ca', '/ca.pem'], {}, () => {});
      assert.deepEqual([c.grpcTlsCert, c.grpcTlsKey, c.grpcTlsClientCa], ['/c.pem', '/k.pem', '/ca.pem']);
      const d = resolveConfig([], {}, () => {});
      assert.deepEqual([d.grpcTlsCert, d.grpcTlsKey, d.grpcTlsClientCa], ['', '', '']);
    });
  });
});
