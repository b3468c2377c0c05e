/**
 * Efficiency: representative queries cost the same number of Cypher round trips whether they touch
 * 3 services or 30. The graph is the real Neo4j; only Graph.read and Graph.query are wrapped, to
 * count every statement sent (a walk's levels included).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { SpanKind } from '../../ingest/span.js';
import { createGql } from '../support/api.js';
import { countingGraph } from '../support/counting-graph.js';
import { seed, fileGraph, uniqueName } from '../support/graph.js';
import { TraceBuilder } from '../support/spans.js';

const graph = fileGraph();
let reads = 0;
/** the transaction timeout of every read, to check that none goes without one */
const timeouts: (number | undefined)[] = [];
const TIMEOUT_MS = 7_777;
let gql: ReturnType<typeof createGql>;
const small = uniqueName('rt3');
const large = uniqueName('rt30');

/** A chain svc-0 -> svc-1 -> … -> svc-(n-1), every service also reading one shared database. */
async function seedChain(env: string, n: number) {
  const batches = [];
  const res = { 'deployment.environment.name': env };
  for (let i = 0; i < n; i++) {
    const t = new TraceBuilder();
    const s = t.span({
      service: `svc-${i}`,
      kind: SpanKind.SERVER,
      name: `GET /${i}`,
      resource: res,
      attributes: { 'http.request.method': 'GET', 'http.route': `/${i}`, 'tenant.id': `tenant-${i % 2}` },
    });
    t.span({
      service: `svc-${i}`,
      kind: SpanKind.CLIENT,
      name: 'SELECT',
      parent: s,
      resource: res,
      attributes: {
        'db.system': 'postgresql',
        'server.address': 'shared-db',
        'db.operation.name': 'SELECT',
        'db.collection.name': `t${i}`,
      },
    });
    if (i + 1 < n) {
      const c = t.span({
        service: `svc-${i}`,
        kind: SpanKind.CLIENT,
        name: 'GET',
        parent: s,
        resource: res,
        attributes: { 'http.request.method': 'GET' },
      });
      t.span({
        service: `svc-${i + 1}`,
        kind: SpanKind.SERVER,
        name: `GET /${i + 1}`,
        parent: c,
        resource: res,
        attributes: { 'http.request.method': 'GET', 'http.route': `/${i + 1}` },
      });
    }
    batches.push(t.batch());
  }
  await seed(graph, batches);
}

beforeAll(async () => {
  const counting = countingGraph(graph, {
    statement: () => void reads++,
    transaction: (opts) => void timeouts.push(opts?.timeoutMs),
  });

  // A deliberately wide query: the cost limit (another concern, tested elsewhere) is lifted here.
  gql = createGql(counting, { maxComplexity: 1_000_000, queryTimeoutMs: TIMEOUT_MS });
  await seedChain(small, 3);
  await seedChain(large, 30);
});

async function roundTrips(query: string, env: string) {
  reads = 0;
  const r = await gql(query, { env });
  expect(r.errors).toBeUndefined();
  return { trips: reads, data: r.data };
}

const QUERIES: Record<string, string> = {
  servicesWithEverything: `query($env: String) { services(environment: $env, first: 100) { edges { node {
    id name
    operations { id name component { name } downstream(depth: 2) { depth from { name } to { name component { name } } calls } upstream(depth: 1) { from { name } } }
    dependencies(depth: 2) { depth component { id name kind } from { name } path { name } calls }
    dependents(depth: 2) { component { name } path { name } }
  } } } }`,
  topology: `query($env: String) { topology(environment: $env) { nodes { name kind operations { name } } edges { from { name } to { name } calls } mermaid } }`,
  changes: `query($env: String) { changes(since: "2000-01-01T00:00:00Z", environment: $env, first: 1000) { kind subject component { name } from { name } to { name } operation { name component { name } } } }`,
  footprint: `query($env: String) { footprint(key: "tenant.id", value: "tenant-0", environment: $env) { services { component { name } } operations { operation { name } } downstream(depth: 3) { from { name } to { component { name } } } } }`,
};

describe('Cypher round trips do not grow with the number of parents', () => {
  for (const [name, query] of Object.entries(QUERIES)) {
    it(name, async () => {
      // How DataLoader batches fall on ticks depends on when Neo4j answers: two walks that finish in
      // different ticks name what they reached in two batches, in the same tick in one (with 30
      // services, whose walks take longer, more often). So a count varies by a statement or two, and
      // the claim is a bound: 30 parents need at most 3 statements more than 3 parents, where one
      // statement per parent would add 27.
      const counts = async (env: string) => {
        const out: number[] = [];
        for (let i = 0; i < 3; i++) out.push((await roundTrips(query, env)).trips);
        return out;
      };
      const a = await counts(small);
      const b = await counts(large);
      expect(Math.min(...a)).toBeGreaterThan(0);
      expect(Math.max(...b) - Math.min(...a)).toBeLessThanOrEqual(3);
    });
  }

  it('service(name:) with a walk of literal depth is one transaction: the lookup and every level of the walk', async () => {
    const before = timeouts.length;
    reads = 0;
    const r = await gql(
      `query($env: String) { service(name: "svc-0", environment: $env) { name dependencies(depth: 5) { depth component { name kind } } } }`,
      { env: large },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.service.dependencies.length).toBeGreaterThan(1);
    expect(timeouts.length - before).toBe(1);
    // The lookup, then one statement per level that reached something (and the one that found nothing more).
    expect(reads).toBeGreaterThan(2);
  });

  it('every read of every question carries the configured transaction timeout', async () => {
    timeouts.length = 0;
    const questions = [
      ...Object.values(QUERIES),
      `query($env: String) { incidentContext(service: "svc-1", environment: $env) { health { calls } upstream { calls } downstream { calls } changes { kind } owners { key } exemplarTraceIds traces { traceId } } }`,
      `query($env: String) { correlations(service: "svc-1", environment: $env) { calls values { value } } }`,
      `query($env: String) { paths(from: "svc-0", to: "shared-db", environment: $env) { hops { name } } }`,
      `query($env: String) { service(name: "svc-0", environment: $env) { name } component(name: "shared-db", environment: $env) { name } operation(service: "svc-0", name: "GET /0", environment: $env) { traces { traceId } trace(traceId: "ab") { traceId } } }`,
      `{ tag(key: "tenant.id") { values(first: 1) { value } } library(name: "test") { versions { version } } trace(traceId: "ab") { traceId } }`,
    ];
    for (const q of questions) {
      const r = await gql(q, { env: small });
      expect(r.errors).toBeUndefined();
    }
    expect(timeouts.length).toBeGreaterThan(questions.length);
    expect(new Set(timeouts)).toEqual(new Set([TIMEOUT_MS]));
  });

  it('the counted answers are complete (30 services, each with its operations and dependencies)', async () => {
    const { data } = await roundTrips(QUERIES.servicesWithEverything!, large);
    const nodes = data.services.edges.map((e: any) => e.node);
    expect(nodes).toHaveLength(30);
    const first = nodes.find((n: any) => n.name === 'svc-0');
    expect(first.operations.map((o: any) => o.name)).toEqual(['GET /0']);
    expect(first.dependencies.map((d: any) => `${d.depth} ${d.component.name}`).sort()).toEqual([
      '1 shared-db',
      '1 svc-1',
      '2 svc-2',
    ]);
    const last = nodes.find((n: any) => n.name === 'svc-29');
    expect(last.dependents.map((d: any) => d.path.map((p: any) => p.name).join('>')).sort()).toEqual([
      'svc-29>svc-28',
      'svc-29>svc-28>svc-27',
    ]);
  });
});
