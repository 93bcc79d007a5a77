// Non-blocking bounded writer over a Node Writable. A batch becomes one chunk; when the bytes the
// stream still buffers plus the chunk exceed `maxBufferedBytes`, whole events are dropped and
// counted (stage 'pipeline', reason 'output_backpressure'). fs write streams write on the libuv
// thread pool, so a slow disk or a full stdout pipe never blocks the event loop.
import type { Writable } from 'node:stream';
import type { AgentMetrics } from '../metrics/metrics';

export class BoundedWriter {
  private failed = false;

  constructor(
    private readonly stream: Writable,
    private readonly metrics: AgentMetrics,
    readonly maxBufferedBytes: number,
  ) {
    // A write error (EPIPE, ENOSPC) must not crash the agent: later events are counted as dropped.
    stream.on('error', () => {
      this.failed = true;
    });
  }

  /** Queue lines (each already newline-terminated); drops the lines that do not fit. */
  writeLines(lines: readonly string[]): void {
    if (lines.length === 0) return;
    if (this.failed || this.stream.destroyed || this.stream.writableEnded) {
      this.metrics.dropped('pipeline', 'output_backpressure', lines.length);
      return;
    }
    let room = this.maxBufferedBytes - this.stream.writableLength;
    let chunk = '';
    let dropped = 0;
    for (const l of lines) {
      const n = Buffer.byteLength(l);
      if (n <= room) {
        chunk += l;
        room -= n;
      } else {
        dropped++;
      }
    }
    if (dropped > 0) this.metrics.dropped('pipeline', 'output_backpressure', dropped);
    if (chunk !== '') this.stream.write(chunk);
  }

  get bufferedBytes(): number {
    return this.stream.writableLength;
  }

  /** Resolve when the stream buffer is empty or at the deadline (Date.now() ms). */
  async flush(deadlineMs: number): Promise<void> {
    while (this.stream.writableLength > 0 && !this.failed && !this.stream.destroyed && Date.now() < deadlineMs) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.max(1, Math.min(50, deadlineMs - Date.now())));
        const self = this.stream;
        function done(): void {
          clearTimeout(t);
          self.off('drain', done);
          resolve();
        }
        self.once('drain', done);
      });
    }
  }

  /** End the stream (files) and wait for it to close, bounded by the deadline. */
  async end(deadlineMs: number): Promise<void> {
    if (this.stream.writableEnded || this.stream.destroyed) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, Math.max(0, deadlineMs - Date.now()));
      this.stream.end(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
