// The kernel-matrix report: reads what scripts/kernels.sh collected under DIR (one directory per
// entry: facts.json, agent-startup.txt, conformance.json, kernel-suite.json, accel) and writes the
// table of docs/kernels.md (between its GENERATED markers) into DIR/kernels.md, and into
// docs/kernels.md itself with OTELARMOR_UPDATE_DOCS=1. Prints one line per entry; exits 1 when an
// entry is missing or has a failing or skipped test.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { MATRIX } from '../test/kernels/matrix';

const ROOT = path.resolve(__dirname, '..', '..');
const DOC = path.join(ROOT, 'docs', 'kernels.md');
const BEGIN = '<!-- BEGIN GENERATED kernel-matrix (scripts/kernels.sh; do not edit) -->';
const END = '<!-- END GENERATED kernel-matrix -->';

interface MochaJson {
  stats: { passes: number; failures: number; pending: number; tests: number };
  failures: { fullTitle: string; err: { message?: string } }[];
}

function readJson<T>(file: string): T | null {
  try { return JSON.parse(readFileSync(file, 'utf8')) as T; } catch { return null; }
}

export interface EntryResult {
  name: string;
  release: string;
  lsm: string;
  accel: string;
  sensors: string;
  capHook: string;
  enforcer: string;
  missing: string[];
  conformance: MochaJson | null;
  kernelSuite: MochaJson | null;
  ok: boolean;
}

export function readEntry(dir: string, name: string): EntryResult {
  const d = path.join(dir, name);
  const facts = readJson<{ release: string; lsm: string }>(path.join(d, 'facts.json'));
  const startup = existsSync(path.join(d, 'agent-startup.txt')) ? readFileSync(path.join(d, 'agent-startup.txt'), 'utf8') : '';
  const pick = (re: RegExp) => re.exec(startup)?.[1] ?? '?';
  const conformance = readJson<MochaJson>(path.join(d, 'conformance.json'));
  const suiteWanted = MATRIX.find((m) => m.name === name)?.kernelSuite ?? false;
  const kernelSuite = suiteWanted ? readJson<MochaJson>(path.join(d, 'kernel-suite.json')) : null;
  const clean = (m: MochaJson | null) => m !== null && m.stats.failures === 0 && m.stats.pending === 0 && m.stats.passes > 0;
  return {
    name,
    release: facts?.release ?? '?',
    lsm: facts?.lsm ?? '?',
    accel: existsSync(path.join(d, 'accel')) ? readFileSync(path.join(d, 'accel'), 'utf8').trim() : name === 'host' ? 'native' : '?',
    sensors: pick(/^otelarmor: kernel \S+: sensors (\S+) /m),
    capHook: pick(/^otelarmor: kernel: capabilities hook: ([^(\n]+?)(?: \(|$)/m),
    enforcer: pick(/^otelarmor: enforcer: ([^:]+):/m),
    missing: [...startup.matchAll(/^otelarmor: kernel: (.+?) \(([^)]+)\) missing/gm)].map((m) => `${m[1]} (${m[2]})`),
    conformance,
    kernelSuite,
    ok: clean(conformance) && (!suiteWanted || clean(kernelSuite)),
  };
}

const count = (m: MochaJson | null): string => (m ? `${m.stats.passes}/${m.stats.tests}${m.stats.failures ? `, ${m.stats.failures} failed` : ''}${m.stats.pending ? `, ${m.stats.pending} skipped` : ''}` : '—');

export function table(results: EntryResult[]): string {
  const rows = results.map((r) => `| ${r.name} | ${r.release} | ${r.lsm.split(',').includes('bpf') ? 'on' : 'off'} | ${r.accel} | \`${r.sensors}\` | ${r.capHook} | ${r.enforcer} | ${r.missing.join('; ') || '—'} | ${count(r.conformance)} | ${count(r.kernelSuite)} |`);
  return [
    BEGIN,
    '| Entry | Kernel | BPF-LSM | VM | Sensors object | Capability hook | Enforcer mode | Missing features | Conformance (test/kernels) | Kernel suite (test/kernel) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    END,
  ].join('\n');
}

function main(): void {
  const dir = process.argv[2] ?? path.join(ROOT, '.kernels');
  const names = [...MATRIX.map((m) => m.name), 'host'].filter((n) => existsSync(path.join(dir, n)));
  const others = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && !names.includes(e.name));
  if (others.length) console.log(`kernels: ignoring ${others.map((e) => e.name).join(', ')}`);
  const results = names.map((n) => readEntry(dir, n));
  for (const r of results) {
    console.log(`kernels: ${r.ok ? 'PASS' : 'FAIL'} ${r.name} (${r.release}): ${r.sensors}, capabilities ${r.capHook}, ${r.enforcer}; conformance ${count(r.conformance)}; kernel suite ${count(r.kernelSuite)}`);
    for (const m of [r.conformance, r.kernelSuite]) for (const f of m?.failures ?? []) console.log(`kernels:   ${f.fullTitle}: ${(f.err.message ?? '').split('\n')[0]}`);
  }
  const t = table(results);
  writeFileSync(path.join(dir, 'kernels.md'), `${t}\n`);
  if (process.env.OTELARMOR_UPDATE_DOCS === '1') {
    const doc = readFileSync(DOC, 'utf8');
    const a = doc.indexOf(BEGIN);
    const b = doc.indexOf(END);
    if (a < 0 || b < 0) throw new Error(`${DOC}: GENERATED kernel-matrix markers missing`);
    writeFileSync(DOC, doc.slice(0, a) + t + doc.slice(b + END.length));
  }
  if (results.length === 0 || results.some((r) => !r.ok)) process.exit(1);
}

if (require.main === module) main();
