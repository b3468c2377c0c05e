/**
 * What changed since a time, from the firstSeen/lastSeen every node and relationship carries: new
 * components, edges, operations and library versions, and edges that stopped.
 */
import { resolveOffsetConnection } from '@pothos/plugin-relay';
import neo4j from 'neo4j-driver';
import { parseDuration } from '../../../core/config.js';
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import { pageCost } from '../cost.js';
import { userError } from '../errors.js';
import type { ComponentRecord, OperationRecord } from '../loaders.js';
import { readRows } from '../read.js';
import { ComponentRef } from './component.js';
import { OperationRef } from './operation.js';

export const ChangeKind = {
  NEW_COMPONENT: 'NEW_COMPONENT',
  NEW_EDGE: 'NEW_EDGE',
  NEW_OPERATION: 'NEW_OPERATION',
  NEW_LIBRARY_VERSION: 'NEW_LIBRARY_VERSION',
  EDGE_STOPPED: 'EDGE_STOPPED',
} as const;
type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];

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
  subject: string;
}

/**
 * One statement for every kind of change. `$keys` (optional) keeps only changes touching those
 * components, which is how an incident's context asks about a service and its neighbours. Each
 * branch is cut to the newest `$limit` itself, so that the firstSeen indexes can serve it in order.
 */
export const CHANGES = `
CALL () {
  MATCH (c:Component)
  WHERE c.firstSeen >= $since AND ($environment IS NULL OR c.environment = $environment)
    AND ($keys IS NULL OR c.key IN $keys)
  RETURN 'NEW_COMPONENT' AS kind, c.firstSeen AS at, c.environment AS environment, c.key AS component,
         null AS from, null AS to, null AS operation, null AS library, null AS version,
         c.name + ' (' + toLower(c.kind) + ')' AS subject
  ORDER BY at DESC LIMIT $limit
  UNION ALL
  MATCH (a:Component)-[r:DEPENDS_ON]->(b:Component)
  WHERE r.firstSeen >= $since AND ($environment IS NULL OR a.environment = $environment)
    AND ($keys IS NULL OR a.key IN $keys OR b.key IN $keys)
  RETURN 'NEW_EDGE' AS kind, r.firstSeen AS at, a.environment AS environment, null AS component,
         a.key AS from, b.key AS to, null AS operation, null AS library, null AS version,
         a.name + ' -> ' + b.name AS subject
  ORDER BY at DESC LIMIT $limit
  UNION ALL
  MATCH (a:Component)-[r:DEPENDS_ON]->(b:Component)
  WHERE r.lastSeen >= $since AND r.lastSeen < $quietBefore
    AND ($environment IS NULL OR a.environment = $environment)
    AND ($keys IS NULL OR a.key IN $keys OR b.key IN $keys)
  RETURN 'EDGE_STOPPED' AS kind, r.lastSeen AS at, a.environment AS environment, null AS component,
         a.key AS from, b.key AS to, null AS operation, null AS library, null AS version,
         a.name + ' -> ' + b.name AS subject
  ORDER BY at DESC LIMIT $limit
  UNION ALL
  MATCH (c:Component)-[:HAS_OPERATION]->(o:Operation)
  WHERE o.firstSeen >= $since AND ($environment IS NULL OR c.environment = $environment)
    AND ($keys IS NULL OR c.key IN $keys)
  RETURN 'NEW_OPERATION' AS kind, o.firstSeen AS at, c.environment AS environment, c.key AS component,
         null AS from, null AS to, o.key AS operation, null AS library, null AS version,
         c.name + ': ' + o.name AS subject
  ORDER BY at DESC LIMIT $limit
  UNION ALL
  MATCH (s:Service)-[u:USES]->(l:Library)
  WHERE u.firstSeen >= $since AND ($environment IS NULL OR s.environment = $environment)
    AND ($keys IS NULL OR s.key IN $keys)
  RETURN 'NEW_LIBRARY_VERSION' AS kind, u.firstSeen AS at, s.environment AS environment, s.key AS component,
         null AS from, null AS to, null AS operation, l.name AS library, u.version AS version,
         s.name + ' uses ' + l.name + ' ' + u.version AS subject
  ORDER BY at DESC LIMIT $limit
}
RETURN kind, at, environment, component, from, to, operation, library, version, subject
ORDER BY at DESC, kind, subject
LIMIT $limit`;

export const MAX_CHANGES = 1000;

export async function loadChanges(
  ctx: Context,
  q: { since: number; environment: string | null; keys: string[] | null; quietForMs: number; first: number },
): Promise<ChangeRecord[]> {
  if (!Number.isInteger(q.first) || q.first < 1 || q.first > MAX_CHANGES) {
    throw userError(`first must be between 1 and ${MAX_CHANGES}, got ${q.first}`);
  }
  return readRows<ChangeRecord>(ctx, 'changes', CHANGES, {
    since: q.since,
    environment: q.environment,
    keys: q.keys,
    quietBefore: ctx.now - q.quietForMs,
    limit: neo4j.int(q.first),
  });
}

/** A duration argument such as 15m, or a BAD_USER_INPUT error naming it. */
export function durationArg(name: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw userError(`${name} must be a duration like 30s, 15m, 24h or 7d, got "${text}"`);
  return ms;
}

export const ChangeKindEnum = builder.enumType('ChangeKind', { values: Object.values(ChangeKind) });

const optionalComponent = async (ctx: Context, key: string | null): Promise<ComponentRecord | null> =>
  key ? ctx.loaders.component.load(key) : null;

export const ChangeRef = builder.objectRef<ChangeRecord>('Change').implement({
  description: 'Something that appeared or stopped: what (`kind`), a readable `subject`, and when (`at`).',
  fields: (t) => ({
    kind: t.field({ type: ChangeKindEnum, resolve: (c) => c.kind }),
    subject: t.exposeString('subject', { description: 'e.g. `checkout -> payments`, `checkout: POST /checkout`.' }),
    at: t.field({
      type: 'DateTime',
      description: 'When it was first seen; for EDGE_STOPPED, when it was last seen.',
      resolve: (c) => c.at,
    }),
    environment: t.exposeString('environment'),
    component: t.field({
      type: ComponentRef,
      nullable: true,
      description: 'The new component, the owner of a new operation, the service using a new library version.',
      resolve: (c, _a, ctx) => optionalComponent(ctx, c.component),
    }),
    from: t.field({ type: ComponentRef, nullable: true, resolve: (c, _a, ctx) => optionalComponent(ctx, c.from) }),
    to: t.field({ type: ComponentRef, nullable: true, resolve: (c, _a, ctx) => optionalComponent(ctx, c.to) }),
    operation: t.field({
      type: OperationRef,
      nullable: true,
      resolve: (c, _a, ctx): Promise<OperationRecord | null> | null =>
        c.operation ? ctx.loaders.operation.load(c.operation) : null,
    }),
    library: t.string({ nullable: true, resolve: (c) => c.library }),
    version: t.string({ nullable: true, resolve: (c) => c.version }),
  }),
});

builder.queryField('changes', (t) =>
  t.field({
    type: [ChangeRef],
    description:
      'What changed since `since`, newest first: new components, edges, operations and library versions (by firstSeen), and edges that stopped (last seen after `since` but not within `quietFor`, default the live window). At most `first`.',
    args: {
      since: t.arg({ type: 'DateTime', required: true }),
      environment: t.arg.string({ required: false }),
      quietFor: t.arg.string({
        required: false,
        description: 'How long an edge must be silent to count as stopped, e.g. 1h.',
      }),
      first: t.arg.int({ required: true, defaultValue: 200 }),
    },
    resolve: (_root, args, ctx) =>
      loadChanges(ctx, {
        since: args.since.getTime(),
        environment: args.environment ?? null,
        keys: null,
        quietForMs: args.quietFor ? durationArg('quietFor', args.quietFor) : ctx.settings.liveWindowMs,
        first: args.first,
      }),
  }),
);

builder.queryField('changeConnection', (t) =>
  t.connection({
    type: ChangeRef,
    description: `The same changes as \`changes\`, newest first, as a relay connection (at most ${MAX_CHANGES} in all).`,
    complexity: pageCost,
    args: {
      since: t.arg({ type: 'DateTime', required: true }),
      environment: t.arg.string({ required: false }),
      quietFor: t.arg.string({ required: false, description: 'As on `changes`.' }),
    },
    resolve: (_root, args, ctx) =>
      resolveOffsetConnection({ args, defaultSize: 100, maxSize: MAX_CHANGES }, async ({ limit, offset }) => {
        const upTo = Math.min(offset + limit, MAX_CHANGES);
        if (offset >= upTo) return [];
        const rows = await loadChanges(ctx, {
          since: args.since.getTime(),
          environment: args.environment ?? null,
          keys: null,
          quietForMs: args.quietFor ? durationArg('quietFor', args.quietFor) : ctx.settings.liveWindowMs,
          first: upTo,
        });
        return rows.slice(offset);
      }),
  }),
);
