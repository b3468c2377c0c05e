/**
 * The bench's questions through two checkouts' APIs side by side in one process, on one scaled graph:
 * each round asks every question through checkout A's createApi().fetch, through B's, and as the
 * hand-written Cypher (queries.ts), in an order that rotates per round, so that both APIs see the same
 * machine, graph and plan cache at nearly the same moment. Prints per side the p50 and p99 ms at the
 * bench's 4 in flight, the ratio to Cypher, and this process's CPU ms per question (the API's own
 * cost plus the driver's, steadier than latency on a shared machine).
 *
 * `npx tsx test/bench/query-ab.ts <checkout A> <checkout B> [services] [rounds] [question] [--keep=<runId>]`
 * (a checkout is a directory holding `src/`; `--concurrency=N` asks N at once instead of 4). Loading 10,000 services takes minutes under load:
 * `--keep=<runId>` loads the graph under that run id the first time and leaves it in place, later
 * runs with the same id reuse it; `--drop=<runId>` deletes it. A tool for working on the API, not part
 * of `npm run bench`.
 */
import { resolve } from 'node:path';
import { loadConfig } from '../../src/core/config.js';
import { applySchema, createGraph, resolveNeo4j } from '../../src/core/neo4j/connection.js';
import type { GraphqlFetch } from './ingest.js';
import { graphqlOf, pickRoots, queryCases, timed } from './queries.js';
import { deleteRun, keptScaledGraph } from './scaled-graph.js';
import { percentile } from './stats.js';

const flags = new Map(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith('--'))
    .map((a) => a.slice(2).split('=') as [string, string]),
);
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const dirs = [args[0], args[1]].map((d) => resolve(d ?? '.'));
const services = Number(args[2] ?? 10_000);
const rounds = Number(args[3] ?? 6);
const only = args[4];
const perRound = 40;
const concurrency = Number(flags.get('concurrency') ?? 4);

const config = loadConfig();
const graph = createGraph(await resolveNeo4j(config.neo4j));
const drop = flags.get('drop');
if (drop) {
  console.log(`deleted ${await deleteRun(graph, `bench-${drop}`, drop)} components of run ${drop}`);
  await graph.close();
  process.exit(0);
}
const kept = flags.get('keep');
const runId = kept ?? Math.random().toString(16).slice(2, 10);
const environment = `bench-${runId}`;
await applySchema(graph);
const plan = await keptScaledGraph(graph, runId, services);
const roots = pickRoots(plan, 5);

/** One checkout's API over its own driver, asked as the bench asks. */
async function apiOf(dir: string): Promise<{ graphql: GraphqlFetch; incident: string; close(): Promise<void> }> {
  const { createApi } = await import(`${dir}/src/api/yoga.ts`);
  const { apiConfig } = await import(`${dir}/test/support/api.ts`);
  const { TOOL_DOCUMENTS } = await import(`${dir}/src/api/mcp/tools.ts`);
  const conn = await import(`${dir}/src/core/neo4j/connection.ts`);
  const own = conn.createGraph(await conn.resolveNeo4j(config.neo4j));
  const api = createApi({ graph: own, config: { ...apiConfig(), graphiql: false }, ready: async () => true });
  return { graphql: graphqlOf(api), incident: TOOL_DOCUMENTS.incident_context, close: () => own.close() };
}

const sides = [await apiOf(dirs[0]!), await apiOf(dirs[1]!)];
const incidentRoots = [...roots.dependents, ...roots.services];
/** Per question: A's GraphQL, B's GraphQL and the Cypher, each a function of the question's index. */
const questions = queryCases(graph, sides[0]!.graphql, environment, plan, roots).map((c, k) => ({
  name: c.name,
  asks: [c.graphql, queryCases(graph, sides[1]!.graphql, environment, plan, roots)[k]!.graphql, c.cypher],
}));
questions.push({
  name: 'incident_context',
  asks: [
    ...sides.map((s) => async (i: number) => {
      const r = await s.graphql(s.incident, {
        service: incidentRoots[i % incidentRoots.length],
        environment,
        window: '15m',
      });
      if (r.errors || !r.data?.incidentContext)
        throw new Error(`incidentContext: ${JSON.stringify(r.errors ?? r.data)}`);
    }),
  ],
});

const labels = ['A', 'B', 'Cypher'];
try {
  for (const q of questions) {
    if (only && !q.name.startsWith(only)) continue;
    const ms = q.asks.map(() => [] as number[]);
    const cpu = q.asks.map(() => 0);
    for (const ask of q.asks) await timed(ask, perRound, concurrency); // warm plans and JIT
    for (let round = 0; round < rounds; round++) {
      const order = q.asks.map((_, k) => (k + round) % q.asks.length);
      for (const k of order) {
        const before = process.cpuUsage();
        ms[k]!.push(...(await timed((i) => q.asks[k]!(i + round * perRound), perRound, concurrency)));
        const used = process.cpuUsage(before);
        cpu[k]! += (used.user + used.system) / 1000;
      }
    }
    const cypher50 = ms[2] ? percentile(ms[2], 50) : undefined;
    const cypher99 = ms[2] ? percentile(ms[2], 99) : undefined;
    console.log(`${q.name} (${rounds} × ${perRound} each, ${concurrency} in flight)`);
    ms.forEach((m, k) => {
      const p50 = percentile(m, 50);
      const p99 = percentile(m, 99);
      const ratios =
        cypher50 && k < 2 ? `  ratio p50 ${(p50 / cypher50).toFixed(2)} p99 ${(p99 / cypher99!).toFixed(2)}` : '';
      console.log(
        `  ${labels[k]!.padEnd(7)} p50 ${p50.toFixed(1).padStart(7)} ms  p99 ${p99.toFixed(1).padStart(7)} ms  ` +
          `CPU ${(cpu[k]! / m.length).toFixed(2).padStart(6)} ms/question${ratios}`,
      );
    });
  }
} finally {
  for (const s of sides) await s.close();
  if (!kept) await deleteRun(graph, environment, runId);
  await graph.close();
}
