/** What changed since a time: the `changes` and `changeConnection` questions and the Change type. */
import { resolveOffsetConnection } from '@pothos/plugin-relay';
import { durationArg } from '../args.js';
import { builder } from '../builder.js';
import type { Context } from '../context.js';
import { pageCost } from '../cost.js';
import { ChangeKind, loadChanges, MAX_CHANGES, type ChangeRecord } from '../data/changes.js';
import type { ComponentRecord, OperationRecord } from '../data/projections.js';
import { ComponentRef } from './component.js';
import { OperationRef } from './operation.js';

/** How long an edge must be silent to count as stopped: `quietFor`, else the live window. */
const quietForMs = (ctx: Context, quietFor: string | null | undefined) =>
  quietFor ? durationArg('quietFor', quietFor) : ctx.settings.liveWindowMs;

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
    owner: t.string({
      nullable: true,
      description: "OWNER_CHANGED: the catalog's owner now (an entity reference, e.g. `group:default/team-a`).",
      resolve: (c) => c.owner ?? null,
    }),
    previousOwner: t.string({
      nullable: true,
      description: "OWNER_CHANGED: the catalog's owner before.",
      resolve: (c) => c.previousOwner ?? null,
    }),
  }),
});

builder.queryField('changes', (t) =>
  t.field({
    type: [ChangeRef],
    description:
      'What changed since `since`, newest first: new components, edges, operations and library versions (by firstSeen), owners changed in the catalog, and edges that stopped (last seen after `since` but not within `quietFor`, default the live window). At most `first`.',
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
        around: null,
        quietForMs: quietForMs(ctx, args.quietFor),
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
          around: null,
          quietForMs: quietForMs(ctx, args.quietFor),
          first: upTo,
        });
        return rows.slice(offset);
      }),
  }),
);
