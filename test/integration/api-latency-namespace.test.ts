/**
 * Figures users read off an edge: latency (mean, max, percentiles from the histogram), the protocols
 * seen; and the `namespace` argument that tells apart two services of the same name. Seeded through
 * the real ingest path into the real Neo4j, asked through yoga.fetch.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { SpanKind } from '../../ingest/span.js';
import { createGql } from '../support/api.js';
import { seed, fileGraph, uniqueName } from '../support/graph.js';
import { TraceBuilder } from '../support/spans.js';

const graph = fileGraph();
const env = uniqueName('latency-env');
/** Server spans of 3 ms (90), 30 ms (9) and 900 ms (1); each client span lasts 1 ms longer. */
const DURATIONS = [...Array<number>(90).fill(3), ...Array<number>(9).fill(30), 900];

let gql: ReturnType<typeof createGql>;

beforeAll(async () => {
  gql = createGql(graph);
  const batches = [];
  for (const [i, ms] of DURATIONS.entries()) {
    const t = new TraceBuilder();
    const res = { 'deployment.environment.name': env, 'service.namespace': 'shop' };
    const entry = t.span({ service: 'web', kind: SpanKind.SERVER, name: 'GET /', resource: res, durationMs: ms + 5 });
    const call = t.span({
      service: 'web',
      kind: SpanKind.CLIENT,
      name: 'POST',
      parent: entry,
      resource: res,
      durationMs: ms + 1,
      attributes: { 'http.request.method': 'POST' },
    });
    t.span({
      service: 'api',
      kind: SpanKind.SERVER,
      name: 'POST /orders',
      parent: call,
      resource: res,
      durationMs: ms,
      attributes: { 'http.request.method': 'POST', 'http.route': '/orders' },
    });
    // A gRPC call to another `api`, of namespace `billing`, on every tenth request.
    if (i % 10 === 0) {
      const rpc = t.span({
        service: 'web',
        kind: SpanKind.CLIENT,
        name: 'billing.Invoices/Create',
        parent: entry,
        resource: res,
        attributes: { 'rpc.system': 'grpc', 'rpc.service': 'billing.Invoices', 'rpc.method': 'Create' },
      });
      t.span({
        service: 'api',
        kind: SpanKind.SERVER,
        name: 'billing.Invoices/Create',
        parent: rpc,
        resource: { 'deployment.environment.name': env, 'service.namespace': 'billing' },
        attributes: { 'rpc.system': 'grpc', 'rpc.service': 'billing.Invoices', 'rpc.method': 'Create' },
      });
    }
    batches.push(t.batch());
  }
  await seed(graph, batches);
});

describe('edge figures', () => {
  it('latency: mean and max exact, percentiles within the histogram bucket of the true value', async () => {
    const r = await gql(`{ service(name: "web", environment: "${env}") {
      dependencies(depth: 1) { component { name ... on Service { namespace } } calls latency { avgMs maxMs p50Ms p95Ms p99Ms } } } }`);
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    const toShop = r.data.service.dependencies.find((d: any) => d.component.namespace === 'shop');
    expect(toShop.calls).toBe(100);
    // An edge's latency is what the caller saw: the client span (4, 31 and 901 ms here).
    expect(toShop.latency.maxMs).toBeCloseTo(901, 3);
    expect(toShop.latency.avgMs).toBeCloseTo((90 * 4 + 9 * 31 + 901) / 100, 3);
    // True p50 (4 ms) lies in the (2, 4] bucket; true p95 and p99 (31 ms) in (10, 50].
    expect(toShop.latency.p50Ms).toBeGreaterThan(2);
    expect(toShop.latency.p50Ms).toBeLessThanOrEqual(4);
    for (const p of [toShop.latency.p95Ms, toShop.latency.p99Ms]) {
      expect(p).toBeGreaterThan(10);
      expect(p).toBeLessThanOrEqual(50);
    }
  });

  it('protocols: what the calls on an edge spoke', async () => {
    const r = await gql(
      `{ topology(environment: "${env}") { edges { from { name } to { name ... on Service { namespace } } calls protocols } } }`,
    );
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    const edges = r.data.topology.edges.map((e: any) => [e.to.namespace, e.calls, e.protocols]);
    expect(edges.sort()).toEqual([
      ['billing', 10, ['grpc']],
      ['shop', 100, ['http']],
    ]);
  });
});

describe('namespace argument', () => {
  it('tells apart two services of one name in one environment', async () => {
    const r = await gql(`{
      shop: service(name: "api", environment: "${env}", namespace: "shop") { namespace operations { name } }
      billing: service(name: "api", environment: "${env}", namespace: "billing") { namespace operations { name } }
      none: service(name: "api", environment: "${env}", namespace: "nowhere") { name }
      services(first: 10, environment: "${env}", namespace: "billing") { edges { node { name namespace } } }
      operation(service: "api", name: "billing.Invoices/Create", environment: "${env}", namespace: "billing") { calls }
      wrong: operation(service: "api", name: "billing.Invoices/Create", environment: "${env}", namespace: "shop") { calls }
    }`);
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    expect(r.data.shop, JSON.stringify(r.data)).toEqual({ namespace: 'shop', operations: [{ name: 'POST /orders' }] });
    expect(r.data.billing).toEqual({ namespace: 'billing', operations: [{ name: 'billing.Invoices/Create' }] });
    expect(r.data.none).toBeNull();
    expect(r.data.services.edges).toEqual([{ node: { name: 'api', namespace: 'billing' } }]);
    expect(r.data.operation).toEqual({ calls: 10 });
    expect(r.data.wrong).toBeNull();
  });
});
