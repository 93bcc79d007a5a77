// The OTLP log sink: one LogRecord per event, delivered over OTLP/gRPC with guarantees the SDK's
// exporter does not give (it neither retries nor reports drops):
// - two queues, alerts and logs, each with its own gRPC channel;
// - alerts: one request in flight; on a retryable failure the same records go back to the front
//   and are resent after exponential backoff (retryInitialMs ×2 up to retryMaxMs), so they arrive
//   in order and once (a DEADLINE_EXCEEDED on a request the collector did process can duplicate);
//   a full alert queue rejects the newest alert;
// - logs: same retry, up to logsInflight requests; overflow drops the oldest queued logs, never
//   alerts;
// - every lost record is counted: otelarmor_events_dropped_total{stage="export",reason} and
//   otelarmor_export_records_total{signal,outcome="dropped"|"failed"}.
import type { AgentEvent } from '../events/types';
import { isAlert } from '../events/types';
import type { AgentMetrics } from '../metrics/metrics';
import type { EventSink } from '../pipeline/sink';
import type { OtlpSinkOptions } from './options';
import { EventQueue } from './queue';
import { commandLineRedactor } from './redact';
import { LogsRequestEncoder } from './encode';
import { agentResourceAttributes, agentVersion, SERVICE_NAME } from './resource';
import { OtlpLogsTransport, type ExportOutcome } from './transport';

export type Signal = 'logs' | 'alerts';

/** Reasons of otelarmor_events_dropped_total{stage="export"}. */
export const EXPORT_DROP_REASONS = {
  logsQueueFull: 'logs_queue_full',
  alertsQueueFull: 'alerts_queue_full',
  rejected: 'rejected',
  encode: 'encode_error',
  shutdown: 'shutdown',
  internal: 'internal_error',
} as const;

/** One export request on the wire. */
interface Inflight {
  batch: AgentEvent[];
  cancel: () => void;
  /** Set by close() at its deadline: the records are counted lost, the late outcome ignored. */
  abandoned: boolean;
}

class Lane {
  readonly queue = new EventQueue();
  readonly inflight = new Set<Inflight>();
  inflightRecords = 0;
  inflightRequests = 0;
  failures = 0;
  retryTimer: NodeJS.Timeout | null = null;
  delayTimer: NodeJS.Timeout | null = null;
  pumpScheduled = false;
  lastError = '';
  transport: OtlpLogsTransport;

  constructor(readonly signal: Signal, readonly capacity: number, readonly maxInflight: number, readonly makeTransport: () => OtlpLogsTransport) {
    this.transport = makeTransport();
  }

  get size(): number {
    return this.queue.length + this.inflightRecords;
  }
}

export class OtlpSink implements EventSink {
  readonly name = 'otlp';
  private readonly lanes: Record<Signal, Lane>;
  private readonly encoder: LogsRequestEncoder;
  private flushing = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  /** Records close() gave up on (queued or in flight at its deadline), per signal. */
  readonly lostAtClose: Record<Signal, number> = { alerts: 0, logs: 0 };

  constructor(readonly opts: OtlpSinkOptions, private readonly metrics: AgentMetrics) {
    const version = agentVersion();
    this.encoder = new LogsRequestEncoder(agentResourceAttributes(opts.resource), { name: SERVICE_NAME, version },
      { commandLine: opts.commandLine, redactCommandLine: commandLineRedactor(opts.commandLineRedact) });
    const ua = `otelarmor/${version}`;
    const mk = () => new OtlpLogsTransport(opts, ua);
    this.lanes = {
      alerts: new Lane('alerts', opts.alertsQueueCapacity, 1, mk),
      logs: new Lane('logs', opts.logsQueueCapacity, Math.max(1, opts.logsInflight), mk),
    };
    for (const l of Object.values(this.lanes)) {
      metrics.gauges.exportQueueCapacity.set(l.signal, l.capacity);
      metrics.gauges.exportQueueSize.set(l.signal, 0);
    }
  }

  write(batch: readonly AgentEvent[]): void {
    try {
      this.enqueue(batch);
    } catch {
      // Not reachable with well-formed events; the event path must not throw.
      this.metrics.dropped('export', EXPORT_DROP_REASONS.internal, batch.length);
    }
  }

  private enqueue(batch: readonly AgentEvent[]): void {
    if (this.closed) {
      let a = 0;
      for (const ev of batch) if (isAlert(ev.ka.Type)) a++;
      this.drop('alerts', EXPORT_DROP_REASONS.shutdown, a);
      this.drop('logs', EXPORT_DROP_REASONS.shutdown, batch.length - a);
      return;
    }
    const { alerts, logs } = this.lanes;
    let alertsIn = 0;
    let logsIn = 0;
    let alertsRejected = 0;
    for (const ev of batch) {
      if (isAlert(ev.ka.Type)) {
        if (alerts.size >= alerts.capacity) { alertsRejected++; continue; }
        alerts.queue.push(ev);
        alertsIn++;
      } else {
        logs.queue.push(ev);
        logsIn++;
      }
    }
    this.drop('alerts', EXPORT_DROP_REASONS.alertsQueueFull, alertsRejected);
    const over = logs.size - logs.capacity;
    if (over > 0) {
      // Oldest first; in-flight records cannot be recalled, so a queue that is all in flight
      // sheds from the newly written records (which are then the oldest not yet sent).
      this.drop('logs', EXPORT_DROP_REASONS.logsQueueFull, logs.queue.dropOldest(over));
    }
    this.updateGauges();
    if (alertsIn) this.schedule(alerts);
    if (logsIn) this.schedule(logs);
  }

  private drop(signal: Signal, reason: string, n: number): void {
    if (n <= 0) return;
    this.metrics.dropped('export', reason, n);
    this.metrics.exportRecords(signal, 'dropped', n);
  }

  private updateGauges(): void {
    this.metrics.gauges.exportQueueSize.set('alerts', this.lanes.alerts.size);
    this.metrics.gauges.exportQueueSize.set('logs', this.lanes.logs.size);
  }

  private schedule(l: Lane): void {
    if (l.pumpScheduled || l.retryTimer) return;
    const full = l.queue.length >= this.opts.batchSize;
    if (l.signal === 'alerts' || full || this.flushing > 0) {
      l.pumpScheduled = true;
      setImmediate(() => { l.pumpScheduled = false; this.pump(l); });
    } else if (!l.delayTimer) {
      l.delayTimer = setTimeout(() => { l.delayTimer = null; this.pump(l); }, this.opts.logsDelayMs);
      l.delayTimer.unref?.();
    }
  }

  private pump(l: Lane): void {
    if (l.retryTimer) return;
    while (l.inflightRequests < l.maxInflight && l.queue.length > 0) {
      const batch = l.queue.take(this.opts.batchSize);
      this.send(l, batch);
    }
    this.checkIdle();
  }

  private send(l: Lane, batch: AgentEvent[]): void {
    let req: Buffer;
    try {
      req = this.encoder.encode(batch);
    } catch {
      // Per-record fallback so one malformed event does not take its batch down.
      const kept: AgentEvent[] = [];
      let bad = 0;
      for (const ev of batch) {
        try { this.encoder.encode([ev]); kept.push(ev); } catch { bad++; }
      }
      this.drop(l.signal, EXPORT_DROP_REASONS.encode, bad);
      batch = kept;
      if (!batch.length) return;
      try { req = this.encoder.encode(batch); } catch { this.drop(l.signal, EXPORT_DROP_REASONS.encode, batch.length); return; }
    }
    const call: Inflight = { batch, cancel: () => undefined, abandoned: false };
    l.inflight.add(call);
    l.inflightRequests++;
    l.inflightRecords += batch.length;
    const t0 = process.hrtime.bigint();
    call.cancel = l.transport.export(req, (o: ExportOutcome) => {
      if (call.abandoned) return;
      l.inflight.delete(call);
      l.inflightRequests--;
      l.inflightRecords -= batch.length;
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      this.metrics.exportDuration(l.signal, o.ok ? 'success' : 'failure', secs);
      if (o.ok) {
        this.encoder.release(req);
        l.failures = 0;
        l.lastError = '';
        const accepted = batch.length - Math.min(o.rejected, batch.length);
        this.metrics.exportRecords(l.signal, 'exported', accepted);
        if (o.rejected > 0) {
          this.metrics.exportRecords(l.signal, 'failed', Math.min(o.rejected, batch.length));
          this.metrics.dropped('export', EXPORT_DROP_REASONS.rejected, Math.min(o.rejected, batch.length));
        }
      } else if (o.retryable) {
        l.lastError = `${o.code}: ${o.message}`;
        this.metrics.exportRecords(l.signal, 'retried', batch.length);
        l.queue.prepend(batch);
        if (l.signal === 'logs') {
          const over = l.size - l.capacity;
          if (over > 0) this.drop('logs', EXPORT_DROP_REASONS.logsQueueFull, l.queue.dropOldest(over));
        }
        l.failures++;
        this.backoff(l);
      } else {
        l.lastError = `${o.code}: ${o.message}`;
        this.metrics.exportRecords(l.signal, 'failed', batch.length);
        this.metrics.dropped('export', EXPORT_DROP_REASONS.rejected, batch.length);
      }
      this.updateGauges();
      if (!l.retryTimer) this.pump(l);
      this.checkIdle();
    });
  }

  private backoff(l: Lane): void {
    if (l.retryTimer) return;
    let ms = Math.min(this.opts.retryMaxMs, this.opts.retryInitialMs * 2 ** Math.min(20, l.failures - 1));
    if (this.flushing > 0) ms = Math.min(ms, 250);
    l.retryTimer = setTimeout(() => {
      l.retryTimer = null;
      // A fresh channel connects at once instead of waiting out the old one's backoff.
      if (l.inflightRequests === 0) {
        l.transport.close();
        l.transport = l.makeTransport();
      }
      this.pump(l);
    }, ms);
  }

  /** Records queued or in flight, per signal. */
  queued(): Record<Signal, number> {
    return { alerts: this.lanes.alerts.size, logs: this.lanes.logs.size };
  }

  /** Last export error per signal ('' after a success). */
  lastErrors(): Record<Signal, string> {
    return { alerts: this.lanes.alerts.lastError, logs: this.lanes.logs.lastError };
  }

  private checkIdle(): void {
    if (this.lanes.alerts.size === 0 && this.lanes.logs.size === 0 && this.idleWaiters.length) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  async flush(deadlineMs: number): Promise<void> {
    this.flushing++;
    try {
      for (const l of Object.values(this.lanes)) {
        if (l.delayTimer) { clearTimeout(l.delayTimer); l.delayTimer = null; }
        if (l.retryTimer && l.failures > 0) {
          // Retry now rather than after a long backoff: the deadline bounds the wait.
          clearTimeout(l.retryTimer);
          l.retryTimer = null;
          if (l.inflightRequests === 0) { l.transport.close(); l.transport = l.makeTransport(); }
        }
        this.pump(l);
      }
      if (this.lanes.alerts.size === 0 && this.lanes.logs.size === 0) return;
      const remaining = deadlineMs - Date.now();
      if (remaining <= 0) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => { this.idleWaiters = this.idleWaiters.filter((f) => f !== done); resolve(); }, remaining);
        const done = () => { clearTimeout(t); resolve(); };
        this.idleWaiters.push(done);
      });
    } finally {
      this.flushing--;
    }
  }

  /**
   * Deliver what is queued until `deadlineMs` (default: now + closeTimeoutMs), then stop: records
   * still queued, and requests still in flight (cancelled: the collector may or may not have
   * processed them), are counted as dropped{stage="export",reason="shutdown"} and in lostAtClose.
   * Resolves by the deadline; later calls return the first call's promise.
   */
  close(deadlineMs: number = Date.now() + this.opts.closeTimeoutMs): Promise<void> {
    this.closing ??= (async () => {
      await this.flush(deadlineMs);
      this.closed = true;
      for (const l of Object.values(this.lanes)) {
        if (l.retryTimer) { clearTimeout(l.retryTimer); l.retryTimer = null; }
        if (l.delayTimer) { clearTimeout(l.delayTimer); l.delayTimer = null; }
        let lost = l.queue.dropOldest(l.queue.length);
        for (const c of l.inflight) {
          c.abandoned = true;
          lost += c.batch.length;
          c.cancel();
        }
        l.inflight.clear();
        l.inflightRequests = 0;
        l.inflightRecords = 0;
        this.drop(l.signal, EXPORT_DROP_REASONS.shutdown, lost);
        this.lostAtClose[l.signal] += lost;
        l.transport.close();
      }
      this.updateGauges();
      this.checkIdle();
    })();
    return this.closing;
  }
}
