/**
 * The query benchmarks' graph: the real 1,238-service dependency graph of Jaeger UI's large.json,
 * copied until it has the requested number of services, each copy linked to the next by a few of its
 * calls (shared platform services do this), with ten operations per service and libraries in use.
 * Written directly with batched UNWIND statements, under the run's own environment.
 */
import { readFileSync } from 'node:fs';
import neo4j from 'neo4j-driver';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LATENCY_BUCKETS, HOUR_SLOTS, MINUTE_SLOTS, operationKey, serviceKey } from '../../src/core/model.js';
import type { Graph } from '../../src/core/neo4j/connection.js';
import { prng } from './workload.js';

// ../shared/corpus beside the checkout, as the tests find it (test/unit/trace-edges.ts); TOPOGRAPH_CORPUS elsewhere.
const CORPUS = join(
  process.env.TOPOGRAPH_CORPUS ?? fileURLToPath(new URL('../../../shared/corpus/', import.meta.url)),
  'jaeger/jaeger-ui/large.json',
);
const BATCH = 2000;

export interface ScaledGraph {
  services: string[];
  /** [from, to] service indexes */
  edges: [number, number][];
  operations: number;
  libraries: string[];
}

const MEASURE = (v: string) => `
  ${v}.calls = toInteger(row.calls), ${v}.errors = toInteger(row.errors), ${v}.latSum = toInteger(row.calls) * 12.5, ${v}.latMax = 250.0,
  ${v}.latBuckets = [i IN range(1, ${LATENCY_BUCKETS}) | CASE WHEN i = 3 THEN toInteger(row.calls) ELSE 0 END],
  ${v}.hm = [i IN range(1, ${MINUTE_SLOTS}) | $minute - ${MINUTE_SLOTS} + i], ${v}.hmCalls = [i IN range(1, ${MINUTE_SLOTS}) | toInteger(row.calls) / 60],
  ${v}.hmErrors = [i IN range(1, ${MINUTE_SLOTS}) | 0], ${v}.hmLatSum = [i IN range(1, ${MINUTE_SLOTS}) | 1.5],
  ${v}.hh = [i IN range(1, ${HOUR_SLOTS}) | $hour - ${HOUR_SLOTS} + i], ${v}.hhCalls = [i IN range(1, ${HOUR_SLOTS}) | toInteger(row.calls)],
  ${v}.hhErrors = [i IN range(1, ${HOUR_SLOTS}) | 0], ${v}.hhLatSum = [i IN range(1, ${HOUR_SLOTS}) | 2.5],
  ${v}.firstSeen = $now - 86400000, ${v}.lastSeen = $now`;

export const CREATE_SERVICES = `
UNWIND $rows AS row
CREATE (c:Component:Service {key: row.key, kind: 'SERVICE', name: row.name, environment: $env, namespace: '',
  version: row.version, firstSeen: $now - 86400000, lastSeen: $now})`;

export const CREATE_OPERATIONS = `
UNWIND $rows AS row
MATCH (c:Component {key: row.componentKey})
CREATE (c)-[:HAS_OPERATION]->(o:Operation {key: row.key, name: row.name, kind: 'SERVER', componentKey: row.componentKey,
  entryPoint: row.entry, entryCalls: row.entryCalls})
SET ${MEASURE('o')}`;

export const CREATE_DEPENDS_ON = `
UNWIND $rows AS row
MATCH (a:Component {key: row.from})
MATCH (b:Component {key: row.to})
CREATE (a)-[r:DEPENDS_ON {protocols: ['http']}]->(b)
SET ${MEASURE('r')}`;

export const CREATE_USES = `
UNWIND $rows AS row
MATCH (s:Component {key: row.service})
MERGE (l:Library {name: row.library})
  ON CREATE SET l.kind = 'instrumentation', l.firstSeen = $now - 86400000, l.lastSeen = $now
CREATE (s)-[:USES {version: row.version, firstSeen: $now - 86400000, lastSeen: $now}]->(l)`;

/** Deletes a bounded batch of the environment's components with their operations; returns how many went. */
export const DELETE_COMPONENTS = `
MATCH (c:Component) WHERE c.environment = $env
WITH c LIMIT 300
OPTIONAL MATCH (c)-[:HAS_OPERATION]->(o:Operation)
WITH c, collect(o) AS ops
OPTIONAL MATCH (c)-[:HAS_VERSION]->(v:ServiceVersion)
WITH c, ops, collect(v) AS versions
FOREACH (o IN ops + versions | DETACH DELETE o)
DETACH DELETE c
RETURN count(*) AS n`;

/** The trace samples of the environment's operations, before the operations go (a sample is keyed by trace id alone). */
export const DELETE_TRACE_SAMPLES = `
MATCH (c:Component) WHERE c.environment = $env
MATCH (c)-[:HAS_OPERATION]->(:Operation)-[:SAMPLED]->(t:TraceSample)
WITH DISTINCT t LIMIT 1000
DETACH DELETE t
RETURN count(*) AS n`;

export const DELETE_LIBRARIES = `
MATCH (l:Library) WHERE l.name CONTAINS $runId
WITH l LIMIT 1000
DETACH DELETE l
RETURN count(*) AS n`;

export const DELETE_TAGS = `
MATCH (t:Tag) WHERE t.value CONTAINS $runId
WITH t LIMIT 1000
DETACH DELETE t
RETURN count(*) AS n`;

export function planScaledGraph(runId: string, services: number, opsPerService: number): ScaledGraph {
  const links = JSON.parse(readFileSync(CORPUS, 'utf8')) as { parent: string; child: string }[];
  const names = [...new Set(links.flatMap((l) => [l.parent, l.child]))].sort();
  const index = new Map(names.map((n, i) => [n, i]));
  const copies = Math.ceil(services / names.length);
  const rand = prng(42);
  const all: string[] = [];
  for (let c = 0; c < copies; c++) for (const n of names) if (all.length < services) all.push(`c${c}-${n}-${runId}`);
  const edges: [number, number][] = [];
  for (let c = 0; c < copies; c++) {
    for (const l of links) {
      const from = c * names.length + index.get(l.parent)!;
      const to = c * names.length + index.get(l.child)!;
      if (from < services && to < services) edges.push([from, to]);
      const across = to + names.length;
      if (from < services && across < services && rand() < 0.03) edges.push([from, across]);
    }
  }
  const libraries = Array.from({ length: 100 }, (_, i) => `bench-lib${i}-${runId}`);
  return { services: all, edges, operations: all.length * opsPerService, libraries };
}

/** The environment and the instant (ms, minute, hour) a load or refresh writes its times at. */
function timeParams(env: string) {
  const now = Date.now();
  return {
    env,
    now: neo4j.int(now),
    minute: neo4j.int(Math.floor(now / 60_000)),
    hour: neo4j.int(Math.floor(now / 3_600_000)),
  };
}

export async function loadScaledGraph(
  graph: Graph,
  env: string,
  plan: ScaledGraph,
  opsPerService: number,
): Promise<void> {
  const params = timeParams(env);
  const keys = plan.services.map((n) => serviceKey(env, '', n));
  const rand = prng(43);
  const inBatches = async (query: string, rows: unknown[]) => {
    for (let i = 0; i < rows.length; i += BATCH) {
      await graph.write('topograph-bench', (tx) => tx.run(query, { ...params, rows: rows.slice(i, i + BATCH) }));
    }
  };
  await inBatches(
    CREATE_SERVICES,
    plan.services.map((name, i) => ({ key: keys[i], name, version: `2.${i % 9}.0` })),
  );
  const ops = keys.flatMap((k, i) =>
    Array.from({ length: opsPerService }, (_, j) => {
      const name = `${['GET', 'POST', 'PUT'][j % 3]} /api/r${j}/{id}`;
      const calls = 1 + Math.floor(rand() * 10_000);
      return {
        key: operationKey(k, 'SERVER', name),
        componentKey: k,
        name,
        entry: j === 0 && i % 10 === 0,
        entryCalls: 0,
        calls,
        errors: Math.floor(calls * 0.05),
      };
    }),
  );
  await inBatches(CREATE_OPERATIONS, ops);
  await inBatches(
    CREATE_DEPENDS_ON,
    plan.edges.map(([a, b]) => {
      const calls = 1 + Math.floor(rand() * 100_000);
      return { from: keys[a], to: keys[b], calls, errors: Math.floor(calls * 0.05 * rand()) };
    }),
  );
  const uses = keys.flatMap((k, i) =>
    [0, 1, 2].map((j) => ({
      service: k,
      library: plan.libraries[(i * 7 + j * 31) % plan.libraries.length],
      version: `1.${(i + j) % 5}.0`,
    })),
  );
  await inBatches(CREATE_USES, uses);
  await settleStatistics(graph);
}

const SETTLE_STATISTICS = [
  'CALL db.resampleOutdatedIndexes()',
  'CALL db.awaitIndexes(300)',
  'CALL db.clearQueryCaches()',
] as const;

/**
 * Right after a bulk load, the index statistics still describe the graph from before it, and a
 * statement planned on them can scan where it should seek: on a fresh store, the dependents walk
 * (GraphQL and Cypher alike) took 700 ms instead of 10 for a while after loading. Neo4j resamples
 * in the background; the bench asks for it at once (the procedure schedules it) and drops the plans
 * made on the old figures, so that both sides are measured on the plans a graph in steady state gets
 * (PROFILE after it: the unique key seek, 2 db hits per level).
 */
async function settleStatistics(graph: Graph): Promise<void> {
  await graph.write('topograph-bench', async (tx) => {
    for (const call of SETTLE_STATISTICS) await tx.run(call);
  });
}

export const COUNT_SERVICES = `MATCH (c:Service) WHERE c.environment = $env RETURN count(c) AS n`;

/** Brings a batch of a kept graph's times up to now, as a fresh load sets them (see MEASURE); returns how many. */
const refresh = (match: string, v: string, rings: boolean) => `
${match} AND ${v}.lastSeen < $now
WITH ${v} LIMIT ${BATCH}
SET ${v}.lastSeen = $now${
  rings
    ? `, ${v}.hm = [i IN range(1, ${MINUTE_SLOTS}) | $minute - ${MINUTE_SLOTS} + i], ${v}.hh = [i IN range(1, ${HOUR_SLOTS}) | $hour - ${HOUR_SLOTS} + i]`
    : ''
}
RETURN count(*) AS n`;

export const REFRESH_SCALED_GRAPH = [
  refresh('MATCH (c:Component) WHERE c.environment = $env', 'c', false),
  refresh('MATCH (c:Component)-[:HAS_OPERATION]->(o:Operation) WHERE c.environment = $env', 'o', true),
  refresh('MATCH (c:Component)-[r:DEPENDS_ON]->() WHERE c.environment = $env', 'r', true),
  refresh('MATCH (c:Component)-[u:USES]->() WHERE c.environment = $env', 'u', false),
];

/**
 * The profiling tools' graph: loaded under `runId` unless a complete one of that run is already
 * there (left by an earlier run with the same id), since loading 10,000 services takes minutes. A
 * graph kept from earlier gets its lastSeen and ring minutes moved to now, or a question over the
 * last 15 minutes would find nothing in it.
 */
export async function keptScaledGraph(graph: Graph, runId: string, services: number): Promise<ScaledGraph> {
  const env = `bench-${runId}`;
  const plan = planScaledGraph(runId, services, 10);
  const loaded = await graph.read('topograph-bench', async (tx) =>
    Number((await tx.run(COUNT_SERVICES, { env })).records[0]!.get('n')),
  );
  if (loaded === plan.services.length) {
    const params = timeParams(env);
    for (const statement of REFRESH_SCALED_GRAPH) {
      while (
        Number(
          await graph.write('topograph-bench', async (tx) => (await tx.run(statement, params)).records[0]!.get('n')),
        ) > 0
      );
    }
    return plan;
  }
  if (loaded > 0) await deleteRun(graph, env, runId);
  await loadScaledGraph(graph, env, plan, 10);
  return plan;
}

/** Deletes what this run created, in bounded batches: trace samples, components and operations of its environment, its libraries and tags. */
export async function deleteRun(graph: Graph, env: string, runId: string): Promise<number> {
  let total = 0;
  for (const [query, params] of [
    [DELETE_TRACE_SAMPLES, { env }],
    [DELETE_COMPONENTS, { env }],
    [DELETE_LIBRARIES, { runId }],
    [DELETE_TAGS, { runId }],
  ] as const) {
    for (;;) {
      const n = await graph.write(
        'topograph-bench',
        async (tx) => (await tx.run(query, params)).records[0]!.get('n') as number,
      );
      total += n;
      if (n === 0) break;
    }
  }
  return total;
}
