// Client side of feeder.LogService, shared by `otelarmor receive` and `otelarmor logs`. Connect
// pattern of KubeArmor's clients (kubearmor-compat.md §1.6, §1.7): HealthCheck with a random
// nonce, compare the reply, then WatchAlerts if the filter is all|policy and WatchLogs if it is
// all|system, each with the filter string as given.
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { ALERT_FILTERS, LOG_FILTERS } from './feeder';
import { loadProtos, type PbNonceMessage, type PbReplyMessage, type PbRequestMessage } from './proto';

export type LogFilter = 'all' | 'policy' | 'system';
export const LOG_FILTER_VALUES: readonly LogFilter[] = ['all', 'policy', 'system'];

export interface ClientTls {
  /** PEM CA file that signed the server certificate. */
  ca: string;
  /** Optional client certificate/key (servers that require client certs). */
  cert?: string;
  key?: string;
}

/**
 * Client keepalive that a KubeArmor (grpc-go) server tolerates: its EnforcementPolicy keeps the
 * default MinTime of 5 min, and more frequent pings without data earn ping strikes and a GOAWAY.
 */
export const CLIENT_KEEPALIVE: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 300_000,
  'grpc.keepalive_timeout_ms': 20_000,
  'grpc.keepalive_permit_without_calls': 0,
};

export function channelCredentials(tls?: ClientTls): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  const read = (f: string, what: string) => {
    try { return readFileSync(f); } catch (e) { throw new Error(`--tls-${what} ${f}: ${(e as Error).message}`); }
  };
  return grpc.credentials.createSsl(
    read(tls.ca, 'ca'),
    tls.key ? read(tls.key, 'key') : null,
    tls.cert ? read(tls.cert, 'cert') : null,
  );
}

/** The dynamic client proto-loader builds for feeder.LogService. */
export interface LogServiceClient extends grpc.Client {
  HealthCheck(req: PbNonceMessage, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: PbReplyMessage) => void): grpc.ClientUnaryCall;
  WatchAlerts(req: PbRequestMessage): grpc.ClientReadableStream<unknown>;
  WatchLogs(req: PbRequestMessage): grpc.ClientReadableStream<unknown>;
  WatchMessages(req: PbRequestMessage): grpc.ClientReadableStream<unknown>;
}

export function newLogServiceClient(target: string, tls?: ClientTls): LogServiceClient {
  const Ctor = loadProtos().LogServiceClient;
  return new Ctor(target, channelCredentials(tls), CLIENT_KEEPALIVE) as unknown as LogServiceClient;
}

/** HealthCheck with a random nonce; rejects on an RPC error or a reply that does not echo it. */
export function healthCheck(client: LogServiceClient, timeoutMs = 10_000): Promise<number> {
  const nonce = randomInt(1, 2 ** 31 - 1);
  return new Promise((resolve, reject) => {
    client.HealthCheck({ nonce }, { deadline: Date.now() + timeoutMs }, (err, res) => {
      if (err) reject(new Error(`HealthCheck failed: ${err.details || err.message}`));
      else if ((res?.Retval ?? 0) !== nonce) reject(new Error(`HealthCheck: nonce ${nonce} answered with ${res?.Retval ?? 0}`));
      else resolve(nonce);
    });
  });
}

export function wantsAlerts(filter: string): boolean {
  return ALERT_FILTERS.includes(filter);
}

export function wantsLogs(filter: string): boolean {
  return LOG_FILTERS.includes(filter);
}
