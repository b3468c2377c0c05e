/**
 * Sampled traces: the skeleton (CALLS hops) of recent traces kept by the ingest worker's bounded
 * sampling (ingest/trace-sampling.ts): every failing trace up to a cap, a few successful ones per
 * entry operation per window, each entry operation keeping only its newest.
 */
import DataLoader from 'dataloader';
import neo4j from 'neo4j-driver';
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import { userError } from '../errors.js';
import type { OperationRecord } from '../loaders.js';
import { readRows } from '../read.js';
import { OperationRef } from './operation.js';

export interface TraceSampleRecord {
  traceId: string;
  entry: string;
  error: boolean;
  firstSeen: number;
  lastSeen: number;
  hops: string[];
}

interface TraceHop {
  depth: number;
  from: string;
  to: string;
  error: boolean;
  latencyMs: number;
  at: number;
}

const SAMPLE_FIELDS = `t { .traceId, .entry, .error, .firstSeen, .lastSeen, .hops }`;

export const TRACE_SAMPLES_BY_ID = `
UNWIND $traceIds AS traceId
MATCH (t:TraceSample {traceId: traceId})
RETURN ${SAMPLE_FIELDS} AS t`;

export const TRACE_SAMPLES_OF = `
UNWIND $keys AS key
MATCH (:Operation {key: key})-[:IN_TRACE]->(t:TraceSample)
WHERE NOT $errorsOnly OR t.error
WITH key, t ORDER BY t.lastSeen DESC
WITH key, collect(${SAMPLE_FIELDS}) AS samples
RETURN key, samples[0..$first] AS samples`;

export const MAX_TRACES = 50;

/** Hops with their depth from the entry operation (breadth-first), in the order they happened. */
export function traceHops(sample: TraceSampleRecord): TraceHop[] {
  const hops = sample.hops.map((h) => {
    const [from, to, error, latencyMs, at] = JSON.parse(h) as [string, string, number, number, number];
    return { depth: 0, from, to, error: error === 1, latencyMs, at };
  });
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

/** One query for the samples of every operation asked about in a request. */
const samplesLoaders = new WeakMap<
  object,
  DataLoader<{ key: string; first: number; errorsOnly: boolean }, TraceSampleRecord[], string>
>();
function samplesOf(ctx: Context) {
  let loader = samplesLoaders.get(ctx.loaders);
  if (!loader) {
    loader = new DataLoader(
      async (reqs) => {
        const first = Math.max(...reqs.map((r) => r.first));
        const out = new Map<string, TraceSampleRecord[]>();
        for (const errorsOnly of [false, true]) {
          const keys = [...new Set(reqs.filter((r) => r.errorsOnly === errorsOnly).map((r) => r.key))];
          if (keys.length === 0) continue;
          const rows = await readRows<{ key: string; samples: TraceSampleRecord[] }>(ctx, 'traces', TRACE_SAMPLES_OF, {
            keys,
            errorsOnly,
            first: neo4j.int(first),
          });
          for (const row of rows) out.set(`${row.key}|${errorsOnly}`, row.samples);
        }
        return reqs.map((r) => (out.get(`${r.key}|${r.errorsOnly}`) ?? []).slice(0, r.first));
      },
      { cacheKeyFn: (r) => `${r.key}|${r.first}|${r.errorsOnly}` },
    );
    samplesLoaders.set(ctx.loaders, loader);
  }
  return loader;
}

/** The newest samples that passed through an operation, batched with every other such request. */
export function sampledTraces(ctx: Context, operationKey: string, first: number, errorsOnly: boolean) {
  return samplesOf(ctx).load({ key: operationKey, first, errorsOnly });
}

const loadOperation = async (ctx: Context, key: string): Promise<OperationRecord> => {
  const o = await ctx.loaders.operation.load(key);
  if (!o) throw new Error(`operation ${key} vanished during the query`);
  return o;
};

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
      resolve: (s, _a, ctx) =>
        ctx.settings.traceUrlTemplate?.replaceAll('{traceId}', encodeURIComponent(s.traceId)) ?? null,
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
      return samplesOf(ctx).load({ key: o.key, first: args.first, errorsOnly: args.errorsOnly });
    },
  }),
);

const byIdLoaders = new WeakMap<object, DataLoader<string, TraceSampleRecord | null>>();
function traceById(ctx: Context, traceId: string): Promise<TraceSampleRecord | null> {
  let loader = byIdLoaders.get(ctx.loaders);
  if (!loader) {
    loader = new DataLoader(async (traceIds) => {
      const rows = await readRows<{ t: TraceSampleRecord }>(ctx, 'trace', TRACE_SAMPLES_BY_ID, { traceIds });
      const found = new Map(rows.map((r) => [r.t.traceId, r.t]));
      return traceIds.map((id) => found.get(id) ?? null);
    });
    byIdLoaders.set(ctx.loaders, loader);
  }
  // Trace ids are stored as lower-case hex, as OTLP decoders produce them.
  return loader.load(traceId.toLowerCase());
}

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
