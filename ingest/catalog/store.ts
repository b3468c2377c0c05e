/**
 * Keeps the declared map in Neo4j: one `:CatalogEntity` node per catalog entity (by reference), and
 * `DECLARES_DEPENDENCY` relationships between them, rebuilt from the whole stored catalog on every
 * import so that an API consumer in one file finds its provider in another. A catalog describes one
 * environment, or every environment (`environment: ''`, the default): the API matches its entities to
 * the observed components of those environments by name (docs/catalog.md). Owner changes are
 * remembered (`previousOwner`, `ownerChangedAt`) for `changes`.
 */
import type { Graph } from '../../src/core/neo4j/connection.js';
import { declaredDependencies, parseRef, type CatalogEntity } from './descriptors.js';

const APP = 'topograph-catalog';

/** Entities in, by reference; an owner that differs from the stored one is an owner change at `$now`. */
export const UPSERT_CATALOG_ENTITIES = `
UNWIND $entities AS e
MERGE (n:CatalogEntity {key: e.key})
WITH n, e, n.importedAt IS NOT NULL AND coalesce(n.owner, '') <> coalesce(e.owner, '') AS ownerChanged, n.owner AS before
SET n.environment = $environment, n.ref = e.ref, n.kind = e.kind, n.namespace = e.namespace, n.name = e.name, n.matchName = e.matchName, n.title = e.title,
    n.type = e.type, n.owner = e.owner, n.system = e.system, n.lifecycle = e.lifecycle,
    n.dependsOn = e.dependsOn, n.providesApis = e.providesApis, n.consumesApis = e.consumesApis,
    n.stub = null, n.source = $source, n.importedAt = $now,
    n.previousOwner = CASE WHEN ownerChanged THEN before ELSE n.previousOwner END,
    n.ownerChangedAt = CASE WHEN ownerChanged THEN $now ELSE n.ownerChangedAt END
RETURN count(CASE WHEN ownerChanged THEN 1 END) AS ownerChanges`;

/** What a mirrored source (the REST API) no longer lists. */
export const DELETE_GONE_CATALOG_ENTITIES = `
MATCH (n:CatalogEntity {source: $source, environment: $environment})
WHERE NOT n.ref IN $refs
DETACH DELETE n
RETURN count(*) AS removed`;

export const READ_CATALOG_DECLARATIONS = `
MATCH (n:CatalogEntity {environment: $environment}) WHERE n.stub IS NULL
RETURN n.ref AS ref, n.dependsOn AS dependsOn, n.providesApis AS providesApis, n.consumesApis AS consumesApis`;

export const DELETE_DECLARED_DEPENDENCIES = `
MATCH (:CatalogEntity {environment: $environment})-[r:DECLARES_DEPENDENCY]->()
DELETE r`;

/**
 * A dependency on an entity the catalog does not hold (yet) still counts: its target is a stub node,
 * matched by the name in the reference, removed once nothing declares a dependency on it.
 */
export const WRITE_DECLARED_DEPENDENCIES = `
UNWIND $dependencies AS d
MATCH (a:CatalogEntity {key: d.fromKey})
MERGE (b:CatalogEntity {key: d.toKey})
  ON CREATE SET b.stub = true, b.environment = $environment, b.ref = d.to, b.kind = d.toKind, b.namespace = d.toNamespace, b.name = d.toName, b.matchName = d.toName
CREATE (a)-[:DECLARES_DEPENDENCY {via: d.via}]->(b)`;

export const DELETE_UNUSED_STUBS = `
MATCH (n:CatalogEntity {stub: true, environment: $environment})
WHERE NOT EXISTS { ()-[:DECLARES_DEPENDENCY]->(n) }
DELETE n`;

export interface CatalogWrite {
  entities: number;
  removed: number;
  ownerChanges: number;
  declaredDependencies: number;
  /** APIs consumed that no entity in the catalog provides (no dependency can be declared from them) */
  unprovidedApis: string[];
}

export interface CatalogStore {
  /**
   * Stores entities from `source` (`file`, or `backstage:<url>`) as the catalog of `environment`
   * (`''`: every environment). `mirror`: the entities are the source's whole catalog, so what it
   * held before and no longer lists is removed.
   */
  write(
    source: string,
    entities: CatalogEntity[],
    opts: { mirror: boolean; environment: string; now?: number },
  ): Promise<CatalogWrite>;
}

/** A node's key: its reference within the environment the catalog describes. */
export const catalogEntityKey = (environment: string, ref: string) => JSON.stringify(['catalog', environment, ref]);

export function createCatalogStore(graph: Graph): CatalogStore {
  return {
    write: (source, entities, { mirror, environment, now = Date.now() }) =>
      graph.write(
        APP,
        async (tx) => {
          const upserted = await tx.run(UPSERT_CATALOG_ENTITIES, {
            entities: entities.map((e) => ({ ...e, key: catalogEntityKey(environment, e.ref) })),
            source,
            environment,
            now,
          });
          const removed = mirror
            ? await tx.run(DELETE_GONE_CATALOG_ENTITIES, { source, environment, refs: entities.map((e) => e.ref) })
            : undefined;
          const stored = (await tx.run(READ_CATALOG_DECLARATIONS, { environment })).records.map(
            (r) => r.toObject() as Pick<CatalogEntity, 'ref' | 'dependsOn' | 'providesApis' | 'consumesApis'>,
          );
          const declared = declaredDependencies(stored);
          await tx.run(DELETE_DECLARED_DEPENDENCIES, { environment });
          await tx.run(WRITE_DECLARED_DEPENDENCIES, {
            environment,
            dependencies: declared.dependencies.map((d) => {
              const to = parseRef(d.to, { namespace: 'default' });
              if (typeof to === 'string') throw new Error(`stored reference ${d.to}: ${to}`);
              return {
                ...d,
                fromKey: catalogEntityKey(environment, d.from),
                toKey: catalogEntityKey(environment, d.to),
                toKind: to.kind,
                toNamespace: to.namespace,
                toName: to.name,
              };
            }),
          });
          await tx.run(DELETE_UNUSED_STUBS, { environment });
          return {
            entities: entities.length,
            removed: Number(removed?.records[0]?.get('removed') ?? 0),
            ownerChanges: Number(upserted.records[0]?.get('ownerChanges') ?? 0),
            declaredDependencies: declared.dependencies.length,
            unprovidedApis: declared.unprovidedApis,
          };
        },
        { metadata: { op: 'catalog-import' } },
      ),
  };
}
