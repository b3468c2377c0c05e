/**
 * What late halves cost the breakdowns under load, for one checkout: the bench workload at 50,000
 * spans per simulated second with 5% of its server-half requests held back 12 s (past the pairing
 * TTL, as a Collector's retry queue or a slow batch would), a flush every 2 simulated seconds that
 * holds the tag and version counts as a loaded worker does (written every fifth flush, or when
 * `breakdownsToTake` says), each written to Neo4j by the checkout's own writer. Prints the version
 * rows written and in how many flushes, the correction rows, and the Neo4j process's CPU (from /proc)
 * over flushes 5-29.
 *
 * `npx tsx test/bench/late-breakdowns.ts <checkout> [run id]`, with NEO4J_URI at a Neo4j on this
 * machine that nothing else uses. Run it for two checkouts in turns, both orders: a tool for working on
 * the writer, not part of `npm run bench`; a checkout is a directory holding `ingest/` and `src/`.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { localNeo4jProcess } from './neo4j-process.js';
import { deleteRun } from './scaled-graph.js';
import { benchShape, buildTopology, requestsOf } from './workload.js';

const dir = resolve(process.argv[2] ?? '.');
const runId = process.argv[3] ?? `${randomBytes(3).toString('hex')}l`;
const FLUSHES = 30;
const COUNTED_FROM = 5;
const REQUESTS_PER_SECOND = 100; // 500 spans each
const LATE_SHARE = 0.05;
const LATE_MS = 12_000;

const { loadConfig } = await import(`${dir}/src/core/config.ts`);
const { createGraph, resolveNeo4j, applySchema } = await import(`${dir}/src/core/neo4j/connection.ts`);
const { createEngine, engineOptions } = await import(`${dir}/ingest/engine.ts`);
const { breakdownsToTake } = await import(`${dir}/ingest/aggregate.ts`);
const { decodeOtlpProtobuf } = await import(`${dir}/ingest/otlp/decode-protobuf.ts`);
const { createNeo4jSink } = await import(`${dir}/ingest/writer.ts`);

const config = loadConfig();
const graph = createGraph(await resolveNeo4j(config.neo4j));
await applySchema(graph);
const sink = createNeo4jSink(graph, config.ingest.writer);
const neo4j = localNeo4jProcess(process.env.NEO4J_URI ?? 'bolt://127.0.0.1:7687');
const engine = createEngine(engineOptions(config));
const start = Date.now();
const requests = requestsOf(buildTopology(benchShape(runId, `bench-${runId}`)), 8, start, 500);
// Seeded, so that every checkout holds back the same requests.
let seed = 1;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const heldBack: { at: number; body: Uint8Array }[] = [];
const ingest = (body: Uint8Array, at: number) => engine.ingest(decodeOtlpProtobuf(body, config.limits.decode), at);
let versionRows = 0;
let versionFlushes = 0;
let correctionRows = 0;
let cpu = 0;
try {
  for (let flush = 0; flush < FLUSHES; flush++) {
    for (let second = 0; second < 2; second++) {
      const now = start + (flush * 2 + second) * 1000;
      for (let r = 0; r < REQUESTS_PER_SECOND; r++) {
        const req = requests.next().value!;
        // The workload sends a chunk's client halves, then its server halves (odd requests).
        if (r % 2 === 1 && rand() < LATE_SHARE) heldBack.push({ at: now + LATE_MS, body: req.body });
        else ingest(req.body, now);
      }
      while (heldBack.length > 0 && heldBack[0]!.at <= now) ingest(heldBack.shift()!.body, now);
    }
    const at = start + (flush + 1) * 2000;
    const batch = engine.collect(at, at, true);
    const take = breakdownsToTake(batch, flush % 5 === 4);
    if (take.tags || take.versions) Object.assign(batch, engine.takeBreakdowns(take));
    const versions = [batch.edgeVersions, batch.callVersions, batch.serviceVersions].reduce(
      (n: number, rows?: unknown[]) => n + (rows?.length ?? 0),
      0,
    );
    versionRows += versions;
    if (versions > 0) versionFlushes++;
    correctionRows += batch.corrections?.length ?? 0;
    const before = neo4j.cpuSeconds();
    await sink.write(batch);
    if (flush >= COUNTED_FROM) cpu += neo4j.cpuSeconds() - before;
  }
} finally {
  await deleteRun(graph, `bench-${runId}`, runId);
  await graph.close();
}
console.log(
  `${dir}: Neo4j CPU ${cpu.toFixed(2)} s in flushes ${COUNTED_FROM}-${FLUSHES - 1}; version rows ${versionRows} in ` +
    `${versionFlushes} of ${FLUSHES} flushes; correction rows ${correctionRows}`,
);
