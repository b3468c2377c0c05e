/**
 * What a walk reports when components are reached by more than one equally short path: the path
 * through the smallest keys, hops in the order their parents stand in (by key), then by their own
 * key; the same answer for a root walked alone as for the same root walked beside others in one
 * statement per level (a list of services).
 *
 *   a1 → t, a2 → t, a3 → t          depth 1 of t's dependents
 *   b → a1, z → a1, b → a2           b is reached through a1 and a2: a1 wins
 *   c → a2, c → a3, e → a3           c through a2 and a3: a2 wins
 *   d → b, d → c                     depth 3, through b and c: b wins
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { DecodedBatch } from '../../ingest/span.js';
import { createGql } from '../support/api.js';
import { fileGraph, seed, uniqueName } from '../support/graph.js';
import { TraceBuilder } from '../support/spans.js';

const graph = fileGraph();
const env = uniqueName('walk-order');
let gql: ReturnType<typeof createGql>;

const CALLS: [string, string][] = [
  ['a1', 't'],
  ['a2', 't'],
  ['a3', 't'],
  ['b', 'a1'],
  ['z', 'a1'],
  ['b', 'a2'],
  ['c', 'a2'],
  ['c', 'a3'],
  ['e', 'a3'],
  ['d', 'b'],
  ['d', 'c'],
];

/** One HTTP call from `caller` to `callee`, in a trace of its own. */
function call(caller: string, callee: string): DecodedBatch {
  const resource = { 'deployment.environment.name': env };
  const t = new TraceBuilder();
  const entry = t.server(caller, `/${caller}`, { resource });
  const out = t.client(caller, { parent: entry, resource });
  t.server(callee, `/${callee}`, { parent: out, resource });
  return t.batch();
}

beforeAll(async () => {
  gql = createGql(graph);
  await seed(
    graph,
    CALLS.map(([a, b]) => call(a, b)),
  );
});

const HOP = 'depth component { name } from { name } path { name }';
const line = (h: { depth: number; component: { name: string }; from: { name: string }; path: { name: string }[] }) =>
  `${h.depth} ${h.component.name} from ${h.from.name} (${h.path.map((p) => p.name).join('<')})`;

describe('a walk with ties', () => {
  it('reports each component through the smallest keys, in the order of the keys it was reached from', async () => {
    const r = await gql(
      `query($env: String) { service(name: "t", environment: $env) { dependents(depth: 3) { ${HOP} } } }`,
      { env },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.service.dependents.map(line)).toEqual([
      '1 a1 from t (t<a1)',
      '1 a2 from t (t<a2)',
      '1 a3 from t (t<a3)',
      // a1's claims first (b, then z), then a2's (c: b is taken), then a3's (e: c is taken)
      '2 b from a1 (t<a1<b)',
      '2 z from a1 (t<a1<z)',
      '2 c from a2 (t<a2<c)',
      '2 e from a3 (t<a3<e)',
      '3 d from b (t<a1<b<d)',
    ]);
  });

  it('answers a root walked beside others in one statement per level as it answers it alone', async () => {
    // The depth a variable: every service's walk goes through the grouped loader, all roots at once.
    const many = await gql(
      `query($env: String, $d: Int!) { services(environment: $env, first: 20) { edges { node { name
        dependents(depth: $d) { ${HOP} } dependencies(depth: $d) { ${HOP} } } } } }`,
      { env, d: 3 },
    );
    expect(many.errors).toBeUndefined();
    const nodes = many.data.services.edges.map((e: any) => e.node);
    expect(nodes.map((n: any) => n.name).sort()).toEqual(['a1', 'a2', 'a3', 'b', 'c', 'd', 'e', 't', 'z']);
    let reached = 0;
    for (const node of nodes) {
      const alone = await gql(
        `query($env: String, $name: String!) { service(name: $name, environment: $env) { name
          dependents(depth: 3) { ${HOP} } dependencies(depth: 3) { ${HOP} } } }`,
        { env, name: node.name },
      );
      expect(alone.errors).toBeUndefined();
      expect(alone.data.service, node.name).toEqual(node);
      reached += node.dependents.length + node.dependencies.length;
    }
    expect(reached).toBeGreaterThan(CALLS.length);
    // d's dependencies meet at t from both sides: through b and a1, the smaller keys.
    const d = nodes.find((n: any) => n.name === 'd');
    expect(d.dependencies.map(line)).toEqual([
      '1 b from d (d<b)',
      '1 c from d (d<c)',
      '2 a1 from b (d<b<a1)',
      '2 a2 from b (d<b<a2)',
      '2 a3 from c (d<c<a3)',
      '3 t from a1 (d<b<a1<t)',
    ]);
  });
});
