// Non-blocking bounded writer over a Node Writable. A batch becomes one chunk; when the bytes the
// stream still buffers plus the chunk exceed `maxBufferedBytes`, whole events are dropped and
// counted (stage 'pipeline'): logs first, oldest first (reason 'output_backpressure'), alerts
// only when the alerts alone do not fit (reason 'output_backpressure_alert'). Kept lines keep
// their order. fs write streams write on the libuv thread pool, so a slow disk or a full stdout
// pipe never blocks the event loop.
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

  /** Queue lines (each already newline-terminated); `alert[i]` marks alert lines, which are
   *  dropped only after every log line of the batch. */
  writeLines(lines: readonly string[], alert?: readonly boolean[]): void {
    if (lines.length === 0) return;
    const isAlert = (i: number) => alert?.[i] === true;
    if (this.failed || this.stream.destroyed || this.stream.writableEnded) {
      let a = 0;
      for (let i = 0; i < lines.length; i++) if (isAlert(i)) a++;
      this.metrics.dropped('pipeline', 'output_backpressure', lines.length - a);
      this.metrics.dropped('pipeline', 'output_backpressure_alert', a);
      return;
    }
    const room = this.maxBufferedBytes - this.stream.writableLength;
    // A UTF-16 unit is at most 3 UTF-8 bytes: when that bound fits, nothing is dropped and no
    // line needs measuring.
    let units = 0;
    for (const l of lines) units += l.length;
    if (units * 3 <= room) {
      let all = '';
      for (const l of lines) all += l;
      this.stream.write(all);
      return;
    }
    const sizes = lines.map((l) => Buffer.byteLength(l));
    let total = 0;
    for (const n of sizes) total += n;
    const keep = new Array<boolean>(lines.length).fill(true);
    let droppedLogs = 0;
    let droppedAlerts = 0;
    // Free room oldest-first: logs, then (only if needed) alerts.
    for (const wantAlert of [false, true]) {
      for (let i = 0; i < lines.length && total > room; i++) {
        if (!keep[i] || isAlert(i) !== wantAlert) continue;
        keep[i] = false;
        total -= sizes[i]!;
        if (wantAlert) droppedAlerts++;
        else droppedLogs++;
      }
    }
    let chunk = '';
    for (let i = 0; i < lines.length; i++) if (keep[i]) chunk += lines[i];
    this.metrics.dropped('pipeline', 'output_backpressure', droppedLogs);
    this.metrics.dropped('pipeline', 'output_backpressure_alert', droppedAlerts);
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
