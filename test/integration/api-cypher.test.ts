/**
 * The Cypher each main question produces, pinned (as neo4j/graphql's tck pins it): for a GraphQL
 * query, the reads the data layer sends (transactions, statements, parameters), written out in
 * test/integration/cypher/*.md. The reads go to the real Neo4j through a recorder around the driver
 * session, so every pinned statement is also known to run and to give the right answer.
 *
 * A change to a statement, a parameter or the number of round trips shows as a failing test and a
 * diff of the .md file; when the change is meant, `npx vitest run test/integration/api-cypher.test.ts -u`
 * writes the new reads, for review with the change.
 *
 * The clock is held at a fixed instant (Date only; timers run), so the time bounds in the parameters
 * are the same on every run; the shop is seeded at that instant, which keeps it out of other tests'
 * live windows.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Graph } from '../../src/core/neo4j/connection.js';
import { createGql } from '../support/api.js';
import { recordingGraph, renderReads, type RecordedRead } from '../support/cypher-recorder.js';
import { testGraph, uniqueName } from '../support/graph.js';
import { seedShop, SHOP } from '../support/shop.js';

const AT = Date.UTC(2026, 0, 15, 12, 0, 0);
const env = uniqueName('cypher');

let graph: Graph;
let reads: RecordedRead[];
let gql: ReturnType<typeof createGql>;

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'], now: AT });
  graph = testGraph();
  await seedShop(graph, env);
  const recorder = recordingGraph(graph);
  reads = recorder.reads;
  gql = createGql(recorder.graph);
});

afterAll(async () => {
  vi.useRealTimers();
  await graph.close();
});

/** Asks `query` of the API and returns its data, with the reads it sent pinned in cypher/<name>.md. */
async function ask(name: string, query: string, variables: Record<string, unknown> = {}) {
  reads.length = 0;
  const r = await gql(query, { env, ...variables });
  expect(r.errors).toBeUndefined();
  const title = `${name}${Object.keys(variables).length ? ` ${JSON.stringify(variables)}` : ''}`;
  await expect(renderReads(title, query, reads, { [env]: '<env>' })).toMatchFileSnapshot(`./cypher/${name}.md`);
  return r.data;
}

const names = (list: { name: string }[]) => list.map((c) => c.name);

describe('the reads a question sends', () => {
  it('service with its operations and direct dependencies: one statement', async () => {
    const data = await ask(
      'service-operations-dependencies',
      `query($env: String) { service(name: "checkout", environment: $env) {
  name operations { name kind } dependencies { component { name kind } calls errors }
} }`,
    );
    expect(names(data.service.operations)).toContain('POST /checkout');
    expect(names(data.service.dependencies.map((d: any) => d.component)).sort()).toEqual([
      'orders',
      'orders-db',
      'payments',
    ]);
  });

  it('service with its dependents to a literal depth: the lookup and a named walk in one transaction', async () => {
    const data = await ask(
      'service-dependents-depth',
      `query($env: String) { service(name: "payments", environment: $env) { dependents(depth: 3) { depth component { name } } } }`,
    );
    expect(data.service.dependents.map((h: any) => [h.component.name, h.depth])).toEqual([
      ['checkout', 1],
      ['gateway', 2],
    ]);
  });

  it('dependencies to a depth in a variable, with latency: the lookup, then a whole walk in one transaction', async () => {
    const data = await ask(
      'service-dependencies-depth-variable',
      `query($env: String, $depth: Int!) { service(name: "gateway", environment: $env) {
  dependencies(depth: $depth) { depth component { name } calls latency { p99Ms } }
} }`,
      { depth: 2 },
    );
    const hops = data.service.dependencies.map((h: any) => [h.component.name, h.depth]);
    expect(hops).toContainEqual(['checkout', 1]);
    expect(hops).toContainEqual(['orders-db', 2]);
  });

  it('topology: nodes and edges in one transaction', async () => {
    const data = await ask(
      'topology',
      `query($env: String) { topology(environment: $env) { nodes { name kind } edges { from { name } to { name } calls } } }`,
    );
    expect(names(data.topology.nodes)).toContain('payments');
    expect(data.topology.edges.map((e: any) => [e.from.name, e.to.name])).toContainEqual(['gateway', 'checkout']);
  });

  it('topology at a point in time: nodes and edges live in its hour, in one transaction', async () => {
    const data = await ask(
      'topology-at',
      `query($env: String) { topology(environment: $env, at: "2026-01-15T11:30:00Z") { nodes { name } edges { from { name } to { name } sources } } }`,
    );
    expect(names(data.topology.nodes)).toContain('payments');
    expect(data.topology.edges).toContainEqual({
      from: { name: 'gateway' },
      to: { name: 'checkout' },
      sources: ['otlp'],
    });
  });

  it('topologyDiff: one scan of components and one of edges, both hours at once', async () => {
    const data = await ask(
      'topology-diff',
      `query($env: String) { topologyDiff(environment: $env, from: "2026-01-15T09:00:00Z", to: "2026-01-15T11:30:00Z") {
  added { from { name } to { name } } removed { from { name } to { name } } addedComponents { name } removedComponents { name } } }`,
    );
    // The shop's legacy call was made three hours before the rest, in the `from` hour only.
    expect(data.topologyDiff.removed).toEqual([{ from: { name: 'gateway' }, to: { name: 'legacy' } }]);
    expect(names(data.topologyDiff.removedComponents)).toEqual(['legacy']);
    expect(names(data.topologyDiff.addedComponents)).toContain('payments');
    expect(data.topologyDiff.added.map((e: any) => [e.from.name, e.to.name])).toContainEqual(['gateway', 'checkout']);
  });

  it('incident context: the service, its neighbours, changes, facts and traces', async () => {
    const data = await ask(
      'incident-context',
      `query($env: String) { incidentContext(service: "checkout", environment: $env, window: "15m") {
  health { calls errors }
  upstream { component { name } calls errors }
  downstream { component { name } calls errors latency { p95Ms } }
  changes { kind subject }
  owners { key value }
  exemplarTraceIds
  traces { traceId error entry { name } }
} }`,
    );
    const ic = data.incidentContext;
    expect(ic.health).toEqual({ calls: SHOP.checkouts, errors: SHOP.failedCheckouts });
    expect(ic.upstream.map((n: any) => n.component.name)).toEqual(['gateway']);
    expect(ic.owners).toEqual([{ key: 'team', value: 'shop-team' }]);
    expect(ic.traces[0].error).toBe(true);
  });

  it('library: the library and its versions with service names, in one statement', async () => {
    const data = await ask('library', `{ library(name: "test") { name versions { version services { name } } } }`);
    expect(data.library.versions.map((v: any) => v.version)).toContain('1.0.0');
  });

  it('footprint: the tag value, then the walks from its operations', async () => {
    const data = await ask(
      'footprint',
      `query($env: String) { footprint(key: "tenant.id", value: "t-c", environment: $env) {
  calls errors
  services { component { name } calls }
  operations { operation { name } calls }
  downstream(depth: 2) { depth from { name } to { name } }
} }`,
    );
    expect(data.footprint.calls).toBe(SHOP.checkouts / 3);
    expect(data.footprint.downstream.length).toBeGreaterThan(0);
  });

  it('paths: the graph around both ends in one statement', async () => {
    const data = await ask(
      'paths',
      `query($env: String) { paths(from: "gateway", to: "orders-db", environment: $env) { length hops { name } } }`,
    );
    expect(data.paths.map((p: any) => names(p.hops))).toEqual([
      ['gateway', 'catalog', 'orders-db'],
      ['gateway', 'checkout', 'orders-db'],
    ]);
  });

  it('operation downstream: the lookup, then a CALLS walk', async () => {
    const data = await ask(
      'operation-downstream',
      `query($env: String) { operation(service: "gateway", name: "GET /checkout", environment: $env) {
  name downstream(depth: 3) { depth from { name } to { name } calls }
} }`,
    );
    expect(data.operation.downstream.map((h: any) => h.to.name)).toContain('POST /checkout');
  });
});
