/**
 * Relay node(id:) for every component kind and operations; dependencies and dependents with depth
 * and path on databases, destinations and external peers, not only services.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createGql } from '../support/api.js';
import { SpanKind } from '../../ingest/span.js';
import { seed, fileGraph, uniqueName } from '../support/graph.js';
import { TraceBuilder } from '../support/spans.js';
import { seedShop, SHOP } from '../support/shop.js';

const graph = fileGraph();
let gql: ReturnType<typeof createGql>;
const env = uniqueName('nodes');

beforeAll(async () => {
  gql = createGql(graph);
  await seedShop(graph, env);
});

describe('node(id:)', () => {
  it('refetches every kind of component and an operation by its global id', async () => {
    const r = await gql(
      `query($env: String) { topology(environment: $env) { nodes { id name kind operations { id name } } } }`,
      { env },
    );
    expect(r.errors).toBeUndefined();
    const nodes: any[] = r.data.topology.nodes;
    expect(new Set(nodes.map((n) => n.kind))).toEqual(
      new Set(['SERVICE', 'DATABASE', 'MESSAGING_DESTINATION', 'EXTERNAL']),
    );
    for (const n of nodes) {
      const back = await gql(
        `query($id: ID!) { node(id: $id) { id __typename ... on Component { name kind environment } } }`,
        { id: n.id },
      );
      expect(back.errors).toBeUndefined();
      expect(back.data.node).toMatchObject({ id: n.id, name: n.name, kind: n.kind, environment: env });
    }
    const op = nodes.find((n) => n.name === 'checkout').operations[0];
    const back = await gql(
      `query($id: ID!) { node(id: $id) { __typename ... on Operation { name component { name } } } }`,
      { id: op.id },
    );
    expect(back.data.node).toEqual({
      __typename: 'Operation',
      name: 'POST /checkout',
      component: { name: 'checkout' },
    });
  });

  it('ids are opaque global ids; nodes(ids:) batches; a malformed or unknown id is handled', async () => {
    const r = await gql(`query($env: String) { service(name: "checkout", environment: $env) { id } }`, { env });
    const id: string = r.data.service.id;
    expect(Buffer.from(id, 'base64').toString('utf8').startsWith('Service:')).toBe(true);
    const many = await gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [id, id] });
    expect(many.data.nodes).toEqual([{ id }, { id }]);
    const unknown = Buffer.from('Service:["service","nowhere","","nothing"]').toString('base64');
    const none = await gql(`query($id: ID!) { node(id: $id) { id } }`, { id: unknown });
    expect(none.data.node).toBeNull();
    const bad = await gql(`{ node(id: "not-a-global-id") { id } }`);
    expect(bad.errors?.length).toBeGreaterThan(0);
  });
});

describe('dependencies and dependents on every kind', () => {
  it('a database: dependents with depth and path', async () => {
    const r = await gql(
      `query($env: String) { component(name: "orders-db", kind: DATABASE, environment: $env) {
      kind dependents(depth: 2) { depth component { name } path { name } calls } dependencies(depth: 3) { depth } } }`,
      { env },
    );
    expect(r.errors).toBeUndefined();
    const d = r.data.component;
    expect(d.kind).toBe('DATABASE');
    expect(d.dependencies).toEqual([]);
    const rows = d.dependents
      .map((h: any) => `${h.depth} ${h.path.map((p: any) => p.name).join('<')} x${h.calls}`)
      .sort();
    expect(rows).toEqual([
      `1 orders-db<catalog x${SHOP.productListings}`,
      `1 orders-db<checkout x${SHOP.checkouts}`,
      `2 orders-db<catalog<gateway x${SHOP.productListings}`,
    ]);
  });

  it('a messaging destination: both directions', async () => {
    const r = await gql(
      `query($env: String) { component(name: "orders", kind: MESSAGING_DESTINATION, environment: $env) {
      ... on MessagingDestination { system }
      dependencies(depth: 1) { component { name kind } calls }
      dependents(depth: 1) { component { name } } } }`,
      { env },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.component.system).toBe('kafka');
    expect(r.data.component.dependencies).toEqual([
      { component: { name: 'shipping', kind: 'SERVICE' }, calls: SHOP.checkouts },
    ]);
    expect(r.data.component.dependents).toEqual([{ component: { name: 'checkout' } }]);
  });

  it('an external peer: its callers, transitively, with the path that reached each', async () => {
    const r = await gql(
      `query($env: String) { component(name: "api.stripe.com", environment: $env) {
      kind dependents(depth: 3) { depth component { name } from { name } path { name } } } }`,
      { env },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.component.kind).toBe('EXTERNAL');
    expect(
      r.data.component.dependents.map((h: any) => [
        h.depth,
        h.component.name,
        h.from.name,
        h.path.map((p: any) => p.name),
      ]),
    ).toEqual([
      [1, 'payments', 'api.stripe.com', ['api.stripe.com', 'payments']],
      [2, 'checkout', 'payments', ['api.stripe.com', 'payments', 'checkout']],
      [3, 'gateway', 'checkout', ['api.stripe.com', 'payments', 'checkout', 'gateway']],
    ]);
  });
});

describe('relay connections', () => {
  it('tag values page through valueConnection with cursors, most used first', async () => {
    // client.* is allow-listed by default; a key of its own keeps other tests' values out.
    const key = `client.${uniqueName('paging')}`;
    const res = { 'deployment.environment.name': env };
    const batches = [];
    for (let v = 0; v < 5; v++) {
      for (let n = 0; n <= v; n++) {
        const t = new TraceBuilder();
        t.span({
          service: 'pager',
          kind: SpanKind.SERVER,
          name: 'GET /p',
          resource: res,
          attributes: { 'http.request.method': 'GET', 'http.route': '/p', [key]: `v${v}` },
        });
        batches.push(t.batch());
      }
    }
    await seed(graph, batches);
    const page = async (after?: string) => {
      const r = await gql(
        `query($key: String!, $after: String) { tag(key: $key) { valueConnection(first: 2, after: $after) {
        edges { cursor node { value calls services { name } } } pageInfo { hasNextPage endCursor } } } }`,
        { key, after },
      );
      expect(r.errors).toBeUndefined();
      return r.data.tag.valueConnection;
    };
    const first = await page();
    expect(first.edges.map((e: any) => [e.node.value, e.node.calls])).toEqual([
      ['v4', 5],
      ['v3', 4],
    ]);
    expect(first.edges[0].node.services).toEqual([{ name: 'pager' }]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await page(first.pageInfo.endCursor);
    expect(second.edges.map((e: any) => e.node.value)).toEqual(['v2', 'v1']);
    const third = await page(second.pageInfo.endCursor);
    expect(third.edges.map((e: any) => e.node.value)).toEqual(['v0']);
    expect(third.pageInfo.hasNextPage).toBe(false);
  });

  /** Follows a connection page by page (`first: 1`) until it ends; returns the nodes' `field` values. */
  async function walk(query: string, vars: Record<string, unknown>, pick: (d: any) => any, field: string) {
    const out: unknown[] = [];
    let after: string | undefined;
    for (let i = 0; i < 50; i++) {
      const r = await gql(query, { ...vars, after });
      expect(r.errors).toBeUndefined();
      const c = pick(r.data);
      out.push(...c.edges.map((e: any) => e.node[field]));
      if (!c.pageInfo.hasNextPage) return out;
      after = c.pageInfo.endCursor;
    }
    throw new Error('the connection never ended');
  }

  it("a service's operations and the changes page through connections that hold exactly the lists", async () => {
    const lists = await gql(
      `query($env: String) { service(name: "gateway", environment: $env) { operations { name } }
        changes(since: "2020-01-01T00:00:00Z", environment: $env) { subject } }`,
      { env },
    );
    expect(lists.errors).toBeUndefined();
    const names = lists.data.service.operations.map((o: any) => o.name);
    expect(names.length).toBeGreaterThan(1);
    const paged = await walk(
      `query($env: String, $after: String) { service(name: "gateway", environment: $env) {
        operationConnection(first: 1, after: $after) { edges { node { name } } pageInfo { hasNextPage endCursor } } } }`,
      { env },
      (d) => d.service.operationConnection,
      'name',
    );
    expect(paged).toEqual(names);

    const subjects = lists.data.changes.map((c: any) => c.subject);
    expect(subjects.length).toBeGreaterThan(3);
    const pagedChanges = await walk(
      `query($env: String, $after: String) { changeConnection(since: "2020-01-01T00:00:00Z", environment: $env, first: 3, after: $after) {
        edges { node { subject } } pageInfo { hasNextPage endCursor } } }`,
      { env },
      (d) => d.changeConnection,
      'subject',
    );
    expect(pagedChanges).toEqual(subjects);
  });

  it('tag values and library versions give their services as connections too', async () => {
    const r = await gql(`{
      tag(key: "tenant.id") { values(first: 3) { services { id } serviceConnection(first: 2) {
        edges { node { id } } pageInfo { hasNextPage } } operations { id } operationConnection(first: 50) { edges { node { id } } } } }
      library(name: "test") { versions { services { id } serviceConnection(first: 2) { edges { node { id } } pageInfo { hasNextPage } } } }
    }`);
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    const lists = [...r.data.tag.values, ...r.data.library.versions];
    expect(lists.length).toBeGreaterThan(0);
    for (const v of lists) {
      const keys = v.services.map((s: any) => s.id);
      expect(v.serviceConnection.edges.map((e: any) => e.node.id)).toEqual(keys.slice(0, 2));
      expect(v.serviceConnection.pageInfo.hasNextPage).toBe(keys.length > 2);
    }
    for (const v of r.data.tag.values) {
      expect(v.operationConnection.edges.map((e: any) => e.node.id)).toEqual(
        v.operations.slice(0, 50).map((o: any) => o.id),
      );
    }
  });
});

describe('service(name:) looking ahead', () => {
  it('answers operations and direct dependencies exactly as the fields alone would, for every service', async () => {
    const selection = (ops: string, deps: string) =>
      `name operations${ops} { name kind calls } dependencies${deps} { depth component { name kind } path { name } calls errors }`;
    // Literal defaults: prefetched with the lookup. Variables: the fields load on their own.
    const ahead = `query($env: String, $name: String!) { service(name: $name, environment: $env) { ${selection('', '(depth: 1)')} } }`;
    const alone = `query($env: String, $name: String!, $one: Int!, $none: DateTime) {
      service(name: $name, environment: $env) { ${selection('(since: $none)', '(depth: $one)')} } }`;
    const names = ['gateway', 'checkout', 'payments', 'shipping', 'catalog', 'legacy'];
    let leaves = 0;
    for (const name of names) {
      const a = await gql(ahead, { env, name });
      const b = await gql(alone, { env, name, one: 1, none: null });
      expect(a.errors).toBeUndefined();
      expect(b.errors).toBeUndefined();
      expect(a.data.service, name).toEqual(b.data.service);
      if (a.data.service.dependencies.length === 0) leaves++;
    }
    // Services without dependencies are among them (an empty prefetch must stay empty).
    expect(leaves).toBeGreaterThan(0);
  });

  it("walks dependents or dependencies of a literal depth in the lookup's transaction, answering as the field alone would", async () => {
    const hop = 'depth component { name kind } path { name } calls errors lastSeen';
    const names = ['gateway', 'checkout', 'payments', 'shipping', 'catalog', 'legacy', 'no-such-service'];
    let reached = 0;
    for (const field of ['dependents', 'dependencies']) {
      for (const depth of [1, 3, 5]) {
        // A literal depth: looked up and walked together. A variable: the field loads on its own.
        const ahead = `query($env: String, $name: String!) { service(name: $name, environment: $env) { name ${field}(depth: ${depth}) { ${hop} } } }`;
        const alone = `query($env: String, $name: String!, $d: Int!) { service(name: $name, environment: $env) { name ${field}(depth: $d) { ${hop} } } }`;
        for (const name of names) {
          const a = await gql(ahead, { env, name });
          const b = await gql(alone, { env, name, d: depth });
          expect(a.errors).toBeUndefined();
          expect(a.data.service, `${name} ${field} ${depth}`).toEqual(b.data.service);
          reached += a.data.service?.[field].length ?? 0;
          // Asked for no edge figure, the walk reads no edge: the same components, depths and paths.
          const named = await gql(
            `query($env: String, $name: String!) { service(name: $name, environment: $env) { ${field}(depth: ${depth}) { depth component { name kind } path { name } } } }`,
            { env, name },
          );
          expect(named.errors).toBeUndefined();
          expect(named.data.service?.[field]).toEqual(
            a.data.service?.[field].map(({ depth, component, path }: any) => ({ depth, component, path })),
          );
        }
      }
    }
    expect(reached).toBeGreaterThan(0);
    // Out of bounds: the same error as without looking ahead.
    const tooDeep = await gql(
      `query($env: String) { service(name: "gateway", environment: $env) { dependents(depth: 99) { depth } } }`,
      { env },
    );
    expect(tooDeep.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
