/**
 * Operations: the entry points of services and the operations reached on databases, destinations and
 * external peers; CALLS edges between them give the path of a transaction.
 */
import { OperationKind } from '../../../core/model.js';
import { walkField, walkRequest } from '../args.js';
import { builder } from '../builder.js';
import { loadComponent } from '../data/components.js';
import { findOperation, loadOperation } from '../data/operations.js';
import type { OperationRecord } from '../data/projections.js';
import type { Direction, Hop } from '../data/traversal.js';
import { answeredFrom } from '../look-ahead.js';
import { ComponentRef } from './component.js';
import { LatencyRef } from './measure.js';

/** Fields a summary read answers (see look-ahead.ts). */
const SUMMARY = answeredFrom('summary');

export const OperationKindEnum = builder.enumType('OperationKind', {
  description: 'The span kind the operation was observed as.',
  values: Object.values(OperationKind),
});

export const OperationRef = builder.objectRef<OperationRecord>('Operation');

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

/** `downstream` or `upstream`: the CALLS walk from an operation, hop by hop. */
const callWalk = (direction: Direction, description: string) =>
  builder.objectField(OperationRef, direction === 'out' ? 'downstream' : 'upstream', (t) =>
    t.field({
      type: [CallHopRef],
      description,
      extensions: SUMMARY,
      ...walkField(5),
      resolve: (o, args, ctx) => ctx.loaders.calls.load(walkRequest(ctx, o.key, direction, args)),
    }),
  );

builder.node(OperationRef, {
  description: 'An operation of a component. `id` is a relay global id, usable with `node(id:)`.',
  id: { resolve: (o) => o.key },
  isTypeOf: (o) => typeof (o as OperationRecord).componentKey === 'string',
  loadMany: async (keys, ctx) =>
    (await ctx.loaders.operation.loadMany(keys)).map((o) => (o instanceof Error ? null : o)),
  fields: (t) => ({
    name: t.exposeString('name', { extensions: SUMMARY }),
    kind: t.field({ type: OperationKindEnum, extensions: SUMMARY, resolve: (o) => o.kind as OperationKind }),
    component: t.field({
      type: ComponentRef,
      extensions: SUMMARY,
      resolve: (o, _a, ctx) => loadComponent(ctx, o.componentKey),
    }),
    entryPoint: t.boolean({
      description: 'Called from outside the traced system (no instrumented caller).',
      extensions: SUMMARY,
      resolve: (o) => o.entryPoint,
    }),
    calls: t.int({ extensions: SUMMARY, resolve: (o) => o.calls }),
    errors: t.int({ extensions: SUMMARY, resolve: (o) => o.errors }),
    latency: t.field({ type: LatencyRef, resolve: (o) => o }),
    firstSeen: t.field({ type: 'DateTime', extensions: SUMMARY, resolve: (o) => o.firstSeen }),
    lastSeen: t.field({ type: 'DateTime', extensions: SUMMARY, resolve: (o) => o.lastSeen }),
  }),
});

callWalk('out', 'What handling this operation calls, hop by hop: the path of a transaction.');
callWalk('in', 'Which operations lead to this one, hop by hop.');

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
    resolve: (_root, args, ctx) =>
      findOperation(ctx, {
        service: args.service,
        name: args.name,
        kind: args.kind ?? null,
        namespace: args.namespace ?? null,
        environment: args.environment ?? null,
      }),
  }),
);
