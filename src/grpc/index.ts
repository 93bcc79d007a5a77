// KubeArmor-compatible gRPC API: feeder.LogService server + grpc.health.v1, conversions, clients.
export { startGrpcServers, SERVER_KEEPALIVE, serverCredentials } from './server';
export type { GrpcServers, GrpcServersOptions, GrpcTlsOptions } from './server';
export { GrpcFeeder, FeederClient, ALERT_FILTERS, LOG_FILTERS, DEFAULT_CLIENT_QUEUE } from './feeder';
export type { StreamKind, GrpcFeederOptions } from './feeder';
export { toAlert, toLog, fromAlert, fromLog, agentEventFromKubeArmor, updatedTimeToNs, nsToUpdatedTime } from './convert';
export { karmorJson, karmorText, karmorMessageJson, goJsonString, goFloatV } from './karmor-json';
export { HEALTH_SERVICES, healthImplementation } from './health';
