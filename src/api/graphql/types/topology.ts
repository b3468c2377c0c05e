/**
 * The topology of an environment (components and DEPENDS_ON edges seen since a time) as data, as a
 * Mermaid flowchart and as Graphviz DOT; and every simple path between two components.
 */
import { depthArg } from '../args.js';
import { builder } from '../builder.js';
import { sinceMs } from '../context.js';
import { loadComponent } from '../data/components.js';
import type { ComponentRecord } from '../data/projections.js';
import {
  readPathGraph,
  readTopology,
  readTopologyAt,
  readTopologyDiff,
  type Period,
  type Topology,
  type TopologyDiff,
  type TopologyEdge,
  periodOf,
} from '../data/topology.js';
import { userError } from '../errors.js';
import { toDot, toMermaid } from '../render-topology.js';
import { simplePaths } from '../simple-paths.js';
import { ComponentRef } from './component.js';
import { EDGE_SOURCES } from '../../../core/model.js';

/** More paths than this are cut off: past it a list of paths stops being an answer. */
export const MAX_PATHS = 100;

const byKey = (t: Topology) => new Map(t.nodes.map((n) => [n.key, n]));

export const TopologyEdgeRef = builder
  .objectRef<TopologyEdge & { ends: Map<string, ComponentRecord> }>('TopologyEdge')
  .implement({
    description: 'A DEPENDS_ON edge: `from` calls (or publishes to, or consumes from) `to`.',
    fields: (t) => ({
      from: t.field({ type: ComponentRef, resolve: (e) => e.ends.get(e.from)! }),
      to: t.field({ type: ComponentRef, resolve: (e) => e.ends.get(e.to)! }),
      calls: t.int({ description: 'Calls since the edge was first seen.', resolve: (e) => e.calls }),
      errors: t.int({ resolve: (e) => e.errors }),
      unpairedCalls: t.int({
        description:
          'Of `calls`, those counted only because one half of the call expired unpaired (its other half never came, or not yet): a late other half within the late window moves them to the real edge.',
        resolve: (e) => e.unpaired ?? 0,
      }),
      protocols: t.stringList({ resolve: (e) => e.protocols ?? [] }),
      sources: t.stringList({
        description:
          'Which sources saw this edge, in this order: `otlp` (OTLP/HTTP or gRPC), `zipkin` (the Zipkin receiver), `import` (`npm run import`: trace files and dependency links), `declared` (a catalog says it exists). Empty for an edge last written before sources were kept.',
        resolve: (e) => [...(e.sources ?? [])].sort((a, b) => sourceRank(a) - sourceRank(b)),
      }),
      firstSeen: t.field({ type: 'DateTime', resolve: (e) => e.firstSeen }),
      lastSeen: t.field({ type: 'DateTime', resolve: (e) => e.lastSeen }),
    }),
  });

const sourceRank = (s: string) => {
  const i = (EDGE_SOURCES as readonly string[]).indexOf(s);
  return i < 0 ? EDGE_SOURCES.length : i;
};

const PeriodRef = builder.objectRef<Period>('Period').implement({
  description: `An hour of presence: what was live in it carried a call that ended in it. Presence is kept per UTC hour (docs/model.md, "Presence and provenance").`,
  fields: (t) => ({
    start: t.field({ type: 'DateTime', description: 'The start of the hour, included.', resolve: (p) => p.start }),
    end: t.field({ type: 'DateTime', description: 'The end of the hour, excluded.', resolve: (p) => p.end }),
  }),
});

const TopologyRef = builder.objectRef<Topology>('Topology').implement({
  fields: (t) => ({
    period: t.field({
      type: PeriodRef,
      nullable: true,
      description: 'The hour shown when the topology was asked `at` a time; null for the live window.',
      resolve: (topo) => topo.period ?? null,
    }),
    nodes: t.field({ type: [ComponentRef], resolve: (topo) => topo.nodes }),
    edges: t.field({
      type: [TopologyEdgeRef],
      resolve: (topo) => {
        const ends = byKey(topo);
        return topo.edges.map((e) => ({ ...e, ends }));
      },
    }),
    mermaid: t.string({
      description: 'A Mermaid flowchart of the topology, ready to paste into Markdown (```mermaid).',
      resolve: (topo) => toMermaid(topo.nodes, topo.edges),
    }),
    dot: t.string({
      description: 'The topology as a Graphviz digraph (`dot -Tsvg`).',
      resolve: (topo) => toDot(topo.nodes, topo.edges),
    }),
  }),
});

const TopologyDiffRef = builder.objectRef<TopologyDiff>('TopologyDiff').implement({
  description:
    'What differs between the hour of `from` and the hour of `to`: added is live at `to` and not at `from`, removed the reverse.',
  fields: (t) => ({
    from: t.field({ type: PeriodRef, description: 'The hour `from` falls in.', resolve: (d) => d.from }),
    to: t.field({ type: PeriodRef, description: 'The hour `to` falls in.', resolve: (d) => d.to }),
    added: t.field({
      type: [TopologyEdgeRef],
      description: 'Edges live at `to` but not at `from`.',
      resolve: (d) => d.added.map((e) => ({ ...e, ends: d.ends })),
    }),
    removed: t.field({
      type: [TopologyEdgeRef],
      description: 'Edges live at `from` but not at `to`.',
      resolve: (d) => d.removed.map((e) => ({ ...e, ends: d.ends })),
    }),
    addedComponents: t.field({
      type: [ComponentRef],
      description: 'Components live at `to` but not at `from`.',
      resolve: (d) => d.addedComponents,
    }),
    removedComponents: t.field({
      type: [ComponentRef],
      description: 'Components live at `from` but not at `to`.',
      resolve: (d) => d.removedComponents,
    }),
  }),
});

/** A time to look back at: not after the hour under way, which is the last with any presence. */
function pastTime(ctx: { now: number }, at: Date, arg: string): number {
  const ms = at.getTime();
  if (periodOf(ms).start > ctx.now) throw userError(`\`${arg}\` is in the future (${at.toISOString()})`);
  return ms;
}

const PathRef = builder.objectRef<{ keys: string[] }>('Path').implement({
  description: 'A simple path over DEPENDS_ON edges: no component appears twice.',
  fields: (t) => ({
    length: t.int({ description: 'Number of edges.', resolve: (p) => p.keys.length - 1 }),
    hops: t.field({
      type: [ComponentRef],
      description: 'The components along the path, from the first to the last, both included.',
      resolve: (p, _a, ctx) => Promise.all(p.keys.map((k) => loadComponent(ctx, k))),
    }),
  }),
});

builder.queryFields((t) => ({
  topology: t.field({
    type: TopologyRef,
    description:
      'Components and DEPENDS_ON edges seen since `since` (default: the live window), or live in the hour of `at`, in one environment or all of them.',
    args: {
      environment: t.arg.string({ required: false }),
      since: t.arg({ type: 'DateTime', required: false }),
      at: t.arg({
        type: 'DateTime',
        required: false,
        description:
          'A point in time: the components and edges live in the UTC hour it falls in (one that carried a call ending in that hour). Edges keep their totals (`calls` since first seen). Not with `since`; nothing is live before the retention (TOPOGRAPH_RETENTION).',
      }),
    },
    resolve: (_root, args, ctx) => {
      if (args.at && args.since) throw userError('give `since` or `at`, not both');
      return args.at
        ? readTopologyAt(ctx, args.environment ?? null, pastTime(ctx, args.at, 'at'))
        : readTopology(ctx, args.environment ?? null, sinceMs(ctx, args.since));
    },
  }),
  topologyDiff: t.field({
    type: TopologyDiffRef,
    description:
      'What was added and removed between the hour of `from` and the hour of `to` (presence is kept per UTC hour): edges and components live at `to` but not at `from`, and the reverse.',
    args: {
      environment: t.arg.string({ required: false }),
      from: t.arg({ type: 'DateTime', required: true }),
      to: t.arg({ type: 'DateTime', required: true }),
    },
    resolve: (_root, args, ctx) =>
      readTopologyDiff(ctx, args.environment ?? null, pastTime(ctx, args.from, 'from'), pastTime(ctx, args.to, 'to')),
  }),
  paths: t.field({
    type: [PathRef],
    description: `Every simple path over DEPENDS_ON edges from the component named \`from\` to the one named \`to\`, shortest first, at most ${MAX_PATHS} (longer ones are left out once that many are found). Edges seen since \`since\` (default: the live window); \`maxDepth\` counts edges and is capped by the server's depth limit.`,
    args: {
      from: t.arg.string({ required: true }),
      to: t.arg.string({ required: true }),
      environment: t.arg.string({ required: false }),
      maxDepth: t.arg.int({ required: true, defaultValue: 6 }),
      since: t.arg({ type: 'DateTime', required: false }),
    },
    resolve: async (_root, args, ctx) => {
      const maxDepth = depthArg(ctx, args.maxDepth, 'maxDepth');
      const graph = await readPathGraph(ctx, {
        from: args.from,
        to: args.to,
        environment: args.environment ?? null,
        since: sinceMs(ctx, args.since),
      });
      if (!graph || graph.starts.length === 0) throw userError(`no component named "${args.from}"`, 'NOT_FOUND');
      if (graph.targets.length === 0)
        throw userError(`no component named "${args.to}" beside "${args.from}"`, 'NOT_FOUND');
      return simplePaths(graph.edges, graph.starts, graph.targets, maxDepth, MAX_PATHS).map((keys) => ({ keys }));
    },
  }),
}));
