/**
 * The topology of an environment (components and DEPENDS_ON edges seen since a time) as data, as a
 * Mermaid flowchart and as Graphviz DOT; and every simple path between two components.
 */
import { depthArg } from '../args.js';
import { builder } from '../builder.js';
import { sinceMs } from '../context.js';
import { loadComponent } from '../data/components.js';
import type { ComponentRecord } from '../data/projections.js';
import { readPathGraph, readTopology, type Topology, type TopologyEdge } from '../data/topology.js';
import { userError } from '../errors.js';
import { toDot, toMermaid } from '../render-topology.js';
import { simplePaths } from '../simple-paths.js';
import { ComponentRef } from './component.js';

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
      firstSeen: t.field({ type: 'DateTime', resolve: (e) => e.firstSeen }),
      lastSeen: t.field({ type: 'DateTime', resolve: (e) => e.lastSeen }),
    }),
  });

const TopologyRef = builder.objectRef<Topology>('Topology').implement({
  fields: (t) => ({
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
      'Components and DEPENDS_ON edges seen since `since` (default: the live window), in one environment or all of them.',
    args: {
      environment: t.arg.string({ required: false }),
      since: t.arg({ type: 'DateTime', required: false }),
    },
    resolve: (_root, args, ctx) => readTopology(ctx, args.environment ?? null, sinceMs(ctx, args.since)),
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
