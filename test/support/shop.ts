/**
 * A small shop, seeded through the real ingest path into one unique environment, that the API tests
 * ask their questions of. What it holds, exactly:
 *
 *   gateway  GET /checkout -> checkout POST /checkout -> orders-db (postgresql) SELECT orders
 *                                                     -> payments POST /pay -> api.stripe.com (external)
 *                                                     -> kafka "orders" -> shipping (consumer)
 *   gateway  GET /products -> catalog GET /products -> orders-db SELECT products
 *   gateway  GET /legacy -> legacy GET /old          (three hours ago only: an edge that stopped)
 *
 * 60 checkouts, tenant.id t-a, t-b, t-c twenty each; the payment fails for 10 of t-c's, failing
 * checkout and gateway too. 10 product listings (tenant t-a). checkout's resource carries team=shop-team.
 */
import type { Graph } from '../../src/core/neo4j/connection.js';
import { SpanKind, type DecodedBatch } from '../../ingest/span.js';
import { seed } from './graph.js';
import { TraceBuilder } from './spans.js';

export const SHOP = {
  checkouts: 60,
  failedCheckouts: 10,
  productListings: 10,
} as const;

export interface Shop {
  env: string;
  /** trace ids of the failed checkouts */
  failedTraceIds: string[];
  traceIds: string[];
}

export async function seedShop(graph: Graph, env: string): Promise<Shop> {
  const res = (extra: Record<string, string> = {}) => ({ 'deployment.environment.name': env, ...extra });
  const batches: DecodedBatch[] = [];
  const failedTraceIds: string[] = [];
  const traceIds: string[] = [];
  const now = Date.now();

  for (let i = 0; i < SHOP.checkouts; i++) {
    const tenant = ['t-a', 't-b', 't-c'][i % 3]!;
    const fail = tenant === 't-c' && i < 30;
    const t = new TraceBuilder();
    const start = now - 5_000 + i;
    const http = (method: string, route: string) => ({
      'http.request.method': method,
      'http.route': route,
      'tenant.id': tenant,
    });
    const g = t.span({
      service: 'gateway',
      kind: SpanKind.SERVER,
      name: 'GET /checkout',
      resource: res(),
      attributes: http('GET', '/checkout'),
      error: fail,
      startMs: start,
      durationMs: 50,
    });
    const gc = t.span({
      service: 'gateway',
      kind: SpanKind.CLIENT,
      name: 'POST',
      parent: g,
      resource: res(),
      attributes: { 'http.request.method': 'POST' },
      error: fail,
      startMs: start + 1,
      durationMs: 45,
    });
    const cres = res({ team: 'shop-team' });
    const c = t.span({
      service: 'checkout',
      kind: SpanKind.SERVER,
      name: 'POST /checkout',
      parent: gc,
      resource: cres,
      attributes: http('POST', '/checkout'),
      error: fail,
      startMs: start + 2,
      durationMs: 40,
    });
    t.span({
      service: 'checkout',
      kind: SpanKind.CLIENT,
      name: 'SELECT orders',
      parent: c,
      resource: cres,
      attributes: {
        'db.system': 'postgresql',
        'server.address': 'orders-db',
        'db.operation.name': 'SELECT',
        'db.collection.name': 'orders',
      },
      startMs: start + 3,
      durationMs: 5,
    });
    const cp = t.span({
      service: 'checkout',
      kind: SpanKind.CLIENT,
      name: 'POST',
      parent: c,
      resource: cres,
      attributes: { 'http.request.method': 'POST' },
      error: fail,
      startMs: start + 10,
      durationMs: 20,
    });
    const p = t.span({
      service: 'payments',
      kind: SpanKind.SERVER,
      name: 'POST /pay',
      parent: cp,
      resource: res(),
      attributes: { 'http.request.method': 'POST', 'http.route': '/pay' },
      error: fail,
      startMs: start + 11,
      durationMs: 18,
    });
    t.span({
      service: 'payments',
      kind: SpanKind.CLIENT,
      name: 'POST',
      parent: p,
      resource: res(),
      attributes: {
        'http.request.method': 'POST',
        'server.address': 'api.stripe.com',
        'url.full': 'https://api.stripe.com/v1/charges',
      },
      error: fail,
      startMs: start + 12,
      durationMs: 15,
    });
    const pub = t.span({
      service: 'checkout',
      kind: SpanKind.PRODUCER,
      name: 'orders publish',
      parent: c,
      resource: cres,
      attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': 'orders' },
      startMs: start + 35,
      durationMs: 2,
    });
    t.span({
      service: 'shipping',
      kind: SpanKind.CONSUMER,
      name: 'orders process',
      parent: pub,
      resource: res(),
      attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': 'orders' },
      startMs: start + 40,
      durationMs: 5,
    });
    batches.push(t.batch());
    traceIds.push(t.traceId);
    if (fail) failedTraceIds.push(t.traceId);
  }

  for (let i = 0; i < SHOP.productListings; i++) {
    const t = new TraceBuilder();
    const start = now - 4_000 + i;
    const g = t.span({
      service: 'gateway',
      kind: SpanKind.SERVER,
      name: 'GET /products',
      resource: res(),
      attributes: { 'http.request.method': 'GET', 'http.route': '/products', 'tenant.id': 't-a' },
      startMs: start,
    });
    const gc = t.span({
      service: 'gateway',
      kind: SpanKind.CLIENT,
      name: 'GET',
      parent: g,
      resource: res(),
      attributes: { 'http.request.method': 'GET' },
      startMs: start + 1,
    });
    const c = t.span({
      service: 'catalog',
      kind: SpanKind.SERVER,
      name: 'GET /products',
      parent: gc,
      resource: res(),
      attributes: { 'http.request.method': 'GET', 'http.route': '/products' },
      startMs: start + 2,
    });
    t.span({
      service: 'catalog',
      kind: SpanKind.CLIENT,
      name: 'SELECT products',
      parent: c,
      resource: res(),
      attributes: {
        'db.system': 'postgresql',
        'server.address': 'orders-db',
        'db.operation.name': 'SELECT',
        'db.collection.name': 'products',
      },
      startMs: start + 3,
    });
    batches.push(t.batch());
    traceIds.push(t.traceId);
  }

  const old = new TraceBuilder();
  const oldStart = now - 3 * 3_600_000;
  const lg = old.span({
    service: 'gateway',
    kind: SpanKind.SERVER,
    name: 'GET /legacy',
    resource: res(),
    attributes: { 'http.request.method': 'GET', 'http.route': '/legacy' },
    startMs: oldStart,
  });
  const lgc = old.span({
    service: 'gateway',
    kind: SpanKind.CLIENT,
    name: 'GET',
    parent: lg,
    resource: res(),
    attributes: { 'http.request.method': 'GET' },
    startMs: oldStart + 1,
  });
  old.span({
    service: 'legacy',
    kind: SpanKind.SERVER,
    name: 'GET /old',
    parent: lgc,
    resource: res(),
    attributes: { 'http.request.method': 'GET', 'http.route': '/old' },
    startMs: oldStart + 2,
  });
  batches.unshift(old.batch());

  await seed(graph, batches);
  return { env, failedTraceIds, traceIds };
}
