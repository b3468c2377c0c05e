/**
 * Sampled traces: the skeleton (CALLS hops) of recent traces kept by the ingest worker's bounded
 * sampling (ingest/trace-sampling.ts): every failing trace up to a cap, a few successful ones per
 * entry operation per window, each entry operation keeping only its newest.
 */
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import { readHop } from '../../../core/records.js';
import type { TraceSampleRecord } from '../data/loaders.js';
import { loadOperation, sampledTraces, traceById } from '../data/operations.js';
import { userError } from '../errors.js';
import { OperationRef } from './operation.js';

interface TraceHop {
  depth: number;
  from: string;
  to: string;
  error: boolean;
  latencyMs: number;
  at: number;
}

export const MAX_TRACES = 50;

/** Hops with their depth from the entry operation (breadth-first), in the order they happened. */
export function traceHops(sample: TraceSampleRecord): TraceHop[] {
  const hops = sample.hops.map((h) => ({ depth: 0, ...readHop(sample, h) }));
  const depthOf = new Map<string, number>([[sample.entry, 0]]);
  for (let changed = true; changed;) {
    changed = false;
    for (const h of hops) {
      const d = depthOf.get(h.from);
      if (d !== undefined && h.depth === 0) {
        h.depth = d + 1;
        if (!depthOf.has(h.to)) depthOf.set(h.to, d + 1);
        changed = true;
      }
    }
  }
  // Hops whose caller was not reached from the entry (a part whose upstream was not kept) come last.
  return hops.sort((a, b) => (a.depth || Infinity) - (b.depth || Infinity) || a.at - b.at);
}

/** The trace in the trace UI, when TOPOGRAPH_TRACE_URL_TEMPLATE names one. */
export const traceUrl = (ctx: Context, traceId: string) =>
  ctx.settings.traceUrlTemplate?.replaceAll('{traceId}', encodeURIComponent(traceId)) ?? null;

const TraceHopRef = builder.objectRef<TraceHop>('TraceHop').implement({
  description: 'One call within a sampled trace: handling `from` called `to`.',
  fields: (t) => ({
    depth: t.int({
      description: 'Hops from the entry operation (1: called by it); 0 when its caller was not kept.',
      resolve: (h) => h.depth,
    }),
    from: t.field({ type: OperationRef, resolve: (h, _a, ctx) => loadOperation(ctx, h.from) }),
    to: t.field({ type: OperationRef, resolve: (h, _a, ctx) => loadOperation(ctx, h.to) }),
    error: t.boolean({ resolve: (h) => h.error }),
    latencyMs: t.float({ resolve: (h) => h.latencyMs }),
    at: t.field({ type: 'DateTime', description: 'When the call ended.', resolve: (h) => h.at }),
  }),
});

export const TraceSampleRef = builder.objectRef<TraceSampleRecord>('TraceSample').implement({
  description: 'The skeleton of a recent trace the ingest worker chose to keep: which operations called which.',
  fields: (t) => ({
    traceId: t.exposeString('traceId'),
    entry: t.field({
      type: OperationRef,
      description: 'Where the trace entered.',
      resolve: (s, _a, ctx) => loadOperation(ctx, s.entry),
    }),
    error: t.boolean({ description: 'Some call in it failed.', resolve: (s) => s.error }),
    firstSeen: t.field({ type: 'DateTime', resolve: (s) => s.firstSeen }),
    lastSeen: t.field({ type: 'DateTime', resolve: (s) => s.lastSeen }),
    hops: t.field({ type: [TraceHopRef], description: 'By depth, then time.', resolve: (s) => traceHops(s) }),
    url: t.string({
      nullable: true,
      description: 'The trace in the trace UI, when TOPOGRAPH_TRACE_URL_TEMPLATE is set.',
      resolve: (s, _a, ctx) => traceUrl(ctx, s.traceId),
    }),
  }),
});

builder.objectField(OperationRef, 'traces', (t) =>
  t.field({
    type: [TraceSampleRef],
    description: `Recent sampled traces that passed through this operation (entered by it or reached it), newest first (at most ${MAX_TRACES}).`,
    args: {
      first: t.arg.int({ required: true, defaultValue: 10 }),
      errorsOnly: t.arg.boolean({ required: true, defaultValue: false }),
    },
    resolve: (o, args, ctx) => {
      if (args.first < 1 || args.first > MAX_TRACES)
        throw userError(`first must be between 1 and ${MAX_TRACES}, got ${args.first}`);
      return sampledTraces(ctx, o.key, args.first, args.errorsOnly);
    },
  }),
);

builder.objectField(OperationRef, 'trace', (t) =>
  t.field({
    type: TraceSampleRef,
    nullable: true,
    description: 'A sampled trace by id, when it passed through this operation; null when it was not kept.',
    args: { traceId: t.arg.string({ required: true }) },
    resolve: async (o, args, ctx) => {
      const s = await traceById(ctx, args.traceId);
      return s && (s.entry === o.key || traceHops(s).some((h) => h.from === o.key || h.to === o.key)) ? s : null;
    },
  }),
);

builder.queryField('trace', (t) =>
  t.field({
    type: TraceSampleRef,
    nullable: true,
    description:
      'A recent trace whose skeleton was kept by sampling (failing traces and a few per entry operation); null otherwise.',
    args: { traceId: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => traceById(ctx, args.traceId),
  }),
);
