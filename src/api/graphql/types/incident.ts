/**
 * The context of a failing service in one query: its health and its neighbours' (calls, errors,
 * latency in the window, from the health rings on edges and operations), what changed around it,
 * who owns it, and traces to look at — with links when a trace UI is configured.
 */
import { ComponentKind } from '../../../core/model.js';
import { durationArg, serviceNameArgs } from '../args.js';
import { builder } from '../builder.js';
import { findService, loadComponent } from '../data/components.js';
import {
  changesAround,
  incidentFacts,
  incidentHealth,
  incidentTraces,
  MAX_EXEMPLARS,
  neighbours,
  OWNER_KEYS,
  type Incident,
  type Neighbour,
} from '../data/incident.js';
import type { WindowFigures } from '../measure.js';
import { ChangeRef } from './change.js';
import { ComponentRef, ServiceRef } from './component.js';
import { LatencyRef } from './measure.js';
import { TraceSampleRef, traceUrl } from './trace.js';

const DEFAULT_CHANGES_WINDOW_MS = 24 * 3_600_000;

const NeighbourRef = builder.objectRef<Neighbour>('IncidentNeighbour').implement({
  description: 'A component directly up- or downstream, with the figures of the edge between them in the window.',
  fields: (t) => ({
    component: t.field({
      type: ComponentRef,
      resolve: (n, _a, ctx) => loadComponent(ctx, n.key),
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
  description: `An owner named by a tag on the service (${OWNER_KEYS.join(', ')}), or by the catalog (key \`catalog\`, the value its \`spec.owner\` reference, e.g. \`group:default/team-a\`; docs/catalog.md).`,
  fields: (t) => ({ key: t.exposeString('key'), value: t.exposeString('value') }),
});

const TraceLinkRef = builder.objectRef<{ traceId: string; url: string }>('TraceLink').implement({
  fields: (t) => ({ traceId: t.exposeString('traceId'), url: t.exposeString('url') }),
});

const IncidentRef = builder.objectRef<Incident>('IncidentContext').implement({
  fields: (t) => ({
    service: t.field({ type: ServiceRef, resolve: (i) => i.service }),
    health: t.field({ type: HealthRef, resolve: (i, _a, ctx) => incidentHealth(ctx, i) }),
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
      resolve: (i, _a, ctx) => changesAround(ctx, i),
    }),
    owners: t.field({ type: [OwnerRef], resolve: async (i, _a, ctx) => (await incidentFacts(ctx, i)).owners }),
    exemplarTraceIds: t.stringList({
      description: `Up to ${MAX_EXEMPLARS} recent trace ids through the service's operations, from failing edges first.`,
      resolve: async (i, _a, ctx) => (await incidentFacts(ctx, i)).exemplars,
    }),
    traces: t.field({
      type: [TraceSampleRef],
      description: `Up to ${MAX_EXEMPLARS} sampled traces through the service's operations in the window, failing ones first, each hop by hop.`,
      resolve: (i, _a, ctx) => incidentTraces(ctx, i),
    }),
    links: t.field({
      type: [TraceLinkRef],
      description: 'The exemplar traces in the trace UI; empty unless TOPOGRAPH_TRACE_URL_TEMPLATE is set.',
      resolve: async (i, _a, ctx) => {
        if (!ctx.settings.traceUrlTemplate) return [];
        return (await incidentFacts(ctx, i)).exemplars.map((traceId) => ({ traceId, url: traceUrl(ctx, traceId)! }));
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
      ...serviceNameArgs(),
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
