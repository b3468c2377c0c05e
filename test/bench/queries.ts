/**
 * GraphQL against direct Cypher, side by side on the scaled graph: the same questions asked through
 * createApi(...).fetch and through neo4j-driver, at the same concurrency, in alternating rounds so that
 * drift in a shared machine hits both alike.
 *
 * The Cypher side is what a hand-written client would run: for dependents, the same level-by-level
 * breadth-first walk as the API (one statement per level, in one read transaction), returning only
 * the fields asked for; for the service and the library, one statement each.
 */
import type { ManagedTransaction } from 'neo4j-driver';
import type { Graph } from '../../src/core/neo4j/connection.js';
import type { GraphqlFetch, GraphqlResponse } from './ingest.js';
import type { ScaledGraph } from './scaled-graph.js';
import { percentile } from './stats.js';
import { prng } from './workload.js';

export const CYPHER_SERVICE = `
MATCH (s:Service {name: $name}) WHERE s.environment = $env
CALL (s) { MATCH (s)-[:HAS_OPERATION]->(o:Operation) WHERE o.lastSeen >= $since RETURN collect(o { .name, .kind }) AS operations }
CALL (s) {
  MATCH (s)-[r:DEPENDS_ON]->(c:Component) WHERE r.lastSeen >= $since
  RETURN collect({ depth: 1, component: c { .name, .kind }, calls: r.calls, errors: r.errors }) AS dependencies
}
RETURN s.name AS name, operations, dependencies`;

export const CYPHER_ROOT = `MATCH (s:Service {name: $name}) WHERE s.environment = $env RETURN s.key AS key`;

export const CYPHER_DEPENDENTS_LEVEL = `
UNWIND $frontier AS key
MATCH (:Component {key: key})<-[r:DEPENDS_ON]-(n:Component)
WHERE r.lastSeen >= $since
RETURN n.key AS key, n.name AS name, n.kind AS kind`;

export const CYPHER_LIBRARY = `
MATCH (l:Library {name: $name})<-[u:USES]-(s:Service)
WHERE u.lastSeen >= $since
WITH u.version AS version, collect(s { .name }) AS services
RETURN version, services ORDER BY version`;

const GQL_DEPENDENTS = `query ($name: String!, $env: String!) {
  service(name: $name, environment: $env) { dependents(depth: 5) { depth component { name kind } } }
}`;
const GQL_SERVICE = `query ($name: String!, $env: String!) {
  service(name: $name, environment: $env) {
    name
    operations { name kind }
    dependencies(depth: 1) { depth component { name kind } calls errors }
  }
}`;
const GQL_LIBRARY = `query ($name: String!) { library(name: $name) { versions { version services { name } } } }`;

async function dependentsByCypher(tx: ManagedTransaction, name: string, env: string, since: number) {
  const root = (await tx.run(CYPHER_ROOT, { name, env })).records[0]?.get('key') as string | undefined;
  if (!root) return [];
  const seen = new Set([root]);
  const out: { depth: number; component: { name: string; kind: string } }[] = [];
  let frontier = [root];
  for (let depth = 1; depth <= 5 && frontier.length > 0; depth++) {
    const rows = (await tx.run(CYPHER_DEPENDENTS_LEVEL, { frontier, since })).records;
    frontier = [];
    for (const r of rows) {
      const key = r.get('key') as string;
      if (seen.has(key)) continue;
      seen.add(key);
      frontier.push(key);
      out.push({ depth, component: { name: r.get('name') as string, kind: r.get('kind') as string } });
    }
  }
  return out;
}

/** Asks an API (createApi().fetch, no socket) as the bench does. */
export const graphqlOf =
  (api: { fetch(url: string, init: RequestInit): Response | Promise<Response> }): GraphqlFetch =>
  async (query, variables) =>
    (await (
      await api.fetch('http://bench/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      })
    ).json()) as GraphqlResponse;

export interface QueryCase {
  name: string;
  graphql: (i: number) => Promise<unknown>;
  cypher: (i: number) => Promise<unknown>;
  /** how many results one answer holds, on average (to say what was asked) */
  size?: number;
}

export interface QueryStats {
  name: string;
  graphql: number[];
  cypher: number[];
}

export function queryCases(
  graph: Graph,
  graphql: GraphqlFetch,
  env: string,
  plan: ScaledGraph,
  roots: { dependents: string[]; services: string[] },
): QueryCase[] {
  const since = Date.now() - 24 * 3_600_000;
  const check = (r: { data?: unknown; errors?: unknown[] }) => {
    if (r.errors) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors)}`);
    return r.data;
  };
  const read = <T>(work: (tx: ManagedTransaction) => Promise<T>) => graph.read('topograph-bench', work);
  return [
    {
      name: 'dependents(depth: 5)',
      graphql: async (i) =>
        check(await graphql(GQL_DEPENDENTS, { name: roots.dependents[i % roots.dependents.length], env })),
      cypher: (i) => read((tx) => dependentsByCypher(tx, roots.dependents[i % roots.dependents.length]!, env, since)),
    },
    {
      name: 'service + operations + dependencies',
      graphql: async (i) => check(await graphql(GQL_SERVICE, { name: roots.services[i % roots.services.length], env })),
      cypher: (i) =>
        read(async (tx) =>
          (await tx.run(CYPHER_SERVICE, { name: roots.services[i % roots.services.length], env, since })).records.map(
            (r) => r.toObject(),
          ),
        ),
    },
    {
      name: 'library versions',
      graphql: async (i) => check(await graphql(GQL_LIBRARY, { name: plan.libraries[i % 10] })),
      cypher: (i) =>
        read(async (tx) =>
          (await tx.run(CYPHER_LIBRARY, { name: plan.libraries[i % 10], since })).records.map((r) => r.toObject()),
        ),
    },
  ];
}

/** Runs `count` calls of `fn` with `concurrency` in flight; returns each call's latency in ms. */
export async function timed(
  fn: (i: number) => Promise<unknown>,
  count: number,
  concurrency: number,
): Promise<number[]> {
  const out: number[] = [];
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      const start = performance.now();
      await fn(i);
      out.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return out;
}

export async function compareQueries(
  cases: QueryCase[],
  opts: { rounds: number; perRound: number; concurrency: number },
): Promise<QueryStats[]> {
  const stats = cases.map((c) => ({ name: c.name, graphql: [] as number[], cypher: [] as number[] }));
  // Warm both paths (JIT, plan caches, page cache) before anything counts.
  for (const c of cases) {
    await timed(c.graphql, opts.perRound, opts.concurrency);
    await timed(c.cypher, opts.perRound, opts.concurrency);
  }
  for (let round = 0; round < opts.rounds; round++) {
    for (const [k, c] of cases.entries()) {
      // Alternate which side goes first, so neither always follows the other's cache effects.
      const order = round % 2 === 0 ? (['graphql', 'cypher'] as const) : (['cypher', 'graphql'] as const);
      for (const side of order)
        stats[k]![side].push(
          ...(await timed((i) => c[side](i + round * opts.perRound), opts.perRound, opts.concurrency)),
        );
    }
  }
  return stats;
}

/** Roots for the traversals: services with dependents, spread from the lightest to the heaviest. */
export function pickRoots(
  plan: ScaledGraph,
  seed: number,
): { dependents: string[]; services: string[]; reach: number[] } {
  const callers = new Map<number, number[]>();
  for (const [a, b] of plan.edges) callers.set(b, [...(callers.get(b) ?? []), a]);
  const reachOf = (root: number) => {
    const seen = new Set([root]);
    let frontier = [root];
    for (let d = 0; d < 5; d++) {
      const next: number[] = [];
      for (const k of frontier) {
        for (const c of callers.get(k) ?? []) {
          if (seen.has(c)) continue;
          seen.add(c);
          next.push(c);
        }
      }
      frontier = next;
    }
    return seen.size - 1;
  };
  const withDependents = [...callers.keys()].map((k) => ({ k, reach: reachOf(k) })).sort((a, b) => a.reach - b.reach);
  const dependents = Array.from(
    { length: 20 },
    (_, i) => withDependents[Math.floor(((i + 0.5) / 20) * withDependents.length)]!,
  );
  const rand = prng(seed);
  const services = Array.from({ length: 20 }, () => plan.services[Math.floor(rand() * plan.services.length)]!);
  return { dependents: dependents.map((d) => plan.services[d.k]!), services, reach: dependents.map((d) => d.reach) };
}

export { percentile };
