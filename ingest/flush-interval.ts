/**
 * How long the worker waits between two flushes. A flush writes one row per distinct key it saw
 * (component, operation, edge and call per minute, tag value per subject…), not one per span, so
 * Neo4j's write load from one worker is its rows per flush over the interval. With a fixed interval
 * that load grows with the keys of the system; here the interval grows with the rows of the last
 * flush instead, so that one worker sends Neo4j at most `rowsPerSecond` rows a second, until the
 * interval reaches `maxMs`, which bounds the staleness it adds (docs/scaling.md).
 *
 * A worker that is behind (more waiting to be read than one read step) waits `maxMs` whatever the
 * rows: it cannot make what it has not read any fresher, and at saturation a flush's rows stay about
 * the same however many spans are behind them, so a longer interval is less of Neo4j's CPU, and of
 * the worker's own (building and encoding the rows), per span (docs/benchmarks.md item 108).
 */
export interface FlushIntervalConfig {
  /** the interval of a flush of few rows (TOPOGRAPH_FLUSH_INTERVAL) */
  minMs: number;
  /** the longest the interval grows to (TOPOGRAPH_FLUSH_INTERVAL_MAX) */
  maxMs: number;
  /** the rows per second one worker may send Neo4j (TOPOGRAPH_FLUSH_ROWS_PER_SECOND); 0: the interval stays `minMs` */
  rowsPerSecond: number;
}

/** The interval to wait after a flush of `rows` rows, `behind` when the loop has more to read than it just read. */
export type FlushInterval = (rows: number, behind?: boolean) => number;

export function createFlushInterval(config: FlushIntervalConfig): FlushInterval {
  const { minMs, rowsPerSecond } = config;
  const maxMs = Math.max(minMs, config.maxMs);
  if (rowsPerSecond <= 0) return () => minMs;
  return (rows, behind = false) =>
    behind ? maxMs : Math.min(maxMs, Math.max(minMs, Math.ceil((rows * 1000) / rowsPerSecond)));
}
