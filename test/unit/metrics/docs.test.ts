import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GENERATED, metricsDoc, replaceRegion } from '../../../scripts/gen-docs';
import { severityRowTableMarkdown, severityTableMarkdown } from '../../../src/otlp/severity';
import { METRICS } from '../../../src/metrics/registry';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

describe('docs/metrics.md', () => {
  it('is exactly what scripts/gen-docs.ts generates from the registry', () => {
    const have = readFileSync(path.join(ROOT, 'docs', 'metrics.md'), 'utf8');
    assert.equal(have, metricsDoc(), 'docs/metrics.md is stale: run node dist/scripts/gen-docs.js --write');
  });

  it('README.md and docs/otlp.md carry the severity tables generated from src/otlp/severity.ts', () => {
    for (const rel of Object.keys(GENERATED)) {
      const have = readFileSync(path.join(ROOT, rel), 'utf8');
      assert.equal(have, GENERATED[rel]!(have), `${rel} is stale: run node dist/scripts/gen-docs.js --write`);
    }
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    assert.ok(readme.includes(`-->\n${severityRowTableMarkdown()}\n<!-- END GENERATED severity-table -->`));
    assert.ok(severityRowTableMarkdown().endsWith('| SeverityNumber | 13 WARN | 14 WARN2 | 15 WARN3 | 16 WARN4 | 17 ERROR | 17 ERROR | 18 ERROR2 | 18 ERROR2 | 19 ERROR3 | 19 ERROR3 |'));
    const otlp = readFileSync(path.join(ROOT, 'docs', 'otlp.md'), 'utf8');
    assert.ok(otlp.includes(`-->\n${severityTableMarkdown()}\n<!-- END GENERATED severity-table -->`));
    assert.ok(severityTableMarkdown().endsWith('| 7 | 18 | ERROR2 |\n| 8 | 18 | ERROR2 |\n| 9 | 19 | ERROR3 |\n| 10 | 19 | ERROR3 |\n| (logs) | 9 | INFO |'));
  });

  it('a hand-edited table is replaced; missing markers are an error naming them', () => {
    const doc = 'a\n<!-- BEGIN GENERATED t (x) -->\n| old |\n<!-- END GENERATED t -->\nb\n';
    assert.equal(replaceRegion(doc, 't', '| new |'), 'a\n<!-- BEGIN GENERATED t (x) -->\n| new |\n<!-- END GENERATED t -->\nb\n');
    assert.throws(() => replaceRegion('no markers', 't', 'x'), /markers <!-- BEGIN GENERATED t \.\.\. --> and <!-- END GENERATED t --> not found/);
  });

  it('registry Prometheus names are unique and follow the counter/_total rule', () => {
    const proms = Object.values(METRICS).map((m) => m.prom);
    assert.equal(new Set(proms).size, proms.length);
    for (const m of Object.values(METRICS)) {
      assert.equal(m.prom.endsWith('_total'), m.kind === 'counter', m.prom);
      assert.equal(m.prom.replace(/_total$/, ''), m.name.replace(/\./g, '_'), m.prom);
    }
  });
});
