/** `npm run ingest`: the ingest worker on its own. Reads the environment, connects, listens. */
// First: the engine's heap settings hold before any module allocates.
import './heap-settings.js';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { AUTH_OFF_WARNING } from '../src/core/auth.js';
import { loadConfigOrExit } from '../src/core/config.js';
import { createLogger } from '../src/core/logger.js';
import { startSelfTracing } from '../src/core/self-tracing.js';
import { createRegistry } from '../src/core/metrics.js';
import { createGraph, createSchemaReadiness, resolveNeo4j } from '../src/core/neo4j/connection.js';
import { createCheckpointStore } from './spool/checkpoint-store.js';
import { recordStart } from './spool/pairing-clock.js';
import { openSpool } from './spool/segment-log.js';
import { createRetentionJob } from './retention.js';
import { createBackstagePoller } from './catalog/backstage-poller.js';
import { createCatalogStore } from './catalog/store.js';
import { createWorker } from './worker.js';
import { versionsDroppedMetric, writeRetriesMetric } from './metrics.js';

const config = loadConfigOrExit();
const log = createLogger('ingest', config.logLevel, config.logPretty);
// Never the receivers' requests: the worker's spans are its accepted batches (see worker.ts).
const selfTracing = startSelfTracing(config.selfTracing, {
  serviceName: 'topograph-ingest',
  ignorePaths: () => true,
  log,
});
if (!config.auth.enabled) log.warn(AUTH_OFF_WARNING);
const target = await resolveNeo4j(config.neo4j);
const registry = createRegistry('ingest');
const graph = createGraph(target, { onWriteRetry: writeRetriesMetric(registry) });
// Requests are spooled while Neo4j is still coming up; processing starts once the schema is applied.
const schema = createSchemaReadiness(graph, log);
const spool = await openSpool({
  dir: resolve(config.ingest.spoolDir),
  maxBytes: config.ingest.spoolMaxBytes,
  onWarning: (message) => log.warn(message),
});
// Before anything is accepted: the pairing clock leaves out the time no process ran (docs/ingest.md).
const startedAt = Date.now();
const starts = { at: startedAt, earlier: await recordStart(resolve(config.ingest.spoolDir), startedAt) };

// Ages out what was not seen within TOPOGRAPH_RETENTION, every TOPOGRAPH_RETENTION_INTERVAL.
const retention = createRetentionJob({
  graph,
  retentionMs: config.retentionMs,
  intervalMs: config.retentionIntervalMs,
  log,
});
// The declared map, mirrored from Backstage when TOPOGRAPH_BACKSTAGE_URL is set (docs/catalog.md).
const { backstageUrl } = config.catalog;
const catalog = backstageUrl
  ? createBackstagePoller({ config: { ...config.catalog, backstageUrl }, store: createCatalogStore(graph), log })
  : undefined;
const worker = createWorker({
  config,
  log,
  registry,
  selfTracing,
  durable: {
    spool,
    starts,
    store: createCheckpointStore(graph, spool.id, {
      ...config.ingest.writer,
      onVersionsDropped: versionsDroppedMetric(registry),
    }),
  },
  ready: () => schema.ready(),
});
const server = createServer((req, res) => worker.handle(req, res));
server.listen(config.otlpHttpPort, config.host, () => {
  log.info(`OTLP/HTTP receiver on http://${config.host}:${config.otlpHttpPort}/v1/traces (Neo4j ${target.uri})`);
});
const grpcPort = await worker.grpc.listen(config.host, config.otlpGrpcPort);
log.info(`OTLP/gRPC receiver on ${config.host}:${grpcPort}`);
const zipkinServer = createServer((req, res) => worker.handleZipkin(req, res));
zipkinServer.listen(config.zipkinPort, config.host, () => {
  log.info(`Zipkin receiver on http://${config.host}:${config.zipkinPort}/api/v2/spans`);
});

let stopping = false;
// Requests are taken into the spool while Neo4j is still coming up; processing starts once it is there.
void schema.applied.then(() => {
  if (!stopping) worker.start();
  if (!stopping) retention.start();
  if (!stopping) catalog?.start();
});

async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping: no new requests, flushing what was received');
  // While the receivers still take spans: the last own spans may be exported to this very worker.
  await selfTracing?.shutdown();
  // The receivers keep listening while the spool drains, answering 503 + Retry-After: exporters and
  // load balancers get a clear "come back later" instead of a refused connection.
  worker.refuseNew();
  await retention.stop();
  await catalog?.stop();
  await worker.stop();
  server.close();
  zipkinServer.close();
  await worker.grpc.close();
  await graph.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
