/**
 * A small shop recorded with the official OpenTelemetry SDK, one tracer provider per service (as one
 * process each would have), exported as OTLP/protobuf and run through the real decoder and ingest
 * pipeline into one unique environment. What it holds:
 *
 *   gateway GET /checkout -> checkout POST /checkout -> orders-db (postgresql)
 *                                                     -> payments POST /pay -> api.stripe.com (external)
 *
 * 60 checkouts, tenant.id t-a, t-b, t-c twenty each; 10 of t-c's fail in payments (and so in checkout
 * and gateway). gateway and checkout run the instrumentation library `<env>-http` 1.0.0, payments
 * 2.0.0 (named after the environment, so that no other test's services share it); checkout's resource
 * carries team=shop-team.
 */
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import type { Graph } from '../../src/core/neo4j/connection.js';
import { decodeOtlpProtobuf } from '../../ingest/otlp/decode-protobuf.js';
import { defaultConfig } from '../../src/core/config.js';
import { seed } from './graph.js';

export const SDK_SHOP = { checkouts: 60, failedPayments: 10 } as const;

export interface SdkShop {
  env: string;
  library: string;
  failedTraceIds: string[];
  /** when the shop's spans had all ended (Unix ms) */
  endedBy: number;
}

export async function seedSdkShop(graph: Graph, env: string): Promise<SdkShop> {
  const library = `${env}-http`;
  const exporter = new InMemorySpanExporter();
  const tracer = (service: string, libraryVersion: string, extra: Record<string, string> = {}) =>
    new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': service, 'deployment.environment.name': env, ...extra }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    }).getTracer(library, libraryVersion);
  const gateway = tracer('gateway', '1.0.0');
  const checkout = tracer('checkout', '1.0.0', { team: 'shop-team' });
  const payments = tracer('payments', '2.0.0');

  const under = (parent: Span) => trace.setSpan(context.active(), parent);
  const end = (span: Span, failed: boolean) => {
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  const failedTraceIds: string[] = [];
  for (let i = 0; i < SDK_SHOP.checkouts; i++) {
    const tenant = ['t-a', 't-b', 't-c'][i % 3]!;
    const fail = tenant === 't-c' && failedTraceIds.length < SDK_SHOP.failedPayments;
    const server = (route: string, method: string) => ({
      'http.request.method': method,
      'http.route': route,
      'tenant.id': tenant,
    });
    const g = gateway.startSpan('GET /checkout', { kind: SpanKind.SERVER, attributes: server('/checkout', 'GET') });
    const gc = gateway.startSpan(
      'POST',
      { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'POST' } },
      under(g),
    );
    const c = checkout.startSpan(
      'POST /checkout',
      { kind: SpanKind.SERVER, attributes: server('/checkout', 'POST') },
      under(gc),
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
    const p = payments.startSpan('POST /pay', { kind: SpanKind.SERVER, attributes: server('/pay', 'POST') }, under(cp));
    const stripe = payments.startSpan(
      'POST',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': 'POST',
          'server.address': 'api.stripe.com',
          'url.full': 'https://api.stripe.com/v1/charges',
        },
      },
      under(p),
    );
    for (const span of [stripe, p, cp, c, gc, g]) end(span, fail);
    if (fail) failedTraceIds.push(g.spanContext().traceId);
  }
  const spans = exporter.getFinishedSpans() as ReadableSpan[];
  const endedBy = Date.now();
  const batch = decodeOtlpProtobuf(ProtobufTraceSerializer.serializeRequest(spans)!, defaultConfig().limits.decode);
  await seed(graph, [batch]);
  return { env, library, failedTraceIds, endedBy };
}
