/**
 * What every tool is: one GraphQL document asked through /graphql (graphql-client.ts) with variables
 * built from the tool's bounded arguments, and an answer cut from the data to a paged result with a
 * short text (tool-results.ts). A tool file says only what differs: its document, its inputs and
 * how it reads the data.
 */
import type { McpServer, ToolCallback } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ShapeOutput, ZodRawShapeCompat } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { askData, type AskGraphql } from '../graphql-client.js';
import { sinceArg } from './inputs.js';

type Variables = Record<string, unknown>;

export interface QueryToolSpec<N extends string, S extends ZodRawShapeCompat> {
  name: N;
  /** Names and descriptions are written for a model choosing among the tools. */
  title: string;
  description: string;
  input: S;
  document: string;
  /** `at` turns a `since` argument ("1h", "today", ISO-8601) into the API's DateTime, or refuses it. */
  variables(args: ShapeOutput<S>, at: (since: string | undefined) => string | undefined): Variables;
  answer(
    data: Record<string, unknown>,
    args: ShapeOutput<S>,
    context: { ask: AskGraphql; variables: Variables },
  ): CallToolResult | Promise<CallToolResult>;
}

export interface QueryTool<N extends string = string> {
  name: N;
  document: string;
  register(server: McpServer, ask: AskGraphql, now: () => number): void;
}

// Nothing a tool does writes: clients may call any of them without asking the user.
const READ_ONLY = { readOnlyHint: true, openWorldHint: false } as const;

export function queryTool<const N extends string, S extends ZodRawShapeCompat>(
  spec: QueryToolSpec<N, S>,
): QueryTool<N> {
  return {
    name: spec.name,
    document: spec.document,
    register(server, ask, now) {
      server.registerTool(
        spec.name,
        { title: spec.title, description: spec.description, inputSchema: spec.input, annotations: READ_ONLY },
        (async (args: ShapeOutput<S>) => {
          const at = now();
          const variables = spec.variables(args, (since) => sinceArg(since, at));
          const data = await askData(ask, spec.document, variables);
          return spec.answer(data, args, { ask, variables });
        }) as unknown as ToolCallback<S>,
      );
    },
  };
}
