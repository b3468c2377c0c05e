/** Tags: allow-listed attribute values, and where each was seen. */
import { resolveArrayConnection, resolveOffsetConnection } from '@pothos/plugin-relay';
import { builder } from '../builder.js';
import { sinceMs } from '../context.js';
import { pageCost } from '../cost.js';
import { tagValues, type TagValueRecord } from '../data/tags.js';
import { addServiceConnection, ServiceRef } from './component.js';
import { OperationRef } from './operation.js';

const TagValueRef = builder.objectRef<TagValueRecord>('TagValue').implement({
  fields: (t) => ({
    value: t.exposeString('value'),
    calls: t.int({ description: 'Requests (entry spans) that carried the value.', resolve: (v) => v.calls }),
    errors: t.int({ resolve: (v) => v.errors }),
    services: t.field({ type: [ServiceRef], resolve: (v) => v.services }),
    operations: t.field({ type: [OperationRef], resolve: (v) => v.operations }),
    operationConnection: t.connection({
      type: OperationRef,
      description: 'The same operations as `operations`, as a relay connection.',
      complexity: pageCost,
      resolve: (v, args) => resolveArrayConnection({ args }, v.operations),
    }),
    lastSeen: t.field({ type: 'DateTime', resolve: (v) => v.lastSeen }),
  }),
});

addServiceConnection(TagValueRef);

const TagRef = builder.objectRef<{ key: string }>('Tag').implement({
  fields: (t) => ({
    key: t.exposeString('key'),
    values: t.field({
      type: [TagValueRef],
      args: {
        first: t.arg.int({ required: true, defaultValue: 100 }),
        since: t.arg({ type: 'DateTime', required: false }),
      },
      resolve: (tag, args, ctx) =>
        tagValues(ctx, {
          key: tag.key,
          since: sinceMs(ctx, args.since),
          offset: 0,
          limit: Math.min(Math.max(args.first, 1), 1000),
        }),
    }),
    valueConnection: t.connection({
      type: TagValueRef,
      description: 'The same values as `values`, most used first, as a relay connection to page through many.',
      args: { since: t.arg({ type: 'DateTime', required: false }) },
      resolve: (tag, args, ctx) =>
        resolveOffsetConnection({ args, defaultSize: 100, maxSize: 1000 }, ({ limit, offset }) =>
          tagValues(ctx, { key: tag.key, since: sinceMs(ctx, args.since), offset, limit }),
        ),
    }),
  }),
});

builder.queryField('tag', (t) =>
  t.field({
    type: TagRef,
    description: 'An allow-listed attribute key, e.g. `client.version`, with the values seen.',
    args: { key: t.arg.string({ required: true }) },
    resolve: (_root, args) => ({ key: args.key }),
  }),
);
