// Fuzz of the KubeArmor policy parser/validator (parsePolicyText, validatePolicyObject,
// loadPolicyPaths) with mutated valid policies from test/fixtures/policies/valid. Deterministic
// seeds, bounded iterations. Every result is accepted, or rejected with errors that name the file,
// the document, a field path and a reason; nothing throws.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { loadPolicyPaths, parsePolicyText } from '../../src/policy/load';
import { validatePolicyObject } from '../../src/policy/validate';
import type { PolicyError } from '../../src/policy/types';
import { ROOT } from '../helpers/env';
import { Prng } from './prng';

const SEED = 0x5eed01;
const VALID_DIR = path.join(ROOT, 'test', 'fixtures', 'policies', 'valid');
const texts = readdirSync(VALID_DIR).sort().map((f) => readFileSync(path.join(VALID_DIR, f), 'utf8'));
const docs: unknown[] = texts.flatMap((t) => YAML.parseAllDocuments(t).map((d) => d.toJS() as unknown)).filter((d) => d !== null);

type Seg = string | number;

/** Every path to a node of `o` (mappings and sequences), root first. */
function paths(o: unknown, at: Seg[] = [], out: Seg[][] = []): Seg[][] {
  out.push(at);
  if (Array.isArray(o)) o.forEach((v, i) => paths(v, [...at, i], out));
  else if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) paths(v, [...at, k], out);
  return out;
}

function getIn(o: unknown, p: readonly Seg[]): unknown {
  let cur = o;
  for (const s of p) cur = (cur as Record<string | number, unknown>)[s];
  return cur;
}

function pathText(p: readonly Seg[]): string {
  let s = '';
  for (const x of p) s += typeof x === 'number' ? `[${x}]` : s === '' ? x : `.${x}`;
  return s;
}

const WEIRD: readonly unknown[] = [
  null, 0, -1, 11, 1.5, 1e308, '', ' ', 'x'.repeat(5000), '/', '//', '/etc/../etc/shadow/', 'ÿ\u0000\ud800', true, false,
  [], [null], [[]], {}, { '': '' }, { __proto__: 1 }, 'Block', 'block', 'ALLOW', ['a', 1, null], { path: 1 },
];

function mutate(r: Prng, doc: unknown): { obj: unknown; kind: string; at: Seg[] } {
  const obj = structuredClone(doc);
  const all = paths(obj);
  const at = r.pick(all);
  const kind = r.pick(['replace', 'delete', 'unknown-key', 'wrap', 'dup-entry']);
  if (at.length === 0) return { obj: r.pick(WEIRD), kind: 'replace-root', at };
  const parent = getIn(obj, at.slice(0, -1)) as Record<string | number, unknown>;
  const key = at[at.length - 1]!;
  switch (kind) {
    case 'replace': parent[key] = structuredClone(r.pick(WEIRD)); break;
    case 'delete': if (Array.isArray(parent)) parent.splice(key as number, 1); else delete parent[key]; break;
    case 'unknown-key': {
      const target = getIn(obj, at);
      if (target && typeof target === 'object' && !Array.isArray(target)) {
        (target as Record<string, unknown>).zzFuzz = 1;
        return { obj, kind: 'unknown-key-in-mapping', at };
      }
      parent[key] = { zzFuzz: target };
      break;
    }
    case 'wrap': parent[key] = [parent[key]]; break;
    case 'dup-entry': if (Array.isArray(parent)) parent.push(structuredClone(parent[key])); else parent[key] = structuredClone(parent[key]); break;
  }
  return { obj, kind, at };
}

function checkErrors(errors: readonly PolicyError[], file: string, ndocs: number, ctx: string): void {
  for (const e of errors) {
    assert.equal(e.file, file, ctx);
    assert.ok(Number.isInteger(e.document) && e.document >= 0 && e.document < Math.max(ndocs, 1), `${ctx}: document ${e.document}`);
    assert.equal(typeof e.path, 'string', ctx);
    assert.ok(typeof e.reason === 'string' && e.reason.length > 3, `${ctx}: reason ${JSON.stringify(e.reason)}`);
    if (e.line !== undefined) assert.ok(Number.isInteger(e.line) && e.line >= 1, `${ctx}: line ${e.line}`);
  }
}

describe('reliability: policy parser/validator fuzz', function () {
  this.timeout(20_000);

  before(() => {
    assert.ok(docs.length >= 4, `valid fixtures in ${VALID_DIR}`);
    for (const [i, d] of docs.entries()) {
      assert.deepEqual(validatePolicyObject(d, 'valid.yaml', i).errors, [], `fixture doc ${i} must be valid`);
    }
  });

  it('object mutations: accepted or rejected with file/doc/path/reason; an unknown key is named exactly', () => {
    const r = new Prng(SEED);
    let accepted = 0;
    let rejected = 0;
    for (let it = 0; it < 3000; it++) {
      const src = r.pick(docs);
      const m = mutate(r, src);
      const ctx = `seed ${SEED} it ${it} ${m.kind} at ${pathText(m.at)}`;
      let res;
      try {
        res = validatePolicyObject(m.obj, 'fuzz.yaml', 0);
      } catch (e) {
        assert.fail(`validatePolicyObject threw (${ctx}): ${(e as Error).stack}`);
      }
      checkErrors(res.errors, 'fuzz.yaml', 1, ctx);
      if (res.policy) { assert.deepEqual(res.errors, [], ctx); accepted++; }
      else { assert.ok(res.errors.length > 0, `${ctx}: rejected without errors`); rejected++; }
      if (m.kind === 'unknown-key-in-mapping' && m.at.length >= 2 && m.at[0] === 'spec' && !m.at.includes('matchLabels') && !m.at.includes('nodeSelector')) {
        // A mapping inside spec gained an unknown key: that exact path must be reported.
        const want = `${pathText(m.at)}.zzFuzz`;
        assert.ok(res.errors.some((e) => e.path === want && e.reason === 'unknown field "zzFuzz"'), `${ctx}: want ${want} in ${JSON.stringify(res.errors)}`);
      }
    }
    assert.ok(accepted > 0 && rejected > 0, `accepted ${accepted} rejected ${rejected}`);
  });

  it('text mutations (truncation, deleted/duplicated lines, indentation, bytes): parsePolicyText never throws', () => {
    const r = new Prng(SEED + 1);
    for (let it = 0; it < 1500; it++) {
      let t = r.pick(texts);
      const lines = t.split('\n');
      switch (it % 6) {
        case 0: t = t.slice(0, r.int(t.length)); break;
        case 1: lines.splice(r.int(lines.length), 1); t = lines.join('\n'); break;
        case 2: { const i = r.int(lines.length); lines.splice(i, 0, lines[i]!); t = lines.join('\n'); break; }
        case 3: { const i = r.int(lines.length); lines[i] = ' '.repeat(1 + r.int(5)) + lines[i]; t = lines.join('\n'); break; }
        case 4: { const b = Buffer.from(t); for (let k = 0; k < 1 + r.int(6); k++) b[r.int(b.length)] = r.u32() & 0xff; t = b.toString('utf8'); break; }
        default: t = `${t}\n---\n${r.pick(['*a', '&a [*a]', '{', 'kind: [', '- - -', '!!binary x', 'a: &x 1\nb: *y', '%YAML 9.9\n---'])}\n`;
      }
      const ctx = `seed ${SEED + 1} it ${it}`;
      let res;
      try {
        res = parsePolicyText(t, 'mutated.yaml');
      } catch (e) {
        assert.fail(`parsePolicyText threw (${ctx}): ${(e as Error).stack}\n--- input ---\n${t}`);
      }
      const ndocs = YAML.parseAllDocuments(t).length;
      checkErrors(res.errors, 'mutated.yaml', ndocs, ctx);
      const nonEmpty = YAML.parseAllDocuments(t).filter((d) => d.errors.length > 0 || d.contents !== null).length;
      assert.ok(res.policies.length <= nonEmpty, ctx);
      if (res.policies.length < nonEmpty) assert.ok(res.errors.length > 0, `${ctx}: a document was dropped without an error`);
    }
  });

  it('alias bombs and deep nesting are rejected with an error, not a hang or a throw', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 9; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`);
    const deep = `apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: deep}\nspec: ${'['.repeat(2000)}${']'.repeat(2000)}\n`;
    for (const [name, t] of [['bomb.yaml', bomb.join('\n')], ['deep.yaml', deep]] as const) {
      const t0 = Date.now();
      let res;
      try { res = parsePolicyText(t, name); } catch (e) { assert.fail(`${name}: threw ${(e as Error).stack}`); }
      assert.ok(Date.now() - t0 < 10_000, `${name} took ${Date.now() - t0} ms`);
      assert.equal(res.policies.length, 0, name);
      assert.ok(res.errors.length > 0, name);
      checkErrors(res.errors, name, 1, name);
    }
  });

  it('loadPolicyPaths over a directory of mutated files: the valid ones load, each invalid file is named', () => {
    const r = new Prng(SEED + 2);
    const dir = mkdtempSync(path.join(tmpdir(), 'oa-fuzz-pol-'));
    try {
      const invalid = new Set<string>();
      for (let i = 0; i < 40; i++) {
        const src = docs[i % docs.length] as { metadata: { name: string } };
        const obj = structuredClone(src);
        obj.metadata.name = `p${i}`;
        const file = path.join(dir, `p${String(i).padStart(2, '0')}.yaml`);
        if (i % 3 === 0) {
          const m = mutate(r, obj);
          const ok = validatePolicyObject(m.obj, file, 0).policy !== undefined;
          if (!ok) invalid.add(file);
          writeFileSync(file, YAML.stringify(m.obj));
        } else writeFileSync(file, YAML.stringify(obj));
      }
      writeFileSync(path.join(dir, 'zz-garbage.yaml'), Buffer.from([0xff, 0xfe, 0x00, 0x3a, 0x7b, 0x5b]));
      invalid.add(path.join(dir, 'zz-garbage.yaml'));
      const res = loadPolicyPaths([dir]);
      const named = new Set(res.errors.map((e) => e.file));
      for (const f of invalid) assert.ok(named.has(f), `${f} invalid but not named in errors`);
      assert.ok(res.policies.length >= 40 - Math.ceil(40 / 3), `${res.policies.length} policies loaded`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
