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
import { SpanKind } from '@opentelemetry/api';
import type { Graph } from '../../src/core/neo4j/connection.js';
import { seed } from './graph.js';
import { checkoutSpans, decoded, end, httpServer, sdk, under } from './sdk-spans.js';

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
  const t = sdk(env, { name: library, version: '1.0.0' });
  const gateway = t.tracer('gateway');
  const checkout = t.tracer('checkout', undefined, { team: 'shop-team' });
  const payments = t.tracer('payments', undefined, {}, '2.0.0');

  const failedTraceIds: string[] = [];
  for (let i = 0; i < SDK_SHOP.checkouts; i++) {
    const tenant = ['t-a', 't-b', 't-c'][i % 3]!;
    const fail = tenant === 't-c' && failedTraceIds.length < SDK_SHOP.failedPayments;
    const tenantId = { 'tenant.id': tenant };
    const g = gateway.startSpan('GET /checkout', {
      kind: SpanKind.SERVER,
      attributes: { ...httpServer('/checkout'), ...tenantId },
    });
    const gc = gateway.startSpan(
      'POST',
      { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'POST' } },
      under(g),
    );
    const {
      checkout: c,
      call: cp,
      payments: p,
    } = checkoutSpans(checkout, payments, {
      parent: gc,
      attributes: tenantId,
    });
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
  const endedBy = Date.now();
  await seed(graph, [decoded(t.exporter)]);
  return { env, library, failedTraceIds, endedBy };
}
