/**
 * The context of a failing service in one query: its health and its neighbours' (calls, errors,
 * latency in the window, from the health rings on edges and operations), what changed around it,
 * who owns it, and traces to look at — with links when a trace UI is configured.
 */
import { ComponentKind } from '../../../core/model.js';
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import type { ComponentRecord, Hop, MeasureRecord } from '../loaders.js';
import { windowFigures, type WindowFigures } from '../measure.js';
import { readRows } from '../read.js';
import { ChangeRef, durationArg, loadChanges } from './change.js';
import { ComponentRef, findService, ServiceRef } from './component.js';
import { LatencyRef } from './measure.js';
import { sampledTraces, TraceSampleRef } from './trace.js';

/** Tag keys whose values name who owns a service. */
export const OWNER_KEYS = ['owner', 'team', 'service.owner', 'service.team'];
const MAX_EXEMPLARS = 10;
const DEFAULT_CHANGES_WINDOW_MS = 24 * 3_600_000;

/** Owners, and exemplar trace ids from the CALLS edges in and out of the service's operations, failing edges first. */
export const INCIDENT_FACTS = `
MATCH (s:Service {key: $key})
CALL (s) {
  OPTIONAL MATCH (s)-[:HAS_OPERATION]->(:Operation)-[r:CALLS]-(:Operation)
  WHERE r.lastSeen >= $since
  WITH r ORDER BY r.errors DESC, r.lastSeen DESC
  RETURN collect(r.exemplars) AS exemplars
}
RETURN [(s)-[:TAGGED]->(t:Tag) WHERE t.key IN $ownerKeys | {key: t.key, value: t.value}] AS owners, exemplars`;

interface Incident {
  service: ComponentRecord;
  windowMs: number;
  since: number;
  changesSince: number;
}

interface Figures extends WindowFigures {
  latency: MeasureRecord;
  lastSeen: number;
}

const NeighbourRef = builder.objectRef<Figures & { key: string }>('IncidentNeighbour').implement({
  description: 'A component directly up- or downstream, with the figures of the edge between them in the window.',
  fields: (t) => ({
    component: t.field({
      type: ComponentRef,
      resolve: async (n, _a, ctx) => (await ctx.loaders.component.load(n.key))!,
    }),
    calls: t.int({ description: 'Calls over the edge in the window.', resolve: (n) => n.calls }),
    errors: t.int({ description: 'Errors over the edge in the window.', resolve: (n) => n.errors }),
    errorRate: t.float({ resolve: (n) => (n.calls > 0 ? n.errors / n.calls : 0) }),
    avgLatencyMs: t.float({
      nullable: true,
      description: 'Mean latency in the window.',
      resolve: (n) => (n.calls > 0 ? n.latSum / n.calls : null),
    }),
    latency: t.field({
      type: LatencyRef,
      description: 'Latency percentiles since the edge was first seen.',
      resolve: (n) => n.latency,
    }),
    lastSeen: t.field({ type: 'DateTime', resolve: (n) => n.lastSeen }),
  }),
});

const HealthRef = builder.objectRef<WindowFigures>('WindowHealth').implement({
  description: 'Requests a service served (its entry operations) in the window.',
  fields: (t) => ({
    calls: t.int({ resolve: (f) => f.calls }),
    errors: t.int({ resolve: (f) => f.errors }),
    errorRate: t.float({ resolve: (f) => (f.calls > 0 ? f.errors / f.calls : 0) }),
    avgLatencyMs: t.float({ nullable: true, resolve: (f) => (f.calls > 0 ? f.latSum / f.calls : null) }),
  }),
});

const OwnerRef = builder.objectRef<{ key: string; value: string }>('Owner').implement({
  description: `An owner named by a tag on the service (${OWNER_KEYS.join(', ')}).`,
  fields: (t) => ({ key: t.exposeString('key'), value: t.exposeString('value') }),
});

const TraceLinkRef = builder.objectRef<{ traceId: string; url: string }>('TraceLink').implement({
  fields: (t) => ({ traceId: t.exposeString('traceId'), url: t.exposeString('url') }),
});

async function neighbours(ctx: Context, i: Incident, direction: 'out' | 'in') {
  const hops: Hop[] = await ctx.loaders.dependencies.load({ root: i.service.key, direction, depth: 1, since: i.since });
  return hops
    .map((h) => ({
      key: h.key,
      ...windowFigures(h.edge, i.windowMs, ctx.now),
      latency: h.edge,
      lastSeen: h.edge.lastSeen,
    }))
    .sort((a, b) => b.errors - a.errors || b.calls - a.calls || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Facts are read once per incident and shared by the fields that need them. */
const facts = new WeakMap<Incident, Promise<{ owners: { key: string; value: string }[]; exemplars: string[] }>>();
function loadFacts(ctx: Context, i: Incident) {
  let f = facts.get(i);
  if (!f) {
    f = readRows<{ owners: { key: string; value: string }[]; exemplars: string[][] }>(ctx, 'incident', INCIDENT_FACTS, {
      key: i.service.key,
      since: i.since,
      ownerKeys: OWNER_KEYS,
    }).then(([row]) => ({
      owners: row?.owners ?? [],
      exemplars: [...new Set((row?.exemplars ?? []).flat())].slice(0, MAX_EXEMPLARS),
    }));
    facts.set(i, f);
  }
  return f;
}

const IncidentRef = builder.objectRef<Incident>('IncidentContext').implement({
  fields: (t) => ({
    service: t.field({ type: ServiceRef, resolve: (i) => i.service }),
    health: t.field({
      type: HealthRef,
      resolve: async (i, _a, ctx) => {
        const ops = await ctx.loaders.operationsOf.load({ key: i.service.key, since: i.since });
        const total = { calls: 0, errors: 0, latSum: 0 };
        for (const o of ops.filter((o) => o.kind === 'SERVER' || o.kind === 'CONSUMER')) {
          const f = windowFigures(o, i.windowMs, ctx.now);
          total.calls += f.calls;
          total.errors += f.errors;
          total.latSum += f.latSum;
        }
        return total;
      },
    }),
    upstream: t.field({
      type: [NeighbourRef],
      description: 'Who called the service in the window, most errors first.',
      resolve: (i, _a, ctx) => neighbours(ctx, i, 'in'),
    }),
    downstream: t.field({
      type: [NeighbourRef],
      description: 'What the service called in the window, most errors first.',
      resolve: (i, _a, ctx) => neighbours(ctx, i, 'out'),
    }),
    changes: t.field({
      type: [ChangeRef],
      description:
        'Changes touching the service or its direct neighbours since `changesSince` (default: the last 24 hours), newest first.',
      resolve: async (i, _a, ctx) => {
        const hops = await Promise.all([
          ctx.loaders.dependencies.load({ root: i.service.key, direction: 'out', depth: 1, since: i.changesSince }),
          ctx.loaders.dependencies.load({ root: i.service.key, direction: 'in', depth: 1, since: i.changesSince }),
        ]);
        const keys = [i.service.key, ...hops.flat().map((h) => h.key)];
        return loadChanges(ctx, {
          since: i.changesSince,
          environment: i.service.environment,
          keys,
          quietForMs: i.windowMs,
          first: 100,
        });
      },
    }),
    owners: t.field({ type: [OwnerRef], resolve: async (i, _a, ctx) => (await loadFacts(ctx, i)).owners }),
    exemplarTraceIds: t.stringList({
      description: `Up to ${MAX_EXEMPLARS} recent trace ids through the service's operations, from failing edges first.`,
      resolve: async (i, _a, ctx) => (await loadFacts(ctx, i)).exemplars,
    }),
    traces: t.field({
      type: [TraceSampleRef],
      description: `Up to ${MAX_EXEMPLARS} sampled traces through the service's operations in the window, failing ones first, each hop by hop.`,
      resolve: async (i, _a, ctx) => {
        const ops = await ctx.loaders.operationsOf.load({ key: i.service.key, since: i.since });
        // Failing ones asked for on their own, so that busy successes cannot push them out.
        const asks = ops.flatMap((o) =>
          [true, false].map((errorsOnly) => sampledTraces(ctx, o.key, MAX_EXEMPLARS, errorsOnly)),
        );
        const samples = (await Promise.all(asks)).flat();
        const unique = [...new Map(samples.map((s) => [s.traceId, s])).values()];
        return unique
          .filter((s) => s.lastSeen >= i.since)
          .sort((a, b) => Number(b.error) - Number(a.error) || b.lastSeen - a.lastSeen)
          .slice(0, MAX_EXEMPLARS);
      },
    }),
    links: t.field({
      type: [TraceLinkRef],
      description: 'The exemplar traces in the trace UI; empty unless TOPOGRAPH_TRACE_URL_TEMPLATE is set.',
      resolve: async (i, _a, ctx) => {
        const template = ctx.settings.traceUrlTemplate;
        if (!template) return [];
        return (await loadFacts(ctx, i)).exemplars.map((traceId) => ({
          traceId,
          url: template.replaceAll('{traceId}', encodeURIComponent(traceId)),
        }));
      },
    }),
  }),
});

builder.queryField('incidentContext', (t) =>
  t.field({
    type: IncidentRef,
    nullable: true,
    description:
      'Everything around a failing service at once: its health, up- and downstream figures in `window` (up to 1h per minute, up to 24h per hour), recent changes, owners, exemplar traces and links. Null when no such service exists.',
    args: {
      service: t.arg.string({ required: true }),
      environment: t.arg.string({ required: false }),
      namespace: t.arg.string({ required: false }),
      window: t.arg.string({ required: true, defaultValue: '15m', description: 'e.g. 5m, 15m, 1h, 24h' }),
      changesSince: t.arg({ type: 'DateTime', required: false }),
    },
    resolve: async (_root, args, ctx) => {
      const windowMs = durationArg('window', args.window);
      const service = await findService(ctx, {
        name: args.service,
        namespace: args.namespace,
        environment: args.environment,
      });
      if (!service || service.kind !== ComponentKind.SERVICE) return null;
      return {
        service,
        windowMs,
        since: ctx.now - windowMs,
        changesSince: args.changesSince
          ? args.changesSince.getTime()
          : ctx.now - Math.max(windowMs, DEFAULT_CHANGES_WINDOW_MS),
      };
    },
  }),
);
