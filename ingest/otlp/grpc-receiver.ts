/**
 * OTLP/gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export` on @grpc/grpc-js.
 *
 * The method is registered with passthrough (de)serializers: the request bytes go straight to the
 * same field-by-field decoder as OTLP/HTTP protobuf, so no generated proto code exists and a bad span
 * is refused on its own. grpc-js inflates gzip (and deflate) messages itself, and enforces the message
 * size limit on the inflated size.
 */
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs/minimal.js';
import type { Authenticator } from '../../src/core/auth.js';
import type { DecodedBatch } from '../span.js';
import { decodeOtlpProtobuf } from './decode-protobuf.js';
import { InvalidPayloadError } from './errors.js';
import type { Intake, Refusal } from '../intake.js';
import { exportResponseProtobuf, rejectionMessage } from './http-receiver.js';
import type { AttributeKeys } from './attribute-keys.js';
import type { DecodeLimits } from './validate.js';

export const TRACE_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

export interface OtlpGrpcDeps extends Intake {
  /** the largest message, after decompression */
  maxMessageBytes: number;
  /** the same per-span limits as OTLP/HTTP */
  limits: DecodeLimits;
  /** which span attributes the protobuf decoder builds, as over HTTP */
  attributeKeys?: AttributeKeys;
  /** bearer tokens with the `ingest` scope, from the `authorization` metadata, as over HTTP */
  auth?: Authenticator;
  onError?(error: unknown): void;
}

export interface OtlpGrpcReceiver {
  /** binds and starts serving; resolves with the bound port (useful with port 0) */
  listen(host: string, port: number): Promise<number>;
  /** stops taking calls and waits for those in flight */
  close(): Promise<void>;
}

const identity = (b: Buffer) => b;

const traceService: grpc.ServiceDefinition = {
  Export: {
    path: TRACE_EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/** The HTTP status a worker refuses with, as the gRPC code OTLP exporters understand (retryable or not). */
export function grpcCodeForStatus(status: number): grpc.status {
  if (status === 429 || status === 413) return grpc.status.RESOURCE_EXHAUSTED;
  if (status === 503 || status === 502 || status === 504) return grpc.status.UNAVAILABLE;
  if (status === 400) return grpc.status.INVALID_ARGUMENT;
  if (status === 401) return grpc.status.UNAUTHENTICATED;
  if (status === 403) return grpc.status.PERMISSION_DENIED;
  return grpc.status.INTERNAL;
}

/**
 * `grpc-status-details-bin`: a google.rpc.Status whose details hold one google.rpc.RetryInfo. OTLP
 * exporters (the Collector's among them) retry RESOURCE_EXHAUSTED only when it carries RetryInfo, and
 * take its delay as the back-off; without it the data would be dropped as a permanent failure.
 * Field numbers: Status {code 1, message 2, details 3 (Any)}, Any {type_url 1, value 2},
 * RetryInfo {retry_delay 1 (Duration)}, Duration {seconds 1}.
 */
export function retryInfoStatus(code: grpc.status, message: string, retryAfterSeconds: number): Buffer {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 0).int32(code);
  w.uint32((2 << 3) | 2).string(message);
  w.uint32((3 << 3) | 2).fork();
  w.uint32((1 << 3) | 2).string('type.googleapis.com/google.rpc.RetryInfo');
  w.uint32((2 << 3) | 2).fork(); // Any.value: RetryInfo
  w.uint32((1 << 3) | 2).fork(); // retry_delay
  w.uint32((1 << 3) | 0).int64(retryAfterSeconds);
  w.ldelim();
  w.ldelim();
  w.ldelim();
  return Buffer.from(w.finish());
}

/** A worker refusal as the gRPC error an exporter acts on: the code, and RetryInfo when retrying helps. */
function refusalError(refusal: Refusal): Error {
  const metadata = new grpc.Metadata();
  const code = grpcCodeForStatus(refusal.status);
  if (refusal.retryAfterSeconds) {
    metadata.set('retry-after', String(refusal.retryAfterSeconds));
    metadata.set('grpc-status-details-bin', retryInfoStatus(code, refusal.message, refusal.retryAfterSeconds));
  }
  return Object.assign(new Error(refusal.message), { code, metadata });
}

export function createOtlpGrpcReceiver(deps: OtlpGrpcDeps): OtlpGrpcReceiver {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': deps.maxMessageBytes,
  });

  async function exportTraces(body: Buffer, metadata: grpc.Metadata): Promise<Buffer> {
    const authorization = metadata.get('authorization')[0];
    const verdict = deps.auth?.check(typeof authorization === 'string' ? authorization : undefined, 'ingest');
    if (verdict && !verdict.ok) {
      deps.onRejected?.(0, `http ${verdict.status}`);
      throw Object.assign(new Error(verdict.message), { code: grpcCodeForStatus(verdict.status) });
    }
    const early = await deps.admit?.();
    if (early) {
      deps.onRejected?.(0, `http ${early.status}`);
      throw refusalError(early);
    }
    let decoded: DecodedBatch;
    try {
      decoded = decodeOtlpProtobuf(body, deps.limits, deps.attributeKeys);
    } catch (error) {
      if (error instanceof InvalidPayloadError) {
        deps.onRejected?.(0, 'invalid payload');
        throw Object.assign(new Error(error.message), { code: grpc.status.INVALID_ARGUMENT });
      }
      throw error;
    }
    const result = await deps.accept(decoded, { body, contentType: 'protobuf' });
    if (result.refuse) throw refusalError(result.refuse);
    const rejected = decoded.rejected.length;
    if (rejected > 0) deps.onRejected?.(rejected, 'invalid span');
    return Buffer.from(exportResponseProtobuf(rejected, rejectionMessage(decoded)));
  }

  server.addService(traceService, {
    Export(call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) {
      exportTraces(call.request, call.metadata).then(
        (response) => callback(null, response),
        (error: Error & { code?: grpc.status; metadata?: grpc.Metadata }) => {
          if (error.code === undefined) {
            deps.onError?.(error);
            callback({ code: grpc.status.INTERNAL, details: 'internal error' });
          } else callback({ code: error.code, details: error.message, metadata: error.metadata });
        },
      );
    },
  });

  return {
    listen(host, port) {
      return new Promise((resolve, reject) => {
        server.bindAsync(
          `${host.includes(':') ? `[${host}]` : host}:${port}`,
          grpc.ServerCredentials.createInsecure(),
          (error, bound) => (error ? reject(error) : resolve(bound)),
        );
      });
    },
    close() {
      return new Promise((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}
