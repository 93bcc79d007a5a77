// feeder.LogService, server side: the EventSink that fans events out to connected gRPC clients
// (KubeArmor feeder/logServer.go semantics, kubearmor-compat.md §1.2 and §1.4).
// Invariants:
// - Type ∈ {MatchedPolicy, MatchedHostPolicy, SystemEvent} goes to WatchAlerts clients, every
//   other Type to WatchLogs clients; WatchMessages clients get only pushMessage() lines.
// - Each event is encoded once; the same bytes are written to every client.
// - Each client has a bounded queue (default 1000, KubeArmor's QueueSize) behind the stream's own
//   write buffer: while stream.write() reports backpressure new messages queue; when the queue is
//   full the message is dropped for that client only and counted as
//   otelarmor_events_dropped_total{stage="grpc",reason="client_queue_full"}. write() never blocks.
import type * as grpc from '@grpc/grpc-js';
import { isAlert, type AgentEvent } from '../events/types';
import type { AgentMetrics } from '../metrics/metrics';
import type { EventSink } from '../pipeline/sink';
import { toAlert, toLog } from './convert';
import { encodeResponse, type PbMessage, type PbNonceMessage, type PbReplyMessage, type PbRequestMessage } from './proto';

export type StreamKind = 'alerts' | 'logs' | 'messages';

/** Filters for which KubeArmor's WatchAlerts / WatchLogs stream at all (logServer.go). */
export const ALERT_FILTERS: readonly string[] = ['all', 'policy'];
export const LOG_FILTERS: readonly string[] = ['all', 'system'];

export const DEFAULT_CLIENT_QUEUE = 1000;

/** A FIFO of encoded messages with O(1) push/shift. */
class Fifo {
  private items: Buffer[] = [];
  private head = 0;
  get length(): number { return this.items.length - this.head; }
  push(b: Buffer): void { this.items.push(b); }
  shift(): Buffer | undefined {
    if (this.head >= this.items.length) return undefined;
    const b = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return b;
  }
  clear(): number { const n = this.length; this.items = []; this.head = 0; return n; }
}

export class FeederClient {
  readonly queue = new Fifo();
  /** stream.write() returned false and 'drain' has not fired yet. */
  blocked = false;
  closed = false;
  /** Messages dropped for this client because its queue was full. */
  dropped = 0;
  /** Messages handed to the stream (written or buffered by grpc-js). */
  written = 0;
  private drainWaiters: (() => void)[] = [];

  constructor(
    readonly kind: StreamKind,
    readonly filter: string,
    readonly call: grpc.ServerWritableStream<PbRequestMessage, unknown>,
    private readonly capacity: number,
  ) {
    call.on('drain', () => this.onDrain());
  }

  /** Returns false when the message was dropped (queue full). */
  push(buf: Buffer): boolean {
    if (this.closed) return true;
    if (!this.blocked && this.queue.length === 0) {
      this.writeNow(buf);
      return true;
    }
    if (this.queue.length >= this.capacity) {
      this.dropped++;
      return false;
    }
    this.queue.push(buf);
    return true;
  }

  private writeNow(buf: Buffer): void {
    this.written++;
    try {
      if (!this.call.write(buf)) this.blocked = true;
    } catch {
      // Stream already finished (client went away between events): nothing left to deliver.
      this.closed = true;
    }
  }

  private onDrain(): void {
    this.blocked = false;
    while (!this.blocked && !this.closed && this.queue.length > 0) this.writeNow(this.queue.shift()!);
    if (this.queue.length === 0 && !this.blocked) {
      const w = this.drainWaiters;
      this.drainWaiters = [];
      for (const f of w) f();
    }
  }

  /** Resolves when the queue is empty and the stream is not under backpressure. */
  whenDrained(): Promise<void> {
    if (this.closed || (this.queue.length === 0 && !this.blocked)) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Stop delivering; returns how many queued messages were discarded. */
  discard(): number {
    this.closed = true;
    const n = this.queue.clear();
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const f of w) f();
    return n;
  }
}

export interface GrpcFeederOptions {
  metrics: AgentMetrics;
  /** Per-client queue bound (KubeArmor: 1000). */
  queueSize?: number;
}

/** The gRPC LogService implementation and the pipeline sink feeding it. */
export class GrpcFeeder implements EventSink {
  readonly name = 'grpc';
  private readonly clients: Record<StreamKind, Set<FeederClient>> = {
    alerts: new Set(),
    logs: new Set(),
    messages: new Set(),
  };
  private readonly metrics: AgentMetrics;
  private readonly queueSize: number;
  private closing = false;

  constructor(opts: GrpcFeederOptions) {
    this.metrics = opts.metrics;
    this.queueSize = opts.queueSize ?? DEFAULT_CLIENT_QUEUE;
    this.updateGauge();
  }

  clientCount(kind: StreamKind): number {
    return this.clients[kind].size;
  }

  /** Connected clients (for tests and diagnostics). */
  connected(kind: StreamKind): readonly FeederClient[] {
    return [...this.clients[kind]];
  }

  write(batch: readonly AgentEvent[]): void {
    const alerts = this.clients.alerts;
    const logs = this.clients.logs;
    if (alerts.size === 0 && logs.size === 0) return;
    let dropped = 0;
    for (const ev of batch) {
      try {
        if (isAlert(ev.ka.Type)) {
          if (alerts.size === 0) continue;
          const buf = encodeResponse('WatchAlerts', toAlert(ev.ka));
          for (const c of alerts) if (!c.push(buf)) dropped++;
        } else {
          if (logs.size === 0) continue;
          const buf = encodeResponse('WatchLogs', toLog(ev.ka));
          for (const c of logs) if (!c.push(buf)) dropped++;
        }
      } catch {
        // Encoding failed (e.g. a non-string where protobuf wants a string): lost for every client.
        this.metrics.dropped('grpc', 'encode_error', 1);
      }
    }
    if (dropped > 0) this.metrics.dropped('grpc', 'client_queue_full', dropped);
  }

  /** A daemon log line for WatchMessages clients (KubeArmor sends these only with -debug). */
  pushMessage(msg: PbMessage): void {
    if (this.clients.messages.size === 0) return;
    let dropped = 0;
    try {
      const buf = encodeResponse('WatchMessages', msg);
      for (const c of this.clients.messages) if (!c.push(buf)) dropped++;
    } catch {
      this.metrics.dropped('grpc', 'encode_error', 1);
      return;
    }
    if (dropped > 0) this.metrics.dropped('grpc', 'client_queue_full', dropped);
  }

  async flush(deadlineMs: number): Promise<void> {
    const all = [...this.clients.alerts, ...this.clients.logs, ...this.clients.messages];
    const wait = Math.max(0, deadlineMs - Date.now());
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(all.map((c) => c.whenDrained())),
      new Promise<void>((r) => { timer = setTimeout(r, wait); }),
    ]);
    if (timer) clearTimeout(timer);
  }

  /**
   * End every stream with status OK after its queue drained (at most 2 s); messages still queued
   * then are counted as dropped{reason="shutdown"}. Resolves once every stream's trailers are out
   * (or the deadline passed): grpc-js sends them on the HTTP/2 stream's 'wantTrailers', i.e. after
   * the last DATA frame left, and then emits 'cancelled' on the call. Closing the server before
   * that would end the client's stream with UNAVAILABLE instead of OK.
   */
  async close(deadlineMs = Date.now() + 2000): Promise<void> {
    this.closing = true;
    await this.flush(deadlineMs);
    let lost = 0;
    const ended: Promise<void>[] = [];
    for (const kind of ['alerts', 'logs', 'messages'] as const) {
      for (const c of this.clients[kind]) {
        lost += c.discard();
        ended.push(new Promise<void>((resolve) => {
          c.call.once('cancelled', () => resolve());
          c.call.once('error', () => resolve());
        }));
        try { c.call.end(); } catch { /* already finished */ }
      }
      this.clients[kind].clear();
    }
    if (lost > 0) this.metrics.dropped('grpc', 'shutdown', lost);
    this.updateGauge();
    if (ended.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(ended),
      new Promise<void>((r) => { timer = setTimeout(r, Math.max(0, deadlineMs - Date.now())); }),
    ]);
    clearTimeout(timer);
  }

  private updateGauge(): void {
    const g = this.metrics.gauges.grpcClients;
    g.set('alerts', this.clients.alerts.size);
    g.set('logs', this.clients.logs.size);
    g.set('messages', this.clients.messages.size);
  }

  private attach(kind: StreamKind, call: grpc.ServerWritableStream<PbRequestMessage, unknown>): void {
    if (this.closing) {
      call.end();
      return;
    }
    const filter = call.request?.Filter ?? '';
    const client = new FeederClient(kind, filter, call, this.queueSize);
    this.clients[kind].add(client);
    this.updateGauge();
    let gone = false;
    const detach = () => {
      if (gone) return;
      gone = true;
      const lost = client.discard();
      if (lost > 0) this.metrics.dropped('grpc', 'client_gone', lost);
      this.clients[kind].delete(client);
      this.updateGauge();
    };
    call.on('cancelled', detach);
    call.on('error', detach);
    call.on('close', detach);
    call.on('finish', detach);
  }

  /** Handlers for feeder.LogService (grpc-js UntypedServiceImplementation). */
  serviceImplementation(): grpc.UntypedServiceImplementation {
    return {
      HealthCheck: (
        call: grpc.ServerUnaryCall<PbNonceMessage, PbReplyMessage>,
        cb: grpc.sendUnaryData<PbReplyMessage>,
      ) => {
        cb(null, { Retval: call.request?.nonce ?? 0 });
      },
      WatchMessages: (call: grpc.ServerWritableStream<PbRequestMessage, unknown>) => {
        this.attach('messages', call);
      },
      WatchAlerts: (call: grpc.ServerWritableStream<PbRequestMessage, unknown>) => {
        if (!ALERT_FILTERS.includes(call.request?.Filter ?? '')) {
          call.end();
          return;
        }
        this.attach('alerts', call);
      },
      WatchLogs: (call: grpc.ServerWritableStream<PbRequestMessage, unknown>) => {
        if (!LOG_FILTERS.includes(call.request?.Filter ?? '')) {
          call.end();
          return;
        }
        this.attach('logs', call);
      },
    };
  }
}
