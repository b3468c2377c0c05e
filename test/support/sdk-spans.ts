/**
 * Spans recorded with the official OpenTelemetry SDK for seeding tests: one tracer provider per service
 * (as each deployment would have), every span exported into one in-memory exporter, and the export
 * encoded as OTLP/protobuf and decoded by the worker's own decoder.
 */
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { decodeOtlpProtobuf } from '../../ingest/otlp/decode-protobuf.js';
import { defaultConfig } from '../../src/core/config.js';

/** What one SDK exporter collected, decoded by the worker's own decoder. */
export const decoded = (exporter: InMemorySpanExporter) =>
  decodeOtlpProtobuf(
    ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans() as ReadableSpan[])!,
    defaultConfig().limits.decode,
  );

/**
 * An exporter, and tracers of services in `environment` writing into it; a tracer's resource has
 * `service.version` when given, and `extra`; its instrumentation library is `library`.
 */
export function sdk(environment: string, library = { name: '@opentelemetry/instrumentation-http', version: '0.57.0' }) {
  const exporter = new InMemorySpanExporter();
  const tracer = (
    service: string,
    version?: string,
    extra: Attributes = {},
    libraryVersion = library.version,
  ): Tracer =>
    new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': service,
        'deployment.environment.name': environment,
        ...(version ? { 'service.version': version } : {}),
        ...extra,
      }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    }).getTracer(library.name, libraryVersion);
  return { exporter, tracer };
}

export const under = (parent: Span) => trace.setSpan(context.active(), parent);

export const end = (span: Span, failed: boolean) => {
  if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
};

/** The attributes of an HTTP SERVER span answering `route`. */
export const httpServer = (route: string, method = 'GET'): Attributes => ({
  'http.request.method': method,
  'http.route': route,
});

/**
 * checkout's POST /checkout (under `parent` when given), its query to orders-db (ended), and its call to
 * payments' POST /pay; both SERVER spans also carry `attributes`. The spans still open are returned.
 */
export function checkoutSpans(checkout: Tracer, payments: Tracer, opts: { parent?: Span; attributes?: Attributes }) {
  const parent = opts.parent ? under(opts.parent) : undefined;
  const c = checkout.startSpan(
    'POST /checkout',
    { kind: SpanKind.SERVER, attributes: { ...httpServer('/checkout', 'POST'), ...opts.attributes } },
    parent,
  );
  const db = checkout.startSpan(
    'SELECT orders',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system': 'postgresql',
        'server.address': 'orders-db',
        'db.operation.name': 'SELECT',
        'db.collection.name': 'orders',
      },
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
    { kind: SpanKind.SERVER, attributes: { ...httpServer('/pay', 'POST'), ...opts.attributes } },
    under(cp),
  );
  return { checkout: c, call: cp, payments: p };
}
