// Generates docs that are derived from code: docs/metrics.md from src/metrics/registry.ts, and the
// severity tables of README.md and docs/otlp.md from src/otlp/severity.ts (between
// `<!-- BEGIN GENERATED name ... -->` / `<!-- END GENERATED name -->` markers).
// `--write` rewrites the files; `--check` exits 1 when a committed file differs (used by tests).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { METRICS } from '../src/metrics/registry';
import { severityRowTableMarkdown, severityTableMarkdown } from '../src/otlp/severity';

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
    '## Label values',
    '',
    '- Label values are bounded: `otelarmor_alerts_total` and `otelarmor_alerts_by_workload_total`',
    '  keep at most 2000 distinct label sets each; alerts of further sets are counted under',
    '  `policy="other"`, `namespace="other"` (and `pod`/`process` `"other"`), with their severity,',
    '  action and operation kept. The `kubearmor_alerts_*_total` counters keep 2000 values per label',
    '  and count the rest under `"other"`.',
    '',
    '## promtool',
    '',
    '`promtool check metrics` reports one finding per `kubearmor_alerts_*_total` family:',
    '`label names should be written in \'snake_case\' not \'camelCase\'`. Decision: kept. These',
    'families reproduce the counters of kubearmor-prometheus-exporter with its exact label names',
    '(`HostName`, `NamespaceName`, `PodName`, `ContainerName`, `PolicyName`, `Severity`, `Type`,',
    '`Operation`, `Action`) so that existing KubeArmor dashboards and alerts work unchanged;',
    'renaming them would break that compatibility. Every `otelarmor_*` family passes `promtool check',
    'metrics` without findings (test/e2e/prometheus.test.ts asserts both).',
    '',
  ].join('\n');
}

/** Replace the text between the BEGIN/END markers of region `name` with `body`. */
export function replaceRegion(text: string, name: string, body: string): string {
  const begin = new RegExp(`<!-- BEGIN GENERATED ${name} [^>]*-->\\n`);
  const end = `<!-- END GENERATED ${name} -->`;
  const b = begin.exec(text);
  const e = text.indexOf(end);
  if (!b || e < b.index) throw new Error(`markers <!-- BEGIN GENERATED ${name} ... --> and ${end} not found`);
  return `${text.slice(0, b.index + b[0].length)}${body}\n${text.slice(e)}`;
}

/** File (relative to the repository root) → its expected content, given its current content. */
export const GENERATED: Record<string, (have: string) => string> = {
  'docs/metrics.md': () => metricsDoc(),
  'README.md': (have) => replaceRegion(have, 'severity-table', severityRowTableMarkdown()),
  'docs/otlp.md': (have) => replaceRegion(have, 'severity-table', severityTableMarkdown()),
};

if (require.main === module) {
  const mode = process.argv[2] ?? '--check';
  let stale = 0;
  for (const [rel, gen] of Object.entries(GENERATED)) {
    const file = path.join(ROOT, rel);
    const have = existsSync(file) ? readFileSync(file, 'utf8') : '';
    let want: string;
    try { want = gen(have); } catch (e) { process.stderr.write(`${rel}: ${(e as Error).message}\n`); stale++; continue; }
    if (have === want) continue;
    if (mode === '--write') writeFileSync(file, want);
    else { process.stderr.write(`${rel} is stale: run node dist/scripts/gen-docs.js --write\n`); stale++; }
  }
  process.exitCode = stale ? 1 : 0;
}
