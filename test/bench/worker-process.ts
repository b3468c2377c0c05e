/**
 * The ingest worker under test, in its own process: the real createWorker behind a real HTTP server,
 * writing to Neo4j or to the discarding sink. The benchmark talks to it over IPC to drain it and to
 * read its peak RSS and flush timings.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createGraph, type Graph } from '../../src/neo4j/connection.js';
import { createWorker } from '../../ingest/worker.js';
import { createNeo4jSink, createNoopSink, type FactSink } from '../../ingest/writer.js';
import { factCount } from '../../ingest/aggregate.js';

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
  inner = createNeo4jSink(graph, { exemplarsPerEdge: config.ingest.exemplarsPerEdge });
} else inner = createNoopSink();

const flushes: { ms: number; rows: number }[] = [];
const sink: FactSink = {
  async write(batch) {
    const start = performance.now();
    await inner.write(batch);
    flushes.push({ ms: performance.now() - start, rows: factCount(batch) });
  },
};

const worker = createWorker({
  config,
  sink,
  log: createLogger('bench-worker', 'warn'),
  registry: new Registry(),
  ready: async () => true,
});
worker.start();
const server = createServer((req, res) => worker.handle(req, res));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send!({ port: (server.address() as AddressInfo).port });
});

process.on('message', (m: { cmd: 'drain' }) => {
  if (m.cmd !== 'drain') return;
  void (async () => {
    const start = performance.now();
    await worker.stop();
    await worker.pipeline.drainAll();
    const drainMs = performance.now() - start;
    server.close();
    await graph?.close();
    process.send!({
      drainMs,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      flushes: flushes.length,
      flushMaxMs: Math.max(0, ...flushes.map((f) => f.ms)),
      flushMeanMs: flushes.reduce((n, f) => n + f.ms, 0) / Math.max(1, flushes.length),
      rowsPerFlush: flushes.reduce((n, f) => n + f.rows, 0) / Math.max(1, flushes.length),
      stats: worker.pipeline.stats(),
    });
  })();
});
process.on('disconnect', () => process.exit(0));
