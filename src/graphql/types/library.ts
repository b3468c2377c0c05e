/** Libraries (instrumentation scopes, OTel SDKs, runtimes, configured version attributes) and where each version runs. */
import { resolveArrayConnection } from '@pothos/plugin-relay';
import { builder } from '../builder.js';
import { sinceMs } from '../context.js';
import { pageCost } from '../cost.js';
import type { ComponentRecord } from '../loaders.js';
import { readRows } from '../read.js';
import { ServiceRef } from './component.js';

interface LibraryVersionRecord {
  version: string;
  services: ComponentRecord[];
  firstSeen: number;
  lastSeen: number;
}

export const LIBRARY = `
MATCH (l:Library {name: $name})
RETURN l.name AS name, l.kind AS kind`;

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

const LibraryRef = builder.objectRef<{ name: string; kind: string | null }>('Library').implement({
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
        readRows<LibraryVersionRecord>(ctx, 'library-versions', LIBRARY_VERSIONS, {
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
    resolve: async (_root, args, ctx) =>
      (await readRows<{ name: string; kind: string | null }>(ctx, 'library', LIBRARY, { name: args.name }))[0] ?? null,
  }),
);
