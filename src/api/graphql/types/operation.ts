/**
 * Operations: the entry points of services and the operations reached on databases, destinations and
 * external peers; CALLS edges between them give the path of a transaction.
 */
import { OperationKind } from '../../../core/model.js';
import { builder } from '../builder.js';
import { sinceMs, type Context } from '../context.js';
import { walkCost } from '../cost.js';
import { userError } from '../errors.js';
import { readRows } from '../read.js';
import type { ComponentRecord, Direction, Hop, OperationRecord } from '../loaders.js';
import { ComponentRef } from './component.js';
import { LatencyRef } from './measure.js';

export const OperationKindEnum = builder.enumType('OperationKind', {
  description: 'The span kind the operation was observed as.',
  values: Object.values(OperationKind),
});

export const OperationRef = builder.objectRef<OperationRecord>('Operation');

async function loadOperation(ctx: Context, key: string): Promise<OperationRecord> {
  const o = await ctx.loaders.operation.load(key);
  if (!o) throw new Error(`operation ${key} vanished during the query`);
  return o;
}

export const CallHopRef = builder.objectRef<Hop>('CallHop').implement({
  description: 'One CALLS edge on the path of a transaction: `from` called `to`, `depth` hops from the start.',
  fields: (t) => ({
    depth: t.exposeInt('depth'),
    from: t.field({ type: OperationRef, resolve: (h, _a, ctx) => loadOperation(ctx, h.via) }),
    to: t.field({ type: OperationRef, resolve: (h, _a, ctx) => loadOperation(ctx, h.key) }),
    calls: t.int({ resolve: (h) => h.edge.calls }),
    errors: t.int({ resolve: (h) => h.edge.errors }),
    latency: t.field({ type: LatencyRef, resolve: (h) => h.edge }),
    exemplarTraceIds: t.stringList({
      description: 'A few recent trace ids that took this hop.',
      resolve: (h) => h.edge.exemplars ?? [],
    }),
  }),
});

function callHops(
  o: OperationRecord,
  args: { depth: number; since?: Date | null },
  ctx: Context,
  direction: Direction,
) {
  if (args.depth < 1 || args.depth > ctx.settings.maxDepth) {
    throw userError(`depth must be between 1 and ${ctx.settings.maxDepth}, got ${args.depth}`);
  }
  return ctx.loaders.calls.load({ root: o.key, direction, depth: args.depth, since: sinceMs(ctx, args.since) });
}

builder.node(OperationRef, {
  description: 'An operation of a component. `id` is a relay global id, usable with `node(id:)`.',
  id: { resolve: (o) => o.key },
  isTypeOf: (o) => typeof (o as OperationRecord).componentKey === 'string',
  loadMany: async (keys, ctx) =>
    (await ctx.loaders.operation.loadMany(keys)).map((o) => (o instanceof Error ? null : o)),
  fields: (t) => ({
    name: t.exposeString('name'),
    kind: t.field({ type: OperationKindEnum, resolve: (o) => o.kind as OperationKind }),
    component: t.field({
      type: ComponentRef,
      resolve: async (o, _a, ctx) => (await ctx.loaders.component.load(o.componentKey)) as ComponentRecord,
    }),
    entryPoint: t.boolean({
      description: 'Called from outside the traced system (no instrumented caller).',
      resolve: (o) => o.entryPoint,
    }),
    calls: t.int({ resolve: (o) => o.calls }),
    errors: t.int({ resolve: (o) => o.errors }),
    latency: t.field({ type: LatencyRef, resolve: (o) => o }),
    firstSeen: t.field({ type: 'DateTime', resolve: (o) => o.firstSeen }),
    lastSeen: t.field({ type: 'DateTime', resolve: (o) => o.lastSeen }),
    downstream: t.field({
      type: [CallHopRef],
      description: 'What handling this operation calls, hop by hop: the path of a transaction.',
      complexity: walkCost,
      args: {
        depth: t.arg.int({ required: true, defaultValue: 5 }),
        since: t.arg({ type: 'DateTime', required: false }),
      },
      resolve: (o, args, ctx) => callHops(o, args, ctx, 'out'),
    }),
    upstream: t.field({
      type: [CallHopRef],
      description: 'Which operations lead to this one, hop by hop.',
      complexity: walkCost,
      args: {
        depth: t.arg.int({ required: true, defaultValue: 5 }),
        since: t.arg({ type: 'DateTime', required: false }),
      },
      resolve: (o, args, ctx) => callHops(o, args, ctx, 'in'),
    }),
  }),
});

export const OPERATION_BY_NAME = `
MATCH (c:Service {name: $service})-[:HAS_OPERATION]->(o:Operation {name: $name})
WHERE ($namespace IS NULL OR c.namespace = $namespace)
  AND ($environment IS NULL OR c.environment = $environment)
  AND ($kind IS NULL OR o.kind = $kind)
RETURN o { .*, entryPoint: coalesce(o.entryPoint, false), entryCalls: coalesce(o.entryCalls, 0) } AS o
ORDER BY o.lastSeen DESC
LIMIT 1`;

builder.queryField('operation', (t) =>
  t.field({
    type: OperationRef,
    nullable: true,
    description: 'An operation of a service by name, e.g. `GET /checkout`; the most recently seen when several match.',
    args: {
      service: t.arg.string({ required: true }),
      name: t.arg.string({ required: true }),
      kind: t.arg({ type: OperationKindEnum, required: false }),
      namespace: t.arg.string({ required: false }),
      environment: t.arg.string({ required: false }),
    },
    resolve: async (_root, args, ctx) => {
      const [row] = await readRows<{ o: OperationRecord }>(ctx, 'operation', OPERATION_BY_NAME, {
        service: args.service,
        name: args.name,
        kind: args.kind ?? null,
        namespace: args.namespace ?? null,
        environment: args.environment ?? null,
      });
      return row?.o ?? null;
    },
  }),
);
