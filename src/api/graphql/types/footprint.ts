/**
 * A client's footprint: for one tag value (a tenant, a customer, an app version) the services and
 * operations that saw it, with counts, and what handling those operations went on to call.
 */
import { tagKey } from '../../../core/model.js';
import { builder } from '../builder.js';
import { sinceMs, type Context } from '../context.js';
import { userError } from '../errors.js';
import type { Hop } from '../loaders.js';
import { readRows } from '../read.js';
import { ComponentRef } from './component.js';
import { CallHopRef, OperationRef } from './operation.js';

export const FOOTPRINT = `
MATCH (t:Tag {uid: $uid})<-[r:TAGGED]-(x)
WHERE r.lastSeen >= $since
WITH t, x, r, CASE WHEN x:Operation THEN x.componentKey ELSE x.key END AS componentKey
MATCH (c:Component {key: componentKey})
WHERE $environment IS NULL OR c.environment = $environment
RETURN t.key AS key, t.value AS value, x:Operation AS onOperation, coalesce(x.entryPoint, false) AS entryPoint, x.key AS subject, r.calls AS calls, r.errors AS errors,
       r.firstSeen AS firstSeen, r.lastSeen AS lastSeen
ORDER BY calls DESC, subject`;

interface Touch {
  subject: string;
  entryPoint: boolean;
  calls: number;
  errors: number;
  firstSeen: number;
  lastSeen: number;
}

interface Footprint {
  key: string;
  value: string;
  since: number;
  services: Touch[];
  operations: Touch[];
}

const touchFields = {
  calls: 'Spans that carried the value.',
  errors: 'Of those, how many failed.',
};

const ServiceTouchRef = builder.objectRef<Touch>('ComponentTouch').implement({
  fields: (t) => ({
    component: t.field({
      type: ComponentRef,
      resolve: async (x, _a, ctx) => (await ctx.loaders.component.load(x.subject))!,
    }),
    calls: t.int({ description: touchFields.calls, resolve: (x) => x.calls }),
    errors: t.int({ description: touchFields.errors, resolve: (x) => x.errors }),
    firstSeen: t.field({ type: 'DateTime', resolve: (x) => x.firstSeen }),
    lastSeen: t.field({ type: 'DateTime', resolve: (x) => x.lastSeen }),
  }),
});

const OperationTouchRef = builder.objectRef<Touch>('OperationTouch').implement({
  fields: (t) => ({
    operation: t.field({
      type: OperationRef,
      resolve: async (x, _a, ctx) => (await ctx.loaders.operation.load(x.subject))!,
    }),
    calls: t.int({ description: 'Requests (entry spans) that carried the value.', resolve: (x) => x.calls }),
    errors: t.int({ description: touchFields.errors, resolve: (x) => x.errors }),
    firstSeen: t.field({ type: 'DateTime', resolve: (x) => x.firstSeen }),
    lastSeen: t.field({ type: 'DateTime', resolve: (x) => x.lastSeen }),
  }),
});

/** The walks from every tagged operation, merged: each CALLS edge once, at its smallest depth. */
async function downstreamOf(ctx: Context, f: Footprint, depth: number): Promise<Hop[]> {
  const walks = await Promise.all(
    f.operations.map((o) => ctx.loaders.calls.load({ root: o.subject, direction: 'out', depth, since: f.since })),
  );
  const byEdge = new Map<string, Hop>();
  for (const hop of walks.flat()) {
    const k = `${hop.via}\n${hop.key}`;
    const seen = byEdge.get(k);
    if (!seen || hop.depth < seen.depth) byEdge.set(k, hop);
  }
  return [...byEdge.values()].sort((a, b) => a.depth - b.depth);
}

const FootprintRef = builder.objectRef<Footprint>('Footprint').implement({
  fields: (t) => ({
    key: t.exposeString('key'),
    value: t.exposeString('value'),
    calls: t.int({
      description:
        'Requests that carried the value, counted where they entered the traced system (entry-point operations), so a request crossing several services counts once.',
      resolve: (f) => f.operations.filter((o) => o.entryPoint).reduce((n, o) => n + o.calls, 0),
    }),
    errors: t.int({ resolve: (f) => f.operations.filter((o) => o.entryPoint).reduce((n, o) => n + o.errors, 0) }),
    services: t.field({
      type: [ServiceTouchRef],
      description: 'Where spans carried the value, most first.',
      resolve: (f) => f.services,
    }),
    operations: t.field({
      type: [OperationTouchRef],
      description: 'Entry operations whose requests carried it, most first.',
      resolve: (f) => f.operations,
    }),
    downstream: t.field({
      type: [CallHopRef],
      description: 'What handling those operations called (all of their traffic, not only this value’s), hop by hop.',
      args: { depth: t.arg.int({ required: true, defaultValue: 3 }) },
      resolve: (f, args, ctx) => {
        if (args.depth < 1 || args.depth > ctx.settings.maxDepth) {
          throw userError(`depth must be between 1 and ${ctx.settings.maxDepth}, got ${args.depth}`);
        }
        return downstreamOf(ctx, f, args.depth);
      },
    }),
  }),
});

builder.queryField('footprint', (t) =>
  t.field({
    type: FootprintRef,
    nullable: true,
    description:
      'What one client touched: for a tag value (e.g. key "tenant.id", value "acme"; "client.version", "1.2.3") the services and operations that saw it, with counts. Only allow-listed tag keys are recorded (TOPOGRAPH_TAG_KEYS). Null when the value was not seen since `since` (default: the live window).',
    args: {
      key: t.arg.string({ required: true }),
      value: t.arg.string({ required: true }),
      environment: t.arg.string({ required: false }),
      since: t.arg({ type: 'DateTime', required: false }),
    },
    resolve: async (_root, args, ctx) => {
      const since = sinceMs(ctx, args.since);
      const rows = await readRows<Touch & { onOperation: boolean }>(ctx, 'footprint', FOOTPRINT, {
        uid: tagKey(args.key, args.value),
        since,
        environment: args.environment ?? null,
      });
      if (rows.length === 0) return null;
      return {
        key: args.key,
        value: args.value,
        since,
        services: rows.filter((r) => !r.onOperation),
        operations: rows.filter((r) => r.onOperation),
      };
    },
  }),
);
