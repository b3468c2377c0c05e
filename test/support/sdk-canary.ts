/**
 * A canary recorded with the official OpenTelemetry SDK: one tracer provider per service and version
 * (as each deployment would have), their spans exported as OTLP/protobuf and decoded by the worker's
 * own decoder. checkout (at a version) calls payments 1.0.0 and the database orders-db.
 */
import { context, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { decodeOtlpProtobuf } from '../../ingest/otlp/decode-protobuf.js';
import type { Graph } from '../../src/core/neo4j/connection.js';
import { defaultConfig } from '../../src/core/config.js';
import { seed } from './graph.js';

/** What one SDK exporter collected, decoded by the worker's own decoder. */
export const decoded = (exporter: InMemorySpanExporter) =>
  decodeOtlpProtobuf(
    ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans() as ReadableSpan[])!,
    defaultConfig().limits.decode,
  );

export function sdk(environment: string) {
  const exporter = new InMemorySpanExporter();
  const tracer = (service: string, version?: string): Tracer =>
    new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': service,
        'deployment.environment.name': environment,
        ...(version ? { 'service.version': version } : {}),
      }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    }).getTracer('@opentelemetry/instrumentation-http', '0.57.0');
  return { exporter, tracer };
}

export const under = (parent: Span) => trace.setSpan(context.active(), parent);
export const end = (span: Span, failed: boolean) => {
  if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
};

/** checkout `version` → payments 1.0.0: `calls` calls, the first `errors` failing; and checkout → orders-db. */
export function checkouts(t: ReturnType<typeof sdk>, version: string, calls: number, errors: number) {
  const checkout = t.tracer('checkout', version);
  const payments = t.tracer('payments', '1.0.0');
  for (let i = 0; i < calls; i++) {
    const fail = i < errors;
    const c = checkout.startSpan('POST /checkout', {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': 'POST', 'http.route': '/checkout' },
    });
    const db = checkout.startSpan(
      'SELECT orders',
      {
        kind: SpanKind.CLIENT,
        attributes: { 'db.system': 'postgresql', 'server.address': 'orders-db', 'db.operation.name': 'SELECT' },
      },
      under(c),
    );
    end(db, false);
    const cp = checkout.startSpan(
      'POST',
      { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'POST' } },
      under(c),
    );
    const p = payments.startSpan(
      'POST /pay',
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'POST', 'http.route': '/pay' } },
      under(cp),
    );
    for (const span of [p, cp, c]) end(span, fail);
  }
}

/** checkout 2.1.0 → payments: 100 calls, 1 failing; checkout 2.2.0 (the canary): 25 calls, 3 failing. */
export async function seedSdkCanary(graph: Graph, environment: string): Promise<void> {
  const t = sdk(environment);
  checkouts(t, '2.1.0', 100, 1);
  checkouts(t, '2.2.0', 25, 3);
  await seed(graph, [decoded(t.exporter)]);
}
