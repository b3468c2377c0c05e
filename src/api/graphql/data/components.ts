/**
 * Reads that find components: services by page and by name (alone, with what the query asks of them
 * next, or with a walk from them), any component by name, and the environments services live in.
 */
import neo4j from 'neo4j-driver';
import type { Context } from '../context.js';
import { componentProjection, EDGE_SUMMARY, OPERATION_SUMMARY } from './projections.js';
import type { ComponentRecord, MeasureRecord, OperationRecord } from './projections.js';
import { byTarget, lookupAndWalk, type Hop, type TraverseRequest } from './traversal.js';

const RETURN_COMPONENT = `${componentProjection('c')} AS c`;

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

export const ENVIRONMENTS = `
MATCH (s:Service)
WHERE s.lastSeen >= $since
RETURN s.environment AS name, count(s) AS services, max(s.lastSeen) AS lastSeen
ORDER BY name`;

/** How `service(name:)` names a service: name, and optionally namespace and environment. */
export type ServiceName = { name: string; namespace?: string | null; environment?: string | null };

/** The parameters of SERVICE_BY_NAME (and of the statements built on it) for a service's name. */
const serviceNameParams = (args: ServiceName) => ({
  name: args.name,
  namespace: args.namespace ?? null,
  environment: args.environment ?? null,
});

const firstComponent = (rows: { c: ComponentRecord }[]) => rows[0]?.c ?? null;

export async function servicesPage(
  ctx: Context,
  q: { namespace: string | null; environment: string | null; since: number; offset: number; limit: number },
): Promise<ComponentRecord[]> {
  const rows = await ctx.reader.rows<{ c: ComponentRecord }>('services', SERVICES_PAGE, {
    ...q,
    offset: neo4j.int(q.offset),
    limit: neo4j.int(q.limit),
  });
  return rows.map((r) => r.c);
}

/** A service by name, as `service(name:)` finds it; null when there is none. */
export async function findService(ctx: Context, name: ServiceName): Promise<ComponentRecord | null> {
  return firstComponent(await ctx.reader.rows('service', SERVICE_BY_NAME, serviceNameParams(name)));
}

export async function findComponent(
  ctx: Context,
  q: { name: string; kind: string | null; environment: string | null },
): Promise<ComponentRecord | null> {
  return firstComponent(await ctx.reader.rows('component', COMPONENT_BY_NAME, q));
}

/**
 * A service with its operations and direct dependencies (each only when asked, in summary form),
 * priming the loaders the fields then read from exactly as those would have loaded them.
 */
export async function findServiceAhead(
  ctx: Context,
  name: ServiceName,
  ahead: { operations: boolean; dependencies: boolean; since: number },
): Promise<ComponentRecord | null> {
  const [row] = await ctx.reader.rows<{
    c: ComponentRecord;
    operations: OperationRecord[];
    dependencies: { to: string; name: string; kind: string; edge: MeasureRecord }[];
  }>('service', SERVICE_AHEAD, {
    ...serviceNameParams(name),
    since: ahead.since,
    withOperations: ahead.operations,
    withDependencies: ahead.dependencies,
  });
  if (!row) return null;
  const key = row.c.key;
  const since = ahead.since;
  if (ahead.operations) ctx.loaders.operationsOf.prime({ key, since, summary: true }, row.operations);
  if (ahead.dependencies) {
    // As the walk reports them: by key, each with the path from the service.
    const hops: Hop[] = row.dependencies.sort(byTarget).map((d) => ({
      depth: 1,
      key: d.to,
      via: key,
      path: [key, d.to],
      edgeFrom: key,
      edgeTo: d.to,
      edge: d.edge,
      named: { name: d.name, kind: d.kind },
    }));
    ctx.loaders.dependencies.prime({ root: key, direction: 'out', depth: 1, since, summary: true }, hops);
  }
  return row.c;
}

/**
 * A service and a walk from it in one read transaction, priming the walk's loader exactly as the
 * field would load it.
 */
export async function findServiceAndWalk(
  ctx: Context,
  name: ServiceName,
  walk: Omit<TraverseRequest, 'root'>,
): Promise<ComponentRecord | null> {
  const { found, hops } = await lookupAndWalk<ComponentRecord>(
    ctx.reader,
    { cypher: SERVICE_BY_NAME, params: serviceNameParams(name), pick: (row) => row.c as ComponentRecord },
    walk,
  );
  if (!found) return null;
  ctx.loaders.dependencies.prime({ root: found.key, ...walk }, hops);
  return found;
}

export interface EnvironmentRecord {
  name: string;
  services: number;
  lastSeen: number;
}

export const environments = (ctx: Context, since: number) =>
  ctx.reader.rows<EnvironmentRecord>('environments', ENVIRONMENTS, { since });

/** A component the query reached by key; an error if it went away while the query ran. */
export async function loadComponent(ctx: Context, key: string): Promise<ComponentRecord> {
  const c = await ctx.loaders.component.load(key);
  if (!c) throw new Error(`component ${key} vanished during the query`);
  return c;
}
