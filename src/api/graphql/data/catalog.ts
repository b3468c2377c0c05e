/**
 * Reads of the declared map (ingest/catalog/store.ts): a component's catalog entity, where the
 * declared dependencies and the observed ones disagree, catalog owners and owner changes. An entity
 * stands for the component of its `matchName` in the environment its catalog describes, or in every
 * environment when that is `''`.
 */
import DataLoader from 'dataloader';
import neo4j from 'neo4j-driver';
import type { Context } from '../context.js';
import { userError } from '../errors.js';
import type { ChangeRecord } from './changes.js';
import { WITH_NEIGHBOUR_KEYS } from './traversal.js';

/** Whether catalog entity `e` describes environment `environment` (Cypher expressions). */
const describes = (e: string, environment: string) => `${e}.environment IN ['', ${environment}]`;

/**
 * Whether the catalog declares a dependency from component `a` to component `b` (Cypher variables):
 * what makes an observed DEPENDS_ON edge also a declared one.
 */
export const declaredEdgeExists = (a: string, b: string) =>
  `EXISTS { MATCH (d:CatalogEntity {matchName: ${a}.name})-[:DECLARES_DEPENDENCY]->(:CatalogEntity {matchName: ${b}.name}) WHERE ${describes('d', `${a}.environment`)} }`;

/** The owners the catalog names for service `s` (Cypher variable), as incidentContext's owners. */
export const catalogOwners = (s: string) =>
  `COLLECT { MATCH (e:CatalogEntity {matchName: ${s}.name}) WHERE e.stub IS NULL AND e.owner IS NOT NULL AND ${describes('e', `${s}.environment`)} RETURN {key: 'catalog', value: e.owner} }`;

export interface DeclaredRecord {
  ref: string;
  kind: string;
  title: string | null;
  type: string | null;
  owner: string | null;
  system: string | null;
  lifecycle: string | null;
  source: string;
  importedAt: number;
  previousOwner: string | null;
  ownerChangedAt: number | null;
}

const DECLARED_PROJECTION = `e {.ref, .kind, .title, .type, .owner, .system, .lifecycle, .source, .importedAt,
  .previousOwner, .ownerChangedAt}`;

/**
 * The environment's own catalog before the every-environment one; then a Component entity, a
 * Resource, the rest: a name both a service and a database use is a service.
 */
export const DECLARED_BY_NAME = `
UNWIND $asks AS ask
MATCH (e:CatalogEntity {matchName: ask.name})
WHERE e.stub IS NULL AND ${describes('e', 'ask.environment')}
RETURN ask.id AS id, ${DECLARED_PROJECTION} AS e
ORDER BY e.environment DESC, CASE e.kind WHEN 'Component' THEN 0 WHEN 'Resource' THEN 1 ELSE 2 END, e.ref`;

const declaredLoaders = new WeakMap<Context, DataLoader<string, DeclaredRecord | null>>();

/** The catalog entity a component stands for, batched per request. */
export function loadDeclared(ctx: Context, c: { name: string; environment: string }): Promise<DeclaredRecord | null> {
  let loader = declaredLoaders.get(ctx);
  if (!loader) {
    loader = new DataLoader(async (ids) => {
      const asks = ids.map((id) => {
        const [environment, name] = JSON.parse(id) as [string, string];
        return { id, environment, name };
      });
      const rows = await ctx.reader.rows<{ id: string; e: DeclaredRecord }>('declared', DECLARED_BY_NAME, { asks });
      const first = new Map<string, DeclaredRecord>();
      for (const r of rows) if (!first.has(r.id)) first.set(r.id, r.e);
      return ids.map((id) => first.get(id) ?? null);
    });
    declaredLoaders.set(ctx, loader);
  }
  return loader.load(JSON.stringify([c.environment, c.name]));
}

export interface DriftEnd {
  name: string;
  /** the catalog entity, null when the component is not in the catalog */
  ref: string | null;
  /** the observed component, null when none of that name was seen */
  key: string | null;
}

export interface DriftEdge {
  environment: string | null;
  from: DriftEnd;
  to: DriftEnd;
  /** how the catalog declares it (`dependsOn` or the consumed API); null for an undeclared edge */
  via: string | null;
}

/** `v` is in the asked environment, or none was asked. */
export const observedIn = (v: string) => `($environment IS NULL OR ${v}.environment = $environment)`;
/** Component `x` is in the environment asked about and in one entity `e`'s catalog describes. */
const observedAs = (x: string, e: string) => `${observedIn(x)} AND ${describes(e, `${x}.environment`)}`;
/** Entity `e` takes part: its catalog describes the environment asked about. */
const inScope = (e: string) => `($environment IS NULL OR ${describes(e, '$environment')})`;
const componentKeyOf = (e: string) =>
  `head(COLLECT { MATCH (x:Component {name: ${e}.matchName}) WHERE ${observedAs('x', e)} RETURN x.key })`;
const entityRefOf = (x: string) =>
  `head(COLLECT { MATCH (e:CatalogEntity {matchName: ${x}.name}) WHERE e.stub IS NULL AND ${describes('e', `${x}.environment`)} RETURN e.ref })`;

/** Declared dependencies with no DEPENDS_ON edge between components of those names seen since `$since`. */
export const DECLARED_NOT_OBSERVED = `
MATCH (a:CatalogEntity)-[d:DECLARES_DEPENDENCY]->(b:CatalogEntity)
WHERE ${inScope('a')}
WITH a, b, d, EXISTS {
  MATCH (x:Component {name: a.matchName})-[r:DEPENDS_ON]->(:Component {name: b.matchName})
  WHERE ${observedAs('x', 'a')} AND r.lastSeen >= $since
} AS observed
WITH count(*) AS declared, collect(CASE WHEN observed THEN null ELSE {a: a, b: b, via: d.via} END) AS missing
UNWIND (CASE WHEN missing = [] THEN [null] ELSE missing END) AS m
WITH declared, size(missing) AS total, m ORDER BY m.a.matchName, m.b.matchName
WITH declared, total, collect(m)[0..$first] AS page
RETURN declared, total, [m IN page | {
  environment: coalesce($environment, CASE m.a.environment WHEN '' THEN null ELSE m.a.environment END), via: m.via,
  from: {name: m.a.matchName, ref: CASE WHEN m.a.stub THEN null ELSE m.a.ref END, key: ${componentKeyOf('m.a')}},
  to: {name: m.b.matchName, ref: CASE WHEN m.b.stub THEN null ELSE m.b.ref END, key: ${componentKeyOf('m.b')}}
}] AS edges`;

/** DEPENDS_ON edges seen since `$since` whose components' names the catalog declares no dependency between. */
export const OBSERVED_NOT_DECLARED = `
MATCH (x:Component)-[r:DEPENDS_ON]->(y:Component)
WHERE ${observedIn('x')} AND r.lastSeen >= $since AND x <> y
WITH x, y, ${declaredEdgeExists('x', 'y')} AS declared
WITH count(*) AS observed, collect(CASE WHEN declared THEN null ELSE {x: x, y: y} END) AS extra
UNWIND (CASE WHEN extra = [] THEN [null] ELSE extra END) AS m
WITH observed, size(extra) AS total, m ORDER BY m.x.name, m.y.name, m.x.environment
WITH observed, total, collect(m)[0..$first] AS page
RETURN observed, total, [m IN page | {
  environment: m.x.environment, via: null,
  from: {name: m.x.name, ref: ${entityRefOf('m.x')}, key: m.x.key},
  to: {name: m.y.name, ref: ${entityRefOf('m.y')}, key: m.y.key}
}] AS edges`;

/** Catalog components and resources no component of their name was seen as, and services the catalog does not name. */
export const DRIFT_COMPONENTS = `
CALL () {
  MATCH (e:CatalogEntity)
  WHERE e.stub IS NULL AND e.kind IN ['Component', 'Resource'] AND ${inScope('e')}
    AND NOT EXISTS { MATCH (x:Component {name: e.matchName}) WHERE ${observedAs('x', 'e')} AND x.lastSeen >= $since }
  WITH e ORDER BY e.ref
  RETURN count(e) AS unobservedTotal, collect(e.ref)[0..$first] AS unobserved
}
CALL () {
  MATCH (s:Service)
  WHERE ${observedIn('s')} AND s.lastSeen >= $since
    AND NOT EXISTS { MATCH (e:CatalogEntity {matchName: s.name}) WHERE e.stub IS NULL AND ${describes('e', 's.environment')} }
  WITH s ORDER BY s.name, s.environment
  RETURN count(s) AS undeclaredTotal, collect(s.key)[0..$first] AS undeclared
}
CALL () {
  MATCH (e:CatalogEntity) WHERE e.stub IS NULL AND ${inScope('e')}
  RETURN count(e) AS entities, max(e.importedAt) AS importedAt
}
RETURN unobservedTotal, unobserved, undeclaredTotal, undeclared, entities, importedAt`;

export interface Drift {
  environment: string | null;
  since: number;
  declaredNotObserved: DriftEdge[];
  observedNotDeclared: DriftEdge[];
  /** refs of catalog Components and Resources not observed */
  declaredComponentsNotObserved: string[];
  /** keys of observed services the catalog does not name */
  servicesNotDeclared: string[];
  summary: {
    declaredEdges: number;
    observedEdges: number;
    matchingEdges: number;
    declaredNotObserved: number;
    observedNotDeclared: number;
    declaredComponentsNotObserved: number;
    servicesNotDeclared: number;
    catalogEntities: number;
    catalogImportedAt: number | null;
  };
}

export const MAX_DRIFT_ITEMS = 1000;

interface EdgeRows {
  total: number;
  edges: DriftEdge[];
}

export async function loadDrift(
  ctx: Context,
  q: { environment: string | null; since: number; first: number },
): Promise<Drift> {
  if (!Number.isInteger(q.first) || q.first < 0 || q.first > MAX_DRIFT_ITEMS) {
    throw userError(`first must be between 0 and ${MAX_DRIFT_ITEMS}, got ${q.first}`);
  }
  const params = { environment: q.environment, since: q.since, first: neo4j.int(q.first) };
  return ctx.reader.transaction('drift', async (run) => {
    const [declared] = await run<EdgeRows & { declared: number }>(DECLARED_NOT_OBSERVED, params);
    const [observed] = await run<EdgeRows & { observed: number }>(OBSERVED_NOT_DECLARED, params);
    const [components] = await run<{
      unobservedTotal: number;
      unobserved: string[];
      undeclaredTotal: number;
      undeclared: string[];
      entities: number;
      importedAt: number | null;
    }>(DRIFT_COMPONENTS, params);
    return {
      environment: q.environment,
      since: q.since,
      declaredNotObserved: declared!.edges,
      observedNotDeclared: observed!.edges,
      declaredComponentsNotObserved: components!.unobserved,
      servicesNotDeclared: components!.undeclared,
      summary: {
        declaredEdges: declared!.declared,
        observedEdges: observed!.observed,
        matchingEdges: observed!.observed - observed!.total,
        declaredNotObserved: declared!.total,
        observedNotDeclared: observed!.total,
        declaredComponentsNotObserved: components!.unobservedTotal,
        servicesNotDeclared: components!.undeclaredTotal,
        catalogEntities: components!.entities,
        catalogImportedAt: components!.importedAt,
      },
    };
  });
}

const OWNER_CHANGE_ROW = `
RETURN 'OWNER_CHANGED' AS kind, e.ownerChangedAt AS at, c.environment AS environment, c.key AS component,
       null AS from, null AS to, null AS operation, null AS library, null AS version,
       e.owner AS owner, e.previousOwner AS previousOwner,
       c.name + ' owner ' + coalesce(e.previousOwner, '(none)') + ' -> ' + coalesce(e.owner, '(none)') AS subject
ORDER BY at DESC, subject
LIMIT $limit`;

/** Catalog owner changes of the components in scope, as `changes` lists them beside the observed ones. */
export const OWNER_CHANGES = `
MATCH (e:CatalogEntity)
WHERE e.ownerChangedAt >= $since AND e.stub IS NULL
MATCH (c:Component {name: e.matchName})
WHERE ${observedAs('c', 'e')}${OWNER_CHANGE_ROW}`;

/**
 * The same for the component of `$key` and its direct neighbours (an incident's), found from their
 * keys: from the changed entities, every component of their names in every environment was read
 * first (15,000 on the development store for one incident).
 */
export const OWNER_CHANGES_AROUND = `${WITH_NEIGHBOUR_KEYS}
MATCH (c:Component)
WHERE c.key IN keys AND ${observedIn('c')}
MATCH (e:CatalogEntity {matchName: c.name})
WHERE e.ownerChangedAt >= $since AND e.stub IS NULL AND ${describes('e', 'c.environment')}${OWNER_CHANGE_ROW}`;

export function loadOwnerChanges(
  ctx: Context,
  q: { since: number; environment: string | null; around: string | null; first: number },
): Promise<ChangeRecord[]> {
  return ctx.reader.rows<ChangeRecord>('owner-changes', q.around ? OWNER_CHANGES_AROUND : OWNER_CHANGES, {
    since: q.since,
    environment: q.environment,
    key: q.around,
    limit: neo4j.int(q.first),
  });
}
