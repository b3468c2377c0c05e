import { environment, limit, offset, since } from './inputs.js';
import { page, pageNote, toolAnswer } from '../tool-results.js';
import { queryTool } from './query-tool.js';

export const TOPOLOGY_DIFF = /* GraphQL */ `
  query McpTopologyDiff($environment: String, $from: DateTime!, $to: DateTime!) {
    topologyDiff(environment: $environment, from: $from, to: $to) {
      from {
        start
      }
      to {
        start
      }
      added {
        from {
          name
        }
        to {
          name
        }
        sources
      }
      removed {
        from {
          name
        }
        to {
          name
        }
        sources
      }
      addedComponents {
        name
        kind
      }
      removedComponents {
        name
        kind
      }
    }
  }
`;

interface Edge {
  from: { name: string };
  to: { name: string };
  sources: string[];
}
interface Named {
  name: string;
  kind: string;
}

const input = {
  environment,
  from: since('The earlier time').unwrap().describe('The earlier time, e.g. "24h" (a day ago) or an ISO-8601 instant.'),
  to: since('The later time; default now'),
  limit,
  offset,
};

const flat = (e: Edge) => ({ from: e.from.name, to: e.to.name, sources: e.sources });
const edgeLine = (e: ReturnType<typeof flat>) =>
  `- ${e.from} -> ${e.to} (seen by ${e.sources.join(', ') || 'unknown'})`;
const componentList = (list: Named[]) => list.map((c) => `${c.name} (${c.kind.toLowerCase()})`).join(', ') || 'none';

export const topologyDiffTool = queryTool({
  name: 'topology_diff',
  title: 'What changed in the map between two times',
  description:
    'The dependency edges and components added and removed between the hour of `from` and the hour of `to` (presence is kept per hour): what is new since yesterday, what stopped being called after a deploy. Example: {"environment": "production", "from": "24h"}.',
  input,
  document: TOPOLOGY_DIFF,
  variables: (args, at) => ({ environment: args.environment, from: at(args.from), to: at(args.to ?? '0m') }),
  answer(data, args) {
    const d = data.topologyDiff as {
      from: { start: string };
      to: { start: string };
      added: Edge[];
      removed: Edge[];
      addedComponents: Named[];
      removedComponents: Named[];
    };
    const added = page(d.added.map(flat), args.offset, args.limit);
    const removed = page(d.removed.map(flat), args.offset, args.limit);
    const addedComponents = page(d.addedComponents, args.offset, args.limit);
    const removedComponents = page(d.removedComponents, args.offset, args.limit);
    const lines = [
      `${args.environment ? `Environment "${args.environment}"` : 'All environments'}, the hour from ${d.from.start} against the hour from ${d.to.start}:`,
      `Components added ${pageNote(addedComponents)}: ${componentList(addedComponents.items)}.`,
      `Components removed ${pageNote(removedComponents)}: ${componentList(removedComponents.items)}.`,
      `Edges added ${pageNote(added)}:`,
      ...added.items.map(edgeLine),
      `Edges removed ${pageNote(removed)}:`,
      ...removed.items.map(edgeLine),
    ];
    return toolAnswer(lines.join('\n'), {
      environment: args.environment ?? null,
      from: d.from.start,
      to: d.to.start,
      addedComponents,
      removedComponents,
      added,
      removed,
    });
  },
});
