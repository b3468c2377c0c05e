import { z } from 'zod';
import { name, environment, since, limit, offset } from './inputs.js';
import { page, pageNote, toolAnswer } from '../tool-results.js';
import { unknownComponent } from '../near-matches.js';
import { DEPENDENCIES } from './dependencies.js';
import { queryTool } from './query-tool.js';

export const PATHS = /* GraphQL */ `
  query McpPaths($from: String!, $to: String!, $environment: String, $maxDepth: Int!, $since: DateTime) {
    paths(from: $from, to: $to, environment: $environment, maxDepth: $maxDepth, since: $since) {
      length
      hops {
        name
        kind
      }
    }
  }
`;

const input = {
  from: name('Where the paths start, e.g. "gateway".'),
  to: name('Where they end, e.g. "orders-db".'),
  environment,
  maxDepth: z.number().int().min(1).max(10).default(6).describe('Longest path, in edges.'),
  since: since('Edges seen since; default the live window (24h)'),
  limit: limit.default(20),
  offset,
};

export const pathsTool = queryTool({
  name: 'paths',
  title: 'Paths between two components',
  description:
    'Every simple dependency path from one component to another, shortest first: how a request from `from` can reach `to`. Example: {"from": "gateway", "to": "orders-db", "maxDepth": 6}.',
  input,
  document: PATHS,
  variables: (args, at) => ({
    from: args.from,
    to: args.to,
    environment: args.environment,
    maxDepth: args.maxDepth,
    since: at(args.since),
  }),
  async answer(data, args, { ask }) {
    const paths = (data.paths as { length: number; hops: { name: string; kind: string }[] }[]).map((p) => ({
      length: p.length,
      hops: p.hops.map((h) => h.name),
    }));
    if (paths.length === 0) {
      const problems = await Promise.all(
        [args.from, args.to].map(async (n) => {
          const known = await ask(DEPENDENCIES, {
            name: n,
            environment: args.environment,
            depth: 1,
            down: false,
            up: false,
          });
          return known.data?.component ? undefined : unknownComponent(ask, n, args.environment);
        }),
      );
      const unknown = problems.filter((m): m is string => m !== undefined);
      if (unknown.length > 0) throw new Error(unknown.join('\n'));
    }
    const p = page(paths, args.offset, args.limit);
    const lines = [
      paths.length === 0
        ? `No path from ${args.from} to ${args.to} within ${args.maxDepth} edges.`
        : `${paths.length} path(s) from ${args.from} to ${args.to} ${pageNote(p)}:`,
      ...p.items.map((x) => `- ${x.hops.join(' -> ')}`),
    ];
    return toolAnswer(lines.join('\n'), { from: args.from, to: args.to, paths: p });
  },
});
