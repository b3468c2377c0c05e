/**
 * Reads of versions (ingest/versions.ts writes them): the calls of an edge per caller and callee
 * `service.version`, over DEPENDS_ON (components) and CALLS (operations), and a service's own
 * versions. Each is a DataLoader, so the edges of a topology or the hops of a walk cost one statement.
 */
import DataLoader from 'dataloader';
import type { EdgeVersionFacts, VersionFacts } from '../../../core/records.js';
import type { Reader } from './reader.js';

export type EdgeVersionRecord = EdgeVersionFacts;

export interface ServiceVersionRecord extends VersionFacts {
  version: string;
}

const VERSION_FIELDS = `v.fromVersion AS fromVersion, v.toVersion AS toVersion, v.calls AS calls, v.errors AS errors,
       v.firstSeen AS firstSeen, v.lastSeen AS lastSeen`;

/** Every version pair kept (at most TOPOGRAPH_VERSIONS_PER_EDGE) of each `[from, to]` edge between nodes of `label`. */
const versionsBetween = (label: string, type: string) => `
UNWIND $edges AS edge
MATCH (:${label} {key: edge[0]})-[v:${type}]->(:${label} {key: edge[1]})
RETURN edge[0] AS from, edge[1] AS to, ${VERSION_FIELDS}
ORDER BY fromVersion, toVersion`;

export const EDGE_VERSIONS = versionsBetween('Component', 'DEPENDS_ON_VERSION');
export const CALL_VERSIONS = versionsBetween('Operation', 'CALLS_VERSION');

export const SERVICE_VERSIONS = `
UNWIND $keys AS key
MATCH (:Component {key: key})-[:HAS_VERSION]->(v:ServiceVersion)
RETURN key, v.version AS version, v.calls AS calls, v.errors AS errors, v.firstSeen AS firstSeen, v.lastSeen AS lastSeen
ORDER BY v.firstSeen, v.version`;

/** An edge as the loaders take it: its two ends' keys. */
export type EdgeEnds = readonly [from: string, to: string];

function versionsOfEdges(reader: Reader, op: string, cypher: string) {
  return new DataLoader<EdgeEnds, EdgeVersionRecord[], string>(
    async (edges) => {
      const rows = await reader.rows<EdgeVersionRecord & { from: string; to: string }>(op, cypher, { edges });
      const byEdge = new Map<string, EdgeVersionRecord[]>();
      for (const { from, to, ...v } of rows) {
        const k = JSON.stringify([from, to]);
        byEdge.set(k, [...(byEdge.get(k) ?? []), v]);
      }
      return edges.map((e) => byEdge.get(JSON.stringify(e)) ?? []);
    },
    { cacheKeyFn: (e) => JSON.stringify(e) },
  );
}

export function createVersionLoaders(reader: Reader) {
  return {
    edgeVersions: versionsOfEdges(reader, 'edge-versions', EDGE_VERSIONS),
    callVersions: versionsOfEdges(reader, 'call-versions', CALL_VERSIONS),
    serviceVersions: new DataLoader<string, ServiceVersionRecord[]>(async (keys) => {
      const rows = await reader.rows<ServiceVersionRecord & { key: string }>('service-versions', SERVICE_VERSIONS, {
        keys,
      });
      const byKey = new Map<string, ServiceVersionRecord[]>();
      for (const { key, ...v } of rows) byKey.set(key, [...(byKey.get(key) ?? []), v]);
      return keys.map((k) => byKey.get(k) ?? []);
    }),
  };
}
