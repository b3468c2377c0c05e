/** Reads of the map as a whole: an environment's components and DEPENDS_ON edges, and the graph paths are found in. */
import type { Context } from '../context.js';
import { componentProjection, type ComponentRecord } from './projections.js';

export interface TopologyEdge {
  from: string;
  to: string;
  calls: number;
  errors: number;
  /** calls counted only because their half expired unpaired (docs/ingest.md, "Late halves") */
  unpaired: number;
  protocols: string[];
  firstSeen: number;
  lastSeen: number;
}

export interface Topology {
  nodes: ComponentRecord[];
  edges: TopologyEdge[];
}

export const TOPOLOGY_NODES = `
MATCH (c:Component)
WHERE c.lastSeen >= $since AND ($environment IS NULL OR c.environment = $environment)
RETURN ${componentProjection('c')} AS c
ORDER BY c.environment, c.kind, c.name`;

export const TOPOLOGY_EDGES = `
MATCH (a:Component)-[r:DEPENDS_ON]->(b:Component)
WHERE r.lastSeen >= $since AND ($environment IS NULL OR a.environment = $environment)
RETURN a.key AS from, b.key AS to, r.calls AS calls, r.errors AS errors, r.protocols AS protocols,
       r.firstSeen AS firstSeen, r.lastSeen AS lastSeen, coalesce(r.unpaired, 0) AS unpaired
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
