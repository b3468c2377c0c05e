/**
 * How Neo4j's write load grows with workers (docs/scaling.md). The bench workload at one span rate
 * (20,000 spans per simulated second) is split by trace id over N workers, as the Collector's
 * loadbalancing exporter splits it: each worker its own engine, flushing every `interval` simulated
 * seconds in its own transaction, all workers at once, into one environment; or, with an interval
 * `a<rows per second>`, at the interval ingest/flush-interval.ts gives the rows of the last flush (its
 * longest and shortest from the config), in steps of a quarter of a simulated second. Configurations take
 * turns round by round (each in its own environment, under its own trace ids), so they see the same
 * machine. Per configuration: fact rows and Neo4j CPU per simulated second, CPU per span, bytes
 * appended to the transaction log, write retries (deadlocks between workers), and how long the
 * writes of one simulated second took: Neo4j keeps up with the rate while that stays under a second,
 * and the rate over it is what Neo4j could take (the ceiling).
 *
 * `npx tsx test/bench/writer-workers.ts [rounds] [workers x interval …]`, e.g. `… 16 1x1 2x1 2x2 1xa6000`, with
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
import { createFlushInterval, type FlushInterval } from '../../ingest/flush-interval.js';
import type { DecodedBatch } from '../../ingest/span.js';
import { localNeo4jProcess } from './neo4j-process.js';
import { benchShape, buildTopology, requestsOf } from './workload.js';
import { deleteRun } from './scaled-graph.js';

const args = process.argv.slice(2);
const rounds = Number(args.find((a) => /^\d+$/.test(a)) ?? 16);
const shapes = args.filter((a) => /^\d+x(\d+|a\d+)$/.test(a));
const WARM_UP = 4;
const STEPS_PER_SECOND = 4;
const REQUESTS_PER_STEP = 10; // ~500 spans each: 20,000 spans per simulated second
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
  /** the interval after a flush of so many rows, in ms */
  interval: FlushInterval;
  /** simulated ms since the last flush, and the interval that last flush set */
  sinceFlush: number;
  next: number;
  runId: string;
  env: string;
  engines: Engine[];
  requests: Generator<{ body: Uint8Array; spans: number }>;
  /** per write: rows, spans since the last, Neo4j CPU ms, log bytes, wall ms, simulated ms since the last */
  writes: { rows: number; spans: number; cpuMs: number; logBytes: number; wallMs: number; ms: number }[];
  spans: number;
  retriesBefore: number;
}

let clock = Date.now();
const runs: Run[] = (shapes.length > 0 ? shapes : ['1x1', '2x1', '2x2']).map((s, i) => {
  const [w, every] = s.split('x') as [string, string];
  const workers = Number(w);
  const adaptive = every.startsWith('a');
  const fixedMs = Number(every) * 1000;
  const interval = adaptive
    ? createFlushInterval({ ...config.ingest.flushInterval, rowsPerSecond: Number(every.slice(1)) })
    : () => fixedMs;
  const runId = `${randomBytes(3).toString('hex')}${i}`;
  const env = `bench-${runId}`;
  return {
    name: adaptive
      ? `${workers} worker(s), flush interval for ${every.slice(1)} rows/s per worker`
      : `${workers} worker(s), flush every ${every} s`,
    workers,
    interval,
    sinceFlush: 0,
    next: interval(0),
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

async function step(run: Run): Promise<void> {
  for (let r = 0; r < REQUESTS_PER_STEP; r++) {
    const req = run.requests.next().value!;
    shard(decodeOtlpProtobuf(req.body, config.limits.decode), run.runId, run.workers).forEach((part, w) =>
      run.engines[w]!.ingest(part, clock),
    );
    run.spans += req.spans;
  }
  run.sinceFlush += 1000 / STEPS_PER_SECOND;
  if (run.sinceFlush < run.next) return;
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
    ms: run.sinceFlush,
  });
  run.spans = 0;
  run.sinceFlush = 0;
  // Each worker paces itself by its own rows; they see nearly the same keys, so the largest stands for all.
  run.next = run.interval(Math.max(...batches.map(factCount)));
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
try {
  console.log(`load average at the start ${load()}`);
  for (let k = 0; k < rounds * STEPS_PER_SECOND; k++) {
    clock += 1000 / STEPS_PER_SECOND;
    // Alternating order second by second, as the configurations flush at most once in one.
    const second = Math.floor(k / STEPS_PER_SECOND);
    for (const run of second % 2 === 0 ? runs : [...runs].reverse()) {
      const before = Object.values(retries).reduce((a, b) => a + b, 0);
      await step(run);
      run.retriesBefore += Object.values(retries).reduce((a, b) => a + b, 0) - before;
    }
  }
  console.log(`load average at the end ${load()}; write retries ${JSON.stringify(retries)}`);
  for (const run of runs) {
    let elapsed = 0;
    const settled = run.writes.filter((w) => (elapsed += w.ms) > WARM_UP * 1000);
    const seconds = settled.reduce((n, w) => n + w.ms, 0) / 1000;
    const sum = (k: keyof Run['writes'][number]) => settled.reduce((n, x) => n + x[k], 0);
    const spans = sum('spans');
    console.log(
      `${run.name}: ${seconds} simulated s after ${WARM_UP} warm-up; rows/s ${(sum('rows') / seconds).toFixed(0)}; ` +
        `Neo4j CPU ms/s ${(sum('cpuMs') / seconds).toFixed(0)} (${((sum('cpuMs') * 1000) / spans).toFixed(1)} µs/span); ` +
        `log KB/s ${(sum('logBytes') / seconds / 1024).toFixed(0)}; write wall ms per simulated s ${(sum('wallMs') / seconds).toFixed(0)} ` +
        `(ceiling ~${((spans / sum('wallMs')) * 1000).toFixed(0)} spans/s, ${((sum('rows') / sum('wallMs')) * 1000).toFixed(0)} rows/s); ` +
        `retries ${run.retriesBefore}; interval mean ${((seconds * 1000) / settled.length).toFixed(0)} ms, ` +
        `its longest plus its write ${Math.max(...settled.map((w) => w.ms + w.wallMs)).toFixed(0)} ms`,
    );
  }
} finally {
  for (const run of runs) await deleteRun(graph, run.env, run.runId);
  await graph.close();
}
