/** The libraries a service runs, with their versions: the "what is deployed here" side of `library(name:)`. */
import { builder } from '../builder.js';
import { sinceMs } from '../context.js';
import type { LibraryUse } from '../data/loaders.js';
import type { ComponentRecord } from '../data/projections.js';
import { ServiceRef } from './component.js';
import { LIBRARY_KIND } from './library.js';

const LibraryUseRef = builder.objectRef<LibraryUse>('LibraryUse').implement({
  description: 'One library version a service runs (instrumentation scope, OTel SDK, runtime or configured attribute).',
  fields: (t) => ({
    name: t.exposeString('name'),
    kind: t.exposeString('kind', { nullable: true, description: LIBRARY_KIND }),
    version: t.exposeString('version'),
    firstSeen: t.field({ type: 'DateTime', resolve: (u) => u.firstSeen }),
    lastSeen: t.field({ type: 'DateTime', resolve: (u) => u.lastSeen }),
  }),
});

builder.objectField(ServiceRef, 'libraries', (t) =>
  t.field({
    type: [LibraryUseRef],
    description: 'Libraries and versions this service runs, seen in the window.',
    args: { since: t.arg({ type: 'DateTime', required: false, description: 'Seen since; default: the live window.' }) },
    resolve: (s: ComponentRecord, args, ctx) =>
      ctx.loaders.librariesOf.load({ key: s.key, since: sinceMs(ctx, args.since) }),
  }),
);
