// Event output sinks: `stdout` (readable lines), `jsonl:PATH` (karmor --json dialect, one event per
// line, appended), `none`. Both writers are non-blocking and bounded; see writer.ts.
import * as fs from 'node:fs';
import type { Writable } from 'node:stream';
import { isAlert, type AgentEvent } from '../events/types';
import type { AgentMetrics } from '../metrics/metrics';
import type { EventSink } from '../pipeline/sink';
import { toKarmorJson } from './karmor-json';
import { formatReadable } from './stdout';
import { BoundedWriter } from './writer';

export type OutputSpec = 'stdout' | `jsonl:${string}` | 'none';

export interface OutputOptions {
  /** Bound on bytes buffered ahead of the stream (default 64 MiB). */
  maxBufferedBytes?: number;
  /** Write here instead of fd 1 / the jsonl file (tests). */
  stream?: Writable;
  /** ANSI colour for alerts on stdout (default: stdout is a TTY). */
  color?: boolean;
}

/** Validate an output spec string; returns an error message naming the problem, or undefined. */
export function checkOutputSpec(spec: string): string | undefined {
  if (spec === 'stdout' || spec === 'none') return undefined;
  if (spec.startsWith('jsonl:')) return spec.length > 'jsonl:'.length ? undefined : 'output: jsonl: needs a file path (jsonl:/var/log/otelarmor.jsonl)';
  return `output: unknown value ${JSON.stringify(spec)} (expected stdout, jsonl:PATH or none)`;
}

class LineSink implements EventSink {
  constructor(
    readonly name: string,
    private readonly writer: BoundedWriter,
    private readonly render: (ev: AgentEvent) => string,
    private readonly ownsStream: boolean,
    private readonly metrics: AgentMetrics,
  ) {}

  write(batch: readonly AgentEvent[]): void {
    const lines: string[] = [];
    const alerts: boolean[] = [];
    for (const ev of batch) {
      try {
        lines.push(`${this.render(ev)}\n`);
        alerts.push(isAlert(ev.ka.Type));
      } catch {
        // Rendering cannot fail on a well-formed event; a malformed one is dropped, never thrown.
        this.metrics.dropped('pipeline', 'output_render');
      }
    }
    this.writer.writeLines(lines, alerts);
  }

  flush(deadlineMs: number): Promise<void> {
    return this.writer.flush(deadlineMs);
  }

  async close(deadline = Date.now() + 5000): Promise<void> {
    await this.writer.flush(deadline);
    if (this.ownsStream) await this.writer.end(deadline);
  }
}

class NoneSink implements EventSink {
  readonly name = 'none';
  write(): void {}
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

/**
 * Build the output sink for `--output`. Throws (at start-up, not on the event path) with a message
 * naming the option when the spec is malformed.
 */
export function createOutputSink(spec: OutputSpec | string, metrics: AgentMetrics, opts: OutputOptions = {}): EventSink {
  const err = checkOutputSpec(spec);
  if (err) throw new Error(err);
  if (spec === 'none') return new NoneSink();
  // A burst of ~40k events (one ring-buffer drain under load) must fit while the disk catches up.
  const max = opts.maxBufferedBytes ?? 64 * 1024 * 1024;
  if (spec === 'stdout') {
    const stream = opts.stream ?? fs.createWriteStream('', { fd: 1, autoClose: false });
    const color = opts.color ?? process.stdout.isTTY === true;
    // fd 1 is shared with the process: never closed here.
    return new LineSink('stdout', new BoundedWriter(stream, metrics, max), (ev) => formatReadable(ev.ka, color), false, metrics);
  }
  const file = spec.slice('jsonl:'.length);
  let stream = opts.stream;
  if (!stream) {
    let fd: number;
    try {
      fd = fs.openSync(file, 'a', 0o640);
    } catch (e) {
      throw new Error(`output: cannot open ${file} for appending: ${(e as Error).message}`);
    }
    stream = fs.createWriteStream('', { fd, autoClose: true });
  }
  return new LineSink(`jsonl:${file}`, new BoundedWriter(stream, metrics, max), (ev) => toKarmorJson(ev.ka), opts.stream === undefined, metrics);
}
