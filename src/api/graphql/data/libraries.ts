/** Reads of libraries: one by name, with the versions running in a window and the services running each. */
import type { Context } from '../context.js';
import { componentProjection, namedComponentProjection, type ComponentRecord } from './projections.js';

export interface LibraryVersionRecord {
  version: string;
  services: ComponentRecord[];
  firstSeen: number;
  lastSeen: number;
}

export interface LibraryRecord {
  name: string;
  kind: string | null;
  /** versions in the live window, when the lookup read them too */
  versions?: LibraryVersionRecord[];
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
export const LIBRARY_WITH_VERSIONS = withVersions(componentProjection('s'));

/**
 * The same, each service with only its key, kind and name: for queries that ask no more of them
 * (the usual "which services run which version"). Whole records of hundreds of services made the
 * statement twice as slow as the one a hand-written client would run.
 */
export const LIBRARY_WITH_VERSIONS_NAMED = withVersions(namedComponentProjection('s'));

export const LIBRARY_VERSIONS = `
MATCH (l:Library {name: $name})<-[u:USES]-(s:Service)
WHERE u.lastSeen >= $since
WITH u.version AS version, min(u.firstSeen) AS firstSeen, max(u.lastSeen) AS lastSeen,
     collect(${componentProjection('s')}) AS services
RETURN version, firstSeen, lastSeen, services
ORDER BY version`;

/**
 * A library by name; `versions` (with services `named` only, or whole) when the query asks for them
 * in the live window. Null when there is no such library.
 */
export async function findLibrary(
  ctx: Context,
  q: { name: string; since: number; versions: false | 'named' | 'whole' },
): Promise<LibraryRecord | null> {
  const [row] = q.versions
    ? await ctx.reader.rows<LibraryRecord>(
        'library',
        q.versions === 'named' ? LIBRARY_WITH_VERSIONS_NAMED : LIBRARY_WITH_VERSIONS,
        { name: q.name, since: q.since },
      )
    : await ctx.reader.rows<LibraryRecord>('library', LIBRARY, { name: q.name });
  return row ?? null;
}

export const libraryVersions = (ctx: Context, name: string, since: number) =>
  ctx.reader.rows<LibraryVersionRecord>('library-versions', LIBRARY_VERSIONS, { name, since });
