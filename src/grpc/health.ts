// grpc.health.v1.Health for the dedicated plaintext health listener (KubeArmor: port 32766,
// kubearmor-compat.md §1.5). "" (what a Kubernetes gRPC probe asks without `service:`) and
// "feeder.LogService" are SERVING; other names: Check → NOT_FOUND, Watch → SERVICE_UNKNOWN
// (grpc-go health server behaviour).
import * as grpc from '@grpc/grpc-js';

export const HEALTH_SERVICES: readonly string[] = ['', 'feeder.LogService'];

interface HealthRequest { service?: string }
interface HealthResponse { status: 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN' }

export function healthImplementation(services: readonly string[] = HEALTH_SERVICES): grpc.UntypedServiceImplementation {
  return {
    Check: (call: grpc.ServerUnaryCall<HealthRequest, HealthResponse>, cb: grpc.sendUnaryData<HealthResponse>) => {
      const name = call.request?.service ?? '';
      if (services.includes(name)) cb(null, { status: 'SERVING' });
      else cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
    },
    Watch: (call: grpc.ServerWritableStream<HealthRequest, HealthResponse>) => {
      const name = call.request?.service ?? '';
      call.write({ status: services.includes(name) ? 'SERVING' : 'SERVICE_UNKNOWN' });
      // The status never changes while the server runs; the stream stays open until the client
      // cancels or the server shuts down.
    },
  };
}
