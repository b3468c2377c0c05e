/**
 * How Neo4j's write load grows with workers (docs/scaling.md). The bench workload at one span rate
 * (20,000 spans per simulated second) is split by trace id over N workers, as the Collector's
 * loadbalancing exporter splits it: each worker its own engine, flushing every `interval` simulated
 * seconds in its own transaction, all workers at once, into one environment. Configurations take
 * turns round by round (each in its own environment, under its own trace ids), so they see the same
 * machine. Per configuration: fact rows and Neo4j CPU per simulated second, CPU per span, bytes
 * appended to the transaction log, write retries (deadlocks between workers), and how long the
 * writes of one simulated second took: Neo4j keeps up with the rate while that stays under a second,
 * and the rate over it is what Neo4j could take (the ceiling).
 *
 * `npx tsx test/bench/writer-workers.ts [rounds] [workers x interval …]`, e.g. `… 16 1x1 2x1 2x2`, with
 * NEO4J_URI pointing at a Neo4j on this machine that nothing else uses and NEO4J_TX_LOG_DIR at its
 * `data/transactions/neo4j` folder. A tool for docs/scaling.md, not part of `npm run bench`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/core/config.js';
import { applySchema, createGraph, resolveNeo4j } from '../../src/core/neo4j/connection.js';
import { createEngine, engineOptions, type Engine } from '../../ingest/engine.js';
import { decodeOtlpProtobuf } from '../../ingest/otlp/decode-protobuf.js';
import { writeFacts } from '../../ingest/writer.js';
import { factCount } from '../../ingest/aggregate.js';
import type { DecodedBatch } from '../../ingest/span.js';
import { localNeo4jProcess } from './neo4j-process.js';
import { benchShape, buildTopology, requestsOf } from './workload.js';
import { deleteRun } from './scaled-graph.js';

const args = process.argv.slice(2);
const rounds = Number(args.find((a) => /^\d+$/.test(a)) ?? 16);
const shapes = args.filter((a) => /^\d+x\d+$/.test(a));
const WARM_UP = 4;
const REQUESTS_PER_SECOND = 40; // ~500 spans each
const config = loadConfig();
const target = await resolveNeo4j(config.neo4j);
const neo4j = localNeo4jProcess(target.uri, process.env.NEO4J_TX_LOG_DIR);
const retries: Record<string, number> = {};
const graph = createGraph(target, {
  onWriteRetry: (code) => (retries[code] = (retries[code] ?? 0) + 1),
});
await applySchema(graph);

interface Run {
  name: string;
  workers: number;
  interval: number;
  runId: string;
  env: string;
  engines: Engine[];
  requests: Generator<{ body: Uint8Array; spans: number }>;
  /** per write: rows, spans since the last, Neo4j CPU ms, log bytes, wall ms */
  writes: { rows: number; spans: number; cpuMs: number; logBytes: number; wallMs: number }[];
  spans: number;
  retriesBefore: number;
}

let clock = Date.now();
const runs: Run[] = (shapes.length > 0 ? shapes : ['1x1', '2x1', '2x2']).map((s, i) => {
  const [workers, interval] = s.split('x').map(Number) as [number, number];
  const runId = `${randomBytes(3).toString('hex')}${i}`;
  const env = `bench-${runId}`;
  return {
    name: `${workers} worker(s), flush every ${interval} s`,
    workers,
    interval,
    runId,
    env,
    engines: Array.from({ length: workers }, () => createEngine(engineOptions(config))),
    requests: requestsOf(buildTopology(benchShape(runId, env)), 8, clock, 500),
    writes: [],
    spans: 0,
    retriesBefore: 0,
  };
});

/** The request's spans for each worker, by trace id (the loadbalancing exporter's routing_key: traceID). */
function shard(decoded: DecodedBatch, runId: string, workers: number): DecodedBatch[] {
  for (const rs of decoded.batch)
    for (const ss of rs.scopeSpans) for (const sp of ss.spans) sp.traceId = runId + sp.traceId.slice(runId.length);
  if (workers === 1) return [decoded];
  return Array.from({ length: workers }, (_, w) => ({
    ...decoded,
    batch: decoded.batch.map((rs) => ({
      ...rs,
      scopeSpans: rs.scopeSpans.map((ss) => ({
        ...ss,
        spans: ss.spans.filter((sp) => parseInt(sp.traceId.slice(-4), 16) % workers === w),
      })),
    })),
  }));
}

async function second(run: Run, k: number): Promise<void> {
  for (let r = 0; r < REQUESTS_PER_SECOND; r++) {
    const req = run.requests.next().value!;
    shard(decodeOtlpProtobuf(req.body, config.limits.decode), run.runId, run.workers).forEach((part, w) =>
      run.engines[w]!.ingest(part, clock),
    );
    run.spans += req.spans;
  }
  if (k % run.interval !== run.interval - 1) return;
  const batches = run.engines.map((e) => e.collect(clock));
  const [cpu0, log0, t0] = [neo4j.cpuSeconds(), neo4j.txLogEnd(), performance.now()];
  // The workers flush at the same moment: the worst case for contention between them.
  await Promise.all(
    batches.map((b) => graph.write('topograph-bench', (tx) => writeFacts(tx, b, config.ingest.writer))),
  );
  run.writes.push({
    rows: batches.reduce((n, b) => n + factCount(b), 0),
    spans: run.spans,
    cpuMs: (neo4j.cpuSeconds() - cpu0) * 1000,
    logBytes: neo4j.txLogBytes(log0, neo4j.txLogEnd()),
    wallMs: performance.now() - t0,
  });
  run.spans = 0;
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
try {
  console.log(`load average at the start ${load()}`);
  for (let k = 0; k < rounds; k++) {
    clock += 1000;
    for (const run of k % 2 === 0 ? runs : [...runs].reverse()) {
      const before = Object.values(retries).reduce((a, b) => a + b, 0);
      await second(run, k);
      run.retriesBefore += Object.values(retries).reduce((a, b) => a + b, 0) - before;
    }
  }
  console.log(`load average at the end ${load()}; write retries ${JSON.stringify(retries)}`);
  for (const run of runs) {
    const settled = run.writes.filter((_, i) => (i + 1) * run.interval > WARM_UP);
    const seconds = settled.length * run.interval;
    const sum = (k: keyof Run['writes'][number]) => settled.reduce((n, x) => n + x[k], 0);
    const spans = sum('spans');
    console.log(
      `${run.name}: ${seconds} simulated s after ${WARM_UP} warm-up; rows/s ${(sum('rows') / seconds).toFixed(0)}; ` +
        `Neo4j CPU ms/s ${(sum('cpuMs') / seconds).toFixed(0)} (${((sum('cpuMs') * 1000) / spans).toFixed(1)} µs/span); ` +
        `log KB/s ${(sum('logBytes') / seconds / 1024).toFixed(0)}; write wall ms per simulated s ${(sum('wallMs') / seconds).toFixed(0)} ` +
        `(ceiling ~${((spans / sum('wallMs')) * 1000).toFixed(0)} spans/s, ${((sum('rows') / sum('wallMs')) * 1000).toFixed(0)} rows/s); ` +
        `retries ${run.retriesBefore}`,
    );
  }
} finally {
  for (const run of runs) await deleteRun(graph, run.env, run.runId);
  await graph.close();
}
