import type { AgentEvent } from '../events/types';

/** FIFO of events with O(1) push/shift/drop-oldest (array + head index, compacted lazily). */
export class EventQueue {
  private buf: AgentEvent[] = [];
  private head = 0;

  get length(): number {
    return this.buf.length - this.head;
  }

  push(ev: AgentEvent): void {
    this.buf.push(ev);
  }

  /** Remove and return up to n events from the front. */
  take(n: number): AgentEvent[] {
    const end = Math.min(this.buf.length, this.head + n);
    const out = this.buf.slice(this.head, end);
    this.head = end;
    this.compact();
    return out;
  }

  /** Put events back at the front, in order (a failed request being retried). */
  prepend(evs: readonly AgentEvent[]): void {
    if (evs.length <= this.head) {
      this.head -= evs.length;
      for (let i = 0; i < evs.length; i++) this.buf[this.head + i] = evs[i]!;
    } else {
      this.buf = [...evs, ...this.buf.slice(this.head)];
      this.head = 0;
    }
  }

  /** Drop up to n events from the front; returns how many were dropped. */
  dropOldest(n: number): number {
    const k = Math.min(n, this.length);
    this.head += k;
    this.compact();
    return k;
  }

  private compact(): void {
    if (this.head === this.buf.length) {
      this.buf = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.buf.length) {
      this.buf = this.buf.slice(this.head);
      this.head = 0;
    }
  }
}
