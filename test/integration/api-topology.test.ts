/**
 * topology, paths and changes against the real Neo4j, seeded through the ingest path (test/support/shop.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, validate } from 'graphql';
import { GRAPHIQL_DEFAULT_QUERY, QUESTION_QUERIES } from '../../src/api/graphql/examples.js';
import { schema } from '../../src/api/graphql/schema.js';
import { createGql } from '../support/api.js';
import { seed, fileGraph, uniqueName } from '../support/graph.js';
import { seedShop, SHOP } from '../support/shop.js';
import { TraceBuilder } from '../support/spans.js';

const graph = fileGraph();
let gql: ReturnType<typeof createGql>;
const env = uniqueName('topo');

beforeAll(async () => {
  gql = createGql(graph);
  await seedShop(graph, env);
});

describe('environments', () => {
  it('lists each environment once, with as many services as services() finds in it', async () => {
    const r = await gql(
      `query($env: String) { environments { name services lastSeen } services(first: 100, environment: $env) { edges { node { name } } } }`,
      { env },
    );
    expect(r.errors).toBeUndefined();
    const names = r.data.environments.map((e: any) => e.name);
    expect(new Set(names).size).toBe(names.length);
    const ours = r.data.environments.find((e: any) => e.name === env);
    expect(ours.services).toBe(r.data.services.edges.length);
    expect(ours.services).toBeGreaterThan(3);
    expect(Date.parse(ours.lastSeen)).toBeGreaterThan(Date.now() - 86_400_000);
  });
});

describe('topology', () => {
  it('lists the components and edges of one environment with exact counts', async () => {
    const r = await gql(
      `query($env: String) { topology(environment: $env) {
      nodes { name kind environment }
      edges { from { name } to { name } calls errors }
    } }`,
      { env },
    );
    expect(r.errors).toBeUndefined();
    const nodes = r.data.topology.nodes.map((n: any) => `${n.kind} ${n.name}`).sort();
    // legacy was last seen three hours ago, inside the 24h live window.
    expect(nodes).toEqual([
      'DATABASE orders-db',
      'EXTERNAL api.stripe.com',
      'MESSAGING_DESTINATION orders',
      'SERVICE catalog',
      'SERVICE checkout',
      'SERVICE gateway',
      'SERVICE legacy',
      'SERVICE payments',
      'SERVICE shipping',
    ]);
    expect(r.data.topology.nodes.every((n: any) => n.environment === env)).toBe(true);
    const edges = Object.fromEntries(
      r.data.topology.edges.map((e: any) => [`${e.from.name} -> ${e.to.name}`, [e.calls, e.errors]]),
    );
    expect(edges).toEqual({
      'gateway -> checkout': [SHOP.checkouts, SHOP.failedCheckouts],
      'gateway -> catalog': [SHOP.productListings, 0],
      'gateway -> legacy': [1, 0],
      'checkout -> orders-db': [SHOP.checkouts, 0],
      'checkout -> payments': [SHOP.checkouts, SHOP.failedCheckouts],
      'checkout -> orders': [SHOP.checkouts, 0],
      'orders -> shipping': [SHOP.checkouts, 0],
      'payments -> api.stripe.com': [SHOP.checkouts, SHOP.failedCheckouts],
      'catalog -> orders-db': [SHOP.productListings, 0],
    });
  });

  it('since narrows the window: the stopped legacy edge and its service drop out', async () => {
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const r = await gql(
      `query($env: String, $since: DateTime) { topology(environment: $env, since: $since) {
      nodes { name } edges { from { name } to { name } } } }`,
      { env, since },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.topology.nodes.map((n: any) => n.name)).not.toContain('legacy');
    expect(r.data.topology.edges).toHaveLength(8);
  });

  it('renders a Mermaid flowchart and a DOT digraph with one line per node and edge', async () => {
    const r = await gql(`query($env: String) { topology(environment: $env) { mermaid dot } }`, { env });
    expect(r.errors).toBeUndefined();
    const { mermaid, dot } = r.data.topology;
    const m = mermaid.trim().split('\n');
    expect(m[0]).toBe('flowchart LR');
    expect(m.filter((l: string) => l.includes('-->'))).toHaveLength(9);
    expect(m).toContain(`  ${m.find((l: string) => l.includes('"orders-db"'))!.trim()}`);
    expect(mermaid).toMatch(/n\d+\[\("orders-db"\)\]/);
    expect(mermaid).toMatch(/-->\|"60 calls, 10 errors"\|/);
    expect(dot.startsWith('digraph topology {')).toBe(true);
    expect(dot.trim().endsWith('}')).toBe(true);
    expect(dot.split('\n').filter((l: string) => l.includes(' -> '))).toHaveLength(9);
    expect(dot).toContain('[label="orders-db", shape=cylinder]');
  });

  it('escapes names that would break Mermaid or DOT', async () => {
    const weirdEnv = uniqueName('weird');
    const t = new TraceBuilder();
    const res = { 'deployment.environment.name': weirdEnv };
    const s = t.server('a "quoted" <svc> #1', '/x', { resource: res });
    t.client('a "quoted" <svc> #1', { parent: s, resource: res, attributes: { 'server.address': 'back\\slash"peer' } });
    await seed(graph, [t.batch()]);
    const r = await gql(`query($env: String) { topology(environment: $env) { mermaid dot } }`, { env: weirdEnv });
    expect(r.errors).toBeUndefined();
    expect(r.data.topology.mermaid).toContain('["a #quot;quoted#quot; #lt;svc#gt; #35;1"]');
    expect(r.data.topology.mermaid).toContain('(["back\\slash#quot;peer"])');
    expect(r.data.topology.dot).toContain('label="a \\"quoted\\" <svc> #1"');
    expect(r.data.topology.dot).toContain('label="back\\\\slash\\"peer"');
  });
});

describe('paths', () => {
  const hops = (r: any) => r.data.paths.map((p: any) => p.hops.map((h: any) => h.name).join(' > '));

  it('finds every simple path, shortest first', async () => {
    const r = await gql(
      `query($env: String) { paths(from: "gateway", to: "orders-db", environment: $env) { length hops { name kind } } }`,
      { env },
    );
    expect(r.errors).toBeUndefined();
    expect(hops(r)).toEqual(['gateway > catalog > orders-db', 'gateway > checkout > orders-db']);
    expect(r.data.paths[0].hops.map((h: any) => h.kind)).toEqual(['SERVICE', 'SERVICE', 'DATABASE']);
    expect(r.data.paths[0].length).toBe(2);
  });

  it('goes through destinations and respects maxDepth', async () => {
    const r = await gql(
      `query($env: String) { paths(from: "gateway", to: "shipping", environment: $env) { hops { name } } }`,
      { env },
    );
    expect(hops(r)).toEqual(['gateway > checkout > orders > shipping']);
    const short = await gql(
      `query($env: String) { paths(from: "gateway", to: "shipping", environment: $env, maxDepth: 2) { hops { name } } }`,
      { env },
    );
    expect(short.data.paths).toEqual([]);
  });

  it('answers unknown names and bad depths with coded errors', async () => {
    const unknown = await gql(
      `query($env: String) { paths(from: "nope", to: "orders-db", environment: $env) { length } }`,
      { env },
    );
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const deep = await gql(
      `query($env: String) { paths(from: "gateway", to: "orders-db", environment: $env, maxDepth: 50) { length } }`,
      { env },
    );
    expect(deep.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('changes', () => {
  it('lists new components, edges, operations, library versions and stopped edges', async () => {
    const since = new Date(Date.now() - 6 * 3_600_000).toISOString();
    const r = await gql(
      `query($env: String, $since: DateTime!) { changes(since: $since, environment: $env, quietFor: "1h") {
      kind subject at component { name } from { name } to { name } operation { name } library version } }`,
      { env, since },
    );
    expect(r.errors).toBeUndefined();
    const changes: any[] = r.data.changes;
    const subjects = (kind: string) =>
      changes
        .filter((c) => c.kind === kind)
        .map((c) => c.subject)
        .sort();
    expect(subjects('NEW_COMPONENT')).toContain('orders-db (database)');
    expect(subjects('NEW_COMPONENT')).toHaveLength(9);
    expect(subjects('NEW_EDGE')).toContain('checkout -> payments');
    expect(subjects('NEW_EDGE')).toHaveLength(9);
    expect(subjects('NEW_OPERATION')).toContain('checkout: POST /checkout');
    expect(subjects('NEW_LIBRARY_VERSION')).toContain('checkout uses test 1.0.0');
    expect(subjects('EDGE_STOPPED')).toEqual(['gateway -> legacy']);
    const stopped = changes.find((c) => c.kind === 'EDGE_STOPPED');
    expect(stopped.from.name).toBe('gateway');
    expect(stopped.to.name).toBe('legacy');
    expect(Date.now() - Date.parse(stopped.at)).toBeGreaterThan(2 * 3_600_000);
    // Newest first.
    const times = changes.map((c) => Date.parse(c.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('a since after everything gives nothing; a bad quietFor is a user error', async () => {
    const r = await gql(
      `query($env: String, $since: DateTime!) { changes(since: $since, environment: $env) { kind } }`,
      {
        env,
        since: new Date(Date.now() + 60_000).toISOString(),
      },
    );
    expect(r.data.changes).toEqual([]);
    const bad = await gql(
      `query($env: String) { changes(since: "2020-01-01T00:00:00Z", environment: $env, quietFor: "soon") { kind } }`,
      { env },
    );
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('GraphiQL examples', () => {
  it('the default document is valid against the schema', () => {
    expect(validate(schema, parse(GRAPHIQL_DEFAULT_QUERY))).toEqual([]);
  });

  for (const [name, query] of Object.entries(QUESTION_QUERIES)) {
    it(`${name} runs as written, within the default limits`, async () => {
      const r = await gql(query);
      expect(r.errors).toBeUndefined();
      expect(r.data).toBeDefined();
    });
  }
});
