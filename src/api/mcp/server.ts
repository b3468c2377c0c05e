/**
 * The MCP server over Topograph's questions: tools, resources and prompts on one McpServer, built
 * from nothing but a way to ask GraphQL. Both transports use it: stdio-main.ts once per process,
 * http-endpoint.ts once per request (stateless, so any API replica can answer any call).
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AskGraphql } from './graphql-client.js';
import { registerPrompts } from './prompts.js';
import { registerResources } from './resources.js';
import { registerTools } from './tools.js';

export const MCP_SERVER_INFO = { name: 'topograph', version: '0.1.0' } as const;

const INSTRUCTIONS =
  'Topograph is a map of a software system built from its OpenTelemetry traces: components (services, databases, external peers, queues), who calls whom, with calls, errors and latency, and what changed. Start with topology to learn names; use dependencies with direction "dependents" for a blast radius, incident_context for a failing service, changes for what is new.';

export function createMcpServer(ask: AskGraphql, now: () => number = Date.now): McpServer {
  const server = new McpServer(MCP_SERVER_INFO, { instructions: INSTRUCTIONS });
  registerTools(server, ask, now);
  registerResources(server, ask);
  registerPrompts(server);
  return server;
}
