/**
 * Time and provenance (docs/model.md, "Presence and provenance"): which hours each DEPENDS_ON edge
 * and each component was live in, and which sources saw each edge.
 *
 * Presence is kept per UTC hour: an edge is live in an hour when a call on it ended in that hour
 * (the span's own end time, so late spans from an import or a slow exporter land in their hour).
 * The hours are a list on the edge (`r.hours`) and on the component (`c.hours`), at most one entry
 * per hour of the retention (ingest/retention.ts prunes older ones). The engine remembers which
 * (edge, hour) and (component, hour) it has handed to the writer, so most flushes add no presence
 * rows at all: an edge busy all day costs one presence row per hour, not one per flush.
 *
 * Sources are names in a list on the edge (`r.sources`): this worker adds `otlp`, `zipkin` and
 * `import` (the union in MERGE_EDGE_PRESENCE), never replacing another's. `declared` is not stored:
 * the API reads it from the catalog when the edge is asked for (src/api/graphql/data/catalog.ts).
 */
import { HOUR_MS, type EdgeSource } from '../src/core/model.js';
import type { FactBatch } from './aggregate.js';
import { widened } from './typed-columns.js';

/** Where spans came from, as bits: an edge seen by halves of two origins carries both (names from src/core/model.ts EDGE_SOURCES). */
export const Origin = { otlp: 1, zipkin: 2, import: 4 } as const satisfies Partial<Record<EdgeSource, number>>;
export type OriginName = keyof typeof Origin;

const ORIGIN_NAMES = Object.entries(Origin) as [OriginName, number][];

export function originNames(bits: number): string[] {
  const names: string[] = [];
  for (const [name, bit] of ORIGIN_NAMES) if (bits & bit) names.push(name);
  return names;
}

export const hourOf = (ms: number): number => Math.floor(ms / HOUR_MS);

export interface EdgePresenceRow {
  from: string;
  to: string;
  /** hours (Unix ms / 3 600 000) not yet written for this edge */
  hours: number[];
  /** source names not yet written for this edge */
  sources: string[];
}

export interface ComponentPresenceRow {
  key: string;
  hours: number[];
}

/** How much presence memory holds (`TOPOGRAPH_PRESENCE_MAX_ENTRIES`, `TOPOGRAPH_PRESENCE_HOURS`). */
export interface PresenceMemoryOptions {
  /** edges and components remembered; past it the memory starts afresh */
  maxEntries: number;
  /** hours remembered per edge or component: older ones, if they come back (late spans), are written again */
  hours: number;
}

/**
 * What this process has already handed to the writer. Writes are idempotent unions, so forgetting
 * (past `maxEntries`, or at a restart) only costs a few rows written again.
 *
 * Held without an object or list per entry: each edge and component is a slot in columns, its
 * newest hour handed over, a bit for each of the `hours` hours up to it, and its source bits. A list
 * of up to 48 hours per entry held ~880 bytes an entry when full (docs/benchmarks.md item 63); the
 * columns hold 13 bytes beside the key. An hour older than the `hours` before the newest is handed
 * over each time it is seen, never remembered (a late span's hour; live hours only move forward).
 */
export class PresenceMemory {
  private readonly edges = new Map<string, number>();
  private readonly components = new Map<string, number>();
  /** 32-bit words of hour bits per slot */
  private readonly stride: number;
  private used = 0;
  private newest = new Int32Array(0);
  /** bit `d` of a slot: hour `newest - d` was handed over (d < hours) */
  private masks = new Uint32Array(0);
  private sources = new Uint8Array(0);

  constructor(private readonly options: PresenceMemoryOptions) {
    this.stride = Math.ceil(Math.max(1, options.hours) / 32);
  }

  /** The presence rows of `batch` that were not handed over before; they are remembered from now on. */
  rowsFor(batch: FactBatch): { edges: EdgePresenceRow[]; components: ComponentPresenceRow[] } {
    if (this.edges.size + this.components.size > this.options.maxEntries) {
      this.edges.clear();
      this.components.clear();
      this.used = 0;
    }
    const edges = new Map<string, EdgePresenceRow>();
    const components = new Map<string, ComponentPresenceRow>();
    const component = (key: string, hour: number) => {
      if (!this.learn(this.components, key, hour, 0)) return;
      const row = components.get(key);
      if (row) row.hours.push(hour);
      else components.set(key, { key, hours: [hour] });
    };
    for (const e of batch.edges) {
      const hour = Math.floor(e.minute / 60);
      const key = `${e.from}\n${e.to}`;
      const slot = this.edges.get(key);
      const newSources = e.origins & ~(slot === undefined ? 0 : this.sources[slot]!);
      const newHour = this.learn(this.edges, key, hour, e.origins);
      if (newHour || newSources) {
        let row = edges.get(key);
        if (!row) edges.set(key, (row = { from: e.from, to: e.to, hours: [], sources: [] }));
        if (newHour) row.hours.push(hour);
        for (const s of originNames(newSources)) if (!row.sources.includes(s)) row.sources.push(s);
      }
      component(e.from, hour);
      component(e.to, hour);
    }
    for (const o of batch.operations) component(o.componentKey, Math.floor(o.minute / 60));
    for (const rows of [batch.services, batch.databases, batch.destinations, batch.externals])
      for (const c of rows) {
        component(c.key, hourOf(c.firstSeen));
        component(c.key, hourOf(c.lastSeen));
      }
    return { edges: [...edges.values()], components: [...components.values()] };
  }

  /** Remembers `hour` (and `sources`) for `key`; true when the hour was not remembered. */
  private learn(map: Map<string, number>, key: string, hour: number, sources: number): boolean {
    let slot = map.get(key);
    if (slot === undefined) {
      map.set(key, (slot = this.slot()));
      this.newest[slot] = hour;
      this.sources[slot] = sources;
      this.masks[slot * this.stride] = 1;
      return true;
    }
    this.sources[slot] = this.sources[slot]! | sources;
    const back = this.newest[slot]! - hour;
    if (back >= this.options.hours) return true;
    if (back < 0) {
      this.older(slot, -back);
      this.newest[slot] = hour;
      this.masks[slot * this.stride] = this.masks[slot * this.stride]! | 1;
      return true;
    }
    const word = slot * this.stride + (back >>> 5);
    const bit = 1 << (back & 31);
    if (this.masks[word]! & bit) return false;
    this.masks[word] = this.masks[word]! | bit;
    return true;
  }

  /** Moves a slot's hour bits `by` hours back (a newer hour arrived); bits past `hours` are never read. */
  private older(slot: number, by: number): void {
    const base = slot * this.stride;
    const words = by >>> 5;
    const bits = by & 31;
    for (let w = this.stride - 1; w >= 0; w--) {
      const from = w - words;
      const high = from >= 0 ? this.masks[base + from]! << bits : 0;
      const low = bits > 0 && from >= 1 ? this.masks[base + from - 1]! >>> (32 - bits) : 0;
      this.masks[base + w] = high | low;
    }
  }

  /** A fresh slot, its bits cleared; the columns double as they fill. */
  private slot(): number {
    const slot = this.used++;
    if (slot >= this.newest.length) {
      const capacity = Math.max(256, 2 * this.newest.length);
      this.newest = widened(this.newest, capacity);
      this.masks = widened(this.masks, capacity * this.stride);
      this.sources = widened(this.sources, capacity);
    }
    this.masks.fill(0, slot * this.stride, (slot + 1) * this.stride);
    return slot;
  }
}

/** The smallest of a list of hours, null for none. */
const OLDEST = (list: string) => `reduce(m = null, h IN ${list} | CASE WHEN m IS NULL OR h < m THEN h ELSE m END)`;

/** Adds `hours` to `x.hours` and keeps `x.presentFrom`, the oldest hour held, which retention finds by (it is indexed). */
const ADD_HOURS = (x: string) => `
    ${x}.hours = held + [h IN hours WHERE NOT h IN held],
    ${x}.presentFrom = CASE WHEN ${x}.presentFrom IS NULL OR first < ${x}.presentFrom THEN first ELSE ${x}.presentFrom END`;

/** Adds hours and sources to edges the same flush has just merged (it runs after MERGE_DEPENDS_ON). */
export const MERGE_EDGE_PRESENCE = `
UNWIND $rows AS row
MATCH (:Component {key: row.from})-[r:DEPENDS_ON]->(:Component {key: row.to})
WITH r, row, coalesce(r.hours, []) AS held, coalesce(r.sources, []) AS seen, [h IN row.hours | toInteger(h)] AS hours
WITH r, row, held, seen, hours, ${OLDEST('hours')} AS first
SET r.sources = seen + [s IN row.sources WHERE NOT s IN seen],${ADD_HOURS('r')}`;

export const MERGE_COMPONENT_PRESENCE = `
UNWIND $rows AS row
MATCH (c:Component {key: row.key})
WITH c, coalesce(c.hours, []) AS held, [h IN row.hours | toInteger(h)] AS hours
WITH c, held, hours, ${OLDEST('hours')} AS first
SET ${ADD_HOURS('c').trimStart()}`;

/** Imported dependency links: their services and edges were seen by an import, in the hour of their `lastSeen`. */
export function linkPresence(
  services: { key: string; lastSeen: number }[],
  links: { from: string; to: string; lastSeen: number }[],
): { edges: EdgePresenceRow[]; components: ComponentPresenceRow[] } {
  return {
    edges: links.map((l) => ({ from: l.from, to: l.to, hours: [hourOf(l.lastSeen)], sources: ['import'] })),
    components: services.map((c) => ({ key: c.key, hours: [hourOf(c.lastSeen)] })),
  };
}

/**
 * Retention of presence: hours wholly before the cutoff are dropped from what is still kept, in
 * bounded batches like the deletions (an item pruned no longer matches, so the loop ends).
 */
export const PRUNE_PRESENCE = (target: 'DEPENDS_ON' | 'Component') => `
${target === 'DEPENDS_ON' ? 'MATCH ()-[x:DEPENDS_ON]->()' : 'MATCH (x:Component)'}
WHERE x.presentFrom < toInteger($cutoff) / ${HOUR_MS}
WITH x LIMIT toInteger($batch)
WITH x, [h IN x.hours WHERE h >= toInteger($cutoff) / ${HOUR_MS}] AS kept
SET x.hours = kept, x.presentFrom = ${OLDEST('kept')}
RETURN count(*) AS deleted`;
