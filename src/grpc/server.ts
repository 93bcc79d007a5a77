// Starts the KubeArmor-compatible gRPC endpoints: feeder.LogService (optionally TLS) and the
// separate plaintext grpc.health.v1 server (kubearmor-compat.md §1.4, §1.5).
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { AgentMetrics } from '../metrics/metrics';
import { GrpcFeeder } from './feeder';
import { healthImplementation } from './health';
import { loadProtos, logServiceWithPreencoded } from './proto';

export interface GrpcTlsOptions {
  /** PEM file paths. */
  cert: string;
  key: string;
  /** When set, clients must present a certificate signed by this CA. */
  clientCa?: string;
}

export interface GrpcServersOptions {
  /** host:port of feeder.LogService; default 127.0.0.1:32767. Port 0 picks a free port. */
  address?: string;
  /** host:port of grpc.health.v1; default 127.0.0.1:32766; "" disables it. */
  healthAddress?: string;
  tls?: GrpcTlsOptions;
  metrics: AgentMetrics;
  /** Per-client queue bound; default 1000 (KubeArmor QueueSize). */
  queueSize?: number;
}

export interface GrpcServers {
  feeder: GrpcFeeder;
  /** Bound ports (useful with port 0). */
  port: number;
  healthPort: number;
  close(): Promise<void>;
}

/**
 * KubeArmor's server keepalive (EnforcementPolicy{PermitWithoutStream: true},
 * ServerParameters{Time: 1s, Timeout: 5s}). grpc-js servers have no ping-strike enforcement, so
 * client pings without streams are always permitted.
 */
export const SERVER_KEEPALIVE: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 1000,
  'grpc.keepalive_timeout_ms': 5000,
  'grpc.keepalive_permit_without_calls': 1,
};

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`grpc tls: cannot read ${what} ${file}: ${(err as Error).message}`);
  }
}

export function serverCredentials(tls?: GrpcTlsOptions): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const cert = readPem(tls.cert, 'certificate');
  const key = readPem(tls.key, 'private key');
  const ca = tls.clientCa ? readPem(tls.clientCa, 'client CA') : null;
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], ca !== null);
}

function bind(server: grpc.Server, address: string, creds: grpc.ServerCredentials, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, creds, (err, port) => {
      if (err) reject(new Error(`grpc: cannot listen on ${address} (${what}): ${err.message}`));
      else resolve(port);
    });
  });
}

function shutdown(server: grpc.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => { server.forceShutdown(); resolve(); }, graceMs);
    server.tryShutdown(() => { clearTimeout(timer); resolve(); });
  });
}

export async function startGrpcServers(opts: GrpcServersOptions): Promise<GrpcServers> {
  const address = opts.address ?? '127.0.0.1:32767';
  const healthAddress = opts.healthAddress ?? '127.0.0.1:32766';
  const creds = serverCredentials(opts.tls);
  const protos = loadProtos();
  const feeder = new GrpcFeeder({ metrics: opts.metrics, queueSize: opts.queueSize });

  const server = new grpc.Server(SERVER_KEEPALIVE);
  server.addService(logServiceWithPreencoded(), feeder.serviceImplementation());
  // The health service is also on the main port (grpc-go clients often probe the same target).
  server.addService(protos.HealthService, healthImplementation());
  const port = await bind(server, address, creds, 'feeder.LogService');

  let health: grpc.Server | undefined;
  let healthPort = 0;
  if (healthAddress !== '') {
    health = new grpc.Server();
    health.addService(protos.HealthService, healthImplementation());
    try {
      healthPort = await bind(health, healthAddress, grpc.ServerCredentials.createInsecure(), 'grpc.health.v1');
    } catch (err) {
      server.forceShutdown();
      throw err;
    }
  }

  let closed: Promise<void> | undefined;
  return {
    feeder,
    port,
    healthPort,
    close: () => {
      closed ??= (async () => {
        await feeder.close();
        await Promise.all([shutdown(server, 1000), health ? shutdown(health, 1000) : Promise.resolve()]);
      })();
      return closed;
    },
  };
}
