// otelarmor rules build DIR -o bundle.tar.gz
//   Compile a Rego rule pack (Rego v1, one package otelarmor.rules.<name> per rule with METADATA)
//   into an OPA Wasm bundle with opa build -t wasm (src/rego/build.ts).
// otelarmor rules eval [--rules BUNDLE|DIR]... EVENTS.jsonl
//   Evaluate recorded events (one AgentEvent JSON per line: {"ka": {...}, "extras": {...}}) and
//   print one JSON line per alert: {"index", "rule", "severity", "message", "tags", "mitre"}.
import { readFileSync } from 'node:fs';
import { EXIT } from './exit-codes';
import { DEFAULT_OPTIMIZE, RegoBuildError, buildRules, findOpa } from '../rego/build';
import { RegoEngine, RegoLoadError } from '../rego/engine';
import { parseEventLine } from '../rego/events-file';

const USAGE = 'usage: otelarmor rules build DIR -o bundle.tar.gz [-O=N (opa optimisation level, default 0)]\n       otelarmor rules eval [--rules BUNDLE|DIR]... EVENTS.jsonl\n';

function build(argv: string[]): number {
  let dir: string | undefined;
  let out: string | undefined;
  let optimize = DEFAULT_OPTIMIZE;
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    if (a === '-o' || a === '--output') out = argv[++k];
    else if (/^-O=?\d$/.test(a) || /^--optimize=\d$/.test(a)) optimize = Number(a.slice(-1));
    else if (a.startsWith('--output=')) out = a.slice(9);
    else if (!a.startsWith('-') && dir === undefined) dir = a;
    else { process.stderr.write(`otelarmor rules build: unexpected argument "${a}"\n${USAGE}`); return EXIT.USAGE; }
  }
  if (!dir || !out) { process.stderr.write(USAGE); return EXIT.USAGE; }
  try {
    const r = buildRules(dir, out, findOpa(), optimize);
    const n = Object.keys(r.meta.rules).length;
    process.stdout.write(`${out}: ${n} rules, entrypoints for ${Object.keys(r.meta.entrypoints).join(', ')}\n`);
    return EXIT.OK;
  } catch (e) {
    process.stderr.write(`otelarmor rules build: ${e instanceof Error ? e.message : String(e)}\n`);
    return e instanceof RegoBuildError && /opa not found/.test(e.message) ? EXIT.FAILURE : EXIT.INVALID_INPUT;
  }
}

async function evalCmd(argv: string[]): Promise<number> {
  const rules: string[] = [];
  let file: string | undefined;
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    if (a === '--rules') { const v = argv[++k]; if (v) rules.push(v); }
    else if (a.startsWith('--rules=')) rules.push(a.slice(8));
    else if (!a.startsWith('-') && file === undefined) file = a;
    else { process.stderr.write(`otelarmor rules eval: unexpected argument "${a}"\n${USAGE}`); return EXIT.USAGE; }
  }
  if (!file) { process.stderr.write(USAGE); return EXIT.USAGE; }
  let engine: RegoEngine;
  try {
    engine = await RegoEngine.load(rules);
  } catch (e) {
    process.stderr.write(`otelarmor rules eval: ${e instanceof Error ? e.message : String(e)}\n`);
    return e instanceof RegoLoadError ? EXIT.INVALID_INPUT : EXIT.FAILURE;
  }
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) {
    process.stderr.write(`otelarmor rules eval: ${file}: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT.INVALID_INPUT;
  }
  const events = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    if (lines[n]!.trim() === '') continue;
    try { events.push(parseEventLine(lines[n]!)); } catch (e) {
      process.stderr.write(`otelarmor rules eval: ${file}:${n + 1}: ${e instanceof Error ? e.message : String(e)}\n`);
      return EXIT.INVALID_INPUT;
    }
  }
  for (const m of engine.evaluate(events)) process.stdout.write(`${JSON.stringify({ index: m.index, ...m.alert })}\n`);
  if (engine.lastError) process.stderr.write(`otelarmor rules eval: ${engine.lastError}\n`);
  return EXIT.OK;
}

export async function main(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'build') return build(rest);
  if (sub === 'eval') return evalCmd(rest);
  process.stderr.write(USAGE);
  return sub === '--help' || sub === '-h' ? EXIT.OK : EXIT.USAGE;
}

// scripts/build-rego.sh runs this file directly: node dist/src/cmd/rules.js build DIR -o OUT.
if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      process.stderr.write(`otelarmor rules: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = EXIT.FAILURE;
    },
  );
}
