import { z } from 'zod';
import { name, environment, since, limit, offset } from './inputs.js';
import { page, pageNote, percent, toolAnswer } from '../tool-results.js';
import { unknownComponent } from '../near-matches.js';
import { queryTool } from './query-tool.js';

const HOP = /* GraphQL */ `
  fragment McpHop on DependencyHop {
    depth
    calls
    errors
    errorRate
    lastSeen
    component {
      name
      kind
      environment
    }
    from {
      name
    }
  }
`;

export const DEPENDENCIES = /* GraphQL */ `
  query McpDependencies(
    $name: String!
    $environment: String
    $depth: Int!
    $since: DateTime
    $down: Boolean!
    $up: Boolean!
  ) {
    component(name: $name, environment: $environment) {
      name
      kind
      environment
      dependencies(depth: $depth, since: $since) @include(if: $down) {
        ...McpHop
      }
      dependents(depth: $depth, since: $since) @include(if: $up) {
        ...McpHop
      }
    }
  }
  ${HOP}
`;

interface Hop {
  depth: number;
  calls: number;
  errors: number;
  errorRate: number;
  lastSeen: string;
  component: { name: string; kind: string; environment: string };
  from: { name: string };
}

const component = (c: { name: string; kind?: string }) => (c.kind ? `${c.name} (${c.kind.toLowerCase()})` : c.name);

const input = {
  name: name('The component: a service, database, external host or queue name, e.g. "payments".'),
  environment,
  direction: z
    .enum(['dependents', 'dependencies', 'both'])
    .default('both')
    .describe('"dependents" (callers: the blast radius), "dependencies" (what it calls) or "both".'),
  depth: z.number().int().min(1).max(10).default(3).describe('Hops to follow, 1 (direct only) to 10.'),
  since: since('Edges seen since; default the live window (24h)'),
  limit,
  offset,
};

export const dependenciesTool = queryTool({
  name: 'dependencies',
  title: 'Dependencies and dependents of a component',
  description:
    'What a component calls (direction "dependencies") and who calls it (direction "dependents": who breaks when it fails, its blast radius), transitively up to `depth` hops, each with calls and errors of its edge and `via`, its neighbour on the path toward the component asked about. Example: what breaks if payments fails → {"name": "payments", "direction": "dependents", "depth": 5}.',
  input,
  document: DEPENDENCIES,
  variables: (args, at) => ({
    name: args.name,
    environment: args.environment,
    depth: args.depth,
    since: at(args.since),
    down: args.direction !== 'dependents',
    up: args.direction !== 'dependencies',
  }),
  async answer(data, args, { ask }) {
    const c = data.component as {
      name: string;
      kind: string;
      environment: string;
      dependencies?: Hop[];
      dependents?: Hop[];
    } | null;
    if (!c) throw new Error(await unknownComponent(ask, args.name, args.environment));
    const flat = (hops: Hop[] | undefined) =>
      hops?.map((h) => ({
        name: h.component.name,
        kind: h.component.kind,
        depth: h.depth,
        via: h.from.name,
        calls: h.calls,
        errors: h.errors,
        errorRate: h.errorRate,
        lastSeen: h.lastSeen,
      }));
    const down = flat(c.dependencies);
    const up = flat(c.dependents);
    const lines = [`${component(c)} in "${c.environment}", up to ${args.depth} hops:`];
    const structured: Record<string, unknown> = {
      component: { name: c.name, kind: c.kind, environment: c.environment },
    };
    for (const [label, list, key, link] of [
      ['Dependents (who calls it, so is affected when it fails)', up, 'dependents', 'calls'],
      ['Dependencies (what it calls)', down, 'dependencies', 'called by'],
    ] as const) {
      if (!list) continue;
      const p = page(list, args.offset, args.limit);
      structured[key] = p;
      lines.push(`${label}: ${list.length} ${pageNote(p)}`);
      for (const h of p.items) {
        lines.push(
          `- ${h.name} (${h.kind.toLowerCase()}), depth ${h.depth}, ${link} ${h.via}: ${h.calls} calls, ${percent(h.errorRate)} errors`,
        );
      }
    }
    return toolAnswer(lines.join('\n'), structured);
  },
});
