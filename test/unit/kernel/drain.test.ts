// DrainScheduler bookkeeping used by KernelSensors.flush(): pushes are numbered across both
// lanes, each lane is processed FIFO with the priority lane first, and a batch is acknowledged
// only after it was processed. Batches here hold no records (decodeBatch of 0 bytes), which
// is all the ordering needs; record decoding is covered by decode.test.ts.
import assert from 'node:assert/strict';
import { DrainScheduler } from '../../../src/kernel/drain';
import type { DecodeErrorReason } from '../../../src/events/decode';

describe('DrainScheduler', () => {
  const counters = () => ({ decoded: 0, callbackErrors: 0, decodeErrors: new Map<DecodeErrorReason, number>() });

  it('numbers pushes, processes the priority lane first, acks after processing; processedThrough follows both FIFOs', async () => {
    const d = new DrainScheduler(() => undefined, counters());
    const acked: string[] = [];
    const ack = (name: string) => (): void => { acked.push(name); };
    d.push(Buffer.alloc(0), ack('log1'));
    d.push(Buffer.alloc(0), ack('log2'));
    d.push(Buffer.alloc(0), ack('alert3'), true);
    assert.equal(d.pushed, 3);
    assert.equal(d.pending, 3);
    assert.deepEqual([d.processedThrough(0), d.processedThrough(1), d.processedThrough(3)], [true, false, false]);
    assert.equal(acked.length, 0);
    await d.idle(Date.now() + 1000);
    assert.deepEqual(acked, ['alert3', 'log1', 'log2']);
    assert.deepEqual([d.pending, d.processedThrough(3)], [0, true]);
    d.push(Buffer.alloc(0), ack('log4'));
    assert.deepEqual([d.pushed, d.processedThrough(3), d.processedThrough(4)], [4, true, false]);
    assert.equal(d.discard(), 0);
    assert.deepEqual([acked.at(-1), d.processedThrough(4)], ['log4', true]);
  });
});
