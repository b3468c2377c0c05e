/**
 * The ingest worker under test, in its own process: the real createWorker behind a real HTTP server,
 * writing to Neo4j or to the discarding sink. The benchmark talks to it over IPC to drain it and to
 * read its peak RSS and flush timings.
 *
 * It runs durable, as `ingest/main.ts` does: every request is spooled (fsynced) before its 200 and
 * each flush commits the facts with the checkpoint. With the discarding sink the checkpoint is kept
 * in memory, so the ratio measures what Neo4j costs, not what the spool costs.
 */
// First: the engine's heap settings hold before any module allocates.
import '../../ingest/heap-settings.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapSpaceStatistics } from 'node:v8';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { createGraph, type Graph } from '../../src/core/neo4j/connection.js';
import { createWorker } from '../../ingest/worker.js';
import { createNeo4jSink, createNoopSink, type FactSink } from '../../ingest/writer.js';
import { factCount } from '../../ingest/aggregate.js';
import { createCheckpointStore, DELETE_CHECKPOINT, type CheckpointStore } from '../../ingest/spool/checkpoint-store.js';
import { openSpool } from '../../ingest/spool/segment-log.js';

const sinkKind = process.argv[2] === 'noop' ? 'noop' : 'neo4j';
const config = loadConfig();
let graph: Graph | undefined;
let inner: FactSink;
if (sinkKind === 'neo4j') {
  graph = createGraph({
    uri: config.neo4j.uri!,
    user: config.neo4j.user,
    password: config.neo4j.password!,
    database: config.neo4j.database,
  });
  inner = createNeo4jSink(graph, config.ingest.writer);
} else inner = createNoopSink();

const flushes: { ms: number; rows: number }[] = [];
const sink: FactSink = {
  async write(batch) {
    const start = performance.now();
    await inner.write(batch);
    flushes.push({ ms: performance.now() - start, rows: factCount(batch) });
  },
};

const spoolDir = mkdtempSync(join(tmpdir(), `topograph-bench-spool-${sinkKind}-`));
const spool = await openSpool({ dir: spoolDir, maxBytes: config.ingest.spoolMaxBytes });
/** Times each flush's write (with the checkpoint, in one transaction) like the sink wrapper above. */
function timed(store: CheckpointStore): CheckpointStore {
  return {
    load: () => store.load(),
    async commit(batch, next, expected) {
      const start = performance.now();
      await store.commit(batch, next, expected);
      flushes.push({ ms: performance.now() - start, rows: factCount(batch) });
    },
  };
}
// The discarding sink starts afresh (each run's spool is new) and keeps no checkpoint.
const store: CheckpointStore = timed(
  graph
    ? createCheckpointStore(graph, spool.id, config.ingest.writer)
    : {
        load: async () => undefined,
        async commit(batch) {
          await inner.write(batch);
        },
      },
);

const registry = new Registry();
const worker = createWorker({
  config,
  log: createLogger('bench-worker', 'warn'),
  registry,
  ready: async () => true,
  // BENCH_READ_AHEAD=0: the loop reads nothing while a flush is written (as before 2424ef6), for side-by-side runs.
  durable: {
    spool,
    store,
    readAheadMaxSpans: process.env.BENCH_READ_AHEAD === undefined ? undefined : Number(process.env.BENCH_READ_AHEAD),
  },
});
worker.start();
const server = createServer((req, res) => worker.handle(req, res));
server.keepAliveTimeout = 60_000;
/** CPU used from here on (not loading modules), divided by the spans received: steadier than spans/s on a shared machine. */
let cpuAtStart = process.cpuUsage();
server.listen(0, '127.0.0.1', () => {
  cpuAtStart = process.cpuUsage();
  process.send!({ port: (server.address() as AddressInfo).port });
});

/** The current value of one of the worker's own metrics (of its series with label `reason`, if given). */
const metric = async (name: string, reason?: string) =>
  (await registry.getSingleMetric(name)!.get()).values.find((v) => reason === undefined || v.labels.reason === reason)
    ?.value ?? 0;
const spansReceived = () => metric('topograph_ingest_spans_received_total');
/** seconds the loop stood still waiting for a write after reading its bound of spans on (Neo4j set the pace) */
const waitedOnWrite = () => metric('topograph_ingest_write_wait_seconds_total', 'read_ahead');
/** spans received before the timed part (the warm-up), left out of the CPU per span */
let receivedAtStart = 0;
/** when the timed part began, and the wait counted until then */
let timedFrom = performance.now();
let waitedAtStart = 0;

process.on('message', (m: { cmd: 'warmed' | 'drain' }) => {
  if (m.cmd === 'warmed') {
    // The warm-up written through: the timed part starts with the nodes there and the statements compiled.
    void (async () => {
      await worker.flush();
      flushes.length = 0;
      cpuAtStart = process.cpuUsage();
      receivedAtStart = await spansReceived();
      waitedAtStart = await waitedOnWrite();
      timedFrom = performance.now();
      process.send!({ warmed: true });
    })();
    return;
  }
  if (m.cmd !== 'drain') return;
  void (async () => {
    const start = performance.now();
    const waitShare = ((await waitedOnWrite()) - waitedAtStart) / ((start - timedFrom) / 1000);
    // Acknowledged means spooled: the drain lasts until everything acknowledged is written and checkpointed.
    await worker.flush();
    await worker.stop();
    // What still waits at the end (halves, calls), expired as an import's end expires it.
    const rest = worker.engine.drain(Date.now());
    if (factCount(rest) > 0) await sink.write(rest);
    const drainMs = performance.now() - start;
    server.close();
    // The checkpoint node is this run's own (named by the fresh spool's id).
    await graph?.write('bench', (tx) => tx.run(DELETE_CHECKPOINT, { id: spool.id }));
    await graph?.close();
    rmSync(spoolDir, { recursive: true, force: true });
    const cpu = process.cpuUsage(cpuAtStart);
    const received = (await spansReceived()) - receivedAtStart;
    const pipelineStats = worker.engine.stats();
    process.send!({
      drainMs,
      cpuUsPerSpan: (cpu.user + cpu.system) / Math.max(1, received),
      received,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      flushes: flushes.length,
      flushMaxMs: Math.max(0, ...flushes.map((f) => f.ms)),
      flushMeanMs: flushes.reduce((n, f) => n + f.ms, 0) / Math.max(1, flushes.length),
      rowsPerFlush: flushes.reduce((n, f) => n + f.rows, 0) / Math.max(1, flushes.length),
      waitShare,
      bounds: {
        paired: worker.engine.pairing.stats.completed,
        halvesEvicted: worker.engine.pairing.stats.evicted,
        ancestryEvicted: pipelineStats.ancestryEvicted,
        unresolvedCallers: pipelineStats.unresolvedCallers,
      },
    });
  })();
});
process.on('disconnect', () => process.exit(0));
// process.exit, so that a --cpu-prof profile (BENCH_CPU_PROF) is written.
process.on('SIGTERM', () => process.exit(0));
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
/** Where the worker's memory is: RSS, the V8 heap (used of committed), the young generation, buffers outside it. */
function memoryLine(): string {
  const m = process.memoryUsage();
  const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return (
    `RSS ${mb(m.rss)} MB (heap used ${mb(m.heapUsed)} of ${mb(m.heapTotal)} MB, new space ${mb(young?.space_size ?? 0)} MB, ` +
    `external ${mb(m.external)} MB of which array buffers ${mb(m.arrayBuffers)} MB)`
  );
}
/** How much the engine holds: halves waiting to pair, the ancestry index, calls and spans waiting, late halves. */
function heldLine(): string {
  const st = worker.engine.stats();
  return `waiting halves ${worker.engine.pairing.size}, ancestry ${st.ancestry}, pending calls ${st.pendingCalls}, pending parents ${st.pendingParents}, late ${st.late.waiting}`;
}
/** `BENCH_TICKS=1`: once a second, how far behind the worker is (to see where a run spends its time). */
if (process.env.BENCH_TICKS) {
  const t0 = performance.now();
  setInterval(async () => {
    const lag = await metric('topograph_ingest_processing_lag_seconds');
    const writeLag = await metric('topograph_ingest_write_lag_seconds');
    const unwritten = await metric('topograph_spool_checkpoint_lag_records');
    const oldest = await metric('topograph_spool_oldest_record_age_seconds');
    process.stderr.write(
      `[${sinkKind} ${((performance.now() - t0) / 1000).toFixed(1)} s] unread for ${lag.toFixed(1)} s, unwritten for ${writeLag.toFixed(1)} s, ` +
        `${unwritten} requests unwritten (oldest ${oldest.toFixed(1)} s), ${flushes.length} flushes, ` +
        `${memoryLine()}; ${heldLine()}\n`,
    );
  }, 1000).unref();
}
