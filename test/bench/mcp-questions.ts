/**
 * The incident bot's question at scale, and what the MCP door costs: on the scaled graph, the
 * incident_context tool's own GraphQL document asked through createApi().fetch (/graphql), against
 * the same question as an MCP tools/call through the SDK's Client and Streamable HTTP transport to
 * /mcp of the same API, in-process (no socket on either side). Alternating rounds, as queries.ts does.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { TOOL_DOCUMENTS } from '../../src/api/mcp/tools.js';
import type { GraphqlFetch } from './ingest.js';
import { timed } from './queries.js';
import { percentile } from './stats.js';

export interface McpBenchResult {
  graphql: number[];
  mcp: number[];
  /** this process's CPU time (user + system) per call, ms: the API's own cost, steadier than latency on a shared machine */
  cpuPerCall: { graphql: number; mcp: number };
}

export async function mcpBench(opts: {
  /** the API's handler (createApi().fetch) */
  fetchApi: (url: string, init: RequestInit) => Promise<Response> | Response;
  graphql: GraphqlFetch;
  env: string;
  services: string[];
  rounds: number;
  perRound: number;
  concurrency: number;
}): Promise<McpBenchResult> {
  const client = new Client({ name: 'topograph-bench', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL('http://bench/mcp'), {
      fetch: (url, init) => Promise.resolve(opts.fetchApi(String(url), init ?? {})),
    }),
  );
  const service = (i: number) => opts.services[i % opts.services.length]!;
  const viaGraphql = async (i: number) => {
    const r = await opts.graphql(TOOL_DOCUMENTS.incident_context, {
      service: service(i),
      environment: opts.env,
      window: '15m',
    });
    if (r.errors || !r.data?.incidentContext) throw new Error(`incidentContext: ${JSON.stringify(r.errors ?? r.data)}`);
  };
  const viaMcp = async (i: number) => {
    const r = (await client.callTool({
      name: 'incident_context',
      arguments: { service: service(i), environment: opts.env, window: '15m' },
    })) as CallToolResult;
    if (r.isError) throw new Error(`incident_context tool: ${JSON.stringify(r.content)}`);
  };
  const out: McpBenchResult = { graphql: [], mcp: [], cpuPerCall: { graphql: 0, mcp: 0 } };
  const cpuMs = { graphql: 0, mcp: 0 };
  try {
    await timed(viaGraphql, opts.perRound, opts.concurrency);
    await timed(viaMcp, opts.perRound, opts.concurrency);
    for (let round = 0; round < opts.rounds; round++) {
      const sides = [
        ['graphql', viaGraphql],
        ['mcp', viaMcp],
      ] as const;
      for (const [side, fn] of round % 2 === 0 ? sides : [...sides].reverse()) {
        const cpu = process.cpuUsage();
        out[side].push(...(await timed((i) => fn(i + round * opts.perRound), opts.perRound, opts.concurrency)));
        const used = process.cpuUsage(cpu);
        cpuMs[side] += (used.user + used.system) / 1000;
      }
    }
    out.cpuPerCall = { graphql: cpuMs.graphql / out.graphql.length, mcp: cpuMs.mcp / out.mcp.length };
  } finally {
    await client.close();
  }
  return out;
}

/** The figures run.ts reports: p50/p99 of each side, the MCP overhead at p50 in ms and as a ratio, CPU per call. */
export function mcpFigures(r: McpBenchResult) {
  const g50 = percentile(r.graphql, 50);
  const m50 = percentile(r.mcp, 50);
  return {
    g50,
    g99: percentile(r.graphql, 99),
    m50,
    m99: percentile(r.mcp, 99),
    overhead50: m50 - g50,
    ratio50: m50 / g50,
    cpuGraphql: r.cpuPerCall.graphql,
    cpuMcp: r.cpuPerCall.mcp,
  };
}
