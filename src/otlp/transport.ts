// One OTLP/gRPC LogsService/Export client per signal, sending requests encoded by encode.ts
// (responses parsed by the SDK's ProtobufLogsSerializer); the channel is ours so that reconnect backoff is
// bounded (grpc-js defaults grow to 120 s) and gRPC status codes reach the retry policy.
import * as grpc from '@grpc/grpc-js';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { OtlpSinkOptions } from './options';

const EXPORT_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';

/** OTLP/gRPC retryable codes (OTLP spec "Failures"): retry with backoff, keep the data. */
const RETRYABLE = new Set<number>([
  grpc.status.CANCELLED, grpc.status.DEADLINE_EXCEEDED, grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.ABORTED, grpc.status.OUT_OF_RANGE, grpc.status.UNAVAILABLE, grpc.status.DATA_LOSS,
]);

export interface ExportOutcome {
  ok: boolean;
  /** Failure only: true when the same request may be retried. */
  retryable: boolean;
  /** gRPC status code, or -1 for a local error. */
  code: number;
  message: string;
  /** Records the receiver reported as rejected (partial success). */
  rejected: number;
}

type ExportFn = (req: Buffer, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Buffer) => void) => grpc.ClientUnaryCall;

export class OtlpLogsTransport {
  private client: grpc.Client & { Export?: ExportFn };
  private readonly metadata = new grpc.Metadata();

  constructor(private readonly opts: OtlpSinkOptions, userAgent: string) {
    for (const [k, v] of Object.entries(opts.headers)) this.metadata.set(k, v);
    const creds = opts.tls
      ? grpc.credentials.createSsl(opts.tls.rootCert ?? null, opts.tls.clientKey ?? null, opts.tls.clientCert ?? null)
      : grpc.credentials.createInsecure();
    const Ctor = grpc.makeGenericClientConstructor({
      Export: {
        path: EXPORT_PATH,
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    }, 'LogsService');
    this.client = new Ctor(opts.target, creds, {
      'grpc.primary_user_agent': userAgent,
      'grpc.default_compression_algorithm': opts.compression === 'gzip' ? 2 : 0,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.min_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': Math.max(200, opts.retryMaxMs),
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
    }) as grpc.Client & { Export?: ExportFn };
  }

  /**
   * Send one encoded ExportLogsServiceRequest; never throws, always calls back once. Returns a
   * function that cancels the call (its callback then reports CANCELLED).
   */
  export(buf: Buffer, cb: (o: ExportOutcome) => void): () => void {
    const fn = this.client.Export as ExportFn;
    try {
      const call = fn.call(this.client, buf, this.metadata, { deadline: Date.now() + this.opts.timeoutMs }, (err, res) => {
        if (err) {
          cb({ ok: false, retryable: RETRYABLE.has(err.code), code: err.code, message: err.details || err.message, rejected: 0 });
          return;
        }
        let rejected = 0;
        try {
          const r = res ? ProtobufLogsSerializer.deserializeResponse(new Uint8Array(res)) : undefined;
          rejected = Number(r?.partialSuccess?.rejectedLogRecords ?? 0) || 0;
        } catch { /* a response we cannot parse is still a success */ }
        cb({ ok: true, retryable: false, code: 0, message: '', rejected });
      });
      return () => { try { call.cancel(); } catch { /* already finished */ } };
    } catch (e) {
      cb({ ok: false, retryable: true, code: -1, message: String(e), rejected: 0 });
      return () => undefined;
    }
  }

  close(): void {
    this.client.close();
  }
}
