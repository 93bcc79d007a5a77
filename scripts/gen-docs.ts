// Generates docs that are derived from code: docs/metrics.md from src/metrics/registry.ts.
// `--write` rewrites the files; `--check` exits 1 when a committed file differs (used by tests).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { METRICS } from '../src/metrics/registry';

const ROOT = path.resolve(__dirname, '..', '..');

export function metricsDoc(): string {
  const rows = Object.values(METRICS).map(
    (m) => `| \`${m.prom}\` | ${m.kind} | ${m.unit} | ${m.labels.map((l) => `\`${l}\``).join(', ') || '—'} | ${m.help} |`,
  );
  return [
    '# Metrics',
    '',
    'Generated from `src/metrics/registry.ts` by `scripts/gen-docs.ts`; do not edit by hand.',
    'Served in Prometheus text format on `--metrics-address` (default `127.0.0.1:9464`) at `/metrics`.',
    '',
    '| Name | Type | Unit | Labels | Meaning |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

export const GENERATED: Record<string, () => string> = { 'docs/metrics.md': metricsDoc };

if (require.main === module) {
  const mode = process.argv[2] ?? '--check';
  let stale = 0;
  for (const [rel, gen] of Object.entries(GENERATED)) {
    const file = path.join(ROOT, rel);
    const want = gen();
    const have = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (have === want) continue;
    if (mode === '--write') writeFileSync(file, want);
    else { process.stderr.write(`${rel} is stale: run node dist/scripts/gen-docs.js --write\n`); stale++; }
  }
  process.exitCode = stale ? 1 : 0;
}
