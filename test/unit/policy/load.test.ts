import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPolicyPaths } from '../../../src/policy/load';
import { ROOT } from '../../helpers/env';

const policy = (name: string) => `apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata: { name: ${name} }
spec:
  nodeSelector: { matchLabels: { kubernetes.io/hostname: node-a } }
  file: { matchPaths: [ { path: /etc/${name} } ] }
`;

describe('loadPolicyPaths: directory walk', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'oa-load-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a Kubernetes ConfigMap volume (..<timestamp>/, ..data symlink, name -> ..data/name) is read once, under the visible name', () => {
    const ts = path.join(dir, '..2026_07_24_12_13_20.123456789');
    mkdirSync(ts);
    writeFileSync(path.join(ts, 'a.yaml'), policy('cm-a'));
    writeFileSync(path.join(ts, 'b.yml'), policy('cm-b'));
    symlinkSync('..2026_07_24_12_13_20.123456789', path.join(dir, '..data'));
    symlinkSync('..data/a.yaml', path.join(dir, 'a.yaml'));
    symlinkSync('..data/b.yml', path.join(dir, 'b.yml'));
    const r = loadPolicyPaths([dir]);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.files, [path.join(dir, 'a.yaml'), path.join(dir, 'b.yml')]);
    assert.deepEqual(r.policies.map((p) => [p.name, p.file]), [['cm-a', path.join(dir, 'a.yaml')], ['cm-b', path.join(dir, 'b.yml')]]);
  });

  it('a symlinked directory, a symlink loop and a repeated root add no second copy', () => {
    mkdirSync(path.join(dir, 'real', 'sub'), { recursive: true });
    writeFileSync(path.join(dir, 'real', 'p.yaml'), policy('once'));
    writeFileSync(path.join(dir, 'real', 'sub', 'q.yaml'), policy('deeper'));
    symlinkSync('real', path.join(dir, 'zlink'));               // the same directory again, later in name order
    symlinkSync('../..', path.join(dir, 'real', 'sub', 'loop')); // back up to `dir`
    symlinkSync('real/p.yaml', path.join(dir, 'p-link.yaml'));  // the same file under another name
    const r = loadPolicyPaths([dir, path.join(dir, 'real'), path.join(dir, 'zlink', 'p.yaml')]);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.files, [path.join(dir, 'p-link.yaml'), path.join(dir, 'real', 'sub', 'q.yaml')]);
    assert.deepEqual(r.policies.map((p) => p.name).sort(), ['deeper', 'once']);
  });

  it('a single-dot hidden file is still a policy file; ".."-prefixed names are skipped anywhere', () => {
    writeFileSync(path.join(dir, '.hidden.yaml'), policy('hidden'));
    mkdirSync(path.join(dir, 'x'));
    writeFileSync(path.join(dir, 'x', '..skip.yaml'), policy('skipped'));
    const r = loadPolicyPaths([dir]);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.policies.map((p) => p.name), ['hidden']);
  });

  it('the examples directory still loads unchanged', () => {
    const r = loadPolicyPaths([path.join(ROOT, 'policies/examples')]);
    assert.deepEqual(r.errors, []);
    assert.ok(r.files.every((f) => readFileSync(f, 'utf8').includes('security.kubearmor.com/v1')));
  });
});
