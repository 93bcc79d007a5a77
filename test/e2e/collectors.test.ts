// issue 8: every collector configuration shipped in otel/ (and the Helm chart's copy of the
// sidecar) loads in the real collector built for the tests (`otelcol-otelarmor validate`), with
// the environment its ${env:...} references need; broken configurations fail with a message
// naming the problem.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, tool } from '../helpers/env';

interface Shipped { file: string; env: Record<string, string> }

const SHIPPED: Shipped[] = [
  { file: 'otel/collector-sidecar.yaml', env: { OTELARMOR_UPSTREAM_ENDPOINT: 'gateway.otel.svc:4317' } },
  { file: 'otel/collector-gateway.yaml', env: { OTELARMOR_BACKEND_ENDPOINT: 'backend.example:4317', OTELARMOR_BACKEND_INSECURE: 'true' } },
  { file: 'otel/collector-file.yaml', env: {} },
  { file: 'helm/otelarmor/files/collector-sidecar.yaml', env: { OTELARMOR_UPSTREAM_ENDPOINT: 'gateway.otel.svc:4317', OTELARMOR_UPSTREAM_INSECURE: 'true' } },
  { file: 'otel/collector-test.yaml', env: { OTELARMOR_TEST_OTLP_PORT: '4317', OTELARMOR_TEST_OTLP_FILE: '/tmp/oa-validate.jsonl' } },
  { file: 'otel/collector-test-tls.yaml', env: { OTELARMOR_TEST_OTLP_PORT: '4317', OTELARMOR_TEST_OTLP_FILE: '/tmp/oa-validate.jsonl', OTELARMOR_TEST_TLS_CERT: '/tmp/cert.pem', OTELARMOR_TEST_TLS_KEY: '/tmp/key.pem' } },
  { file: 'otel/collector-bench.yaml', env: { OTELARMOR_BENCH_OTLP_PORT: '4317', OTELARMOR_BENCH_METRICS_PORT: '8888' } },
];

/** The process environment without any OTELARMOR_* variable, plus `env`. */
function envWith(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTELARMOR_')));
  return { ...base, ...env };
}

describe('collector configurations load in the real collector (otelcol-otelarmor validate)', function () {
  this.timeout(60_000);
  let bin = '';
  const validate = (file: string, env: Record<string, string>) =>
    spawnSync(bin, ['validate', `--config=${file}`], { env: envWith(env), encoding: 'utf8', timeout: 30_000 });

  before(function () { bin = tool(this, 'otelcol-otelarmor'); });

  it('covers every collector configuration in otel/', () => {
    const inOtel = readdirSync(path.join(ROOT, 'otel')).filter((f) => /^collector-.*\.yaml$/.test(f)).map((f) => `otel/${f}`).sort();
    assert.deepEqual(SHIPPED.map((s) => s.file).filter((f) => f.startsWith('otel/')).sort(), inOtel);
  });

  for (const s of SHIPPED) {
    it(`${s.file} validates (exit 0, no output)`, () => {
      const r = validate(path.join(ROOT, s.file), s.env);
      assert.equal(r.status, 0, `${s.file}: exit ${r.status}: ${r.stderr}`);
      assert.equal(r.stderr.trim(), '');
    });
  }

  it('the sidecar without OTELARMOR_UPSTREAM_ENDPOINT fails, naming the exporter and the field', () => {
    const r = validate(path.join(ROOT, 'otel/collector-sidecar.yaml'), {});
    assert.equal(r.status, 1);
    assert.match(r.stderr, /exporters::otlp\/upstream: requires a non-empty "endpoint"/);
  });

  it('the gateway with a non-boolean OTELARMOR_BACKEND_INSECURE fails, naming the key', () => {
    const r = validate(path.join(ROOT, 'otel/collector-gateway.yaml'), { OTELARMOR_BACKEND_ENDPOINT: 'be:4317', OTELARMOR_BACKEND_INSECURE: 'maybe' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /'tls\.insecure' expected type 'bool', got unconvertible type 'string'/);
  });

  it('a pipeline naming an exporter type the collector does not have fails with the valid types', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'oa-colval-'));
    const bad = path.join(dir, 'bad.yaml');
    // collector-file.yaml with its file exporter renamed to a type that is not built in.
    const text = readFileSync(path.join(ROOT, 'otel/collector-file.yaml'), 'utf8').replace(/^ {2}file:$/m, '  nosuchexporter:').replace(/exporters: \[file\]/g, 'exporters: [nosuchexporter]');
    assert.notEqual(text, readFileSync(path.join(ROOT, 'otel/collector-file.yaml'), 'utf8'));
    writeFileSync(bad, text);
    const r = validate(bad, {});
    assert.equal(r.status, 1);
    assert.match(r.stderr, /'exporters' unknown type: "nosuchexporter" for id: "nosuchexporter" \(valid values: \[[a-z_ ]+\]\)/);
  });

  it('a pipeline referencing an undefined receiver fails, naming the pipeline', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'oa-colval-'));
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, readFileSync(path.join(ROOT, 'otel/collector-file.yaml'), 'utf8').replace('receivers: [otlp]', 'receivers: [otlp/missing]'));
    const r = validate(bad, {});
    assert.equal(r.status, 1);
    assert.match(r.stderr, /service::pipelines::logs: references receiver "otlp\/missing" which is not configured/);
  });
});
