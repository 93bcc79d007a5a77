// Receiver mode: a client of a KubeArmor agent or kubearmor-relay (feeder.LogService) that turns
// every received Alert/Log into an AgentEvent and hands it to the sinks (OTLP, metrics), exactly
// as the agent's own events. Connection: HealthCheck nonce, then the streams the filter selects;
// any stream error or end tears the connection down and reconnects with exponential backoff.
// Gauge otelarmor_receiver_connected{endpoint} is 1 between a passed HealthCheck with open
// streams and the next disconnect; otelarmor_receiver_reconnects_total{endpoint} counts every
// attempt after the first (the backoff starts at initialMs, doubles up to maxMs, and resets once
// connected).
import type * as grpc from '@grpc/grpc-js';
import type { AgentEvent } from '../events/types';
import { agentEventFromKubeArmor, fromAlert, fromLog } from '../grpc/convert';
import {
  healthCheck, newLogServiceClient, wantsAlerts, wantsLogs,
  type ClientTls, type LogFilter, type LogServiceClient,
} from '../grpc/client';
import type { PbAlert, PbLog } from '../grpc/proto';
import type { AgentMetrics } from '../metrics/metrics';
import type { EventSink } from '../pipeline/sink';

export interface ReceiverOptions {
  /** host:port of the KubeArmor agent or relay. */
  target: string;
  filter: LogFilter;
  tls?: ClientTls;
  sinks: readonly EventSink[];
  metrics: AgentMetrics;
  /** Reconnect backoff: first delay, doubling up to maxMs (kubearmor-relay retries every 5 s). */
  backoff?: { initialMs: number; maxMs: number };
  /** Diagnostics (connect, disconnect reasons). */
  log?: (msg: string) => void;
  /** Events per batch handed to the sinks. */
  maxBatch?: number;
}

export interface ReceiverStats {
  alerts: number;
  logs: number;
  connects: number;
  disconnects: number;
  lastError: string;
}

export class KubeArmorReceiver {
  readonly stats: ReceiverStats = { alerts: 0, logs: 0, connects: 0, disconnects: 0, lastError: '' };
  private client: LogServiceClient | undefined;
  private streams: grpc.ClientReadableStream<unknown>[] = [];
  private stopped = true;
  private connected = false;
  private delayMs: number;
  private timer: NodeJS.Timeout | undefined;
  private pending: AgentEvent[] = [];
  private flushScheduled = false;
  /** Bumped on every teardown so that late callbacks of an old connection are ignored. */
  private generation = 0;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly maxBatch: number;

  constructor(private readonly opts: ReceiverOptions) {
    this.backoff = opts.backoff ?? { initialMs: 500, maxMs: 5000 };
    this.delayMs = this.backoff.initialMs;
    this.maxBatch = opts.maxBatch ?? 512;
    this.setGauge(0);
  }

  get isConnected(): boolean {
    return this.connected;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  /** Disconnect, hand what was received to the sinks; the sinks are not flushed or closed here. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.teardown();
    this.deliver();
  }

  private setGauge(v: number): void {
    this.opts.metrics.gauges.receiverConnected.set(this.opts.target, v);
  }

  private log(msg: string): void {
    this.opts.log?.(msg);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const gen = ++this.generation;
    const client = newLogServiceClient(this.opts.target, this.opts.tls);
    this.client = client;
    try {
      await healthCheck(client);
    } catch (e) {
      if (gen !== this.generation) return;
      this.fail(gen, (e as Error).message);
      return;
    }
    if (gen !== this.generation || this.stopped) return;
    const f = this.opts.filter;
    if (wantsAlerts(f)) this.open(gen, client.WatchAlerts({ Filter: f }), 'alert');
    if (wantsLogs(f)) this.open(gen, client.WatchLogs({ Filter: f }), 'log');
    this.connected = true;
    this.stats.connects++;
    this.delayMs = this.backoff.initialMs;
    this.setGauge(1);
    this.log(`receive: connected to ${this.opts.target} (filter ${f})`);
  }

  private open(gen: number, stream: grpc.ClientReadableStream<unknown>, kind: 'alert' | 'log'): void {
    this.streams.push(stream);
    stream.on('data', (m: unknown) => {
      if (gen !== this.generation) return;
      this.onMessage(kind, m);
    });
    stream.on('error', (err: grpc.ServiceError) => {
      if (gen !== this.generation) return;
      this.fail(gen, `${kind} stream: ${err.details || err.message}`);
    });
    stream.on('end', () => {
      if (gen !== this.generation) return;
      this.fail(gen, `${kind} stream ended by the server`);
    });
  }

  private onMessage(kind: 'alert' | 'log', m: unknown): void {
    const observedNs = BigInt(Date.now()) * 1_000_000n;
    let ev: AgentEvent;
    try {
      const ka = kind === 'alert' ? fromAlert(m as PbAlert) : fromLog(m as PbLog);
      ev = agentEventFromKubeArmor(ka, observedNs);
    } catch {
      this.opts.metrics.dropped('decode', 'grpc_message', 1);
      return;
    }
    if (kind === 'alert') this.stats.alerts++;
    else this.stats.logs++;
    this.pending.push(ev);
    if (this.pending.length >= this.maxBatch) this.deliver();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.deliver());
    }
  }

  private deliver(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    for (const s of this.opts.sinks) {
      try {
        s.write(batch);
      } catch {
        // A sink must not throw (EventSink contract); if one does, its share is lost and counted.
        this.opts.metrics.dropped('pipeline', `sink_${s.name}_threw`, batch.length);
      }
    }
  }

  private teardown(): void {
    this.generation++;
    for (const s of this.streams) {
      try { s.cancel(); } catch { /* already done */ }
    }
    this.streams = [];
    this.client?.close();
    this.client = undefined;
    if (this.connected) {
      this.connected = false;
      this.stats.disconnects++;
    }
    this.setGauge(0);
  }

  private fail(gen: number, reason: string): void {
    if (gen !== this.generation) return;
    this.stats.lastError = reason;
    const wasConnected = this.connected;
    this.teardown();
    this.deliver();
    if (this.stopped) return;
    const delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.backoff.maxMs);
    this.log(`receive: ${wasConnected ? 'disconnected from' : 'cannot connect to'} ${this.opts.target}: ${reason}; retrying in ${delay} ms`);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.opts.metrics.receiverReconnect(this.opts.target);
      void this.connect();
    }, delay);
  }
}
