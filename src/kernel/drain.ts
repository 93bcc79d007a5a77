// JS side of the ring-buffer drain: batches handed over by the native poller threads wait in a
// FIFO and are processed in event-loop turns of at most TURN_BUDGET_MS, SLICE records at a time,
// so I/O (the /healthz server, gRPC, OTLP responses) is served between turns even during an
// event storm. Node runs up to 1000 thread-safe-function calls back to back without polling I/O;
// processing inside that callback would starve it for seconds.
// Each batch is acknowledged (ringbufAck) only once all its records were processed: the native
// backpressure bound therefore covers what waits here too.
import { decodeBatch, type DecodeErrorReason } from '../events/decode';
import type { KernelRecord } from '../events/record';

export const TURN_BUDGET_MS = 20;
export const SLICE = 2048;

interface Pending {
  buf: Buffer;
  ack: () => void;
  records?: KernelRecord[];
  pos: number;
}

export interface DrainCounters {
  decoded: number;
  callbackErrors: number;
  decodeErrors: Map<DecodeErrorReason, number>;
}

export class DrainScheduler {
  private readonly fifo: Pending[] = [];
  private head = 0;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly onRecords: (records: KernelRecord[]) => void,
    private readonly counters: DrainCounters,
  ) {}

  /** Batches (and bytes) waiting or in progress. */
  get pending(): number {
    return this.fifo.length - this.head;
  }

  push(buf: Buffer, ack: () => void): void {
    this.fifo.push({ buf, ack, pos: 0 });
    this.schedule();
  }

  /** Resolves once every pushed batch was processed, or at the deadline (Date.now() ms). */
  idle(deadlineMs: number): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, Math.max(0, deadlineMs - Date.now()));
      this.idleWaiters.push(() => { clearTimeout(t); resolve(); });
    });
  }

  /** Drops what still waits; returns the number of records not processed. Acks everything. */
  discard(): number {
    let n = 0;
    while (this.pending > 0) {
      const p = this.fifo[this.head++]!;
      n += p.records ? p.records.length - p.pos : decodeBatch(p.buf).records.length;
      p.ack();
    }
    this.compact();
    this.wake();
    return n;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.turn());
  }

  private turn(): void {
    this.scheduled = false;
    const until = Date.now() + TURN_BUDGET_MS;
    while (this.pending > 0 && Date.now() < until) {
      const p = this.fifo[this.head]!;
      if (!p.records) {
        const { records, errors } = decodeBatch(p.buf);
        for (const e of errors) this.counters.decodeErrors.set(e.reason, (this.counters.decodeErrors.get(e.reason) ?? 0) + e.count);
        p.records = records;
        this.counters.decoded += records.length;
      }
      const end = Math.min(p.records.length, p.pos + SLICE);
      if (end > p.pos) {
        const slice = p.pos === 0 && end === p.records.length ? p.records : p.records.slice(p.pos, end);
        try {
          this.onRecords(slice);
        } catch {
          this.counters.callbackErrors += slice.length;
        }
      }
      p.pos = end;
      if (p.pos >= p.records.length) {
        this.head++;
        p.ack();
      }
    }
    this.compact();
    if (this.pending > 0) this.schedule();
    else this.wake();
  }

  private compact(): void {
    if (this.head > 64 && this.head * 2 > this.fifo.length) {
      this.fifo.splice(0, this.head);
      this.head = 0;
    }
  }

  private wake(): void {
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }
}
