/**
 * The MCP tools, one file each under tools/: each one GraphQL question asked through /graphql, its
 * answer cut to a bounded, paged result with a short text (tools/query-tool.ts).
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AskGraphql } from './graphql-client.js';
import { changesTool } from './tools/changes.js';
import { dependenciesTool } from './tools/dependencies.js';
import { driftTool } from './tools/drift.js';
import { errorCorrelationsTool } from './tools/error-correlations.js';
import { incidentContextTool } from './tools/incident-context.js';
import { libraryUsageTool } from './tools/library-usage.js';
import { pathsTool } from './tools/paths.js';
import { serviceVersionsTool } from './tools/service-versions.js';
import { tagFootprintTool } from './tools/tag-footprint.js';
import { topologyTool } from './tools/topology.js';
import { topologyDiffTool } from './tools/topology-diff.js';
import { traceSkeletonTool } from './tools/trace-skeleton.js';

/** In the order a client lists them: orientation first, then the incident questions. */
export const TOOLS = [
  topologyTool,
  topologyDiffTool,
  dependenciesTool,
  pathsTool,
  incidentContextTool,
  changesTool,
  libraryUsageTool,
  tagFootprintTool,
  errorCorrelationsTool,
  serviceVersionsTool,
  traceSkeletonTool,
  driftTool,
] as const;

export type ToolName = (typeof TOOLS)[number]['name'];

/** The GraphQL documents the tools send, by tool name (the benchmark asks the same ones directly). */
export const TOOL_DOCUMENTS = Object.fromEntries(TOOLS.map((t) => [t.name, t.document])) as Record<ToolName, string>;

export function registerTools(server: McpServer, ask: AskGraphql, now: () => number = Date.now): void {
  for (const tool of TOOLS) tool.register(server, ask, now);
}
