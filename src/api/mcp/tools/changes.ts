import { z } from 'zod';
import { environment, limit } from './inputs.js';
import { SINCE_HELP, toolAnswer } from '../tool-results.js';
import { unknownEnvironment } from '../near-matches.js';
import { queryTool } from './query-tool.js';

export const CHANGES = /* GraphQL */ `
  query McpChanges($since: DateTime!, $environment: String, $quietFor: String, $first: Int!, $after: String) {
    changeConnection(since: $since, environment: $environment, quietFor: $quietFor, first: $first, after: $after) {
      edges {
        node {
          kind
          subject
          at
          environment
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

const input = {
  since: z.string().min(1).max(40).describe(`Since when: ${SINCE_HELP}.`),
  environment,
  quietFor: z
    .string()
    .regex(/^\d{1,4}[smhd]$/)
    .optional()
    .describe('How long an edge must be silent to count as stopped, e.g. "1h"; default the live window.'),
  limit,
  after: z.string().max(200).optional().describe('The cursor from the previous page (nextCursor).'),
};

export const changesTool = queryTool({
  name: 'changes',
  title: 'What changed since a time',
  description:
    'What appeared or stopped since a time, newest first: new components, new dependency edges, new operations, new library versions, and edges that went quiet. Paged with a cursor. Example: {"since": "today", "environment": "production"}; next page: {"since": "today", "after": "<cursor>"}.',
  input,
  document: CHANGES,
  variables: (args, at) => ({
    since: at(args.since),
    environment: args.environment,
    quietFor: args.quietFor,
    first: args.limit,
    after: args.after,
  }),
  async answer(data, args, { ask, variables }) {
    const since = variables.since as string | undefined;
    const conn = data.changeConnection as {
      edges: { node: { kind: string; subject: string; at: string; environment: string } }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
    const changes = conn.edges.map((e) => e.node);
    if (changes.length === 0 && args.environment !== undefined) {
      const unknown = await unknownEnvironment(ask, args.environment);
      if (unknown) throw new Error(unknown);
    }
    const nextCursor = conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null;
    const lines = [
      changes.length === 0
        ? `Nothing changed since ${since}.`
        : `${changes.length} change(s) since ${since}, newest first:`,
      ...changes.map((c) => `- ${c.at} [${c.environment}] ${c.kind}: ${c.subject}`),
      nextCursor ? `(more: call again with after "${nextCursor}")` : '',
    ];
    return toolAnswer(lines.filter(Boolean).join('\n'), { since, changes, nextCursor });
  },
});
