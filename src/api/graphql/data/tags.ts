/** Reads by tag value: the values of a key and where each was seen, and one value's footprint. */
import neo4j from 'neo4j-driver';
import { tagKey } from '../../../core/model.js';
import type { Context } from '../context.js';
import { componentProjection, operationProjection } from './projections.js';
import type { ComponentRecord, OperationRecord } from './projections.js';
import type { Hop } from './traversal.js';

export interface TagValueRecord {
  key: string;
  value: string;
  calls: number;
  errors: number;
  services: ComponentRecord[];
  operations: OperationRecord[];
  lastSeen: number;
}

export const TAG_VALUES = `
MATCH (t:Tag {key: $key})
WHERE t.lastSeen >= $since
OPTIONAL MATCH (s:Service)-[rs:TAGGED]->(t)
WITH t, collect(${componentProjection('s')}) AS services,
     sum(rs.calls) AS calls, sum(rs.errors) AS errors
OPTIONAL MATCH (o:Operation)-[:TAGGED]->(t)
RETURN t.key AS key, t.value AS value, calls, errors, services,
       collect(${operationProjection('o')}) AS operations,
       t.lastSeen AS lastSeen
ORDER BY calls DESC, value
SKIP $offset LIMIT $limit`;

export const tagValues = (ctx: Context, q: { key: string; since: number; offset: number; limit: number }) =>
  ctx.reader.rows<TagValueRecord>('tag-values', TAG_VALUES, {
    key: q.key,
    since: q.since,
    offset: neo4j.int(q.offset),
    limit: neo4j.int(q.limit),
  });

export const FOOTPRINT = `
MATCH (t:Tag {uid: $uid})<-[r:TAGGED]-(x)
WHERE r.lastSeen >= $since
WITH t, x, r, CASE WHEN x:Operation THEN x.componentKey ELSE x.key END AS componentKey
MATCH (c:Component {key: componentKey})
WHERE $environment IS NULL OR c.environment = $environment
RETURN t.key AS key, t.value AS value, x:Operation AS onOperation, coalesce(x.entryPoint, false) AS entryPoint, x.key AS subject, r.calls AS calls, r.errors AS errors,
       r.firstSeen AS firstSeen, r.lastSeen AS lastSeen
ORDER BY calls DESC, subject`;

/** A component or an operation that saw the value, with how often. */
export interface Touch {
  subject: string;
  entryPoint: boolean;
  calls: number;
  errors: number;
  firstSeen: number;
  lastSeen: number;
}

export interface Footprint {
  key: string;
  value: string;
  since: number;
  services: Touch[];
  operations: Touch[];
}

/** Null when the value was not seen since `since`. */
export async function readFootprint(
  ctx: Context,
  q: { key: string; value: string; environment: string | null; since: number },
): Promise<Footprint | null> {
  const rows = await ctx.reader.rows<Touch & { onOperation: boolean }>('footprint', FOOTPRINT, {
    uid: tagKey(q.key, q.value),
    since: q.since,
    environment: q.environment,
  });
  if (rows.length === 0) return null;
  return {
    key: q.key,
    value: q.value,
    since: q.since,
    services: rows.filter((r) => !r.onOperation),
    operations: rows.filter((r) => r.onOperation),
  };
}

/** The walks from every tagged operation, merged: each CALLS edge once, at its smallest depth. */
export async function footprintDownstream(ctx: Context, f: Footprint, depth: number): Promise<Hop[]> {
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
