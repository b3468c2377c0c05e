/**
 * Reads of the map as a whole: an environment's components and DEPENDS_ON edges (live in a window,
 * or in one hour of the past, or what differs between two hours), and the graph paths are found in.
 */
import { HOUR_MS } from '../../../core/model.js';
import type { Context } from '../context.js';
import { declaredEdgeExists } from './catalog.js';
import { componentProjection, type ComponentRecord } from './projections.js';

export interface TopologyEdge {
  from: string;
  to: string;
  calls: number;
  errors: number;
  /** calls counted only because their half expired unpaired (docs/ingest.md, "Late halves") */
  unpaired: number;
  protocols: string[];
  /** which sources saw it (ingest/presence.ts: otlp, zipkin, import), and declared when the catalog declares it (data/catalog.ts) */
  sources: string[];
  firstSeen: number;
  lastSeen: number;
}

/** An hour of presence (docs/model.md, "Presence and provenance"): [start, end) in Unix ms. */
export interface Period {
  start: number;
  end: number;
}

export interface Topology {
  nodes: ComponentRecord[];
  edges: TopologyEdge[];
  /** the hour shown, when the topology is of a point in time */
  period?: Period;
}

export const periodOf = (at: number): Period => {
  const start = Math.floor(at / HOUR_MS) * HOUR_MS;
  return { start, end: start + HOUR_MS };
};

/**
 * Whether `x` (a component or DEPENDS_ON edge) was live in the hour bound as `$<p>Hour`. What was
 * written before presence was kept has no hours: it counts as live between its first and last sighting.
 */
const LIVE = (x: string, p: string) =>
  `CASE WHEN ${x}.hours IS NULL THEN ${x}.firstSeen < $${p}End AND ${x}.lastSeen >= $${p}Start ELSE $${p}Hour IN ${x}.hours END`;

const hourParams = (p: string, period: Period) => ({
  [`${p}Hour`]: period.start / HOUR_MS,
  [`${p}Start`]: period.start,
  [`${p}End`]: period.end,
});

const EDGE_COLUMNS = `a.key AS from, b.key AS to, r.calls AS calls, r.errors AS errors, r.protocols AS protocols,
       coalesce(r.sources, []) + CASE WHEN ${declaredEdgeExists('a', 'b')} THEN ['declared'] ELSE [] END AS sources,
       r.firstSeen AS firstSeen, r.lastSeen AS lastSeen,
       coalesce(r.unpaired, 0) AS unpaired`;

const nodesWhere = (where: string) => `
MATCH (c:Component)
WHERE ${where} AND ($environment IS NULL OR c.environment = $environment)
RETURN ${componentProjection('c')} AS c
ORDER BY c.environment, c.kind, c.name`;

const edgesWhere = (where: string) => `
MATCH (a:Component)-[r:DEPENDS_ON]->(b:Component)
WHERE ${where} AND ($environment IS NULL OR a.environment = $environment)
RETURN ${EDGE_COLUMNS}
ORDER BY a.name, b.name`;

export const TOPOLOGY_NODES = nodesWhere('c.lastSeen >= $since');
export const TOPOLOGY_EDGES = edgesWhere('r.lastSeen >= $since');

/** Live in the hour of `at`; the lastSeen bound lets the index skip what ended before that hour. */
export const TOPOLOGY_NODES_AT = nodesWhere(`c.lastSeen >= $atStart AND ${LIVE('c', 'at')}`);
export const TOPOLOGY_EDGES_AT = edgesWhere(`r.lastSeen >= $atStart AND ${LIVE('r', 'at')}`);

/** Components live in exactly one of the two hours; `added` when that is the `to` hour. */
export const TOPOLOGY_DIFF_NODES = `
MATCH (c:Component)
WHERE c.lastSeen >= $earliest AND ($environment IS NULL OR c.environment = $environment)
WITH c, ${LIVE('c', 'from')} AS atFrom, ${LIVE('c', 'to')} AS atTo
WHERE atFrom <> atTo
RETURN ${componentProjection('c')} AS c, atTo AS added
ORDER BY c.environment, c.kind, c.name`;

/** Edges live in exactly one of the two hours, with both ends (which may be live in neither). */
export const TOPOLOGY_DIFF_EDGES = `
MATCH (a:Component)-[r:DEPENDS_ON]->(b:Component)
WHERE r.lastSeen >= $earliest AND ($environment IS NULL OR a.environment = $environment)
WITH a, r, b, ${LIVE('r', 'from')} AS atFrom, ${LIVE('r', 'to')} AS atTo
WHERE atFrom <> atTo
RETURN ${EDGE_COLUMNS}, atTo AS added, ${componentProjection('a')} AS fromEnd, ${componentProjection('b')} AS toEnd
ORDER BY a.name, b.name`;

/** The edges among the environments where `from` lives, and the keys of both ends' candidates. */
export const PATH_GRAPH = `
MATCH (a:Component {name: $from})
WHERE $environment IS NULL OR a.environment = $environment
WITH collect(a.key) AS starts, collect(DISTINCT a.environment) AS environments
CALL (environments) {
  OPTIONAL MATCH (b:Component {name: $to})
  WHERE b.environment IN environments
  RETURN collect(b.key) AS targets
}
CALL (environments) {
  OPTIONAL MATCH (x:Component)-[r:DEPENDS_ON]->(y:Component)
  WHERE r.lastSeen >= $since AND x.environment IN environments
  RETURN collect([x.key, y.key]) AS edges
}
RETURN starts, targets, edges`;

/** Nodes and edges in one read transaction, so that both come from the same state of the graph. */
export function readTopology(ctx: Context, environment: string | null, since: number): Promise<Topology> {
  return ctx.reader.transaction('topology', async (run) => {
    const params = { environment, since };
    const nodes = (await run<{ c: ComponentRecord }>(TOPOLOGY_NODES, params)).map((r) => r.c);
    const edges = await run<TopologyEdge>(TOPOLOGY_EDGES, params);
    // An edge is seen no later than its ends, so its ends are among the nodes; a guard costs nothing.
    const present = new Set(nodes.map((n) => n.key));
    return { nodes, edges: edges.filter((e) => present.has(e.from) && present.has(e.to)) };
  });
}

/** The components and edges live in the hour of `at`. */
export function readTopologyAt(ctx: Context, environment: string | null, at: number): Promise<Topology> {
  const period = periodOf(at);
  return ctx.reader.transaction('topology', async (run) => {
    const params = { environment, ...hourParams('at', period) };
    const nodes = (await run<{ c: ComponentRecord }>(TOPOLOGY_NODES_AT, params)).map((r) => r.c);
    const edges = await run<TopologyEdge>(TOPOLOGY_EDGES_AT, params);
    // An edge live in an hour has both ends live in it (the ends of every edge row are written as present).
    const present = new Set(nodes.map((n) => n.key));
    return { nodes, edges: edges.filter((e) => present.has(e.from) && present.has(e.to)), period };
  });
}

export interface TopologyDiff {
  from: Period;
  to: Period;
  addedComponents: ComponentRecord[];
  removedComponents: ComponentRecord[];
  added: TopologyEdge[];
  removed: TopologyEdge[];
  /** both ends of every edge listed, by key */
  ends: Map<string, ComponentRecord>;
}

/** What was live in the hour of `to` and not in the hour of `from` (added), and the reverse (removed). */
export function readTopologyDiff(
  ctx: Context,
  environment: string | null,
  from: number,
  to: number,
): Promise<TopologyDiff> {
  const periods = { from: periodOf(from), to: periodOf(to) };
  return ctx.reader.transaction('topologyDiff', async (run) => {
    const params = {
      environment,
      earliest: Math.min(periods.from.start, periods.to.start),
      ...hourParams('from', periods.from),
      ...hourParams('to', periods.to),
    };
    const nodes = await run<{ c: ComponentRecord; added: boolean }>(TOPOLOGY_DIFF_NODES, params);
    const edges = await run<TopologyEdge & { added: boolean; fromEnd: ComponentRecord; toEnd: ComponentRecord }>(
      TOPOLOGY_DIFF_EDGES,
      params,
    );
    const ends = new Map<string, ComponentRecord>();
    for (const e of edges) ends.set(e.fromEnd.key, e.fromEnd).set(e.toEnd.key, e.toEnd);
    const strip = ({ added: _a, fromEnd: _f, toEnd: _t, ...edge }: (typeof edges)[number]): TopologyEdge => edge;
    return {
      ...periods,
      addedComponents: nodes.filter((n) => n.added).map((n) => n.c),
      removedComponents: nodes.filter((n) => !n.added).map((n) => n.c),
      added: edges.filter((e) => e.added).map(strip),
      removed: edges.filter((e) => !e.added).map(strip),
      ends,
    };
  });
}

export interface PathGraph {
  starts: string[];
  targets: string[];
  edges: [string, string][];
}

export async function readPathGraph(
  ctx: Context,
  q: { from: string; to: string; environment: string | null; since: number },
): Promise<PathGraph | undefined> {
  const [graph] = await ctx.reader.rows<PathGraph>('paths', PATH_GRAPH, q);
  return graph;
}
