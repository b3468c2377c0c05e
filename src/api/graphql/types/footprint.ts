/**
 * A client's footprint: for one tag value (a tenant, a customer, an app version) the services and
 * operations that saw it, with counts, and what handling those operations went on to call.
 */
import { depthArg } from '../args.js';
import { builder } from '../builder.js';
import { sinceMs } from '../context.js';
import { loadComponent } from '../data/components.js';
import { loadOperation } from '../data/operations.js';
import { footprintDownstream, readFootprint, type Footprint, type Touch } from '../data/tags.js';
import { ComponentRef } from './component.js';
import { CallHopRef, OperationRef } from './operation.js';

const touchFields = {
  calls: 'Spans that carried the value.',
  errors: 'Of those, how many failed.',
};

const ServiceTouchRef = builder.objectRef<Touch>('ComponentTouch').implement({
  fields: (t) => ({
    component: t.field({
      type: ComponentRef,
      resolve: (x, _a, ctx) => loadComponent(ctx, x.subject),
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
      resolve: (x, _a, ctx) => loadOperation(ctx, x.subject),
    }),
    calls: t.int({ description: 'Requests (entry spans) that carried the value.', resolve: (x) => x.calls }),
    errors: t.int({ description: touchFields.errors, resolve: (x) => x.errors }),
    firstSeen: t.field({ type: 'DateTime', resolve: (x) => x.firstSeen }),
    lastSeen: t.field({ type: 'DateTime', resolve: (x) => x.lastSeen }),
  }),
});

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
      resolve: (f, args, ctx) => footprintDownstream(ctx, f, depthArg(ctx, args.depth)),
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
    resolve: (_root, args, ctx) =>
      readFootprint(ctx, {
        key: args.key,
        value: args.value,
        environment: args.environment ?? null,
        since: sinceMs(ctx, args.since),
      }),
  }),
);
