/**
 * Per-request DataLoaders: every field that would otherwise cost a query per parent goes through one
 * of these, so a list of N services with their operations costs one query, not N. Each loader's
 * statement sits beside it.
 */
import DataLoader from 'dataloader';
import neo4j from 'neo4j-driver';
import type { TraceSampleFacts } from '../../../core/records.js';
import {
  componentProjection,
  OPERATION_SUMMARY,
  operationProjection,
  type ComponentRecord,
  type OperationRecord,
} from './projections.js';
import type { Reader } from './reader.js';
import { CALLS_WALKS, DEPENDS_ON_WALKS, traverse, walkStatement, type Hop, type TraverseRequest } from './traversal.js';
import { createVersionLoaders } from './versions.js';

export const COMPONENTS_BY_KEY = `
UNWIND $keys AS key
MATCH (c:Component {key: key})
RETURN ${componentProjection('c')} AS c`;

export const OPERATIONS_BY_KEY = `
UNWIND $keys AS key
MATCH (o:Operation {key: key})
RETURN ${operationProjection('o')} AS o`;

const operationsByComponent = (projection: string) => `
UNWIND $keys AS key
MATCH (:Component {key: key})-[:HAS_OPERATION]->(o:Operation)
WHERE o.lastSeen >= $since
RETURN key, ${projection} AS o
ORDER BY o.name, o.kind`;

export const OPERATIONS_BY_COMPONENT = operationsByComponent(operationProjection('o'));

/** Without the rings: for selections that read no latency or health of these operations. */
export const OPERATIONS_BY_COMPONENT_SUMMARY = operationsByComponent(OPERATION_SUMMARY);

export interface LibraryUse {
  name: string;
  kind: string | null;
  version: string;
  firstSeen: number;
  lastSeen: number;
}

export const SERVICE_LIBRARIES = `
UNWIND $keys AS key
MATCH (s:Component:Service {key: key})-[u:USES]->(l:Library)
WHERE u.lastSeen >= $since
RETURN key, collect({name: l.name, kind: l.kind, version: u.version, firstSeen: u.firstSeen, lastSeen: u.lastSeen}) AS uses`;

export type TraceSampleRecord = TraceSampleFacts;

const SAMPLE_FIELDS = `t { .traceId, .entry, .error, .firstSeen, .lastSeen, ops: coalesce(t.ops, []), .hops }`;

export const TRACE_SAMPLES_BY_ID = `
UNWIND $traceIds AS traceId
MATCH (t:TraceSample {traceId: traceId})
RETURN ${SAMPLE_FIELDS} AS t`;

export const TRACE_SAMPLES_OF = `
UNWIND $keys AS key
MATCH (:Operation {key: key})-[:IN_TRACE]->(t:TraceSample)
WHERE NOT $errorsOnly OR t.error
WITH key, t ORDER BY t.lastSeen DESC
WITH key, collect(${SAMPLE_FIELDS}) AS samples
RETURN key, samples[0..$first] AS samples`;

/** Requests grouped by what they share (a statement, a time bound), each group answered by one read. */
function groupedLoader<R, V>(
  share: (r: R) => string,
  cacheKey: (r: R) => string,
  load: (group: R[]) => Promise<V[]>,
): DataLoader<R, V, string> {
  return new DataLoader<R, V, string>(
    async (requests) => {
      const groups = new Map<string, number[]>();
      requests.forEach((r, i) => {
        const k = share(r);
        const group = groups.get(k);
        if (group) group.push(i);
        else groups.set(k, [i]);
      });
      const out: V[] = new Array(requests.length);
      // Groups are independent reads: one after another, each group would add a round trip to the
      // question's critical path.
      await Promise.all(
        [...groups.values()].map(async (indices) => {
          const values = await load(indices.map((i) => requests[i]!));
          indices.forEach((i, j) => (out[i] = values[j]!));
        }),
      );
      return out;
    },
    { cacheKeyFn: cacheKey },
  );
}

/** Nodes by key (`id` of each row's `column`), in one statement for all keys of a batch; null for keys that are gone. */
function byKeyLoader<T>(
  reader: Reader,
  read: { op: string; cypher: string; param: string; column: string },
  id: (t: T) => string,
) {
  return new DataLoader<string, T | null>(async (keys) => {
    const rows = await reader.rows<Record<string, T>>(read.op, read.cypher, { [read.param]: keys });
    const found = new Map(rows.map((r) => [id(r[read.column]!), r[read.column]!]));
    return keys.map((k) => found.get(k) ?? null);
  });
}

const traverseLoader = (reader: Reader, walks: Parameters<typeof walkStatement>[0]) =>
  groupedLoader<TraverseRequest, Hop[]>(
    // One walk per statement and time bound; roots of any depth share it.
    (r) => `${walkStatement(walks, r)}|${r.since}`,
    (r) => `${r.root}|${r.direction}|${r.depth}|${r.since}|${Boolean(r.summary)}|${Boolean(r.named)}`,
    (group) => traverse(reader, walkStatement(walks, group[0]!), group, group[0]!.since),
  );

export function createLoaders(reader: Reader) {
  const component = byKeyLoader<ComponentRecord>(
    reader,
    { op: 'components', cypher: COMPONENTS_BY_KEY, param: 'keys', column: 'c' },
    (c) => c.key,
  );
  const operation = byKeyLoader<OperationRecord>(
    reader,
    { op: 'operations', cypher: OPERATIONS_BY_KEY, param: 'keys', column: 'o' },
    (o) => o.key,
  );

  /** `summary`: the caller reads no latency or ring of these operations (see OPERATIONS_BY_COMPONENT_SUMMARY). */
  const operationsOf = groupedLoader<{ key: string; since: number; summary?: boolean }, OperationRecord[]>(
    (r) => `${r.since}|${Boolean(r.summary)}`,
    (r) => `${r.key}|${r.since}|${Boolean(r.summary)}`,
    async (group) => {
      const { since, summary } = group[0]!;
      const cypher = summary ? OPERATIONS_BY_COMPONENT_SUMMARY : OPERATIONS_BY_COMPONENT;
      const rows = await reader.rows<{ key: string; o: OperationRecord }>('operations-of', cypher, {
        keys: group.map((r) => r.key),
        since,
      });
      const byKey = new Map<string, OperationRecord[]>();
      for (const { key, o } of rows) byKey.set(key, [...(byKey.get(key) ?? []), o]);
      return group.map((r) => byKey.get(r.key) ?? []);
    },
  );

  /** The libraries each service runs, by name then version. */
  const librariesOf = groupedLoader<{ key: string; since: number }, LibraryUse[]>(
    (r) => String(r.since),
    (r) => `${r.key}|${r.since}`,
    async (group) => {
      const rows = await reader.rows<{ key: string; uses: LibraryUse[] }>('service-libraries', SERVICE_LIBRARIES, {
        keys: group.map((r) => r.key),
        since: group[0]!.since,
      });
      const byKey = new Map(rows.map((r) => [r.key, r.uses]));
      return group.map((r) =>
        (byKey.get(r.key) ?? []).sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version)),
      );
    },
  );

  /** The newest samples through each operation; failing-only asks are read apart from the rest. */
  const traceSamplesOf = groupedLoader<{ key: string; first: number; errorsOnly: boolean }, TraceSampleRecord[]>(
    (r) => String(r.errorsOnly),
    (r) => `${r.key}|${r.first}|${r.errorsOnly}`,
    async (group) => {
      const first = Math.max(...group.map((r) => r.first));
      const rows = await reader.rows<{ key: string; samples: TraceSampleRecord[] }>('traces', TRACE_SAMPLES_OF, {
        keys: [...new Set(group.map((r) => r.key))],
        errorsOnly: group[0]!.errorsOnly,
        first: neo4j.int(first),
      });
      const byKey = new Map(rows.map((r) => [r.key, r.samples]));
      return group.map((r) => (byKey.get(r.key) ?? []).slice(0, r.first));
    },
  );

  const traceSample = byKeyLoader<TraceSampleRecord>(
    reader,
    { op: 'trace', cypher: TRACE_SAMPLES_BY_ID, param: 'traceIds', column: 't' },
    (t) => t.traceId,
  );

  return {
    component,
    operation,
    operationsOf,
    librariesOf,
    traceSamplesOf,
    traceSample,
    dependencies: traverseLoader(reader, DEPENDS_ON_WALKS),
    calls: traverseLoader(reader, CALLS_WALKS),
    ...createVersionLoaders(reader),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
