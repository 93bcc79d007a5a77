import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../../helpers/env';
import { EXIT } from '../../../src/cmd/exit-codes';

const CLI = path.join(ROOT, 'dist/src/cli.js');
const EVENTS = path.join(ROOT, 'test/fixtures/events/policy-replay.jsonl');
const VALID = path.join(ROOT, 'test/fixtures/policies/valid');
const INVALID = path.join(ROOT, 'test/fixtures/policies/invalid');

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('otelarmor policy validate', () => {
  it('exits 0 for valid policies and examples', () => {
    const r = run('policy', 'validate', VALID, path.join(ROOT, 'policies/examples'));
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, '13 valid policies in 10 file(s)\n');
    assert.equal(r.code, EXIT.OK);
  });

  it('lists every error as file:doc N: path: reason and exits INVALID_INPUT', () => {
    const a = path.join(INVALID, 'bad-action.yaml');
    const b = path.join(INVALID, 'multidoc-second-invalid.yaml');
    const r = run('policy', 'validate', a, b);
    assert.equal(r.code, EXIT.INVALID_INPUT);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, [
      `${a}:doc 0: spec.action: must be one of Allow, Audit, Block (got "Deny")`,
      `${b}:doc 1: spec.file.matchDirectories[0].dir: must be an absolute directory ending in "/" (^\\/$|^\\/.*\\/$)`,
      '2 error(s); 1 valid policy in 2 file(s)',
      '',
    ].join('\n'));
  });

  it('reports a missing file and usage errors', () => {
    const r = run('policy', 'validate', '/nonexistent/x.yaml');
    assert.equal(r.code, EXIT.INVALID_INPUT);
    assert.equal(r.stderr.split('\n')[0], '/nonexistent/x.yaml:doc 0: (document): cannot read: ENOENT');
    assert.equal(run('policy', 'validate').code, EXIT.USAGE);
    assert.equal(run('policy', 'frobnicate').code, EXIT.USAGE);
  });
});

describe('otelarmor policy test', () => {
  it('replays recorded karmor JSON events and prints the alerts that would fire (--json)', () => {
    const r = run('policy', 'test', '--policies', VALID, '--events', EVENTS, '--json');
    assert.equal(r.code, EXIT.OK, r.stderr);
    const alerts = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(alerts.map((a) => [a.Type, a.PolicyName, a.Severity, a.Action, a.Enforcer, a.Operation, a.Resource, a.Result]), [
      ['MatchedPolicy', 'ksp-file-block', '7', 'Block', 'eBPF Monitor', 'File', '/etc/shadow', 'Permission denied'],
      ['MatchedPolicy', 'ksp-process-audit', undefined, 'Audit', 'eBPF Monitor', 'Process', '/usr/bin/curl http://example.com', 'Passed'],
      ['MatchedPolicy', 'ksp-file-block', '9', 'Audit', 'eBPF Monitor', 'File', '/etc/gshadow', 'Passed'],
      ['MatchedPolicy', 'ksp-process-audit', '3', 'Audit', 'eBPF Monitor', 'Syscall', '/var/log/x.log', 'Passed'],
      ['MatchedHostPolicy', 'hsp-node-a', '10', 'Block', 'eBPF Monitor', 'File', '/etc/sudoers', 'Permission denied'],
      ['MatchedPolicy', 'DefaultPosture', undefined, 'Audit', 'eBPF Monitor', 'File', '/srv/data.json', 'Passed'],
      ['MatchedPolicy', 'DefaultPosture', undefined, 'Audit', 'eBPF Monitor', 'Process', '/usr/bin/wget http://x', 'Passed'],
    ]);
    assert.deepEqual(alerts[2]!.ATags, ['CIS']);
    assert.equal(alerts[2]!.Message, 'gshadow touched');
  });

  it('prints readable lines without --json', () => {
    const r = run('policy', 'test', '--policies', path.join(VALID, 'csp-and-host.yaml'), '--events', EVENTS);
    assert.equal(r.code, EXIT.OK);
    assert.equal(r.stdout, 'MatchedHostPolicy hsp-node-a severity=10 action=Block File /etc/sudoers process=/usr/bin/vi result=Permission denied (host node-a)\n');
    assert.equal(r.stderr, '1 alert(s) from 13 event(s)\n');
  });

  it('rejects invalid policies and unreadable event lines', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'oa-policy-'));
    try {
      const bad = path.join(dir, 'bad.jsonl');
      writeFileSync(bad, '{"Type":"ContainerLog","Operation":"File"}\nnot json\n');
      const r = run('policy', 'test', '--policies', VALID, '--events', bad);
      assert.equal(r.code, EXIT.INVALID_INPUT);
      assert.match(r.stderr, new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:line 2: karmor JSON: not valid JSON`));
      const r2 = run('policy', 'test', '--policies', path.join(INVALID, 'bad-action.yaml'), '--events', EVENTS);
      assert.equal(r2.code, EXIT.INVALID_INPUT);
      assert.equal(run('policy', 'test', '--events', EVENTS).code, EXIT.USAGE);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('otelarmor recommend', () => {
  it('proposes an allow-list policy that validates and produces no alert on the events it came from', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'oa-rec-'));
    try {
      const out = path.join(dir, 'rec.yaml');
      const r = run('recommend', '--events', EVENTS, '--namespace', 'prod', '--labels', 'app=api', '-o', out);
      assert.equal(r.code, EXIT.OK, r.stderr);
      const v = run('policy', 'validate', out);
      assert.equal(v.code, EXIT.OK, v.stderr);
      assert.equal(v.stdout, '1 valid policy in 1 file(s)\n');
      const t = run('policy', 'test', '--policies', out, '--events', EVENTS, '--json');
      assert.equal(t.code, EXIT.OK);
      assert.equal(t.stdout, '');
      const y = run('recommend', '--events', EVENTS, '--namespace', 'prod', '--labels', 'app=api');
      assert.equal(y.stdout, [
        '# Recommended by otelarmor from 5 observed events; review before applying.',
        'apiVersion: security.kubearmor.com/v1', 'kind: KubeArmorPolicy', 'metadata:', '  name: allow-api', '  namespace: prod',
        'spec:', '  selector:', '    matchLabels:', '      app: api', '  process:', '    matchPaths:',
        '      - path: /usr/bin/wget', '      - path: /usr/local/bin/api', '  file:', '    matchPaths:',
        '      - path: /etc/passwd', '        readOnly: true', '      - path: /srv/data.json', '  network:',
        '    matchProtocols:', '      - protocol: udp', '        fromSource:', '          - path: /usr/local/bin/api',
        '  action: Allow', '',
      ].join('\n'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails when no event matches the selection', () => {
    const r = run('recommend', '--events', EVENTS, '--namespace', 'nope');
    assert.equal(r.code, EXIT.INVALID_INPUT);
    assert.equal(r.stderr, 'otelarmor recommend: no container events match the selection\n');
  });
});
