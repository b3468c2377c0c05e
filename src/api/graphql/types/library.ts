/** Libraries (instrumentation scopes, OTel SDKs, runtimes, configured version attributes) and where each version runs. */
import { resolveArrayConnection } from '@pothos/plugin-relay';
import { builder } from '../builder.js';
import { sinceMs } from '../context.js';
import { pageCost } from '../cost.js';
import { childWith, fieldsNamed, selectsOnly } from '../look-ahead.js';
import type { ComponentRecord } from '../loaders.js';
import { readRows } from '../read.js';
import { NAMED_FIELDS, ServiceRef } from './component.js';

interface LibraryVersionRecord {
  version: string;
  services: ComponentRecord[];
  firstSeen: number;
  lastSeen: number;
}

export const LIBRARY = `
MATCH (l:Library {name: $name})
RETURN l.name AS name, l.kind AS kind`;

const withVersions = (service: string) => `
MATCH (l:Library {name: $name})
OPTIONAL MATCH (l)<-[u:USES]-(s:Service)
WHERE u.lastSeen >= $since
WITH l, u.version AS version, min(u.firstSeen) AS firstSeen, max(u.lastSeen) AS lastSeen,
     collect(${service}) AS services
ORDER BY version
RETURN l.name AS name, l.kind AS kind,
       collect(CASE WHEN version IS NULL THEN null ELSE { version: version, firstSeen: firstSeen, lastSeen: lastSeen, services: services } END) AS versions`;

/** The library and its versions in the live window, in one statement (when the query asks for both). */
export const LIBRARY_WITH_VERSIONS = withVersions(
  's { .key, .kind, .name, .environment, .namespace, .system, .address, .version, .firstSeen, .lastSeen }',
);

/**
 * The same, each service with only its key, kind and name: for queries that ask no more of them
 * (the usual "which services run which version"). Whole records of hundreds of services made the
 * statement twice as slow as the one a hand-written client would run.
 */
export const LIBRARY_WITH_VERSIONS_NAMED = withVersions('s { .key, .kind, .name }');

interface LibraryRecord {
  name: string;
  kind: string | null;
  /** versions in the live window, when the lookup read them too */
  versions?: LibraryVersionRecord[];
}

export const LIBRARY_VERSIONS = `
MATCH (l:Library {name: $name})<-[u:USES]-(s:Service)
WHERE u.lastSeen >= $since
WITH u.version AS version, min(u.firstSeen) AS firstSeen, max(u.lastSeen) AS lastSeen,
     collect(s { .key, .kind, .name, .environment, .namespace, .system, .address, .version, .firstSeen, .lastSeen }) AS services
RETURN version, firstSeen, lastSeen, services
ORDER BY version`;

const LibraryVersionRef = builder.objectRef<LibraryVersionRecord>('LibraryVersion').implement({
  fields: (t) => ({
    version: t.exposeString('version'),
    services: t.field({ type: [ServiceRef], resolve: (v) => v.services }),
    serviceConnection: t.connection({
      type: ServiceRef,
      description: 'The same services as `services`, as a relay connection.',
      complexity: pageCost,
      resolve: (v, args) => resolveArrayConnection({ args }, v.services),
    }),
    firstSeen: t.field({ type: 'DateTime', resolve: (v) => v.firstSeen }),
    lastSeen: t.field({ type: 'DateTime', resolve: (v) => v.lastSeen }),
  }),
});

const LibraryRef = builder.objectRef<LibraryRecord>('Library').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    kind: t.string({
      nullable: true,
      description: 'instrumentation, sdk, runtime or attribute',
      resolve: (l) => l.kind,
    }),
    versions: t.field({
      type: [LibraryVersionRef],
      args: { since: t.arg({ type: 'DateTime', required: false }) },
      resolve: (l, args, ctx) =>
        !args.since && l.versions
          ? l.versions
          : readRows<LibraryVersionRecord>(ctx, 'library-versions', LIBRARY_VERSIONS, {
              name: l.name,
              since: sinceMs(ctx, args.since),
            }),
    }),
  }),
});

builder.queryField('library', (t) =>
  t.field({
    type: LibraryRef,
    nullable: true,
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx, info) => {
      const versions = childWith(info, 'versions');
      const named =
        versions !== undefined &&
        fieldsNamed(info, versions, 'serviceConnection').length === 0 &&
        selectsOnly(info, NAMED_FIELDS, fieldsNamed(info, versions, 'services'));
      const [row] = versions
        ? await readRows<LibraryRecord>(ctx, 'library', named ? LIBRARY_WITH_VERSIONS_NAMED : LIBRARY_WITH_VERSIONS, {
            name: args.name,
            since: sinceMs(ctx, null),
          })
        : await readRows<LibraryRecord>(ctx, 'library', LIBRARY, { name: args.name });
      return row ?? null;
    },
  }),
);
