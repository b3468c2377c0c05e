/**
 * Times each statement of one real flush (the bench workload through the real engine) against
 * Neo4j, first on new nodes, then again on existing ones (steady state), and prints PROFILE db hits.
 * `npx tsx test/bench/flush-profile.ts [spans]` — a tool for working on the writer, not part of `npm run bench`.
 */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/core/config.js';
import { applySchema, createGraph, resolveNeo4j } from '../../src/core/neo4j/connection.js';
import { createEngine, engineOptions } from '../../ingest/engine.js';
import { decodeOtlpProtobuf } from '../../ingest/otlp/decode-protobuf.js';
import { writeFacts } from '../../ingest/writer.js';
import { factCount } from '../../ingest/aggregate.js';
import { benchShape, buildTopology, requestsOf } from './workload.js';
import { deleteRun } from './scaled-graph.js';
import { statementName } from './statement-name.js';

const spans = Number(process.argv[2] ?? 12_000);
const config = loadConfig();
const graph = createGraph(await resolveNeo4j(config.neo4j));
await applySchema(graph);
const runId = randomUUID().slice(0, 8);
const environment = `bench-${runId}`;
const shape = benchShape(runId, environment);
const topology = buildTopology(shape);
const engine = createEngine(engineOptions(config));
let n = 0;
const t0 = performance.now();
let requests = 0;
for (const req of requestsOf(topology, 8, Date.now(), 500)) {
  // Whole pairs: the two halves of a chunk go together.
  if (n >= spans && requests % 2 === 0) break;
  requests++;
  engine.ingest(decodeOtlpProtobuf(req.body, config.limits.decode), Date.now());
  n += req.spans;
}
console.log(`${n} spans decoded+derived in ${(performance.now() - t0).toFixed(0)} ms`);
const batch = engine.collect(Date.now());
console.log(
  'rows',
  Object.fromEntries(Object.entries(batch).map(([k, v]) => [k, (v as unknown[]).length])),
  factCount(batch),
);
try {
  for (const pass of ['new', 'existing', 'existing']) {
    const times: Record<string, number> = {};
    const start = performance.now();
    await graph.write('bench', async (tx) => {
      const timedTx = {
        run: async (q: string, p: Record<string, unknown>) => {
          const s = performance.now();
          const r = await tx.run(q, p);
          const key = statementName(q, (p.rows as unknown[]).length);
          times[key] = (times[key] ?? 0) + performance.now() - s;
          return r;
        },
      };
      await writeFacts(timedTx as never, batch, config.ingest.writer);
    });
    console.log(
      pass,
      (performance.now() - start).toFixed(0),
      'ms',
      Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.round(v)])),
    );
  }
} finally {
  await deleteRun(graph, environment, runId);
  await graph.close();
}
