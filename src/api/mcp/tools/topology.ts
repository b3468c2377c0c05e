import { environment, limit, offset, since } from './inputs.js';
import { MAX_MERMAID_CHARS, page, pageNote, toolAnswer } from '../tool-results.js';
import { unknownEnvironment } from '../near-matches.js';
import { queryTool } from './query-tool.js';

export const TOPOLOGY = /* GraphQL */ `
  query McpTopology($environment: String, $since: DateTime) {
    topology(environment: $environment, since: $since) {
      mermaid
      nodes {
        name
        kind
        environment
      }
      edges {
        from {
          name
        }
        to {
          name
        }
        calls
        errors
        protocols
        lastSeen
      }
    }
  }
`;

const input = { environment, since: since('Edges seen since; default the live window (24h)'), limit, offset };

export const topologyTool = queryTool({
  name: 'topology',
  title: 'Topology of an environment',
  description:
    'The map of an environment: how many components (services, databases, external peers, queues) and dependency edges it has, the busiest and most failing edges (paged), and a Mermaid flowchart when it is small enough to read. Start here to learn the names of things. Example: {"environment": "production"}.',
  input,
  document: TOPOLOGY,
  variables: (args, at) => ({ environment: args.environment, since: at(args.since) }),
  async answer(data, args, { ask }) {
    const t = data.topology as {
      mermaid: string;
      nodes: { name: string; kind: string; environment: string }[];
      edges: { from: { name: string }; to: { name: string }; calls: number; errors: number; protocols: string[] }[];
    };
    if (t.nodes.length === 0 && args.environment !== undefined) {
      const unknown = await unknownEnvironment(ask, args.environment);
      if (unknown) throw new Error(unknown);
    }
    const byKind: Record<string, number> = {};
    for (const n of t.nodes) byKind[n.kind] = (byKind[n.kind] ?? 0) + 1;
    const edges = [...t.edges]
      .sort((a, b) => b.errors - a.errors || b.calls - a.calls)
      .map((e) => ({ from: e.from.name, to: e.to.name, calls: e.calls, errors: e.errors, protocols: e.protocols }));
    const p = page(edges, args.offset, args.limit);
    const mermaid = t.mermaid.length <= MAX_MERMAID_CHARS ? t.mermaid : null;
    const kinds = Object.entries(byKind)
      .map(([k, n]) => `${n} ${k.toLowerCase()}`)
      .join(', ');
    const lines = [
      `${args.environment ? `Environment "${args.environment}"` : 'All environments'}: ${t.nodes.length} components (${kinds || 'none'}), ${t.edges.length} dependency edges.`,
      `Edges, most errors first ${pageNote(p)}:`,
      ...p.items.map((e) => `- ${e.from} -> ${e.to}: ${e.calls} calls, ${e.errors} errors`),
      mermaid
        ? `\n\`\`\`mermaid\n${mermaid}\n\`\`\``
        : `(The Mermaid flowchart is ${t.mermaid.length} characters, more than ${MAX_MERMAID_CHARS}; ask the dependencies tool about one component instead.)`,
    ];
    return toolAnswer(lines.join('\n'), {
      environment: args.environment ?? null,
      components: t.nodes.length,
      componentsByKind: byKind,
      edgeCount: t.edges.length,
      edges: p,
      mermaid,
    });
  },
});
