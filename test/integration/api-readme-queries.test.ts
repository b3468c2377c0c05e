/**
 * The example queries (docs/api.md, "Examples"), exactly as written, against a graph seeded through the ingest
 * path into the real Neo4j, asked through yoga.fetch (no socket).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { README_QUERIES } from '../../src/api/graphql/examples.js';
import { createApi } from '../../src/api/yoga.js';
import { apiConfig } from '../support/api.js';
import { seed, fileGraph, uniqueName } from '../support/graph.js';
import { ORDERS_QUERY, TraceBuilder } from '../support/spans.js';

const graph = fileGraph();
const env = uniqueName('env');
const traceIds: string[] = [];
// Two versions of one instrumentation library, one per service.
const HTTP_OLD = { name: '@opentelemetry/instrumentation-http', version: '0.52.1' };
const HTTP_NEW = { name: '@opentelemetry/instrumentation-http', version: '0.53.0' };

async function gql(query: string, variables?: Record<string, unknown>) {
  const api = createApi({ graph, config: apiConfig(), ready: async () => true });
  const res = await api.fetch('http://topograph/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
}

beforeAll(async () => {
  // gateway GET /checkout → checkout POST /checkout → payments POST /pay, checkout → postgres; 3 requests, 1 failing payment.
  const batches = [];
  for (let i = 0; i < 3; i++) {
    const t = new TraceBuilder();
    traceIds.push(t.traceId);
    const res = { 'deployment.environment.name': env };
    const g = t.server('gateway', '/checkout', { resource: res, scope: HTTP_OLD });
    const gc = t.client('gateway', { method: 'POST', parent: g, resource: res, scope: HTTP_OLD });
    const c = t.server('checkout', '/checkout', { method: 'POST', parent: gc, resource: res, scope: HTTP_NEW });
    t.span({ service: 'checkout', parent: c, resource: res, ...ORDERS_QUERY });
    const cp = t.client('checkout', { method: 'POST', parent: c, resource: res, scope: HTTP_NEW, error: i === 2 });
    t.server('payments', '/pay', {
      method: 'POST',
      parent: cp,
      resource: { ...res, 'client.version': '1.2.3' },
      error: i === 2,
    });
    // The two halves of each call arrive in different requests, server side first.
    batches.push(t.batch(['payments']), t.batch(['checkout']), t.batch(['gateway']));
  }
  await seed(graph, batches);
});

describe('the example queries', () => {
  it('services lists the seeded services with namespace and environment', async () => {
    const r = await gql(README_QUERIES.services);
    expect(r.errors).toBeUndefined();
    const page = r.data.services.edges.map((e: any) => e.node);
    expect(page.length).toBeGreaterThan(0);
    expect(page.length).toBeLessThanOrEqual(100);
    // The database is shared: other tests' services may fill the first page, so look at ours by environment.
    const own = await gql(
      README_QUERIES.services.replace('services(first: 100)', `services(first: 100, environment: "${env}")`),
    );
    const mine = own.data.services.edges.map((e: any) => e.node);
    expect(mine.map((n: any) => n.name).sort()).toEqual(['checkout', 'gateway', 'payments']);
    expect(mine[0]).toMatchObject({ namespace: '', environment: env });
  });

  it('service(name) gives operations, dependencies with exact counts and transitive dependents', async () => {
    const r = await gql(
      README_QUERIES.service.replace('service(name: "checkout")', `service(name: "checkout", environment: "${env}")`),
    );
    expect(r.errors).toBeUndefined();
    const s = r.data.service;
    expect(s.name).toBe('checkout');
    expect(s.operations).toEqual([{ name: 'POST /checkout', kind: 'SERVER' }]);
    const deps = Object.fromEntries(s.dependencies.map((d: any) => [d.component.name, d]));
    expect(deps.payments).toMatchObject({ depth: 1, component: { kind: 'SERVICE' }, calls: 3, errors: 1 });
    expect(deps['orders-db']).toMatchObject({ depth: 1, component: { kind: 'DATABASE' }, calls: 3, errors: 0 });
    expect(s.dependents).toEqual([{ depth: 1, component: { name: 'gateway', kind: 'SERVICE' } }]);
  });

  it('service(name) without environment still answers, exactly as written', async () => {
    const r = await gql(README_QUERIES.service);
    expect(r.errors).toBeUndefined();
    expect(r.data.service.name).toBe('checkout');
  });

  it('operation downstream follows CALLS from the entry point through every hop', async () => {
    const r = await gql(
      README_QUERIES.operation.replace(
        'operation(service: "gateway", name: "GET /checkout")',
        `operation(service: "gateway", name: "GET /checkout", environment: "${env}")`,
      ),
    );
    expect(r.errors).toBeUndefined();
    const hops = r.data.operation.downstream.map(
      (h: any) =>
        `${h.depth} ${h.from.component.name}:${h.from.name} -> ${h.to.component.name}:${h.to.name} x${h.calls}`,
    );
    expect(hops.sort()).toEqual([
      '1 gateway:GET /checkout -> checkout:POST /checkout x3',
      '2 checkout:POST /checkout -> orders-db:SELECT orders x3',
      '2 checkout:POST /checkout -> payments:POST /pay x3',
    ]);
  });

  it('each hop names recent traces that took it', async () => {
    const r = await gql(
      `{ operation(service: "gateway", name: "GET /checkout", environment: "${env}") {
        downstream(depth: 2) { to { name } exemplarTraceIds } } }`,
    );
    expect(r.errors).toBeUndefined();
    for (const hop of r.data.operation.downstream) {
      expect([...hop.exemplarTraceIds].sort(), hop.to.name).toEqual([...traceIds].sort());
    }
  });

  it('tag values list the services that carried them', async () => {
    const r = await gql(README_QUERIES.tag);
    expect(r.errors).toBeUndefined();
    const v = r.data.tag.values.find((x: any) => x.value === '1.2.3');
    expect(v.services.map((s: any) => s.name)).toContain('payments');
  });

  it('library versions list the services running each, one USES per version', async () => {
    const r = await gql(README_QUERIES.library);
    expect(r.errors).toBeUndefined();
    const byVersion = Object.fromEntries(
      r.data.library.versions.map((v: any) => [v.version, v.services.map((s: any) => s.name)]),
    );
    expect(byVersion['0.52.1']).toContain('gateway');
    expect(byVersion['0.53.0']).toContain('checkout');
    const uses = await graph.read('test', async (tx) =>
      (
        await tx.run(
          `MATCH (s:Service {environment: $env})-[u:USES]->(:Library {name: '@opentelemetry/instrumentation-http'}) RETURN s.name AS s, u.version AS v ORDER BY s`,
          { env },
        )
      ).records.map((x) => `${x.get('s')} ${x.get('v')}`),
    );
    expect(uses).toEqual(['checkout 0.53.0', 'gateway 0.52.1']);
  });

  it('a depth out of range is a user error with a code', async () => {
    const r = await gql(`{ service(name: "checkout", environment: "${env}") { dependencies(depth: 99) { depth } } }`);
    expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
