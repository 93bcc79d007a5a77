// JS side of the ring-buffer drain: batches handed over by the native poller threads wait in a
// FIFO and are processed in event-loop turns of at most TURN_BUDGET_MS, SLICE records at a time,
// so I/O (the /healthz server, gRPC, OTLP responses) is served between turns even during an
// event storm. Node runs up to 1000 thread-safe-function calls back to back without polling I/O;
// processing inside that callback would starve it for seconds.
// Each batch is acknowledged (ringbufAck) only once all its records were processed: the native
// backpressure bound therefore covers what waits here too. Batches of the priority lane
// (oa_alerts) wait in their own FIFO and are always processed first, so a backlog of logs
// never delays an alert.
import { decodeBatch, type DecodeErrorReason } from '../events/decode';
import type { KernelRecord } from '../events/record';

export const TURN_BUDGET_MS = 20;
export const SLICE = 2048;

interface Pending {
  buf: Buffer;
  ack: () => void;
  /** Byte offset of the next record to decode: a batch is decoded SLICE records at a time, so
   * decoded records live for one onRecords call, not for the whole batch (up to 8 MiB). */
  off: number;
  /** 1-based order of push() across both lanes. */
  seq: number;
}

export interface DrainCounters {
  decoded: number;
  callbackErrors: number;
  decodeErrors: Map<DecodeErrorReason, number>;
}

class Fifo {
  private items: Pending[] = [];
  private head = 0;
  get length(): number { return this.items.length - this.head; }
  push(p: Pending): void { this.items.push(p); }
  peek(): Pending | undefined { return this.items[this.head]; }
  shift(): Pending | undefined {
    const p = this.items[this.head];
    if (p === undefined) return undefined;
    this.head++;
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return p;
  }
}

export class DrainScheduler {
  private readonly logs = new Fifo();
  private readonly alerts = new Fifo();
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  private _pushed = 0;

  constructor(
    private readonly onRecords: (records: KernelRecord[]) => void,
    private readonly counters: DrainCounters,
  ) {}

  /** Batches waiting or in progress. */
  get pending(): number {
    return this.logs.length + this.alerts.length;
  }

  /** Batches pushed so far (one per native hand-off). */
  get pushed(): number {
    return this._pushed;
  }

  /** True once the first `n` pushed batches have been processed (each lane is a FIFO). */
  processedThrough(n: number): boolean {
    return (this.alerts.peek()?.seq ?? Infinity) > n && (this.logs.peek()?.seq ?? Infinity) > n;
  }

  /** `priority`: a batch of the priority lane. */
  push(buf: Buffer, ack: () => void, priority = false): void {
    (priority ? this.alerts : this.logs).push({ buf, ack, off: 0, seq: ++this._pushed });
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
    for (const q of [this.alerts, this.logs]) {
      for (let p = q.shift(); p; p = q.shift()) {
        n += decodeBatch(p.buf, p.off).records.length;
        p.ack();
      }
    }
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
      const q = this.alerts.length > 0 ? this.alerts : this.logs;
      const p = q.peek()!;
      const { records, errors, next } = decodeBatch(p.buf, p.off, SLICE);
      for (const e of errors) this.counters.decodeErrors.set(e.reason, (this.counters.decodeErrors.get(e.reason) ?? 0) + e.count);
      this.counters.decoded += records.length;
      p.off = next;
      if (records.length > 0) {
        try {
          this.onRecords(records);
        } catch {
          this.counters.callbackErrors += records.length;
        }
      }
      if (p.off >= p.buf.length) {
        q.shift();
        p.ack();
      }
    }
    if (this.pending > 0) this.schedule();
    else this.wake();
  }

  private wake(): void {
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }
}
