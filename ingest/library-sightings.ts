/**
 * Which library uses a flush writes (docs/ingest.md, "Library uses"). A USES row carries only a
 * sighting, the first and last time a service was seen running a library version, and the same uses
 * come in every flush for as long as the service runs: each rewrote the relationship's and the
 * Library's `lastSeen` (a twentieth of a flush's rows, docs/benchmarks.md item 98). A use is handed to the
 * writer when it is new to this process, when it reaches back before the first sighting handed over
 * (a late span), or once its `lastSeen` is `refreshMs` past the one handed over: a use's `lastSeen`
 * in Neo4j lags the last span by less than that. Forgetting (past `MAX_USES`, or at a restart) only
 * writes a use again; several workers each refresh what they see.
 */
import type { UsesRow } from './aggregate.js';

/** uses remembered at most; past it the memory starts afresh */
export const MAX_USES = 100_000;

export class LibrarySightings {
  private readonly handed = new Map<string, { firstSeen: number; lastSeen: number }>();

  /** `refreshMs`: TOPOGRAPH_LIBRARY_SEEN_REFRESH (0: every use in every flush) */
  constructor(private readonly refreshMs: number) {}

  /** The uses of a flush that tell Neo4j something new; they are remembered as handed over. */
  select(rows: UsesRow[]): UsesRow[] {
    if (this.refreshMs <= 0) return rows;
    if (this.handed.size > MAX_USES) this.handed.clear();
    return rows.filter((row) => {
      const key = JSON.stringify([row.service, row.library, row.version]);
      const last = this.handed.get(key);
      if (last && row.firstSeen >= last.firstSeen && row.lastSeen < last.lastSeen + this.refreshMs) return false;
      this.handed.set(key, {
        firstSeen: Math.min(row.firstSeen, last?.firstSeen ?? row.firstSeen),
        lastSeen: Math.max(row.lastSeen, last?.lastSeen ?? row.lastSeen),
      });
      return true;
    });
  }
}
