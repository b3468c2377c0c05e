/** `npm run api`: the GraphQL API on its own. Reads the environment, connects, listens. */
import { createServer } from 'node:http';
import { AUTH_OFF_WARNING, createAuthenticator } from '../core/auth.js';
import { loadConfigOrExit } from '../core/config.js';
import { createLogger } from '../core/logger.js';
import { createRegistry } from '../core/metrics.js';
import { startSelfTracing } from '../core/self-tracing.js';
import { createGraph, createSchemaReadiness, resolveNeo4j } from '../core/neo4j/connection.js';
import { createApi } from './yoga.js';

const config = loadConfigOrExit();
const log = createLogger('api', config.logLevel, config.logPretty);
const selfTracing = startSelfTracing(config.selfTracing, {
  serviceName: 'topograph-api',
  ignorePaths: (path) => path !== '/graphql',
  log,
});
if (!config.auth.enabled) log.warn(AUTH_OFF_WARNING);
const target = await resolveNeo4j(config.neo4j);
// Reads fail fast while Neo4j is down (DATABASE_UNAVAILABLE in a few seconds, not the driver's 30 s):
// the caller can retry, and a held request helps no one.
const graph = createGraph(target, { maxTransactionRetryTimeMs: 3_000 });
const schema = createSchemaReadiness(graph, log);

const api = createApi({
  graph,
  config: config.api,
  registry: createRegistry('api'),
  auth: createAuthenticator(config.auth),
  ready: schema.ready,
});
const server = createServer(api);
server.listen(config.apiPort, config.host, () => {
  log.info(`GraphQL API and GraphiQL on http://${config.host}:${config.apiPort}/graphql (Neo4j ${target.uri})`);
});

async function shutdown(signal: string) {
  log.info({ signal }, 'stopping');
  server.close();
  await selfTracing?.shutdown();
  await graph.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
