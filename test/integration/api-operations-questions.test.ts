/**
 * The operations questions (incidentContext, correlations, footprint) against the real Neo4j,
 * seeded through the ingest path (test/support/shop.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createGql } from '../support/api.js';
import { fileGraph, uniqueName } from '../support/graph.js';
import { seedShop, SHOP, type Shop } from '../support/shop.js';

const graph = fileGraph();
let gql: ReturnType<typeof createGql>;
let shop: Shop;
const env = uniqueName('ops');

beforeAll(async () => {
  gql = createGql(graph, { traceUrlTemplate: 'https://jaeger.example/trace/{traceId}' });
  shop = await seedShop(graph, env);
});

const INCIDENT = `query($env: String, $window: String!) { incidentContext(service: "checkout", environment: $env, window: $window) {
  service { name environment }
  health { calls errors errorRate }
  upstream { component { name kind } calls errors errorRate avgLatencyMs latency { p95Ms } }
  downstream { component { name kind } calls errors avgLatencyMs }
  changes { kind subject }
  owners { key value }
  exemplarTraceIds
  links { traceId url }
  traces { traceId error url entry { name } }
} }`;

describe('incidentContext', () => {
  it('gives health, neighbours with window figures, changes, owners, exemplars and links', async () => {
    const r = await gql(INCIDENT, { env, window: '15m' });
    expect(r.errors).toBeUndefined();
    const ic = r.data.incidentContext;
    expect(ic.service).toEqual({ name: 'checkout', environment: env });
    expect(ic.health).toEqual({
      calls: SHOP.checkouts,
      errors: SHOP.failedCheckouts,
      errorRate: SHOP.failedCheckouts / SHOP.checkouts,
    });
    expect(ic.upstream.map((n: any) => [n.component.name, n.calls, n.errors])).toEqual([
      ['gateway', SHOP.checkouts, SHOP.failedCheckouts],
    ]);
    expect(ic.upstream[0].avgLatencyMs).toBe(45);
    // Most errors first.
    expect(ic.downstream.map((n: any) => [n.component.name, n.component.kind, n.calls, n.errors])).toEqual([
      ['payments', 'SERVICE', SHOP.checkouts, SHOP.failedCheckouts],
      ['orders-db', 'DATABASE', SHOP.checkouts, 0],
      ['orders', 'MESSAGING_DESTINATION', SHOP.checkouts, 0],
    ]);
    expect(ic.owners).toEqual([{ key: 'team', value: 'shop-team' }]);
    expect(ic.exemplarTraceIds.length).toBeGreaterThan(0);
    expect(ic.exemplarTraceIds.length).toBeLessThanOrEqual(10);
    for (const id of ic.exemplarTraceIds) expect(shop.traceIds).toContain(id);
    // Sampled traces through checkout's entry operation, the failing checkouts first.
    expect(ic.traces).toHaveLength(10);
    expect(ic.traces.map((t: any) => t.traceId).sort()).toEqual([...shop.failedTraceIds].sort());
    expect(ic.traces[0]).toMatchObject({
      error: true,
      entry: { name: 'GET /checkout' },
      url: `https://jaeger.example/trace/${ic.traces[0].traceId}`,
    });
    expect(ic.links).toEqual(
      ic.exemplarTraceIds.map((id: string) => ({ traceId: id, url: `https://jaeger.example/trace/${id}` })),
    );
    const changes = ic.changes.map((c: any) => `${c.kind} ${c.subject}`);
    expect(changes).toContain('NEW_COMPONENT checkout (service)');
    expect(changes).toContain('NEW_EDGE checkout -> payments');
    expect(changes).toContain('NEW_OPERATION checkout: POST /checkout');
    // What touches checkout or its neighbours: a new caller of its database does, catalog itself does not.
    expect(changes).toContain('NEW_EDGE catalog -> orders-db');
    expect(changes).not.toContain('NEW_COMPONENT catalog (service)');
  });

  it('is null for an unknown service and a user error for a bad window', async () => {
    const none = await gql(
      `query($env: String) { incidentContext(service: "nope", environment: $env) { owners { key } } }`,
      { env },
    );
    expect(none.errors).toBeUndefined();
    expect(none.data.incidentContext).toBeNull();
    const bad = await gql(INCIDENT, { env, window: 'a while' });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('gives no links when no trace UI is configured', async () => {
    const plain = createGql(graph);
    const r = await plain(
      `query($env: String) { incidentContext(service: "checkout", environment: $env) { exemplarTraceIds links { url } } }`,
      { env },
    );
    expect(r.data.incidentContext.exemplarTraceIds.length).toBeGreaterThan(0);
    expect(r.data.incidentContext.links).toEqual([]);
  });
});

describe('correlations', () => {
  it('reports the tenant whose requests fail, with the counts behind the claim', async () => {
    const r = await gql(
      `query($env: String) { correlations(service: "checkout", environment: $env) {
      calls errors rule values { key value calls errors errorRate restCalls restErrors lift zScore } } }`,
      { env },
    );
    expect(r.errors).toBeUndefined();
    const c = r.data.correlations;
    expect([c.calls, c.errors]).toEqual([SHOP.checkouts, SHOP.failedCheckouts]);
    expect(c.rule).toContain('z-score');
    expect(c.values).toHaveLength(1);
    const v = c.values[0];
    expect(v).toMatchObject({
      key: 'tenant.id',
      value: 't-c',
      calls: 20,
      errors: 10,
      errorRate: 0.5,
      restCalls: 40,
      restErrors: 0,
      lift: null,
    });
    // (0.5 - 0) / sqrt(1/6 * 5/6 * (1/20 + 1/40))
    expect(v.zScore).toBeCloseTo(0.5 / Math.sqrt((1 / 6) * (5 / 6) * (1 / 20 + 1 / 40)), 6);
  });

  it('reports nothing for a service without errors, and a higher minCalls silences weak support', async () => {
    const clean = await gql(
      `query($env: String) { correlations(service: "catalog", environment: $env) { calls values { value } } }`,
      { env },
    );
    expect(clean.data.correlations).toEqual({ calls: SHOP.productListings, values: [] });
    const strict = await gql(
      `query($env: String) { correlations(service: "checkout", environment: $env, minCalls: 21) { values { value } } }`,
      { env },
    );
    expect(strict.data.correlations.values).toEqual([]);
  });
});

describe('footprint', () => {
  it('lists the services and operations a tenant touched, with counts, and what they called', async () => {
    const r = await gql(
      `query($env: String) { footprint(key: "tenant.id", value: "t-c", environment: $env) {
      key value calls errors
      services { component { name } calls errors }
      operations { operation { name component { name } } calls errors }
      downstream(depth: 2) { depth from { name } to { name component { name } } }
    } }`,
      { env },
    );
    expect(r.errors).toBeUndefined();
    const f = r.data.footprint;
    expect([f.key, f.value, f.calls, f.errors]).toEqual(['tenant.id', 't-c', 20, 10]);
    expect(f.services.map((s: any) => [s.component.name, s.calls, s.errors]).sort()).toEqual([
      ['checkout', 20, 10],
      ['gateway', 20, 10],
    ]);
    expect(
      f.operations.map((o: any) => `${o.operation.component.name} ${o.operation.name} ${o.calls} ${o.errors}`).sort(),
    ).toEqual(['checkout POST /checkout 20 10', 'gateway GET /checkout 20 10']);
    const hops = f.downstream.map((h: any) => `${h.depth} ${h.from.name} -> ${h.to.component.name}:${h.to.name}`);
    expect(hops).toContain('1 GET /checkout -> checkout:POST /checkout');
    expect(hops).toContain('1 POST /checkout -> payments:POST /pay');
    expect(hops).toContain('2 POST /pay -> api.stripe.com:POST /v1/charges');
  });

  it('t-a reached the product listing too; an unseen value is null', async () => {
    const r = await gql(
      `query($env: String) { footprint(key: "tenant.id", value: "t-a", environment: $env) { calls operations { operation { name } calls } } }`,
      { env },
    );
    expect(r.data.footprint.calls).toBe(20 + SHOP.productListings);
    expect(r.data.footprint.operations).toHaveLength(3);
    const none = await gql(
      `query($env: String) { footprint(key: "tenant.id", value: "nobody", environment: $env) { calls } }`,
      { env },
    );
    expect(none.data.footprint).toBeNull();
  });
});
