/**
 * The three receivers (OTLP/HTTP, OTLP/gRPC, Zipkin), built here alike: each decodes its protocol
 * with the same limits and hands the decoded request to the same counting intake, so every metric
 * (spans received and rejected, requests refused, what the limits cut) is counted the same way,
 * once, whatever the protocol. Sockets are the entry point's (ingest/main.ts): the HTTP receivers
 * are request handlers, the gRPC receiver listens when told to.
 */
import type { Tracer } from '@opentelemetry/api';
import { ROOT_CONTEXT, SpanKind as OtelSpanKind } from '@opentelemetry/api';
import type { Authenticator } from '../src/core/auth.js';
import type { Intake } from './intake.js';
import type { IngestMetrics } from './metrics.js';
import { createOtlpGrpcReceiver, type OtlpGrpcReceiver } from './otlp/grpc-receiver.js';
import { createOtlpHttpHandler, type OtlpHttpOptions } from './otlp/http-receiver.js';
import type { DecodedBatch } from './span.js';
import { createZipkinHttpHandler } from './zipkin-receiver.js';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What every receiver reads and decodes with; gRPC's message limit is the decompressed-size limit. */
export type ReceiverOptions = Required<Omit<OtlpHttpOptions, 'maxDecompressionRatio' | 'attributeKeys'>> &
  Pick<OtlpHttpOptions, 'maxDecompressionRatio' | 'attributeKeys'>;

export interface ReceiverDeps {
  options: ReceiverOptions;
  /** the worker's side: admits and keeps (spools) a decoded request */
  intake: Pick<Intake, 'admit' | 'accept'>;
  metrics: Pick<IngestMetrics, 'spansReceived' | 'spansRejected' | 'requestsRejected' | 'limited'>;
  /** bearer tokens with the `ingest` scope (gRPC checks them itself; HTTP before the handler) */
  auth: Authenticator;
  /** this process's own tracer, when self-tracing is on: one span per accepted batch */
  selfTracing?: { tracer: Tracer; serviceName: string };
  onError(error: unknown): void;
}

export interface Receivers {
  /** POST /v1/traces */
  otlpHttp(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** POST /api/v2/spans */
  zipkin(req: IncomingMessage, res: ServerResponse): Promise<void>;
  grpc: OtlpGrpcReceiver;
  /** the intake all three hand their requests to, counting as it goes */
  intake: Intake;
}

/** Counts what the decode limits cut in one accepted request. */
function countLimited(limited: IngestMetrics['limited'], decoded: DecodedBatch): void {
  const l = decoded.limited;
  if (!l) return;
  if (l.attributesDropped) limited.inc({ what: 'attributes_dropped' }, l.attributesDropped);
  if (l.valuesTruncated) limited.inc({ what: 'values_truncated' }, l.valuesTruncated);
  if (l.unknownEnums) limited.inc({ what: 'unknown_enums' }, l.unknownEnums);
}

/** One span per accepted batch, except batches of the worker's own spans: tracing those would feed back forever. */
function selfTracer(self: ReceiverDeps['selfTracing']) {
  return (decoded: DecodedBatch) => {
    if (!self || decoded.batch.every((rs) => rs.resource['service.name'] === self.serviceName)) return undefined;
    // A root of its own: the receiving request is deliberately untraced, and tracing is suppressed under it.
    return self.tracer.startSpan(
      'accept spans',
      {
        kind: OtelSpanKind.SERVER,
        attributes: { 'topograph.spans': decoded.spanCount, 'topograph.resources': decoded.batch.length },
      },
      ROOT_CONTEXT,
    );
  };
}

/** The intake every receiver uses: counts, traces, and passes the request on. */
export function createCountingIntake(deps: Pick<ReceiverDeps, 'intake' | 'metrics' | 'selfTracing'>): Intake {
  const { intake, metrics } = deps;
  const trace = selfTracer(deps.selfTracing);
  const onRejected = (spans: number, reason: string) => {
    if (spans > 0) metrics.spansRejected.inc(spans);
    else metrics.requestsRejected.inc({ reason });
  };
  return {
    admit: intake.admit && (() => intake.admit!()),
    async accept(decoded, raw) {
      countLimited(metrics.limited, decoded);
      const span = trace(decoded);
      try {
        const result = await intake.accept(decoded, raw);
        if (result.refuse) onRejected(0, `http ${result.refuse.status}`);
        else metrics.spansReceived.inc(decoded.spanCount);
        return result;
      } finally {
        span?.end();
      }
    },
    onRejected,
  };
}

export function createReceivers(deps: ReceiverDeps): Receivers {
  const intake = createCountingIntake(deps);
  const { options } = deps;
  return {
    intake,
    otlpHttp: createOtlpHttpHandler({ options, ...intake }),
    zipkin: createZipkinHttpHandler({ options, ...intake }),
    grpc: createOtlpGrpcReceiver({
      maxMessageBytes: options.maxDecompressedBytes,
      limits: options.limits,
      attributeKeys: options.attributeKeys,
      auth: deps.auth,
      ...intake,
      onError: deps.onError,
    }),
  };
}
