/**
 * Rows found by two to four key parts through nested maps, kept in a list in the order they came:
 * the aggregator's rows (ingest/aggregate.ts, three parts) and the version counts
 * (ingest/versions.ts, four parts for an edge's version pair, two for a service's version).
 *
 * It is on the hot path (several lookups per span), so a lookup allocates nothing: no key string
 * joined per span (`${from}\n${to}\n${minute}` was an allocation per span and per tag, and garbage
 * collection a quarter of the worker's CPU, docs/benchmarks.md), no array of parts (the parts are
 * positional arguments, not a rest parameter), no closure to build a missing row. The parts are
 * strings the key builders already share, and numbers (the minute).
 *
 * The maps outlive a drain: the same keys come back flush after flush, and building every level
 * map again per flush was ~140 bytes allocated per span (docs/benchmarks.md item 70). A leaf holds
 * its row's position in the whole sequence of rows ever added (`base` + its index in `rows`), so a
 * leaf from before the last drain (below `base`) is simply not found. Once most leaves are stale
 * (keys by minute move on) or the positions grow large, the maps start afresh.
 */
type Level = Map<unknown, unknown>;

export type RowIndexDepth = 2 | 3 | 4;

/** Positions stay small integers (V8 keeps them unboxed in the maps). */
const MAX_POSITION = 2 ** 30;
/** Maps with at most this many leaves are kept whatever their share of stale ones. */
const KEEP_LEAVES = 1024;

export class RowIndex<R> {
  private root: Level = new Map();
  private rows: R[] = [];
  /** the position of `rows[0]` */
  private base = 0;
  /** leaves in the maps, found or stale */
  private leaves = 0;

  constructor(private readonly depth: RowIndexDepth) {}

  get size(): number {
    return this.rows.length;
  }

  /** The row under the parts (as many as the index's depth), or undefined. */
  get(a: unknown, b: unknown, c?: unknown, d?: unknown): R | undefined {
    let level = this.root.get(a) as Level | undefined;
    if (level === undefined) return undefined;
    let at: number | undefined;
    if (this.depth === 2) at = level.get(b) as number | undefined;
    else {
      level = level.get(b) as Level | undefined;
      if (level === undefined) return undefined;
      if (this.depth === 3) at = level.get(c) as number | undefined;
      else at = (level.get(c) as Level | undefined)?.get(d) as number | undefined;
    }
    return at === undefined || at < this.base ? undefined : this.rows[at - this.base];
  }

  /** Adds `row` under the parts (call it when `get` found none); returns it. */
  add(row: R, a: unknown, b: unknown, c?: unknown, d?: unknown): R {
    let level = this.below(this.root, a);
    if (this.depth > 2) level = this.below(level, b);
    if (this.depth > 3) level = this.below(level, c);
    const last = this.depth === 2 ? b : this.depth === 3 ? c : d;
    const before = level.size;
    level.set(last, this.base + this.rows.length);
    if (level.size > before) this.leaves++;
    this.rows.push(row);
    return row;
  }

  /** The rows gathered, in the order they came, and a fresh start. */
  drain(): R[] {
    const rows = this.rows;
    this.rows = [];
    this.base += rows.length;
    // The maps are kept while at least half their leaves may be found again.
    if (this.base > MAX_POSITION || (this.leaves > KEEP_LEAVES && this.leaves > 2 * rows.length)) {
      this.root = new Map();
      this.base = 0;
      this.leaves = 0;
    }
    return rows;
  }

  /** The rows gathered since the last drain, left in place. */
  current(): readonly R[] {
    return this.rows;
  }

  private below(level: Level, part: unknown): Level {
    let next = level.get(part) as Level | undefined;
    if (next === undefined) level.set(part, (next = new Map()));
    return next;
  }
}
