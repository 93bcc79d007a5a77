// Loads src/grpc/kubearmor.proto (package feeder) and src/grpc/health.proto (grpc.health.v1)
// with @grpc/proto-loader. `npm run build:ts` copies them next to this module (dist/src/grpc/), so
// dist/ is self-contained (the image ships dist/ without src/); the source tree is the fallback for
// a bare `tsc` build.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** proto-loader options: KubeArmor's PascalCase names kept, int64 as JS number, absent fields undefined. */
const LOAD_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: false,
  arrays: false,
  objects: false,
  oneofs: true,
};

export function protoPath(file: string): string {
  const candidates = [
    path.join(__dirname, file),
    path.resolve(__dirname, '..', '..', '..', 'src', 'grpc', file),
  ];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(`grpc: proto file ${file} not found (looked in ${candidates.join(', ')})`);
}

/** Wire shapes of the feeder messages as proto-loader encodes/decodes them (absent = zero value). */
export interface PbPodowner { Ref?: string; Name?: string; Namespace?: string }
export interface PbExecEvent { ExecID?: string; ExecutableName?: string }
export interface PbCommon {
  Timestamp?: number;
  UpdatedTime?: string;
  ClusterName?: string;
  HostName?: string;
  NamespaceName?: string;
  Owner?: PbPodowner;
  PodName?: string;
  Labels?: string;
  ContainerID?: string;
  ContainerName?: string;
  ContainerImage?: string;
  HostPPID?: number;
  HostPID?: number;
  PPID?: number;
  PID?: number;
  UID?: number;
  ParentProcessName?: string;
  ProcessName?: string;
  Type?: string;
  Source?: string;
  Operation?: string;
  Resource?: string;
  Data?: string;
  EventData?: Record<string, string>;
  Result?: string;
  Cwd?: string;
  TTY?: string;
  ExecEvent?: PbExecEvent;
  NodeID?: string;
  ProcessHash?: string;
  ParentHash?: string;
  ResourceHash?: string;
  HashAlgo?: string;
  UserName?: string;
}
export interface PbLog extends PbCommon {}
export interface PbAlert extends PbCommon {
  PolicyName?: string;
  Severity?: string;
  Tags?: string;
  ATags?: string[];
  Message?: string;
  Enforcer?: string;
  Action?: string;
  MaxAlertsPerSec?: number;
  DroppingAlertsInterval?: number;
  KubeArmorVersion?: string;
}
export interface PbMessage {
  Timestamp?: number;
  UpdatedTime?: string;
  ClusterName?: string;
  HostName?: string;
  HostIP?: string;
  Type?: string;
  Level?: string;
  Message?: string;
}
export interface PbRequestMessage { Filter?: string }
export interface PbNonceMessage { nonce?: number }
export interface PbReplyMessage { Retval?: number }

export interface FeederProto {
  /** Service definition of feeder.LogService (method paths /feeder.LogService/...). */
  LogService: grpc.ServiceDefinition;
  /** Client constructor for feeder.LogService. */
  LogServiceClient: grpc.ServiceClientConstructor;
  HealthService: grpc.ServiceDefinition;
  HealthClient: grpc.ServiceClientConstructor;
}

let cached: FeederProto | undefined;

export function loadProtos(): FeederProto {
  if (cached) return cached;
  const feederDef = protoLoader.loadSync(protoPath('kubearmor.proto'), LOAD_OPTIONS);
  const healthDef = protoLoader.loadSync(protoPath('health.proto'), LOAD_OPTIONS);
  const feeder = grpc.loadPackageDefinition(feederDef) as unknown as {
    feeder: { LogService: grpc.ServiceClientConstructor };
  };
  const health = grpc.loadPackageDefinition(healthDef) as unknown as {
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  cached = {
    LogService: feeder.feeder.LogService.service,
    LogServiceClient: feeder.feeder.LogService,
    HealthService: health.grpc.health.v1.Health.service,
    HealthClient: health.grpc.health.v1.Health,
  };
  return cached;
}

/**
 * The LogService definition with response serializers that pass pre-encoded Buffers through:
 * the feeder encodes each Alert/Log once and writes the same bytes to every client.
 */
export function logServiceWithPreencoded(): grpc.ServiceDefinition {
  const def = loadProtos().LogService;
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, m] of Object.entries(def)) {
    const orig = m.responseSerialize;
    out[name] = {
      ...m,
      responseSerialize: (v: unknown) => (Buffer.isBuffer(v) ? v : orig(v)),
    };
  }
  return out as grpc.ServiceDefinition;
}

/** Encode one Alert or Log message (the same bytes the server would write). */
export function encodeResponse(method: 'WatchAlerts' | 'WatchLogs' | 'WatchMessages', msg: object): Buffer {
  const m = loadProtos().LogService[method];
  if (!m) throw new Error(`grpc: no method ${method}`);
  return m.responseSerialize(msg);
}
