// issue 9, bad input through the real CLI: every case exits with the documented code (README: 2
// usage, 3 invalid input) and a message naming the file/flag/key and the reason. The cases that
// start the agent (root) check that a bad policy is reported while the agent runs on with the
// rest (the running-set cases under reload are in lifecycle.test.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireFile, requireRoot, ROOT } from '../helpers/env';
import { freePort } from '../helpers/procs';
import { CLI } from './agent';

const dir = mkdtempSync(path.join(os.tmpdir(), 'oa-badinput-'));
const f = (name: string, text: string | Buffer) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const BUNDLE = path.join(ROOT, 'dist', 'rules', 'default-bundle.tar.gz');
const INVALID_POLICY = path.join(ROOT, 'test', 'fixtures', 'policies', 'invalid');

interface Case { name: string; args: string[]; env?: Record<string, string>; code: number; stderr: RegExp; agent?: boolean }

function run(c: Case, ports: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [CLI, ...c.args, ...(c.agent ? ports : [])], {
    encoding: 'utf8', timeout: 60_000, cwd: dir,
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: '', ...c.env },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const offline: Case[] = [
  { name: 'unknown command', args: ['frobnicate'], code: 2, stderr: /^otelarmor: unknown command "frobnicate"\nusage: otelarmor <command>/ },
  { name: 'unknown run flag', args: ['run', '--bogus'], code: 2, stderr: /^otelarmor: command line: --bogus: unknown flag \(see otelarmor run --help\)\n$/ },
  { name: 'flag without its value', args: ['run', '--output'], code: 2, stderr: /^otelarmor: command line: --output: missing value\n$/ },
  { name: 'bad --output value', args: ['run', '--output', 'weird'], code: 3, stderr: /^otelarmor: flag --output: output: expected stdout, none or jsonl:PATH\n$/ },
  { name: 'ring buffer not a power of two', args: ['run', '--ringbuf-bytes', '100000'], code: 3, stderr: /^otelarmor: flag --ringbuf-bytes: ringbufBytes: must be a power of two >= 65536 \(bytes\)\n$/ },
  { name: 'bad posture', args: ['run', '--default-file-posture', 'deny'], code: 3, stderr: /^otelarmor: flag --default-file-posture: defaultFilePosture: expected audit or block, got "deny"\n$/ },
  { name: 'unknown visibility category', args: ['run', '--visibility', 'file,disk'], code: 3, stderr: /^otelarmor: flag --visibility: visibility: unknown category "disk"/ },
  { name: 'bad redaction pattern', args: ['run', '--otlp-command-line-redact', '(['], code: 3, stderr: /^otelarmor: flag --otlp-command-line-redact: otlpCommandLineRedact: pattern "\(\[": Invalid regular expression/ },
  { name: 'partial gRPC TLS', args: ['run', '--grpc-tls-key', 'k.pem'], code: 3, stderr: /grpcTlsKey: server TLS needs a certificate and its key, but grpcTlsCert \(--grpc-tls-cert\) is not set/ },
  { name: 'config file: unknown key', args: ['run', '--config', f('badkey.yaml', 'bogusKey: 1\n')], code: 3, stderr: /badkey\.yaml: bogusKey: unknown key \(known: cluster, / },
  { name: 'config file: wrong type', args: ['run', '--config', f('badtype.yaml', 'maxAlertPerSec: lots\n')], code: 3, stderr: /badtype\.yaml: maxAlertPerSec: expected a non-negative number, got "lots"\n$/ },
  { name: 'config file: YAML syntax', args: ['run', '--config', f('broken.yaml', 'output: [unclosed\n')], code: 3, stderr: /broken\.yaml: \(file\): Flow sequence in block collection/ },
  { name: 'config file: not a mapping', args: ['run', '--config', f('list.yaml', '- a\n- b\n')], code: 3, stderr: /list\.yaml: \(file\): expected a mapping of config keys\n$/ },
  { name: 'config file missing', args: ['run', '--config', path.join(dir, 'nope.yaml')], code: 3, stderr: /nope\.yaml: \(file\): ENOENT/ },
  // One error per corpus file; duplicate-name.yaml and multidoc-second-invalid.yaml also hold a valid document.
  { name: 'policy validate: invalid corpus', args: ['policy', 'validate', INVALID_POLICY], code: 3, stderr: new RegExp(`\\n${readdirSync(INVALID_POLICY).length} error\\(s\\); 2 valid policies in ${readdirSync(INVALID_POLICY).length} file\\(s\\)\\n$`) },
  { name: 'policy test: events file with bad lines', args: ['policy', 'test', '--policies', path.join(ROOT, 'policies'), '--events', f('bad.jsonl', '{"Type":"HostLog"\nnot json\n')], code: 3, stderr: /bad\.jsonl:line 1: karmor JSON: not valid JSON/ },
  { name: 'recommend: missing events file', args: ['recommend', '--events', path.join(dir, 'missing.jsonl')], code: 3, stderr: /missing\.jsonl: ENOENT/ },
  { name: 'rules build: not a directory', args: ['rules', 'build', path.join(dir, 'nope'), '-o', path.join(dir, 'x.tar.gz')], code: 3, stderr: /nope: not a directory/ },
  { name: 'receive: bad address', args: ['receive', '--kubearmor', 'notanaddress'], code: 2, stderr: /--kubearmor="notanaddress": expected HOST:PORT/ },
];

const withAgent: Case[] = [
  { name: 'garbage Rego bundle', args: ['run', '--duration', '1', '--rules', f('garbage.tar.gz', 'garbage')], code: 3, stderr: /could not start: \S+\/garbage\.tar\.gz: not a bundle\.tar\.gz: not a valid gzip stream: incorrect header check\n/, agent: true },
  { name: 'truncated Rego bundle', args: ['run', '--duration', '1', '--rules', path.join(dir, 'trunc.tar.gz')], code: 3, stderr: /could not start: \S+\/trunc\.tar\.gz: not a bundle\.tar\.gz: not a valid gzip stream: unexpected end of file\n/, agent: true },
  { name: 'bad OTLP endpoint', args: ['run', '--duration', '1', '--otlp-endpoint', 'ftp://collector:4317'], code: 3, stderr: /otlpEndpoint \(--otlp-endpoint\)="ftp:\/\/collector:4317": unsupported scheme "ftp" \(use http:\/\/ or https:\/\/\)/, agent: true },
  { name: 'bad env value: warning, agent runs with the default', args: ['run', '--duration', '1', '--output', 'none'], env: { OTELARMOR_MAX_ALERT_PER_SEC: 'many' }, code: 0, stderr: /otelarmor: warning: env OTELARMOR_MAX_ALERT_PER_SEC: maxAlertPerSec: expected a non-negative number, got "many"; using the default\n/, agent: true },
  { name: 'invalid policy among valid ones: reported, the valid one runs', args: ['run', '--duration', '1', '--output', 'none', '--policies', path.join(INVALID_POLICY, 'severity-zero.yaml'), '--policies', path.join(ROOT, 'test', 'fixtures', 'policies-e2e', 'audit-hostname.yaml')], code: 0, stderr: /otelarmor: warning: policy: .*severity-zero\.yaml:doc 0: spec\.severity: [^\n]+\n(.|\n)*policies: 0 KubeArmorPolicy, 0 KubeArmorClusterPolicy, 1 KubeArmorHostPolicy/, agent: true },
];

describe('reliability: bad input corpus through the CLI', function () {
  this.timeout(300_000);
  for (const c of offline) {
    it(`${c.name}: exit ${c.code}`, () => {
      const r = run(c, []);
      assert.equal(r.status, c.code, r.out);
      assert.match(r.out, c.stderr);
    });
  }
  for (const c of withAgent) {
    it(`${c.name}: exit ${c.code}`, async function () {
      requireRoot(this);
      requireFile(this, BUNDLE);
      writeFileSync(path.join(dir, 'trunc.tar.gz'), readFileSync(BUNDLE).subarray(0, 300));
      const ports = ['--metrics-address', `127.0.0.1:${await freePort()}`, '--grpc-address', `127.0.0.1:${await freePort()}`,
        '--health-grpc-address', `127.0.0.1:${await freePort()}`, '--k8s', 'off'];
      const r = run(c, ports);
      assert.equal(r.status, c.code, r.out);
      assert.match(r.out, c.stderr);
    });
  }
  it('every documented exit code is one of README\'s', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    assert.match(readme, /Exit codes: 0 ok, 1 runtime failure, 2 usage \(unknown flag\), 3 invalid input \(policy, bundle,\s+config, events file\), 4 kernel capability missing\./);
  });
});
