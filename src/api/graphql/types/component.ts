/**
 * Components: everything that can be called or depended on (services, databases, messaging
 * destinations, external peers), their dependencies and dependents, and the root fields that find them.
 */
import { resolveArrayConnection, resolveOffsetConnection } from '@pothos/plugin-relay';
import type { GraphQLResolveInfo } from 'graphql';
import neo4j from 'neo4j-driver';
import { ComponentKind } from '../../../core/model.js';
import { builder } from '../builder.js';
import { sinceMs, type Context } from '../context.js';
import { pageCost, walkCost } from '../cost.js';
import { userError } from '../errors.js';
import { childWith, childWithInt, selectsOnly } from '../look-ahead.js';
import {
  byTarget,
  EDGE_SUMMARY,
  lookupAndWalk,
  OPERATION_SUMMARY,
  type ComponentRecord,
  type Direction,
  type Hop,
  type MeasureRecord,
  type OperationRecord,
} from '../loaders.js';
import { readRows } from '../read.js';
import { LatencyRef } from './measure.js';
import { OperationRef } from './operation.js';

export const ComponentKindEnum = builder.enumType('ComponentKind', {
  values: Object.values(ComponentKind),
});

const TYPE_OF_KIND: Record<string, string> = {
  SERVICE: 'Service',
  DATABASE: 'Database',
  MESSAGING_DESTINATION: 'MessagingDestination',
  EXTERNAL: 'External',
};

export const ComponentRef = builder.interfaceRef<ComponentRecord>('Component');

/** Component fields answered from key, name and kind alone (what a summary walk reads of each component it reaches). */
export const NAMED_FIELDS = new Set(['__typename', 'id', 'name', 'kind']);

export const DependencyHopRef = builder.objectRef<Hop>('DependencyHop').implement({
  description: 'A component reached from another over DEPENDS_ON edges, at its shortest depth.',
  fields: (t) => ({
    depth: t.exposeInt('depth'),
    component: t.field({
      type: ComponentRef,
      // Asked only for what the walk already read: answered without reading the component again.
      resolve: (h, _a, ctx, info) =>
        h.named && selectsOnly(info, NAMED_FIELDS)
          ? ({ key: h.key, ...h.named } as ComponentRecord)
          : loadComponent(ctx, h.key),
    }),
    from: t.field({
      type: ComponentRef,
      description: 'The component the last edge starts from (for dependents: the one it ends at).',
      resolve: (h, _a, ctx) => loadComponent(ctx, h.via),
    }),
    calls: t.int({ description: 'Calls over the last edge of the path.', resolve: (h) => h.edge.calls }),
    errors: t.int({ resolve: (h) => h.edge.errors }),
    errorRate: t.float({ resolve: (h) => (h.edge.calls > 0 ? h.edge.errors / h.edge.calls : 0) }),
    latency: t.field({ type: LatencyRef, resolve: (h) => h.edge }),
    lastSeen: t.field({ type: 'DateTime', resolve: (h) => h.edge.lastSeen }),
    path: t.field({
      type: [ComponentRef],
      description: 'From the starting component to this one, both included.',
      resolve: async (h, _a, ctx) => Promise.all(h.path.map((k) => loadComponent(ctx, k))),
    }),
  }),
});

async function loadComponent(ctx: Context, key: string): Promise<ComponentRecord> {
  const c = await ctx.loaders.component.load(key);
  if (!c) throw new Error(`component ${key} vanished during the query`);
  return c;
}

const depthInRange = (ctx: Context, depth: number) =>
  Number.isInteger(depth) && depth >= 1 && depth <= ctx.settings.maxDepth;

function checkDepth(ctx: Context, depth: number): number {
  if (!depthInRange(ctx, depth)) {
    throw userError(`depth must be between 1 and ${ctx.settings.maxDepth}, got ${depth}`);
  }
  return depth;
}

/** DependencyHop fields answered without reading the edge at all. */
const NAMED_HOP_FIELDS = new Set(['__typename', 'depth', 'component', 'from', 'path']);

/** DependencyHop fields answered from an edge's summary (calls, errors, times); the rest need its rings. */
const SUMMARY_HOP_FIELDS = new Set([
  '__typename',
  'depth',
  'component',
  'from',
  'path',
  'calls',
  'errors',
  'errorRate',
  'lastSeen',
]);

/** Operation fields answered without the operation's histogram and rings (ids, names, counts, times, walks from it). */
const SUMMARY_OPERATION_FIELDS = new Set([
  '__typename',
  'id',
  'name',
  'kind',
  'component',
  'entryPoint',
  'calls',
  'errors',
  'firstSeen',
  'lastSeen',
  'downstream',
  'upstream',
]);

const traversal = (direction: Direction, description: string) =>
  builder.interfaceField(ComponentRef, direction === 'out' ? 'dependencies' : 'dependents', (t) =>
    t.field({
      type: [DependencyHopRef],
      description,
      complexity: walkCost,
      args: {
        depth: t.arg.int({ required: true, defaultValue: 1 }),
        since: t.arg({ type: 'DateTime', required: false, description: 'Edges seen since; default: the live window.' }),
      },
      resolve: (c, args, ctx, info) =>
        ctx.loaders.dependencies.load({
          root: c.key,
          direction,
          depth: checkDepth(ctx, args.depth),
          since: sinceMs(ctx, args.since),
          summary: selectsOnly(info, SUMMARY_HOP_FIELDS),
          named: selectsOnly(info, NAMED_HOP_FIELDS),
        }),
    }),
  );

ComponentRef.implement({
  description: 'Anything that can be called or depended on. `id` is a relay global id, usable with `node(id:)`.',
  interfaces: [builder.nodeInterfaceRef()],
  resolveType: (c) => TYPE_OF_KIND[c.kind] ?? 'External',
  fields: (t) => ({
    name: t.exposeString('name'),
    kind: t.field({ type: ComponentKindEnum, resolve: (c) => c.kind as ComponentKind }),
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
          summary: selectsOnly(info, SUMMARY_OPERATION_FIELDS),
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

const RETURN_COMPONENT = `c { .key, .kind, .name, .environment, .namespace, .system, .address, .version, .firstSeen, .lastSeen } AS c`;

export const SERVICES_PAGE = `
MATCH (c:Service)
WHERE ($namespace IS NULL OR c.namespace = $namespace)
  AND ($environment IS NULL OR c.environment = $environment)
  AND c.lastSeen >= $since
RETURN ${RETURN_COMPONENT}
ORDER BY c.name, c.environment, c.namespace
SKIP $offset LIMIT $limit`;

const SERVICES_NAMED = `
MATCH (c:Service {name: $name})
WHERE ($namespace IS NULL OR c.namespace = $namespace)
  AND ($environment IS NULL OR c.environment = $environment)`;

/** By name; without environment or namespace, the most recently seen match. */
export const SERVICE_BY_NAME = `${SERVICES_NAMED}
RETURN ${RETURN_COMPONENT}
ORDER BY c.lastSeen DESC
LIMIT 1`;

export const COMPONENT_BY_NAME = `
MATCH (c:Component {name: $name})
WHERE ($kind IS NULL OR c.kind = $kind)
  AND ($environment IS NULL OR c.environment = $environment)
RETURN ${RETURN_COMPONENT}
ORDER BY c.lastSeen DESC
LIMIT 1`;

/**
 * The service, its operations (summary fields) and its direct dependencies (summary walk), in one
 * statement: what `service { operations { name kind } dependencies { … } }` asks, for one round trip
 * instead of three. `$withOperations` / `$withDependencies` leave out what the query does not select.
 */
export const SERVICE_AHEAD = `${SERVICES_NAMED}
WITH c ORDER BY c.lastSeen DESC LIMIT 1
CALL (c) {
  OPTIONAL MATCH (c)-[:HAS_OPERATION]->(o:Operation)
  WHERE $withOperations AND o.lastSeen >= $since
  WITH o ORDER BY o.name, o.kind
  RETURN collect(${OPERATION_SUMMARY}) AS operations
}
CALL (c) {
  OPTIONAL MATCH (c)-[r:DEPENDS_ON]->(next:Component)
  WHERE $withDependencies AND r.lastSeen >= $since AND next <> c
  RETURN collect(CASE WHEN next IS NULL THEN null
    ELSE { to: next.key, name: next.name, kind: next.kind, edge: ${EDGE_SUMMARY} } END) AS dependencies
}
RETURN ${RETURN_COMPONENT}, operations, dependencies`;

/** How `service(name:)` names a service: name, and optionally namespace and environment. */
type ServiceName = { name: string; namespace?: string | null; environment?: string | null };

/** The parameters of SERVICE_BY_NAME (and of the statements built on it) for a service's name. */
const serviceNameParams = (args: ServiceName) => ({
  name: args.name,
  namespace: args.namespace ?? null,
  environment: args.environment ?? null,
});

/**
 * `service(name:)` looking ahead: when the query asks for the operations or the direct dependencies
 * in their summary form (the first README query), they come with the lookup and prime the loaders
 * the fields then read from, exactly as those would have loaded them.
 */
async function findServiceAhead(
  ctx: Context,
  args: ServiceName,
  info: GraphQLResolveInfo,
): Promise<ComponentRecord | null> {
  const ops = childWith(info, 'operations');
  const deps = childWith(info, 'dependencies', { depth: '1' });
  const withOperations = ops !== undefined && selectsOnly(info, SUMMARY_OPERATION_FIELDS, ops);
  const withDependencies = deps !== undefined && selectsOnly(info, SUMMARY_HOP_FIELDS, deps);
  if (!withOperations && !withDependencies) return findServiceWalking(ctx, args, info);
  const since = sinceMs(ctx, null);
  const [row] = await readRows<{
    c: ComponentRecord;
    operations: OperationRecord[];
    dependencies: { to: string; name: string; kind: string; edge: MeasureRecord }[];
  }>(ctx, 'service', SERVICE_AHEAD, {
    ...serviceNameParams(args),
    since,
    withOperations,
    withDependencies,
  });
  if (!row) return null;
  const key = row.c.key;
  if (withOperations) ctx.loaders.operationsOf.prime({ key, since, summary: true }, row.operations);
  if (withDependencies) {
    // As the walk reports them: by key, each with the path from the service.
    const hops: Hop[] = row.dependencies.sort(byTarget).map((d) => ({
      depth: 1,
      key: d.to,
      via: key,
      path: [key, d.to],
      edge: d.edge,
      named: { name: d.name, kind: d.kind },
    }));
    ctx.loaders.dependencies.prime({ root: key, direction: 'out', depth: 1, since, summary: true }, hops);
  }
  return row.c;
}

/**
 * `service(name:) { dependents(depth: N) … }` (or `dependencies`) with a literal depth: the lookup and
 * the walk in one read transaction, priming the walk's loader exactly as the field would load it.
 * Anything else (a depth in a variable, `since`, both walks) looks the service up on its own.
 */
async function findServiceWalking(
  ctx: Context,
  args: ServiceName,
  info: GraphQLResolveInfo,
): Promise<ComponentRecord | null> {
  const ins = childWithInt(info, 'dependents', 'depth');
  const outs = childWithInt(info, 'dependencies', 'depth');
  const only = ins && !childWith(info, 'dependencies') ? { direction: 'in' as const, ...ins } : undefined;
  const walk = only ?? (outs && !childWith(info, 'dependents') ? { direction: 'out' as const, ...outs } : undefined);
  if (!walk || !depthInRange(ctx, walk.value)) {
    return findService(ctx, args);
  }
  const request = {
    direction: walk.direction,
    depth: walk.value,
    since: sinceMs(ctx, null),
    summary: selectsOnly(info, SUMMARY_HOP_FIELDS, walk.nodes),
    named: selectsOnly(info, NAMED_HOP_FIELDS, walk.nodes),
  };
  const { found, hops } = await lookupAndWalk(
    ctx.graph,
    {
      query: SERVICE_BY_NAME,
      params: serviceNameParams(args),
      pick: (r) => r.get('c') as ComponentRecord,
    },
    request,
    ctx.settings.queryTimeoutMs,
  );
  if (!found) return null;
  ctx.loaders.dependencies.prime({ root: found.key, ...request }, hops);
  return found;
}

/** A service by name, as `service(name:)` finds it; null when there is none. */
export async function findService(ctx: Context, args: ServiceName): Promise<ComponentRecord | null> {
  const [row] = await readRows<{ c: ComponentRecord }>(ctx, 'service', SERVICE_BY_NAME, serviceNameParams(args));
  return row?.c ?? null;
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
        readRows<{ c: ComponentRecord }>(ctx, 'services', SERVICES_PAGE, {
          namespace: args.namespace ?? null,
          environment: args.environment ?? null,
          since: sinceMs(ctx, args.since),
          offset: neo4j.int(offset),
          limit: neo4j.int(limit),
        }).then((rows) => rows.map((r) => r.c)),
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
    resolve: (_root, args, ctx, info) => findServiceAhead(ctx, args, info),
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
    resolve: async (_root, args, ctx) => {
      const [row] = await readRows<{ c: ComponentRecord }>(ctx, 'component', COMPONENT_BY_NAME, {
        name: args.name,
        kind: args.kind ?? null,
        environment: args.environment ?? null,
      });
      return row?.c ?? null;
    },
  }),
}));
