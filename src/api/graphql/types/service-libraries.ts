/** The libraries a service runs, with their versions: the "what is deployed here" side of `library(name:)`. */
import DataLoader from 'dataloader';
import { builder } from '../builder.js';
import { sinceMs, type Context } from '../context.js';
import type { ComponentRecord } from '../loaders.js';
import { readRows } from '../read.js';
import { ServiceRef } from './component.js';

interface LibraryUse {
  name: string;
  kind: string | null;
  version: string;
  firstSeen: number;
  lastSeen: number;
}

export const SERVICE_LIBRARIES = `
UNWIND $keys AS key
MATCH (s:Service {key: key})-[u:USES]->(l:Library)
WHERE u.lastSeen >= $since
RETURN key, collect({name: l.name, kind: l.kind, version: u.version, firstSeen: u.firstSeen, lastSeen: u.lastSeen}) AS uses`;

// One loader per request and per `since`: a list of services asks Neo4j once, not once per service.
const loaders = new WeakMap<Context, Map<number, DataLoader<string, LibraryUse[]>>>();

function loaderFor(ctx: Context, since: number): DataLoader<string, LibraryUse[]> {
  let bySince = loaders.get(ctx);
  if (!bySince) loaders.set(ctx, (bySince = new Map()));
  let loader = bySince.get(since);
  if (!loader) {
    loader = new DataLoader(async (keys) => {
      const rows = await readRows<{ key: string; uses: LibraryUse[] }>(ctx, 'service-libraries', SERVICE_LIBRARIES, {
        keys,
        since,
      });
      const byKey = new Map(rows.map((r) => [r.key, r.uses]));
      return keys.map((k) =>
        (byKey.get(k) ?? []).sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version)),
      );
    });
    bySince.set(since, loader);
  }
  return loader;
}

const LibraryUseRef = builder.objectRef<LibraryUse>('LibraryUse').implement({
  description: 'One library version a service runs (instrumentation scope, OTel SDK, runtime or configured attribute).',
  fields: (t) => ({
    name: t.exposeString('name'),
    kind: t.string({
      nullable: true,
      description: 'instrumentation, sdk, runtime or attribute',
      resolve: (u) => u.kind,
    }),
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
    resolve: (s: ComponentRecord, args, ctx) => loaderFor(ctx, sinceMs(ctx, args.since)).load(s.key),
  }),
);
