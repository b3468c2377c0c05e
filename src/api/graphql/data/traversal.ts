/**
 * Walks over DEPENDS_ON (components) and CALLS (operations): breadth-first, one statement per level
 * for all roots of the request together, all levels in one read transaction. The cost grows with
 * depth, never with the number of roots, and each node is reached once, by its shortest path.
 */
import type { MeasureRecord } from './projections.js';
import { CALL_EDGE, EDGE, EDGE_SUMMARY } from './projections.js';
import type { Params, Reader, Run } from './reader.js';

export interface Hop {
  depth: number;
  /** the key reached */
  key: string;
  /** the key it was reached from */
  via: string;
  /** keys from the root to this one, both included */
  path: string[];
  /** the edge reached it: `via` → `key` walking out, `key` → `via` walking in */
  edgeFrom: string;
  edgeTo: string;
  /** CALLS edges also carry a few recent trace ids that took them */
  edge: MeasureRecord & { exemplars?: string[] };
  /** the name and kind of the component reached, when the walk read them (summary walks) */
  named?: { name: string; kind: string };
}

export type Direction = 'out' | 'in';

/** How much of each edge a walk reads: all of it, its summary, or nothing (only what it reached). */
export type WalkWeight = 'full' | 'summary' | 'named';

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

/**
 * One level of a walk: from every key of `$frontier` over one edge type in one direction, the edges
 * seen since `$since`, each returned as `returns` says.
 */
function levelStatement(label: string, type: string, direction: Direction, returns: string): string {
  const edge = direction === 'out' ? `-[r:${type}]->` : `<-[r:${type}]-`;
  return `
UNWIND range(0, size($frontier) - 1) AS from
MATCH (:${label} {key: $frontier[from]})${edge}(next:${label})
WHERE r.lastSeen >= $since
RETURN from, next.key AS to, ${returns}`;
}

/**
 * Opens a statement about a component and its direct neighbours: `keys` holds the key `$key` and the
 * keys of the components it called or was called by since `$since` (what a depth-1 walk each way
 * reaches), for the statement to go on from, in one round trip where the walks took two more first.
 */
export const WITH_NEIGHBOUR_KEYS = `
MATCH (s:Component {key: $key})
WITH [s.key] + COLLECT { MATCH (s)-[r:DEPENDS_ON]-(n:Component) WHERE r.lastSeen >= $since RETURN n.key } AS keys`;

type WalkStatements = Record<Direction, string>;
const bothWays = (label: string, type: string, returns: string): WalkStatements => ({
  out: levelStatement(label, type, 'out', returns),
  in: levelStatement(label, type, 'in', returns),
});

/**
 * Summary walks return keys, names, kinds and the four edge figures. A query that asks no more of
 * the components reached is answered from that; otherwise the component DataLoader reads each one
 * once. Returning each row's whole component from the walk (until the query-profile measurements)
 * read and shipped it once per edge: half again the walk's time.
 */
export const DEPENDS_ON_WALKS: Record<WalkWeight, WalkStatements> = {
  full: bothWays('Component', 'DEPENDS_ON', `${EDGE} AS edge`),
  summary: bothWays('Component', 'DEPENDS_ON', `next.name AS name, next.kind AS kind, ${EDGE_SUMMARY} AS edge`),
  /** Walks whose hops are asked for no edge figure (`dependents { depth component { name } }`). */
  named: bothWays('Component', 'DEPENDS_ON', `next.name AS name, next.kind AS kind`),
};

/** CALLS walks are read whole: a transaction's path is short, and every hop shows its latency. */
export const CALLS_WALKS: Partial<Record<WalkWeight, WalkStatements>> & { full: WalkStatements } = {
  full: bothWays('Operation', 'CALLS', `${CALL_EDGE} AS edge`),
};

/** The lightest walk statement that still reads what the request needs. */
export function walkStatement(
  walks: Partial<Record<WalkWeight, WalkStatements>> & { full: WalkStatements },
  r: Pick<TraverseRequest, 'direction' | 'summary' | 'named'>,
): string {
  const set = (r.named && walks.named) || ((r.summary || r.named) && walks.summary) || walks.full;
  return set[r.direction];
}

/** The order a walk reports what one component reaches in: by key, so that every run reports the same. */
export const byTarget = (a: { to: string }, b: { to: string }) => (a.to < b.to ? -1 : a.to > b.to ? 1 : 0);

interface LevelRow {
  /** the index in the frontier of the key it was reached from: the key itself, long, came back with every row */
  from: number;
  to: string;
  /** absent in named walks: their hops are asked for no edge figure */
  edge?: MeasureRecord;
  name?: string;
  kind?: string;
}

type Root = { root: string; depth: number; direction: Direction };

/**
 * Breadth-first walk from many roots at once. For each root, every reachable key is reported once,
 * at its shortest depth, with the edge and the path that first reached it: rows come in no
 * particular order, so each root's frontier is gone through in key order, and among equally short
 * paths the smallest keys win, the same on every run. A hop is reported in that order too (by the key
 * it was reached from, then by its own key). Only the hops a key claims are sorted, not every row it
 * returned (a deep walk returns two to three rows for each component it reaches).
 */
async function walk(run: Run, cypher: string, roots: Root[], since: number): Promise<Hop[][]> {
  const maxDepth = Math.max(0, ...roots.map((r) => r.depth));
  const visited = roots.map((r) => new Map<string, Hop | null>([[r.root, null]]));
  const results: Hop[][] = roots.map(() => []);
  let frontiers = roots.map((r) => [r.root]);
  for (let depth = 1; depth <= maxDepth; depth++) {
    /** the keys asked for at this level, each once, and where each stands in `$frontier` */
    const asked: string[] = [];
    const position = new Map<string, number>();
    roots.forEach((r, i) => {
      if (depth > r.depth) return;
      for (const k of frontiers[i]!) {
        if (position.has(k)) continue;
        position.set(k, asked.length);
        asked.push(k);
      }
    });
    if (asked.length === 0) break;
    const rows = await run<LevelRow>(cypher, { frontier: asked, since });
    const reachedFrom: (LevelRow[] | undefined)[] = new Array(asked.length);
    for (const row of rows) (reachedFrom[row.from] ??= []).push(row);
    frontiers = roots.map((r, i) => {
      if (depth > r.depth) return [];
      const seen = visited[i]!;
      const out = r.direction === 'out';
      const newFrontier: string[] = [];
      for (const from of frontiers[i]!) {
        const reached = reachedFrom[position.get(from)!];
        if (!reached) continue;
        const parentPath = seen.get(from)?.path ?? [r.root];
        const claimed: Hop[] = [];
        for (const { to, edge, name, kind } of reached) {
          if (seen.has(to)) continue;
          const path = parentPath.slice();
          path.push(to);
          const hop: Hop = {
            depth,
            key: to,
            via: from,
            path,
            edgeFrom: out ? from : to,
            edgeTo: out ? to : from,
            edge: edge!,
            named: name === undefined ? undefined : { name, kind: kind! },
          };
          seen.set(to, hop);
          claimed.push(hop);
          newFrontier.push(to);
        }
        claimed.sort(byKey);
        for (const hop of claimed) results[i]!.push(hop);
      }
      return newFrontier.sort();
    });
  }
  return results;
}

const byKey = (a: Hop, b: Hop) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Walks from every root with one statement per level: one level on its own, more in one transaction. */
export function traverse(reader: Reader, cypher: string, roots: Root[], since: number): Promise<Hop[][]> {
  const depth = Math.max(0, ...roots.map((r) => r.depth));
  if (depth <= 1) {
    return walk((q, params) => reader.rows('traverse', q, params), cypher, roots, since);
  }
  return reader.transaction('traverse', (run) => walk(run, cypher, roots, since), { depth });
}

/**
 * A lookup and a walk from what it found, in one read transaction: `service(name:) { dependents(depth: 5) }`
 * was an auto-commit lookup, then a transaction for the walk, against one transaction for a client
 * that writes the Cypher itself. Resolves with the looked-up row (undefined: nothing found) and the hops.
 */
export function lookupAndWalk<T extends { key: string }>(
  reader: Reader,
  lookup: { cypher: string; params: Params; pick: (row: Record<string, unknown>) => T },
  request: Omit<TraverseRequest, 'root'>,
): Promise<{ found?: T; hops: Hop[] }> {
  const cypher = walkStatement(DEPENDS_ON_WALKS, request);
  return reader.transaction(
    'lookup+traverse',
    async (run) => {
      const [row] = await run<Record<string, unknown>>(lookup.cypher, lookup.params);
      if (!row) return { hops: [] };
      const found = lookup.pick(row);
      const root = { root: found.key, depth: request.depth, direction: request.direction };
      const [hops] = await walk(run, cypher, [root], request.since);
      return { found, hops: hops! };
    },
    { depth: request.depth },
  );
}
