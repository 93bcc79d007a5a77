import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { metricsDoc } from '../../../scripts/gen-docs';
import { METRICS } from '../../../src/metrics/registry';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

describe('docs/metrics.md', () => {
  it('is exactly what scripts/gen-docs.ts generates from the registry', () => {
    const have = readFileSync(path.join(ROOT, 'docs', 'metrics.md'), 'utf8');
    assert.equal(have, metricsDoc(), 'docs/metrics.md is stale: run node dist/scripts/gen-docs.js --write');
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
