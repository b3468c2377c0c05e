/**
 * Components: everything that can be called or depended on (services, databases, messaging
 * destinations, external peers), their dependencies and dependents, and the root fields that find them.
 */
import { resolveArrayConnection, resolveOffsetConnection } from '@pothos/plugin-relay';
import type { ObjectRef } from '@pothos/core';
import type { GraphQLResolveInfo } from 'graphql';
import { ComponentKind, KIND_LABEL } from '../../../core/model.js';
import { depthInRange, walkField, walkRequest } from '../args.js';
import { builder, type BuilderTypes } from '../builder.js';
import { sinceMs, type Context } from '../context.js';
import { pageCost } from '../cost.js';
import {
  findComponent,
  findService,
  findServiceAhead,
  findServiceAndWalk,
  loadComponent,
  servicesPage,
  type ServiceName,
} from '../data/components.js';
import type { ComponentRecord } from '../data/projections.js';
import type { Direction, Hop } from '../data/traversal.js';
import { answeredFrom, childWith, childWithInt, fieldsAnsweredFrom, selectsOnly } from '../look-ahead.js';
import { LatencyRef } from './measure.js';
import { OperationRef } from './operation.js';

/** Fields a lighter read answers (see look-ahead.ts). */
const NAMED = answeredFrom('named');
const SUMMARY = answeredFrom('summary');

export const ComponentKindEnum = builder.enumType('ComponentKind', {
  values: Object.values(ComponentKind),
});

export const ComponentRef = builder.interfaceRef<ComponentRecord>('Component');

export const DependencyHopRef = builder.objectRef<Hop>('DependencyHop').implement({
  description: 'A component reached from another over DEPENDS_ON edges, at its shortest depth.',
  fields: (t) => ({
    depth: t.exposeInt('depth', { extensions: NAMED }),
    component: t.field({
      type: ComponentRef,
      extensions: NAMED,
      // Asked only for what the walk already read: answered without reading the component again.
      resolve: (h, _a, ctx, info) =>
        h.named && selectsOnly(info, fieldsAnsweredFrom(info.schema, 'Component', 'named'))
          ? ({ key: h.key, ...h.named } as ComponentRecord)
          : loadComponent(ctx, h.key),
    }),
    from: t.field({
      type: ComponentRef,
      description: 'The component the last edge starts from (for dependents: the one it ends at).',
      extensions: NAMED,
      resolve: (h, _a, ctx) => loadComponent(ctx, h.via),
    }),
    calls: t.int({
      description: 'Calls over the last edge of the path.',
      extensions: SUMMARY,
      resolve: (h) => h.edge.calls,
    }),
    errors: t.int({ extensions: SUMMARY, resolve: (h) => h.edge.errors }),
    errorRate: t.float({
      extensions: SUMMARY,
      resolve: (h) => (h.edge.calls > 0 ? h.edge.errors / h.edge.calls : 0),
    }),
    latency: t.field({ type: LatencyRef, resolve: (h) => h.edge }),
    lastSeen: t.field({ type: 'DateTime', extensions: SUMMARY, resolve: (h) => h.edge.lastSeen }),
    path: t.field({
      type: [ComponentRef],
      description: 'From the starting component to this one, both included.',
      extensions: NAMED,
      resolve: async (h, _a, ctx) => Promise.all(h.path.map((k) => loadComponent(ctx, k))),
    }),
  }),
});

/** How much of each edge and component a walk must read for the hops' selection. */
const walkWeight = (info: GraphQLResolveInfo, nodes = info.fieldNodes) => ({
  summary: selectsOnly(info, fieldsAnsweredFrom(info.schema, 'DependencyHop', 'summary'), nodes),
  named: selectsOnly(info, fieldsAnsweredFrom(info.schema, 'DependencyHop', 'named'), nodes),
});

/** Whether an operations selection reads no histogram or ring. */
const operationsSummary = (info: GraphQLResolveInfo, nodes = info.fieldNodes) =>
  selectsOnly(info, fieldsAnsweredFrom(info.schema, 'Operation', 'summary'), nodes);

const traversal = (direction: Direction, description: string) =>
  builder.interfaceField(ComponentRef, direction === 'out' ? 'dependencies' : 'dependents', (t) =>
    t.field({
      type: [DependencyHopRef],
      description,
      ...walkField(1, 'Edges seen since; default: the live window.'),
      resolve: (c, args, ctx, info) =>
        ctx.loaders.dependencies.load({ ...walkRequest(ctx, c.key, direction, args), ...walkWeight(info) }),
    }),
  );

ComponentRef.implement({
  description: 'Anything that can be called or depended on. `id` is a relay global id, usable with `node(id:)`.',
  interfaces: [builder.nodeInterfaceRef()],
  resolveType: (c) => KIND_LABEL[c.kind as ComponentKind] ?? KIND_LABEL.EXTERNAL,
  fields: (t) => ({
    name: t.exposeString('name', { extensions: NAMED }),
    kind: t.field({ type: ComponentKindEnum, extensions: NAMED, resolve: (c) => c.kind as ComponentKind }),
    environment: t.exposeString('environment'),
    firstSeen: t.field({ type: 'DateTime', resolve: (c) => c.firstSeen }),
    lastSeen: t.field({ type: 'DateTime', resolve: (c) => c.lastSeen }),
    operations: t.field({
      type: [OperationRef],
      description: 'Operations this component serves (for services: its entry points), seen in the window.',
      args: { since: t.arg({ type: 'DateTime', required: false }) },
      resolve: (c, args, ctx, info) =>
        ctx.loaders.operationsOf.load({
          key: c.key,
          since: sinceMs(ctx, args.since),
          summary: operationsSummary(info),
        }),
    }),
    operationConnection: t.connection({
      type: OperationRef,
      description: 'The same operations as `operations`, by name, as a relay connection to page through many.',
      complexity: pageCost,
      args: { since: t.arg({ type: 'DateTime', required: false }) },
      resolve: async (c, args, ctx) =>
        resolveArrayConnection(
          { args },
          await ctx.loaders.operationsOf.load({ key: c.key, since: sinceMs(ctx, args.since), summary: false }),
        ),
    }),
  }),
});

traversal('out', 'What this component calls, directly (depth 1) and transitively.');
traversal('in', 'Who calls this component, directly (depth 1) and transitively: who is affected when it changes.');

/** Relay nodes of one component kind, loaded in one batch with every other component of the request. */
function componentNode(kind: ComponentKind) {
  return {
    interfaces: [ComponentRef],
    id: { resolve: (c: ComponentRecord) => c.key },
    isTypeOf: (c: unknown) => (c as ComponentRecord).kind === kind,
    loadMany: async (keys: string[], ctx: Context) =>
      (await ctx.loaders.component.loadMany(keys)).map((c) =>
        c && !(c instanceof Error) && c.kind === kind ? c : null,
      ),
  };
}

export const ServiceRef = builder.node(builder.objectRef<ComponentRecord>('Service'), {
  ...componentNode(ComponentKind.SERVICE),
  fields: (t) => ({
    namespace: t.string({ resolve: (c) => c.namespace ?? '' }),
    version: t.string({ nullable: true, resolve: (c) => c.version || null }),
  }),
});

export const DatabaseRef = builder.node(builder.objectRef<ComponentRecord>('Database'), {
  ...componentNode(ComponentKind.DATABASE),
  fields: (t) => ({
    system: t.string({ description: 'db.system, e.g. postgresql', resolve: (c) => c.system ?? '' }),
    namespace: t.string({ nullable: true, description: 'db.namespace (db.name)', resolve: (c) => c.namespace }),
    address: t.string({ nullable: true, description: 'server address and port', resolve: (c) => c.address }),
  }),
});

export const MessagingDestinationRef = builder.node(builder.objectRef<ComponentRecord>('MessagingDestination'), {
  ...componentNode(ComponentKind.MESSAGING_DESTINATION),
  fields: (t) => ({
    system: t.string({ description: 'messaging.system, e.g. kafka', resolve: (c) => c.system ?? '' }),
  }),
});

export const ExternalRef = builder.node(builder.objectRef<ComponentRecord>('External'), {
  description: 'A peer that no instrumented server answered for, named by peer.service, server address or URL host.',
  ...componentNode(ComponentKind.EXTERNAL),
  fields: () => ({}),
});

/** `serviceConnection` on a type that holds a list of services: the same services as a relay connection. */
export function addServiceConnection<T extends { services: ComponentRecord[] }>(ref: ObjectRef<BuilderTypes, T>) {
  builder.objectField(ref, 'serviceConnection', (t) =>
    t.connection({
      type: ServiceRef,
      description: 'The same services as `services`, as a relay connection.',
      complexity: pageCost,
      resolve: (v, args) => resolveArrayConnection({ args }, v.services),
    }),
  );
}

/**
 * `service(name:)` looking ahead: when the query asks for the operations or the direct dependencies
 * in their summary form (the first README query), they come with the lookup; when it asks for one
 * walk with a literal depth, the walk comes in the lookup's transaction. Anything else (a depth in a
 * variable, `since`, both walks) looks the service up on its own.
 */
function findServiceFor(ctx: Context, name: ServiceName, info: GraphQLResolveInfo): Promise<ComponentRecord | null> {
  const ops = childWith(info, 'operations');
  const deps = childWith(info, 'dependencies', { depth: '1' });
  const operations = ops !== undefined && operationsSummary(info, ops);
  const dependencies = deps !== undefined && walkWeight(info, deps).summary;
  if (operations || dependencies) {
    return findServiceAhead(ctx, name, { operations, dependencies, since: sinceMs(ctx, null) });
  }
  const ins = childWithInt(info, 'dependents', 'depth');
  const outs = childWithInt(info, 'dependencies', 'depth');
  const only = ins && !childWith(info, 'dependencies') ? { direction: 'in' as const, ...ins } : undefined;
  const walk = only ?? (outs && !childWith(info, 'dependents') ? { direction: 'out' as const, ...outs } : undefined);
  if (!walk || !depthInRange(ctx, walk.value)) return findService(ctx, name);
  return findServiceAndWalk(ctx, name, {
    direction: walk.direction,
    depth: walk.value,
    since: sinceMs(ctx, null),
    ...walkWeight(info, walk.nodes),
  });
}

builder.queryFields((t) => ({
  services: t.connection({
    type: ServiceRef,
    description: 'Services seen in the window, by name.',
    complexity: pageCost,
    args: {
      namespace: t.arg.string({ required: false }),
      environment: t.arg.string({ required: false }),
      since: t.arg({ type: 'DateTime', required: false }),
    },
    resolve: (_root, args, ctx) =>
      resolveOffsetConnection({ args, defaultSize: 50, maxSize: 1000 }, ({ limit, offset }) =>
        servicesPage(ctx, {
          namespace: args.namespace ?? null,
          environment: args.environment ?? null,
          since: sinceMs(ctx, args.since),
          offset,
          limit,
        }),
      ),
  }),
  service: t.field({
    type: ServiceRef,
    nullable: true,
    description:
      'A service by name. Without environment and namespace it matches across all of them and returns the most recently seen.',
    args: {
      name: t.arg.string({ required: true }),
      namespace: t.arg.string({ required: false, description: 'service.namespace' }),
      environment: t.arg.string({ required: false, description: 'deployment.environment.name' }),
    },
    resolve: (_root, args, ctx, info) => findServiceFor(ctx, args, info),
  }),
  component: t.field({
    type: ComponentRef,
    nullable: true,
    description: 'Any component by name (a database, a destination, an external peer, a service).',
    args: {
      name: t.arg.string({ required: true }),
      kind: t.arg({ type: ComponentKindEnum, required: false }),
      environment: t.arg.string({ required: false }),
    },
    resolve: (_root, args, ctx) =>
      findComponent(ctx, { name: args.name, kind: args.kind ?? null, environment: args.environment ?? null }),
  }),
}));
