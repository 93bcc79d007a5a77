import type { AgentEvent } from '../events/types';

/**
 * A consumer at the end of the pipeline (stdout/jsonl output, OTLP logs, gRPC feeder, ...).
 * `write` runs on the event loop for every batch: it must not throw and must not block; a sink
 * that cannot keep up drops by its own bounded-queue policy and counts every drop
 * (AgentMetrics.dropped(stage, reason, n)).
 */
export interface EventSink {
  readonly name: string;
  write(batch: readonly AgentEvent[]): void;
  /** Deliver what is queued, giving up at `deadlineMs` (Date.now() clock). */
  flush(deadlineMs: number): Promise<void>;
  /** Flush (until `deadlineMs`, or the sink's own default) and release; resolves by the deadline. */
  close(deadlineMs?: number): Promise<void>;
}

/**
 * A transforming stage between enrichment and the sinks (KubeArmor policy matcher, Rego rules).
 * It may turn logs into alerts, add alerts, or remove events; it must not throw.
 */
export interface EventStage {
  readonly name: string;
  process(batch: AgentEvent[]): AgentEvent[];
}
