/** Libraries (instrumentation scopes, OTel SDKs, runtimes, configured version attributes) and where each version runs. */
import { builder } from '../builder.js';
import { sinceMs } from '../context.js';
import { findLibrary, libraryVersions, type LibraryRecord, type LibraryVersionRecord } from '../data/libraries.js';
import { childWith, fieldsAnsweredFrom, fieldsNamed, selectsOnly } from '../look-ahead.js';
import { addServiceConnection, ServiceRef } from './component.js';

const LibraryVersionRef = builder.objectRef<LibraryVersionRecord>('LibraryVersion').implement({
  fields: (t) => ({
    version: t.exposeString('version'),
    services: t.field({ type: [ServiceRef], resolve: (v) => v.services }),
    firstSeen: t.field({ type: 'DateTime', resolve: (v) => v.firstSeen }),
    lastSeen: t.field({ type: 'DateTime', resolve: (v) => v.lastSeen }),
  }),
});
addServiceConnection(LibraryVersionRef);

/** What a library's `kind` holds. */
export const LIBRARY_KIND = 'instrumentation, sdk, runtime or attribute';

const LibraryRef = builder.objectRef<LibraryRecord>('Library').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    kind: t.exposeString('kind', { nullable: true, description: LIBRARY_KIND }),
    versions: t.field({
      type: [LibraryVersionRef],
      args: { since: t.arg({ type: 'DateTime', required: false }) },
      resolve: (l, args, ctx) =>
        !args.since && l.versions ? l.versions : libraryVersions(ctx, l.name, sinceMs(ctx, args.since)),
    }),
  }),
});

builder.queryField('library', (t) =>
  t.field({
    type: LibraryRef,
    nullable: true,
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx, info) => {
      const versions = childWith(info, 'versions');
      const named =
        versions !== undefined &&
        fieldsNamed(info, versions, 'serviceConnection').length === 0 &&
        selectsOnly(
          info,
          fieldsAnsweredFrom(info.schema, 'Component', 'named'),
          fieldsNamed(info, versions, 'services'),
        );
      return findLibrary(ctx, {
        name: args.name,
        since: sinceMs(ctx, null),
        versions: versions === undefined ? false : named ? 'named' : 'whole',
      });
    },
  }),
);
