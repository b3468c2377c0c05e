/**
 * Where the minute still being counted is kept on an edge or operation, in Cypher shared by the
 * writer (ingest/writer.ts) and the late take-back (ingest/late-writer.ts).
 *
 * `hmCur` is that minute; `hmStartCalls`, `hmStartErrors`, `hmStartLatSum` are the totals (`calls`,
 * `errors`, `latSum`) as they stood when it started, counting every other minute's calls. Its figures
 * are the totals less these, so a flush that adds to the minute being counted writes only the totals:
 * the start is written once a minute, when a newer minute comes (or a row or take-back for an older
 * one, which moves the totals and the start alike). Readers take the same difference
 * (`src/api/graphql/measure.ts`).
 *
 * A store written before this kept the minute's own figures instead (`hmCurCalls`, `hmCurErrors`,
 * `hmCurLatSum`, no start): read as they are, and turned into a start the first time a row touches
 * them (the scalars are removed then). One written before either has no `hmCur`.
 */

export const CURRENT_FIELDS = [
  { total: 'calls', start: 'hmStartCalls', old: 'hmCurCalls' },
  { total: 'errors', start: 'hmStartErrors', old: 'hmCurErrors' },
  { total: 'latSum', start: 'hmStartLatSum', old: 'hmCurLatSum' },
] as const;

export type CurrentField = (typeof CURRENT_FIELDS)[number];

/** The totals at the start of `hmCur` on `v`, from either layout (null when `v` has no current minute). */
export const startOf = (v: string, f: CurrentField) => `coalesce(${v}.${f.start}, ${v}.${f.total} - ${v}.${f.old})`;

/** The figures of minute `hmCur` on `v` so far, from either layout. */
export const currentOf = (v: string, f: CurrentField) => `coalesce(${v}.${f.total} - ${v}.${f.start}, ${v}.${f.old})`;
