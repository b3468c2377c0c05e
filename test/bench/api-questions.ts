/**
 * `npx tsx test/bench/api-questions.ts`: time and Cypher round trips of every documented question
 * (docs/api.md: the examples and the questions) against whatever graph the configured Neo4j holds, through
 * yoga.fetch. Reports the graph's size beside the figures, since they depend on it.
 */
import { loadConfig } from '../../src/core/config.js';
import { QUESTION_QUERIES, README_QUERIES } from '../../src/api/graphql/examples.js';
import { createGraph, resolveNeo4j } from '../../src/core/neo4j/connection.js';
import { countingGraph } from '../support/counting-graph.js';
import { createApi, DEFAULT_API_SETTINGS } from '../../src/api/yoga.js';

const RUNS = 6;
const target = await resolveNeo4j(loadConfig());
const graph = createGraph(target);
let reads = 0;
const counting = countingGraph(graph, { statement: () => void reads++ });
const api = createApi({
  graph: counting,
  settings: { ...DEFAULT_API_SETTINGS, maxComplexity: 1e6 },
  ready: async () => true,
});
const size = await graph.read('bench', async (tx) =>
  (
    await tx.run(
      'MATCH (c:Component) WITH count(c) AS components MATCH ()-[r:DEPENDS_ON]->() WITH components, count(r) AS edges MATCH (o:Operation) RETURN components, edges, count(o) AS operations',
    )
  ).records[0]!.toObject(),
);
console.log('graph', size);
for (const [name, query] of Object.entries({ ...README_QUERIES, ...QUESTION_QUERIES })) {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    reads = 0;
    const start = performance.now();
    const res = await api.fetch('http://bench/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });
    const body = (await res.json()) as { errors?: unknown };
    if (body.errors) console.log(name, JSON.stringify(body.errors));
    // The first run warms Neo4j's query cache and is left out.
    if (i > 0) times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(16)} median ${times[Math.floor(times.length / 2)]!.toFixed(1)} ms  max ${times.at(-1)!.toFixed(1)} ms  reads ${reads}`,
  );
}
await graph.close();
