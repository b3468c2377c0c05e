/**
 * Reads around one service for an incident: owners and exemplar traces, its health from its entry
 * operations' rings, its direct neighbours' edges, the changes touching them, its sampled traces;
 * and the tag counts its error correlations are computed from.
 */
import type { Context } from '../context.js';
import { windowFigures, type WindowFigures } from '../measure.js';
import { catalogOwners } from './catalog.js';
import { loadChanges } from './changes.js';
import { sampledTraces } from './operations.js';
import { componentProjection, EDGE, type ComponentRecord, type MeasureRecord } from './projections.js';
import type { Direction } from './traversal.js';

/** Tag keys whose values name who owns a service. */
export const OWNER_KEYS = ['owner', 'team', 'service.owner', 'service.team'];
export const MAX_EXEMPLARS = 10;

/** Owners (tags, then the catalog's), and exemplar trace ids from the CALLS edges in and out of the service's operations, failing edges first. */
export const INCIDENT_FACTS = `
MATCH (s:Component:Service {key: $key})
CALL (s) {
  OPTIONAL MATCH (s)-[:HAS_OPERATION]->(:Operation)-[r:CALLS]-(:Operation)
  WHERE r.lastSeen >= $since
  WITH r ORDER BY r.errors DESC, r.lastSeen DESC
  RETURN collect(r.exemplars) AS exemplars
}
RETURN [(s)-[:TAGGED]->(t:Tag) WHERE t.key IN $ownerKeys | {key: t.key, value: t.value}] + ${catalogOwners('s')} AS owners,
       exemplars`;

/** One service's incident: `since` bounds the health figures, `changesSince` the changes. */
export interface Incident {
  service: ComponentRecord;
  windowMs: number;
  since: number;
  changesSince: number;
}

export interface IncidentFacts {
  owners: { key: string; value: string }[];
  exemplars: string[];
}

/** What several fields of one incident read, read once for it. */
function perIncident<T>(read: (ctx: Context, i: Incident) => Promise<T>) {
  const done = new WeakMap<Incident, Promise<T>>();
  return (ctx: Context, i: Incident): Promise<T> => {
    let p = done.get(i);
    if (!p) done.set(i, (p = read(ctx, i)));
    return p;
  };
}

/** Facts are read once per incident and shared by the fields that need them. */
export const incidentFacts = perIncident(async (ctx, i): Promise<IncidentFacts> => {
  const [row] = await ctx.reader.rows<{ owners: IncidentFacts['owners']; exemplars: string[][] }>(
    'incident',
    INCIDENT_FACTS,
    { key: i.service.key, since: i.since, ownerKeys: OWNER_KEYS },
  );
  return {
    owners: row?.owners ?? [],
    exemplars: [...new Set((row?.exemplars ?? []).flat())].slice(0, MAX_EXEMPLARS),
  };
});

/** Requests the service served (its SERVER and CONSUMER operations) in the window. */
export async function incidentHealth(ctx: Context, i: Incident): Promise<WindowFigures> {
  const ops = await ctx.loaders.operationsOf.load({ key: i.service.key, since: i.since });
  const total = { calls: 0, errors: 0, latSum: 0 };
  for (const o of ops.filter((o) => o.kind === 'SERVER' || o.kind === 'CONSUMER')) {
    const f = windowFigures(o, i.windowMs, ctx.now);
    total.calls += f.calls;
    total.errors += f.errors;
    total.latSum += f.latSum;
  }
  return total;
}

export interface Neighbour extends WindowFigures {
  key: string;
  latency: MeasureRecord;
  lastSeen: number;
}

const neighbourRows = (edge: string) => `COLLECT {
    MATCH (s)${edge}(n:Component)
    WHERE r.lastSeen >= $since AND n <> s
    RETURN {key: n.key, edge: ${EDGE}, component: ${componentProjection('n')}}
  }`;

/**
 * The components directly up- and downstream of `$key` over edges seen since `$since`, each with its
 * edge's whole measure (the window figures are read from its rings) and the component as the
 * component loader reads it. One round trip where a depth-1 walk each way and then the components
 * reached took two after each other.
 */
export const INCIDENT_NEIGHBOURS = `
MATCH (s:Component {key: $key})
RETURN ${neighbourRows('<-[r:DEPENDS_ON]-')} AS upstream,
  ${neighbourRows('-[r:DEPENDS_ON]->')} AS downstream`;

type NeighbourRow = { key: string; edge: MeasureRecord; component: ComponentRecord };

const neighboursOf = perIncident(async (ctx, i): Promise<Record<Direction, NeighbourRow[]>> => {
  const [row] = await ctx.reader.rows<{ upstream: NeighbourRow[]; downstream: NeighbourRow[] }>(
    'incident-neighbours',
    INCIDENT_NEIGHBOURS,
    { key: i.service.key, since: i.since },
  );
  const found = { in: row?.upstream ?? [], out: row?.downstream ?? [] };
  for (const n of [...found.in, ...found.out]) ctx.loaders.component.prime(n.key, n.component);
  return found;
});

/** The components directly up- or downstream, with their edge's figures in the window, most errors first. */
export async function neighbours(ctx: Context, i: Incident, direction: Direction): Promise<Neighbour[]> {
  return (await neighboursOf(ctx, i))[direction]
    .map(({ key, edge }) => ({
      key,
      ...windowFigures(edge, i.windowMs, ctx.now),
      latency: edge,
      lastSeen: edge.lastSeen,
    }))
    .sort((a, b) => b.errors - a.errors || b.calls - a.calls || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Changes touching the service or its direct neighbours since `changesSince`, newest first. */
export function changesAround(ctx: Context, i: Incident) {
  return loadChanges(ctx, {
    since: i.changesSince,
    environment: i.service.environment,
    around: i.service.key,
    quietForMs: i.windowMs,
    first: 100,
  });
}

/** Sampled traces through the service's operations in the window, failing ones first. */
export async function incidentTraces(ctx: Context, i: Incident) {
  const ops = await ctx.loaders.operationsOf.load({ key: i.service.key, since: i.since });
  // Failing ones asked for on their own, so that busy successes cannot push them out.
  const asks = ops.flatMap((o) =>
    [true, false].map((errorsOnly) => sampledTraces(ctx, o.key, MAX_EXEMPLARS, errorsOnly)),
  );
  const samples = (await Promise.all(asks)).flat();
  const unique = [...new Map(samples.map((s) => [s.traceId, s])).values()];
  return unique
    .filter((s) => s.lastSeen >= i.since)
    .sort((a, b) => Number(b.error) - Number(a.error) || b.lastSeen - a.lastSeen)
    .slice(0, MAX_EXEMPLARS);
}

/**
 * The service's requests (its SERVER/CONSUMER operations) and, per tag value seen on those
 * operations in the window, how many of them carried it and how many of those failed. Both are
 * totals since first seen: TAGGED keeps no time buckets, so the window only selects live values.
 */
export const CORRELATION_COUNTS = `
MATCH (s:Component:Service {key: $key})-[:HAS_OPERATION]->(o:Operation)
WHERE o.kind IN ['SERVER', 'CONSUMER']
WITH collect(o) AS ops, sum(o.calls) AS calls, sum(o.errors) AS errors
CALL (ops) {
  UNWIND ops AS o
  MATCH (o)-[r:TAGGED]->(t:Tag)
  WHERE r.lastSeen >= $since
  WITH t, sum(r.calls) AS calls, sum(r.errors) AS errors
  RETURN collect({key: t.key, value: t.value, calls: calls, errors: errors}) AS values
}
RETURN calls, errors, values`;

export interface TagCounts {
  calls: number;
  errors: number;
  values: { key: string; value: string; calls: number; errors: number }[];
}

export async function correlationCounts(ctx: Context, serviceKey: string, since: number): Promise<TagCounts> {
  const [row] = await ctx.reader.rows<TagCounts>('correlations', CORRELATION_COUNTS, { key: serviceKey, since });
  return { calls: row?.calls ?? 0, errors: row?.errors ?? 0, values: row?.values ?? [] };
}
