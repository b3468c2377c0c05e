/**
 * `npm run mcp`: the MCP server on stdio, for a local agent or IDE that starts it as a child. Reads
 * the environment and connects to Neo4j as the API does; stdout is the protocol channel, so logs go
 * to stderr. The tools ask the API's own request handling in-process. No bearer token is checked:
 * whoever can start this process holds the Neo4j credentials it runs with; remote agents use /mcp.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { loadConfigOrExit } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { createGraph, createSchemaReadiness, resolveNeo4j } from '../../core/neo4j/connection.js';
import { createApi, DEFAULT_API_SETTINGS } from '../yoga.js';
import { graphqlOver } from './graphql-client.js';
import { createMcpServer } from './server.js';

const config = loadConfigOrExit();
const log = createLogger('mcp', config.logLevel, undefined, 2);
const target = await resolveNeo4j(config);
const graph = createGraph(target, { maxTransactionRetryTimeMs: 3_000 });
const schema = createSchemaReadiness(graph, log);

const api = createApi({
  graph,
  graphiql: false,
  security: config.limits.graphql,
  settings: {
    ...DEFAULT_API_SETTINGS,
    maxComplexity: config.limits.graphql.maxComplexity,
    maxQueryDepth: config.limits.graphql.maxQueryDepth,
    maxBreadth: config.limits.graphql.maxBreadth,
    liveWindowMs: config.liveWindowMs,
    maxDepth: config.api.maxDepth,
    queryTimeoutMs: config.api.queryTimeoutMs,
    traceUrlTemplate: config.api.traceUrlTemplate,
  },
  ready: schema.ready,
});
const server = createMcpServer(graphqlOver((url, init) => api.fetch(url, init)));
await server.connect(new StdioServerTransport());
log.info(`MCP server on stdio (Neo4j ${target.uri})`);

async function shutdown(signal: string) {
  log.info({ signal }, 'stopping');
  await server.close();
  await graph.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
// The client closing stdin ends the session.
process.stdin.on('end', () => void shutdown('stdin closed'));
