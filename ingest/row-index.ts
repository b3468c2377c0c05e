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
 */
type Level = Map<unknown, unknown>;

export type RowIndexDepth = 2 | 3 | 4;

export class RowIndex<R> {
  private root: Level = new Map();
  private rows: R[] = [];

  constructor(private readonly depth: RowIndexDepth) {}

  get size(): number {
    return this.rows.length;
  }

  /** The row under the parts (as many as the index's depth), or undefined. */
  get(a: unknown, b: unknown, c?: unknown, d?: unknown): R | undefined {
    let level = this.root.get(a) as Level | undefined;
    if (level === undefined) return undefined;
    if (this.depth === 2) return level.get(b) as R | undefined;
    level = level.get(b) as Level | undefined;
    if (level === undefined) return undefined;
    if (this.depth === 3) return level.get(c) as R | undefined;
    return (level.get(c) as Level | undefined)?.get(d) as R | undefined;
  }

  /** Adds `row` under the parts (call it when `get` found none); returns it. */
  add(row: R, a: unknown, b: unknown, c?: unknown, d?: unknown): R {
    let level = this.below(this.root, a);
    if (this.depth > 2) level = this.below(level, b);
    if (this.depth > 3) level = this.below(level, c);
    level.set(this.depth === 2 ? b : this.depth === 3 ? c : d, row);
    this.rows.push(row);
    return row;
  }

  /** The rows gathered, in the order they came, and a fresh start. */
  drain(): R[] {
    const rows = this.rows;
    this.rows = [];
    this.root = new Map();
    return rows;
  }

  private below(level: Level, part: unknown): Level {
    let next = level.get(part) as Level | undefined;
    if (next === undefined) level.set(part, (next = new Map()));
    return next;
  }
}
