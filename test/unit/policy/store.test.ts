import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { goGlobMatch } from '../../../src/policy/glob';
import { PolicyStore } from '../../../src/policy/store';

const doc = (name: string, p: string) => `apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata:
  name: ${name}
  namespace: prod
spec:
  file:
    matchPaths:
      - path: ${p}
`;

describe('PolicyStore', () => {
  let dir = '';
  beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'oa-store-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reload swaps atomically; an invalid new version keeps the previous one, others apply', () => {
    const a = path.join(dir, 'a.yaml');
    const b = path.join(dir, 'b.yaml');
    writeFileSync(a, doc('pa', '/etc/a'));
    writeFileSync(b, doc('pb', '/etc/b'));
    const s = new PolicyStore();
    const swaps: number[] = [];
    s.onChange((snap) => swaps.push(snap.generation));
    assert.deepEqual(s.load([dir]).errors, []);
    assert.deepEqual(s.snapshot.rules.map((r) => [r.id, r.policyName, r.target]), [[1, 'pa', '/etc/a'], [2, 'pb', '/etc/b']]);
    writeFileSync(a, doc('pa', 'etc/relative'));
    writeFileSync(b, doc('pb', '/etc/b2'));
    const r = s.reload();
    assert.deepEqual(r.errors, [`${a}:doc 0: spec.file.matchPaths[0].path: must be an absolute path not ending in "/" (^\\/+.*[^\\/]$)`]);
    assert.deepEqual(s.snapshot.rules.map((x) => [x.policyName, x.target]), [['pa', '/etc/a'], ['pb', '/etc/b2']]);
    assert.equal(r.policies, 2);
    assert.deepEqual(swaps, [1, 2]);
    writeFileSync(a, doc('pa', '/etc/a3'));
    s.reload();
    assert.deepEqual(s.snapshot.rules.map((x) => x.target), ['/etc/a3', '/etc/b2']);
    assert.deepEqual(s.countsByKind(), { KubeArmorPolicy: 2, KubeArmorClusterPolicy: 0, KubeArmorHostPolicy: 0 });
  });

  it('reload keeps the running policies of a file that no longer parses or has an unattributable document; a deleted file takes its policies away', () => {
    const a = path.join(dir, 'a.yaml');
    const b = path.join(dir, 'b.yaml');
    writeFileSync(a, doc('pa', '/etc/a') + '---\n' + doc('pa2', '/etc/a2'));
    writeFileSync(b, doc('pb', '/etc/b'));
    const s = new PolicyStore();
    s.load([dir]);
    writeFileSync(a, 'kind: [unclosed\n');
    const r = s.reload();
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0]!, new RegExp(`^${a.replace(/[/.]/g, '\\$&')}:doc 0: \\(document\\): YAML: Flow sequence`));
    assert.deepEqual(s.snapshot.rules.map((x) => [x.policyName, x.target]), [['pa', '/etc/a'], ['pa2', '/etc/a2'], ['pb', '/etc/b']]);
    writeFileSync(a, 'apiVersion: v1\nspec: {}\n'); // parses, but no kind/name to attribute the error to
    s.reload();
    assert.deepEqual(s.snapshot.policies.map((p) => p.name), ['pa', 'pa2', 'pb']);
    writeFileSync(a, doc('pa', '/etc/a9'));
    s.reload();
    assert.deepEqual(s.snapshot.rules.map((x) => [x.policyName, x.target]), [['pa', '/etc/a9'], ['pb', '/etc/b']]);
    rmSync(b);
    s.reload();
    assert.deepEqual(s.snapshot.policies.map((p) => p.name), ['pa']);
  });

  it('replaceSource feeds CRD objects into the same set; duplicates across sources are reported', () => {
    const s = new PolicyStore();
    s.load([]);
    const obj = (name: string, p: string) => ({ apiVersion: 'security.kubearmor.com/v1', kind: 'KubeArmorPolicy', metadata: { name, namespace: 'prod' }, spec: { file: { matchPaths: [{ path: p }] } } });
    assert.deepEqual(s.replaceSource('k8s', [obj('k1', '/x'), obj('k2', '/y')]).errors, []);
    assert.deepEqual(s.snapshot.policies.map((p) => p.name), ['k1', 'k2']);
    const r = s.replaceSource('k8s', [obj('k1', 'bad'), obj('k2', '/y2')]);
    assert.deepEqual(r.errors, ['k8s:KubeArmorPolicy/prod/k1:doc 0: spec.file.matchPaths[0].path: must be an absolute path not ending in "/" (^\\/+.*[^\\/]$)']);
    assert.deepEqual(s.snapshot.rules.map((x) => [x.policyName, x.target]), [['k1', '/x'], ['k2', '/y2']]);
    s.replaceSource('k8s', []);
    assert.deepEqual(s.snapshot.policies, []);
    s.replaceSource('a', [obj('same', '/1')]);
    const d = s.replaceSource('b', [obj('same', '/2')]);
    assert.equal(d.errors.length, 1);
    assert.match(d.errors[0]!, /^b:KubeArmorPolicy\/prod\/same:doc 0: metadata.name: duplicate KubeArmorPolicy "same" in namespace "prod" \(first defined in a:KubeArmorPolicy\/prod\/same:doc 0\)$/);
    assert.deepEqual(s.snapshot.rules.map((x) => x.target), ['/1']);
  });
});

describe('Go filepath.Match glob', () => {
  const cases: [string, string, boolean][] = [
    ['/etc/*hado?', '/etc/shadow', true],
    ['/etc/*hado?', '/etc/gshadow', true],
    ['/etc/*hado?', '/etc/sub/shadow', false],
    ['/usr/bin/apt*', '/usr/bin/apt-get install x', true],
    ['/usr/bin/apt*', '/usr/bin/apt/x', false],
    ['/tmp/[a-c]?', '/tmp/b1', true],
    ['/tmp/[^a-c]?', '/tmp/b1', false],
    ['/tmp/[!a]', '/tmp/!', true],
    ['/a\\*b', '/a*b', true],
    ['/a\\*b', '/axb', false],
    ['/tmp/[', '/tmp/[', false],
    ['/tmp/[z-a]', '/tmp/q', false],
  ];
  for (const [p, s, want] of cases) it(`${p} vs ${s} → ${want}`, () => assert.equal(goGlobMatch(p, s), want));
});
