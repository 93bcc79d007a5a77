import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../../helpers/env';
import { loadPolicyPaths, parsePolicyText } from '../../../src/policy/load';
import { formatPolicyError, type MatchRule } from '../../../src/policy/types';
import { buildRuleList } from '../../../src/policy/rules';

const INVALID = path.join(ROOT, 'test/fixtures/policies/invalid');
const VALID = path.join(ROOT, 'test/fixtures/policies/valid');

describe('policy validation: invalid corpus', () => {
  const files = readdirSync(INVALID).filter((f) => f.endsWith('.yaml')).sort();
  it('has at least 30 invalid policies', () => {
    assert.ok(files.length >= 30, `only ${files.length}`);
  });
  for (const f of files) {
    it(`rejects ${f} with the exact field path and reason`, () => {
      const file = path.join(INVALID, f);
      const text = readFileSync(file, 'utf8');
      const expected = text.split('\n').filter((l) => l.startsWith('# expect: ')).map((l) => {
        const e = JSON.parse(l.slice('# expect: '.length)) as { document: number; path: string; reason: string };
        return { ...e, reason: e.reason.replace('{file}', file) };
      });
      assert.ok(expected.length > 0, 'fixture has no # expect: line');
      const r = loadPolicyPaths([file]);
      assert.deepEqual(r.errors.map((e) => ({ document: e.document, path: e.path, reason: e.reason })), expected);
      for (const e of r.errors) assert.equal(e.file, file);
    });
  }
});

describe('policy validation: valid corpus and formats', () => {
  it('loads every valid fixture and example without errors', () => {
    const r = loadPolicyPaths([VALID, path.join(ROOT, 'policies/examples')]);
    assert.deepEqual(r.errors.map(formatPolicyError), []);
    assert.ok(r.policies.length >= 5);
  });

  it('keeps good documents of a file with a bad one, with line numbers', () => {
    const file = path.join(INVALID, 'multidoc-second-invalid.yaml');
    const r = loadPolicyPaths([file]);
    assert.deepEqual(r.policies.map((p) => p.name), ['multidoc-second-invalid']);
    assert.equal(r.errors.length, 1);
    const e = r.errors[0]!;
    assert.equal(e.line, 26);
    assert.equal(formatPolicyError(e), `${file}:doc 1: spec.file.matchDirectories[0].dir: must be an absolute directory ending in "/" (^\\/$|^\\/.*\\/$)`);
  });

  it('reports the line of an unknown key', () => {
    const r = parsePolicyText('apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  name: x\nspec:\n  file:\n    matchPaths:\n      - path: /a\n        readonly: true\n', 'mem.yaml');
    assert.deepEqual(r.errors, [{ file: 'mem.yaml', document: 0, path: 'spec.file.matchPaths[0].readonly', reason: 'unknown field "readonly"', line: 9 }]);
  });

  it('reports YAML syntax errors per document', () => {
    const r = parsePolicyText('apiVersion: [\n', 'bad.yaml');
    assert.equal(r.errors.length >= 1, true);
    assert.equal(r.errors[0]!.path, '');
    assert.match(r.errors[0]!.reason, /^YAML: /);
    assert.equal(r.policies.length, 0);
  });
});

describe('policy normalisation and inheritance', () => {
  const r = loadPolicyPaths([path.join(VALID, 'ksp-file-block.yaml')]);
  const rules = buildRuleList(r.policies);
  const pick = (pred: (x: MatchRule) => boolean) => rules.filter(pred).map(({ id: _id, ...rest }) => rest);

  it('inherits rule → section → spec and normalises lower-case actions', () => {
    assert.deepEqual(r.errors, []);
    assert.deepEqual(pick((x) => x.target === '/etc/shadow'), [{
      policyName: 'ksp-file-block', policyKind: 'KubeArmorPolicy', namespace: 'prod', category: 'file', type: 'path',
      target: '/etc/shadow', recursive: false, readOnly: false, ownerOnly: false, source: '/bin/cat', sourceRecursive: false,
      action: 'Block', severity: 7, tags: ['PCI_DSS', 'MITRE'], message: 'sensitive file access',
    }]);
    assert.deepEqual(pick((x) => x.target === '/etc/gshadow'), [{
      policyName: 'ksp-file-block', policyKind: 'KubeArmorPolicy', namespace: 'prod', category: 'file', type: 'path',
      target: '/etc/gshadow', recursive: false, readOnly: false, ownerOnly: false, source: '', sourceRecursive: false,
      action: 'Audit', severity: 9, tags: ['CIS'], message: 'gshadow touched',
    }]);
  });

  it('defaults the action to Block and severity to 0 when nothing sets them', () => {
    const p = parsePolicyText('apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  name: x\nspec:\n  process:\n    matchPaths:\n      - path: /bin/sh\n', 'm.yaml');
    assert.deepEqual(p.errors, []);
    const rr = buildRuleList(p.policies);
    assert.equal(rr.length, 1);
    assert.equal(rr[0]!.action, 'Block');
    assert.equal(rr[0]!.severity, 0);
    assert.equal(rr[0]!.namespace, 'default');
    assert.deepEqual(rr[0]!.tags, []);
  });

  it('expands comma lists of capabilities and protocols, one rule each; syscalls are Audit', () => {
    const rr = buildRuleList(loadPolicyPaths([path.join(VALID, 'ksp-file-block.yaml')]).policies);
    assert.deepEqual(rr.filter((x) => x.category === 'capabilities').map((x) => [x.target, x.action]), [['net_raw', 'Block'], ['sys_admin', 'Block']]);
    assert.deepEqual(rr.filter((x) => x.category === 'syscall').map((x) => [x.syscall, x.target, x.source, x.recursive, x.action, x.severity]), [
      ['unlink', '', '/usr/bin/', false, 'Audit', 3],
      ['rmdir', '', '/usr/bin/', false, 'Audit', 3],
      ['unlinkat', '/var/log/', '', true, 'Audit', 3],
    ]);
  });
});
