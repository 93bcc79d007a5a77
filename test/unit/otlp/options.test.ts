import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultConfig } from '../../../src/config';
import { otlpOptionsFromConfig, OtlpConfigError, parseEndpoint, withoutCredentials } from '../../../src/otlp/options';

const cfg = (otlpEndpoint = '') => ({ ...defaultConfig(), otlpEndpoint, nodeName: 'node-a' });

describe('otlp/options', () => {
  it('returns null when no endpoint is configured', () => {
    assert.equal(otlpOptionsFromConfig(cfg(), {}), null);
  });

  it('takes the explicit endpoint over the environment', () => {
    const o = otlpOptionsFromConfig(cfg('http://127.0.0.1:4317'), { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector:4317' })!;
    assert.equal(o.target, '127.0.0.1:4317');
    assert.equal(o.source, 'config');
    assert.equal(o.tls, null);
  });

  it('prefers the logs-specific variable and reads headers, timeout, compression', () => {
    const o = otlpOptionsFromConfig(cfg(), {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://generic:4317',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://logs:14317',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-tenant=a',
      OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'x-tenant=b',
      OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: '2500',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
    })!;
    assert.equal(o.target, 'logs:14317');
    assert.equal(o.source, 'env');
    assert.deepEqual(o.headers, { authorization: 'Bearer abc', 'x-tenant': 'b' });
    assert.equal(o.timeoutMs, 2500);
    assert.equal(o.compression, 'gzip');
    assert.deepEqual(o.warnings, []);
  });

  it('rejects a bad explicit endpoint with an error naming the key', () => {
    assert.throws(() => otlpOptionsFromConfig(cfg('ftp://x:1'), {}), (e: unknown) =>
      e instanceof OtlpConfigError && e.message === 'otlpEndpoint (--otlp-endpoint)="ftp://x:1": unsupported scheme "ftp" (use http:// or https://)');
    assert.throws(() => otlpOptionsFromConfig(cfg('http://h:4317/v1/logs'), {}), /gRPC endpoints take no path/);
    assert.throws(() => otlpOptionsFromConfig(cfg('http://h:99999'), {}), /not a URL/);
  });

  it('warns and falls back on bad environment values', () => {
    const o = otlpOptionsFromConfig(cfg(), {
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'ftp://nope',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317',
      OTEL_EXPORTER_OTLP_TIMEOUT: 'soon',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd',
      OTEL_EXPORTER_OTLP_INSECURE: 'yes',
      OTEL_EXPORTER_OTLP_HEADERS: 'novalue',
      OTEL_EXPORTER_OTLP_CERTIFICATE: '/nonexistent/ca.pem',
    })!;
    assert.equal(o.target, 'collector:4317');
    assert.equal(o.timeoutMs, 10000);
    assert.equal(o.compression, 'none');
    assert.deepEqual(o.tls, { rootCert: undefined });
    assert.deepEqual(o.warnings, [
      'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT="ftp://nope": unsupported scheme "ftp" (use http:// or https://); ignored',
      'OTEL_EXPORTER_OTLP_TIMEOUT="soon": expected a positive integer of milliseconds; ignored',
      'OTEL_EXPORTER_OTLP_COMPRESSION="zstd": expected gzip or none; ignored',
      'OTEL_EXPORTER_OTLP_INSECURE="yes": expected true or false; ignored',
      'OTEL_EXPORTER_OTLP_HEADERS: ignoring malformed entry 1 (expected key=value; its text is not printed)',
      'OTEL_EXPORTER_OTLP_CERTIFICATE: cannot read /nonexistent/ca.pem (ENOENT); ignored',
    ]);
  });

  it('never prints credentials: userinfo in an endpoint and malformed header entries are not echoed', () => {
    assert.equal(withoutCredentials('http://otel:pw@collector:4317'), 'http://***@collector:4317');
    assert.equal(withoutCredentials('otel:pw@collector:4317'), '***@collector:4317');
    assert.equal(withoutCredentials('https://collector:4317'), 'https://collector:4317');
    assert.throws(() => otlpOptionsFromConfig({ ...defaultConfig(), otlpEndpoint: 'http://otel:hunter2@collector:4317' }, {}),
      (e: Error) => e.message === 'otlpEndpoint (--otlp-endpoint)="http://***@collector:4317": unexpected query, fragment or credentials');
    const o = otlpOptionsFromConfig({ ...defaultConfig(), otlpEndpoint: 'http://collector:4317' }, { OTEL_EXPORTER_OTLP_HEADERS: 'a=1,Authorization Bearer hunter2' })!;
    assert.deepEqual(o.warnings, ['OTEL_EXPORTER_OTLP_HEADERS: ignoring malformed entry 2 (expected key=value; its text is not printed)']);
    assert.deepEqual(o.headers, { a: '1' });
  });

  it('uses plaintext for a scheme-less endpoint only with INSECURE=true, and reads PEM files', () => {
    assert.equal(otlpOptionsFromConfig(cfg('collector:4317'), { OTEL_EXPORTER_OTLP_INSECURE: 'true' })!.tls, null);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'oa-otlp-'));
    writeFileSync(path.join(dir, 'ca.pem'), 'CA');
    writeFileSync(path.join(dir, 'k.pem'), 'KEY');
    writeFileSync(path.join(dir, 'c.pem'), 'CERT');
    const o = otlpOptionsFromConfig(cfg('https://collector:4317'), {
      OTEL_EXPORTER_OTLP_CERTIFICATE: path.join(dir, 'ca.pem'),
      OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY: path.join(dir, 'k.pem'),
      OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: path.join(dir, 'c.pem'),
    })!;
    assert.equal(o.tls?.rootCert?.toString(), 'CA');
    assert.equal(o.tls?.clientKey?.toString(), 'KEY');
    assert.equal(o.tls?.clientCert?.toString(), 'CERT');
  });

  it('parses endpoints', () => {
    assert.deepEqual(parseEndpoint('https://[::1]:4317/'), { target: '[::1]:4317', scheme: 'https' });
    assert.deepEqual(parseEndpoint('http://c'), { target: 'c:80', scheme: 'http' });
  });
});
