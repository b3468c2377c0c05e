/**
 * Where a GraphQL question's time goes, in one process: loads a scaled graph, then asks each of the
 * bench's three questions and incident_context N times one after another, through createApi().fetch and as the Cypher
 * baseline, printing mean ms, transactions, statements and the time spent waiting for Neo4j of each. Run with
 * `node --cpu-prof --import tsx test/bench/query-profile.ts [services] [n] [question] [--keep=<runId>]` for a
 * profile (`--keep`: see keptScaledGraph). `--concurrency=N` asks N at once (the bench asks 4; the ms
 * printed are then wall time over the questions, and the waits for Neo4j overlap), and
 * `--side=graphql` or `--side=cypher` asks only that side; `--profile=<prefix>` writes a V8 CPU profile
 * of each side's timed part alone to `<prefix>-<question>-<side>.cpuprofile` (without the loading,
 * warm-up and the other side that `--cpu-prof` also holds).
 * A tool for working on the API, not part of `npm run bench`.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadConfig } from '../../src/core/config.js';
import { applySchema, createGraph, resolveNeo4j, type Graph } from '../../src/core/neo4j/connection.js';
import { countingGraph } from '../support/counting-graph.js';
import { createApi } from '../../src/api/yoga.js';
import { apiConfig } from '../support/api.js';
import { TOOL_DOCUMENTS } from '../../src/api/mcp/tools.js';
import { graphqlOf, pickRoots, queryCases, timed as inFlight, type QueryCase } from './queries.js';
import { deleteRun, keptScaledGraph } from './scaled-graph.js';

const services = Number(process.argv[2] ?? 1000);
const n = Number(process.argv[3] ?? 100);
const config = loadConfig();
const inner = createGraph(await resolveNeo4j(config.neo4j));
await applySchema(inner);
let transactions = 0;
let statements = 0;
/** ms spent waiting for Neo4j (transactions and statements, start to result) */
let neo4jMs = 0;
const perStatement = new Map<string, number>();
const byStatement = (cypher: string, ms: number) => {
  const k = cypher.trim().replace(/\s+/g, ' ').slice(0, 70);
  perStatement.set(k, (perStatement.get(k) ?? 0) + ms);
};
const timed = async <T>(p: Promise<T>): Promise<T> => {
  const t = performance.now();
  try {
    return await p;
  } finally {
    neo4jMs += performance.now() - t;
  }
};
const counted = countingGraph(inner, {
  transaction: () => void transactions++,
  statement: () => void statements++,
});
/** Also times each transaction, and each auto-commit read by its statement. */
const graph: Graph = {
  ...counted,
  read: (app, work, o) => timed(counted.read(app, work, o)),
  query: (app, cypher, params, o) => {
    const t = performance.now();
    return timed(counted.query(app, cypher, params, o)).finally(() => byStatement(cypher, performance.now() - t));
  },
};
const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
// `--keep=<runId>` (after the arguments) leaves the graph in place for the next run with that id.
const kept = flag('keep');
const concurrency = Number(flag('concurrency') ?? 1);
const onlySide = flag('side');
const profile = flag('profile');
const inspector = new Session();
inspector.connect();
/** Runs `work` under the V8 profiler when `--profile` is given, writing the profile as `name`. */
async function profiled<T>(name: string, work: () => Promise<T>): Promise<T> {
  if (!profile) return work();
  await inspector.post('Profiler.enable');
  await inspector.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile: taken } = await inspector.post('Profiler.stop');
    writeFileSync(`${profile}-${name.replace(/\W+/g, '_')}.cpuprofile`, JSON.stringify(taken));
  }
}
const runId = kept ?? randomBytes(4).toString('hex');
const environment = `bench-${runId}`;
const plan = await keptScaledGraph(inner, runId, services);
const roots = pickRoots(plan, 5);
const api = createApi({ graph, config: { ...apiConfig(), graphiql: false }, ready: async () => true });
const graphql = graphqlOf(api);
try {
  const only = process.argv[4]?.startsWith('--') ? undefined : process.argv[4];
  const incidentRoots = [...roots.dependents, ...roots.services];
  // The incident bot's question as the bench asks it (mcp-questions.ts); it has no Cypher side.
  const incident: QueryCase = {
    name: 'incident_context',
    graphql: (i) =>
      graphql(TOOL_DOCUMENTS.incident_context, {
        service: incidentRoots[i % incidentRoots.length],
        environment,
        window: '15m',
      }),
    cypher: async () => undefined,
  };
  for (const c of [...queryCases(graph, graphql, environment, plan, roots), incident]) {
    if (only && !c.name.startsWith(only)) continue;
    for (const side of c === incident ? (['graphql'] as const) : (['graphql', 'cypher'] as const)) {
      if (onlySide && side !== onlySide) continue;
      await inFlight(c[side], 10, concurrency); // warm up plans and JIT
      transactions = 0;
      statements = 0;
      neo4jMs = 0;
      perStatement.clear();
      const start = performance.now();
      const cpu = process.cpuUsage();
      await profiled(`${c.name}-${side}`, () => inFlight(c[side], n, concurrency));
      const ms = (performance.now() - start) / n;
      const used = process.cpuUsage(cpu);
      console.log(
        `${c.name.padEnd(38)} ${side.padEnd(8)} ${ms.toFixed(2).padStart(8)} ms  ` +
          `CPU ${((used.user + used.system) / 1000 / n).toFixed(2)} ms  ` +
          `${(transactions / n).toFixed(1)} tx  ${(statements / n).toFixed(1)} statements  ` +
          `${(neo4jMs / n).toFixed(2)} ms waiting for Neo4j`,
      );
      for (const [k, ms] of perStatement) console.log(`    ${(ms / n).toFixed(2).padStart(7)} ms  ${k}`);
    }
  }
} finally {
  if (!kept) await deleteRun(inner, environment, runId);
  await inner.close();
}
