/**
 * Per-request DataLoaders: every field that would otherwise cost a query per parent goes through one
 * of these, so a list of N services with their operations costs one query, not N.
 *
 * Traversals (dependencies, dependents, downstream, upstream) walk breadth-first, one query per level
 * for all roots of the request together, all levels in one read transaction: the cost grows with
 * depth, never with the number of parents, and each component is reached once, by its shortest path.
 */
import DataLoader from 'dataloader';
import type { Record as Neo4jRecord } from 'neo4j-driver';
import type { Graph } from '../../core/neo4j/connection.js';
import type { ApiSettings } from './context.js';

export interface ComponentRecord {
  key: string;
  kind: string;
  name: string;
  environment: string;
  namespace: string | null;
  system: string | null;
  address: string | null;
  version: string | null;
  firstSeen: number;
  lastSeen: number;
}

export interface MeasureRecord {
  calls: number;
  errors: number;
  latSum: number;
  latMax: number;
  latBuckets: number[];
  hm: number[];
  hmCalls: number[];
  hmErrors: number[];
  hmLatSum: number[];
  hh: number[];
  hhCalls: number[];
  hhErrors: number[];
  hhLatSum: number[];
  firstSeen: number;
  lastSeen: number;
}

export interface OperationRecord extends MeasureRecord {
  key: string;
  componentKey: string;
  name: string;
  kind: string;
  entryPoint: boolean;
  entryCalls: number;
}

export interface Hop {
  depth: number;
  /** the key reached */
  key: string;
  /** the key it was reached from */
  via: string;
  /** keys from the root to this one, both included */
  path: string[];
  /** CALLS edges also carry a few recent trace ids that took them */
  edge: MeasureRecord & { exemplars?: string[] };
  /** the name and kind of the component reached, when the walk read them (summary walks) */
  named?: { name: string; kind: string };
}

export type Direction = 'out' | 'in';

export interface TraverseRequest {
  root: string;
  direction: Direction;
  depth: number;
  since: number;
  /**
   * Only calls, errors, firstSeen and lastSeen of each edge, not its histogram and health rings: a
   * deep walk reaches thousands of edges, and their rings cost more to read and ship than the walk.
   */
  summary?: boolean;
  /** Not even those: only what the walk reached and how (depth, path), with names and kinds. */
  named?: boolean;
}

const COMPONENT_FIELDS = `c { .key, .kind, .name, .environment, .namespace, .system, .address, .version, .firstSeen, .lastSeen }`;

export const COMPONENTS_BY_KEY = `
UNWIND $keys AS key
MATCH (c:Component {key: key})
RETURN ${COMPONENT_FIELDS} AS c`;

const OPERATION_FIELDS = `o { .*, entryPoint: coalesce(o.entryPoint, false), entryCalls: coalesce(o.entryCalls, 0) }`;

export const OPERATIONS_BY_COMPONENT = `
UNWIND $keys AS key
MATCH (:Component {key: key})-[:HAS_OPERATION]->(o:Operation)
WHERE o.lastSeen >= $since
RETURN key, ${OPERATION_FIELDS} AS o
ORDER BY o.name, o.kind`;

/**
 * Operations without their histogram and health rings, for selections that ask only for names,
 * kinds, counts and times (the other fields are present, as in OPERATION_FIELDS, minus the rings).
 */
export const OPERATION_SUMMARY = `o { .key, .componentKey, .name, .kind, .calls, .errors, .firstSeen, .lastSeen,
  entryPoint: coalesce(o.entryPoint, false), entryCalls: coalesce(o.entryCalls, 0) }`;

export const OPERATIONS_BY_COMPONENT_SUMMARY = `
UNWIND $keys AS key
MATCH (:Component {key: key})-[:HAS_OPERATION]->(o:Operation)
WHERE o.lastSeen >= $since
RETURN key, ${OPERATION_SUMMARY} AS o
ORDER BY o.name, o.kind`;

export const OPERATIONS_BY_KEY = `
UNWIND $keys AS key
MATCH (o:Operation {key: key})
RETURN ${OPERATION_FIELDS} AS o`;

const EDGE_FIELDS = `r { .calls, .errors, .latSum, .latMax, .latBuckets, .hm, .hmCalls, .hmErrors, .hmLatSum, .hh, .hhCalls, .hhErrors, .hhLatSum, .firstSeen, .lastSeen }`;

export const DEPENDS_ON_OUT = `
UNWIND $frontier AS key
MATCH (:Component {key: key})-[r:DEPENDS_ON]->(next:Component)
WHERE r.lastSeen >= $since
RETURN key AS from, next.key AS to, ${EDGE_FIELDS} AS edge`;

export const DEPENDS_ON_IN = `
UNWIND $frontier AS key
MATCH (:Component {key: key})<-[r:DEPENDS_ON]-(next:Component)
WHERE r.lastSeen >= $since
RETURN key AS from, next.key AS to, ${EDGE_FIELDS} AS edge`;

export const EDGE_SUMMARY = `r { .calls, .errors, .firstSeen, .lastSeen }`;

/** The order a walk reports what one component reaches in: by key, so that every run reports the same. */
export const byTarget = (a: { to: string }, b: { to: string }) => (a.to < b.to ? -1 : a.to > b.to ? 1 : 0);

/**
 * Summary walks return keys, names, kinds and the four edge figures. A query that asks no more of
 * the components reached is answered from that; otherwise the component DataLoader reads each one
 * once. Returning each row's whole component from the walk (until the query-profile measurements)
 * read and shipped it once per edge: half again the walk's time.
 */
export const DEPENDS_ON_OUT_SUMMARY = `
UNWIND $frontier AS key
MATCH (:Component {key: key})-[r:DEPENDS_ON]->(next:Component)
WHERE r.lastSeen >= $since
RETURN key AS from, next.key AS to, next.name AS name, next.kind AS kind, ${EDGE_SUMMARY} AS edge`;

export const DEPENDS_ON_IN_SUMMARY = `
UNWIND $frontier AS key
MATCH (:Component {key: key})<-[r:DEPENDS_ON]-(next:Component)
WHERE r.lastSeen >= $since
RETURN key AS from, next.key AS to, next.name AS name, next.kind AS kind, ${EDGE_SUMMARY} AS edge`;

/** Walks whose hops are asked for no edge figure (`dependents { depth component { name } }`). */
export const DEPENDS_ON_OUT_NAMED = `
UNWIND $frontier AS key
MATCH (:Component {key: key})-[r:DEPENDS_ON]->(next:Component)
WHERE r.lastSeen >= $since
RETURN key AS from, next.key AS to, next.name AS name, next.kind AS kind`;

export const DEPENDS_ON_IN_NAMED = `
UNWIND $frontier AS key
MATCH (:Component {key: key})<-[r:DEPENDS_ON]-(next:Component)
WHERE r.lastSeen >= $since
RETURN key AS from, next.key AS to, next.name AS name, next.kind AS kind`;

/** The statements of one kind of walk, by how much of each edge a request needs (lighter ones optional). */
interface WalkQueries {
  full: Record<Direction, string>;
  summary?: Record<Direction, string>;
  named?: Record<Direction, string>;
}

const DEPENDS_ON_WALKS: WalkQueries = {
  full: { out: DEPENDS_ON_OUT, in: DEPENDS_ON_IN },
  summary: { out: DEPENDS_ON_OUT_SUMMARY, in: DEPENDS_ON_IN_SUMMARY },
  named: { out: DEPENDS_ON_OUT_NAMED, in: DEPENDS_ON_IN_NAMED },
};

/** The lightest walk that still reads what the request needs. */
function walkQueryFor(queries: WalkQueries, r: Pick<TraverseRequest, 'direction' | 'summary' | 'named'>): string {
  const set = (r.named && queries.named) || ((r.summary || r.named) && queries.summary) || queries.full;
  return set[r.direction];
}

const CALL_EDGE_FIELDS = EDGE_FIELDS.replace(/ }$/, ', .exemplars }');

export const CALLS_OUT = `
UNWIND $frontier AS key
MATCH (:Operation {key: key})-[r:CALLS]->(next:Operation)
WHERE r.lastSeen >= $since
RETURN key AS from, next.key AS to, ${CALL_EDGE_FIELDS} AS edge`;

export const CALLS_IN = `
UNWIND $frontier AS key
MATCH (:Operation {key: key})<-[r:CALLS]-(next:Operation)
WHERE r.lastSeen >= $since
RETURN key AS from, next.key AS to, ${CALL_EDGE_FIELDS} AS edge`;

/**
 * Breadth-first walk from many roots at once. For each root, every reachable key is reported once,
 * at its shortest depth, with the edge and the path that first reached it.
 */
async function traverse(
  graph: Graph,
  query: string,
  roots: { root: string; depth: number; since: number }[],
  timeoutMs: number,
): Promise<Hop[][]> {
  const maxDepth = Math.max(0, ...roots.map((r) => r.depth));
  const since = roots[0]?.since ?? 0;
  const opts = { timeoutMs, metadata: { op: 'traverse', depth: maxDepth } };
  // One level is one statement: an auto-commit read, one round trip.
  if (maxDepth <= 1) {
    const run: Run = (q, params) => graph.query('topograph-api', q, params, opts);
    return walk(run, query, roots, maxDepth, since);
  }
  // One transaction for every level: a transaction per level cost a session, BEGIN and COMMIT each
  // (the walk took ~2x as long at p50). The work starts afresh if the driver retries it.
  return graph.read(
    'topograph-api',
    (tx) => walk(async (q, params) => (await tx.run(q, params)).records, query, roots, maxDepth, since),
    opts,
  );
}

type Run = (query: string, params: Record<string, unknown>) => Promise<Neo4jRecord[]>;

async function walk(
  run: Run,
  query: string,
  roots: { root: string; depth: number; since: number }[],
  maxDepth: number,
  since: number,
): Promise<Hop[][]> {
  const visited = roots.map((r) => new Map<string, Hop | null>([[r.root, null]]));
  const results: Hop[][] = roots.map(() => []);
  let frontiers = roots.map((r) => [r.root]);
  for (let depth = 1; depth <= maxDepth; depth++) {
    const active = new Set<string>();
    roots.forEach((r, i) => {
      if (depth <= r.depth) for (const k of frontiers[i]!) active.add(k);
    });
    if (active.size === 0) break;
    const rows = await run(query, { frontier: [...active], since });
    const next = new Map<string, { to: string; edge: MeasureRecord; named?: Hop['named'] }[]>();
    for (const rec of rows) {
      const from = rec.get('from') as string;
      const list = next.get(from) ?? [];
      const named = rec.has('name') ? { name: rec.get('name') as string, kind: rec.get('kind') as string } : undefined;
      // A named walk reads no edge: its hops are asked for no edge figure.
      const edge = (rec.has('edge') ? rec.get('edge') : undefined) as MeasureRecord;
      list.push({ to: rec.get('to') as string, edge, named });
      next.set(from, list);
    }
    // Rows come in no particular order; sorting makes the path that reaches a component first (and
    // so the one reported) the same on every run: among equally short ones, the smallest keys win.
    for (const list of next.values()) list.sort(byTarget);
    frontiers = roots.map((r, i) => {
      if (depth > r.depth) return [];
      const seen = visited[i]!;
      const newFrontier: string[] = [];
      for (const from of frontiers[i]!) {
        const parentPath = seen.get(from)?.path ?? [r.root];
        for (const { to, edge, named } of next.get(from) ?? []) {
          if (seen.has(to)) continue;
          const hop: Hop = { depth, key: to, via: from, path: [...parentPath, to], edge, named };
          seen.set(to, hop);
          results[i]!.push(hop);
          newFrontier.push(to);
        }
      }
      return newFrontier.sort();
    });
  }
  return results;
}

/**
 * A lookup and a walk from what it found, in one read transaction: `service(name:) { dependents(depth: 5) }`
 * was an auto-commit lookup, then a transaction for the walk, against one transaction for a client
 * that writes the Cypher itself. Resolves with the looked-up record (undefined: nothing found) and the hops.
 */
export async function lookupAndWalk<T extends { key: string }>(
  graph: Graph,
  lookup: { query: string; params: Record<string, unknown>; pick: (r: Neo4jRecord) => T },
  walkRequest: Omit<TraverseRequest, 'root'>,
  timeoutMs: number,
): Promise<{ found?: T; hops: Hop[] }> {
  const query = walkQueryFor(DEPENDS_ON_WALKS, walkRequest);
  return graph.read(
    'topograph-api',
    async (tx) => {
      const [record] = (await tx.run(lookup.query, lookup.params)).records;
      if (!record) return { hops: [] };
      const found = lookup.pick(record);
      const run: Run = async (q, params) => (await tx.run(q, params)).records;
      const [hops] = await walk(
        run,
        query,
        [{ root: found.key, depth: walkRequest.depth, since: walkRequest.since }],
        walkRequest.depth,
        walkRequest.since,
      );
      return { found, hops: hops! };
    },
    { timeoutMs, metadata: { op: 'lookup+traverse', depth: walkRequest.depth } },
  );
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  items.forEach((item, i) => {
    const k = key(item);
    const g = groups.get(k) ?? [];
    g.push(i);
    groups.set(k, g);
  });
  return groups;
}

function traverseLoader(graph: Graph, timeoutMs: number, queries: WalkQueries) {
  return new DataLoader<TraverseRequest, Hop[], string>(
    async (requests) => {
      const out: Hop[][] = new Array(requests.length);
      // One walk per statement and time bound; roots of any depth share it.
      for (const indices of groupBy(requests, (r) => `${walkQueryFor(queries, r)}|${r.since}`).values()) {
        const group = indices.map((i) => requests[i]!);
        const hops = await traverse(graph, walkQueryFor(queries, group[0]!), group, timeoutMs);
        indices.forEach((i, j) => (out[i] = hops[j]!));
      }
      return out;
    },
    {
      cacheKeyFn: (r) => `${r.root}|${r.direction}|${r.depth}|${r.since}|${Boolean(r.summary)}|${Boolean(r.named)}`,
    },
  );
}

export function createLoaders(graph: Graph, settings: Pick<ApiSettings, 'queryTimeoutMs'>) {
  const timeoutMs = settings.queryTimeoutMs;
  const read = async <T>(query: string, params: Record<string, unknown>, pick: (r: { get(k: string): unknown }) => T) =>
    (await graph.query('topograph-api', query, params, { timeoutMs })).map(pick);

  const component = new DataLoader<string, ComponentRecord | null>(async (keys) => {
    const rows = await read(COMPONENTS_BY_KEY, { keys }, (r) => r.get('c') as ComponentRecord);
    const byKey = new Map(rows.map((c) => [c.key, c]));
    return keys.map((k) => byKey.get(k) ?? null);
  });

  const operation = new DataLoader<string, OperationRecord | null>(async (keys) => {
    const rows = await read(OPERATIONS_BY_KEY, { keys }, (r) => r.get('o') as OperationRecord);
    const byKey = new Map(rows.map((o) => [o.key, o]));
    return keys.map((k) => byKey.get(k) ?? null);
  });

  /** `summary`: the caller reads no latency or ring of these operations (see OPERATIONS_BY_COMPONENT_SUMMARY). */
  const operationsOf = new DataLoader<{ key: string; since: number; summary?: boolean }, OperationRecord[], string>(
    async (reqs) => {
      const out: OperationRecord[][] = new Array(reqs.length);
      for (const indices of groupBy(reqs, (r) => `${r.since}|${Boolean(r.summary)}`).values()) {
        const keys = indices.map((i) => reqs[i]!.key);
        const first = reqs[indices[0]!]!;
        const query = first.summary ? OPERATIONS_BY_COMPONENT_SUMMARY : OPERATIONS_BY_COMPONENT;
        const rows = await read(query, { keys, since: first.since }, (r) => ({
          key: r.get('key') as string,
          o: r.get('o') as OperationRecord,
        }));
        const byKey = new Map<string, OperationRecord[]>();
        for (const { key, o } of rows) byKey.set(key, [...(byKey.get(key) ?? []), o]);
        for (const i of indices) out[i] = byKey.get(reqs[i]!.key) ?? [];
      }
      return out;
    },
    { cacheKeyFn: (r) => `${r.key}|${r.since}|${Boolean(r.summary)}` },
  );

  return {
    component,
    operation,
    operationsOf,
    dependencies: traverseLoader(graph, timeoutMs, DEPENDS_ON_WALKS),
    calls: traverseLoader(graph, timeoutMs, { full: { out: CALLS_OUT, in: CALLS_IN } }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
