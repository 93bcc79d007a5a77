import { strict as assert } from 'node:assert';
import { AlertTally } from '../../../src/policy/alert-tally';

describe('AlertTally (alert metrics counted per batch)', () => {
  it('one sink call per label set with its count, in first-seen order; counts reset after a flush', () => {
    const t = new AlertTally();
    const calls: unknown[][] = [];
    const sink = (...a: unknown[]) => { calls.push(a); };
    t.add('p1', '5', 'Block', 'File', 'prod');
    t.add('p2', '', 'Audit', 'Process', 'prod');
    t.add('p1', '5', 'Block', 'File', 'prod');
    t.add('p1', '5', 'Block', 'File', 'dev');
    t.add('p1', '5', 'Audit (Block)', 'File', 'prod');
    t.flush(sink);
    assert.deepEqual(calls, [
      ['p1', '5', 'Block', 'File', 'prod', 2],
      ['p2', '', 'Audit', 'Process', 'prod', 1],
      ['p1', '5', 'Block', 'File', 'dev', 1],
      ['p1', '5', 'Audit (Block)', 'File', 'prod', 1],
    ]);
    calls.length = 0;
    t.flush(sink);
    assert.deepEqual(calls, []);
    t.add('p2', '', 'Audit', 'Process', 'prod');
    t.flush(sink);
    assert.deepEqual(calls, [['p2', '', 'Audit', 'Process', 'prod', 1]]);
  });

  it('past 4096 label sets the structure is rebuilt: counts stay exact', () => {
    const t = new AlertTally();
    let total = 0;
    const sink = (_p: string, _s: string, _a: string, _o: string, _ns: string, n: number) => { total += n; };
    for (let i = 0; i < 5000; i++) t.add(`p${i}`, '1', 'Block', 'File', 'ns');
    t.flush(sink);
    assert.equal(total, 5000);
    total = 0;
    for (let i = 0; i < 3; i++) t.add('p1', '1', 'Block', 'File', 'ns');
    t.flush(sink);
    assert.equal(total, 3);
  });
});
