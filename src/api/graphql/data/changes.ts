/**
 * What changed since a time, from the firstSeen/lastSeen every node and relationship carries: new
 * components, edges, operations and library versions, and edges that stopped.
 */
import neo4j from 'neo4j-driver';
import type { Context } from '../context.js';
import { userError } from '../errors.js';
import { loadOwnerChanges, observedIn } from './catalog.js';
import { WITH_NEIGHBOUR_KEYS } from './traversal.js';

export const ChangeKind = {
  NEW_COMPONENT: 'NEW_COMPONENT',
  NEW_EDGE: 'NEW_EDGE',
  NEW_OPERATION: 'NEW_OPERATION',
  NEW_LIBRARY_VERSION: 'NEW_LIBRARY_VERSION',
  EDGE_STOPPED: 'EDGE_STOPPED',
  OWNER_CHANGED: 'OWNER_CHANGED',
} as const;
export type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];

export interface ChangeRecord {
  kind: ChangeKind;
  at: number;
  environment: string;
  component: string | null;
  from: string | null;
  to: string | null;
  operation: string | null;
  library: string | null;
  version: string | null;
  /** OWNER_CHANGED: the catalog's owner after and before */
  owner?: string | null;
  previousOwner?: string | null;
  subject: string;
}

/**
 * The DEPENDS_ON edges seen `when`: all of them, or (`keyed`) those touching a component of `keys`,
 * each once, found from the keys' own edges. Filtering all edges by key (`a.key IN $keys OR b.key IN
 * $keys`) ranged over the whole store's firstSeen and lastSeen indexes instead: 150,000 edges read
 * on the development store for one incident.
 */
const dependsOn = (keyed: boolean, when: string) =>
  keyed
    ? `MATCH (k:Component)-[r:DEPENDS_ON]-(:Component)
  WHERE k.key IN keys AND ${when}
  WITH DISTINCT r
  MATCH (a:Component)-[r]->(b:Component)
  WHERE ${observedIn('a')}`
    : `MATCH (a:Component)-[r:DEPENDS_ON]->(b:Component)
  WHERE ${when} AND ${observedIn('a')}`;

/** A DEPENDS_ON edge that started (`firstSeen` since) or stopped (`lastSeen` since, but quiet lately). */
const edgeChange = (keyed: boolean, kind: ChangeKind, at: string, when: string) => `
  ${dependsOn(keyed, when)}
  RETURN '${kind}' AS kind, ${at} AS at, a.environment AS environment, null AS component,
         a.key AS from, b.key AS to, null AS operation, null AS library, null AS version,
         a.name + ' -> ' + b.name AS subject
  ORDER BY at DESC LIMIT $limit`;

/**
 * One statement for every kind of change. `keyed`: only changes touching the component of `$key` and
 * its direct neighbours (`keys`, WITH_NEIGHBOUR_KEYS), which is what an incident's context lists; each
 * branch then starts from those keys (a unique-index seek each), where the statement for everything
 * starts from the firstSeen indexes. Each branch is cut to the newest `$limit` itself, so that those
 * indexes can serve it in order.
 */
function changesStatement(keyed: boolean): string {
  const ofKeys = (v: string) => (keyed ? `\n    AND ${v}.key IN keys` : '');
  return `${keyed ? WITH_NEIGHBOUR_KEYS : ''}
CALL (${keyed ? 'keys' : ''}) {
  MATCH (c:Component)
  WHERE c.firstSeen >= $since AND ${observedIn('c')}${ofKeys('c')}
  RETURN 'NEW_COMPONENT' AS kind, c.firstSeen AS at, c.environment AS environment, c.key AS component,
         null AS from, null AS to, null AS operation, null AS library, null AS version,
         c.name + ' (' + toLower(c.kind) + ')' AS subject
  ORDER BY at DESC LIMIT $limit
  UNION ALL${edgeChange(keyed, ChangeKind.NEW_EDGE, 'r.firstSeen', 'r.firstSeen >= $since')}
  UNION ALL${edgeChange(keyed, ChangeKind.EDGE_STOPPED, 'r.lastSeen', 'r.lastSeen >= $since AND r.lastSeen < $quietBefore')}
  UNION ALL
  MATCH (c:Component)-[:HAS_OPERATION]->(o:Operation)
  WHERE o.firstSeen >= $since AND ${observedIn('c')}${ofKeys('c')}
  RETURN 'NEW_OPERATION' AS kind, o.firstSeen AS at, c.environment AS environment, c.key AS component,
         null AS from, null AS to, o.key AS operation, null AS library, null AS version,
         c.name + ': ' + o.name AS subject
  ORDER BY at DESC LIMIT $limit
  UNION ALL
  MATCH (s:Component:Service)-[u:USES]->(l:Library)
  WHERE u.firstSeen >= $since AND ${observedIn('s')}${ofKeys('s')}
  RETURN 'NEW_LIBRARY_VERSION' AS kind, u.firstSeen AS at, s.environment AS environment, s.key AS component,
         null AS from, null AS to, null AS operation, l.name AS library, u.version AS version,
         s.name + ' uses ' + l.name + ' ' + u.version AS subject
  ORDER BY at DESC LIMIT $limit
}
RETURN kind, at, environment, component, from, to, operation, library, version, subject
ORDER BY at DESC, kind, subject
LIMIT $limit`;
}

/** Every change in the environment (or everywhere). */
export const CHANGES = changesStatement(false);

/** The changes touching the component of `$key` and its direct neighbours. */
export const CHANGES_AROUND = changesStatement(true);

export const MAX_CHANGES = 1000;

export async function loadChanges(
  ctx: Context,
  q: {
    since: number;
    environment: string | null;
    /** only what touches this component and its neighbours (edges seen since `since`); null: everything */
    around: string | null;
    quietForMs: number;
    first: number;
  },
): Promise<ChangeRecord[]> {
  if (!Number.isInteger(q.first) || q.first < 1 || q.first > MAX_CHANGES) {
    throw userError(`first must be between 1 and ${MAX_CHANGES}, got ${q.first}`);
  }
  const [observed, owners] = await Promise.all([
    ctx.reader.rows<ChangeRecord>('changes', q.around ? CHANGES_AROUND : CHANGES, {
      since: q.since,
      environment: q.environment,
      key: q.around,
      quietBefore: ctx.now - q.quietForMs,
      limit: neo4j.int(q.first),
    }),
    loadOwnerChanges(ctx, q),
  ]);
  if (owners.length === 0) return observed;
  // The catalog's owner changes, in the same order as CHANGES: newest first, then by kind and subject.
  const order = (c: ChangeRecord) => [-c.at, c.kind, c.subject] as const;
  return [...observed, ...owners]
    .sort((a, b) => {
      const [x, y] = [order(a), order(b)];
      return x[0] - y[0] || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0) || (x[2] < y[2] ? -1 : x[2] > y[2] ? 1 : 0);
    })
    .slice(0, q.first);
}
