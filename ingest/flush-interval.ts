/**
 * How long the worker waits between two flushes. A flush writes one row per distinct key it saw
 * (component, operation, edge and call per minute, tag value per subject…), not one per span, so
 * Neo4j's write load from one worker is its rows per flush over the interval. With a fixed interval
 * that load grows with the keys of the system; here the interval grows with the rows of the last
 * flush instead, so that one worker sends Neo4j at most `rowsPerSecond` rows a second, until the
 * interval reaches `maxMs`, which bounds the staleness it adds (docs/scaling.md).
 *
 * A worker that is pressed waits `maxMs` whatever the rows. Behind (more waiting to be read than one
 * read step), it cannot make what it has not read any fresher. Busy (its event loop at work most of
 * the last interval), it is at the edge of its CPU, where admission holds requests back before a
 * backlog forms, so it is rarely behind. Either way a flush's rows stay about the same however many
 * spans are behind them (rows are distinct keys), so a longer interval is less of Neo4j's CPU, and of
 * the worker's own (building and encoding the rows), per span (docs/benchmarks.md items 108, 135).
 */
import { performance } from 'node:perf_hooks';

export interface FlushIntervalConfig {
  /** the interval of a flush of few rows (TOPOGRAPH_FLUSH_INTERVAL) */
  minMs: number;
  /** the longest the interval grows to (TOPOGRAPH_FLUSH_INTERVAL_MAX) */
  maxMs: number;
  /** the rows per second one worker may send Neo4j (TOPOGRAPH_FLUSH_ROWS_PER_SECOND); 0: the interval stays `minMs` */
  rowsPerSecond: number;
  /** the event loop's busy share, in percent of an interval, from which the worker is pressed (TOPOGRAPH_FLUSH_BUSY_PERCENT); 0: never */
  busyPercent: number;
}

/** The interval to wait after a flush of `rows` rows, `pressed` when the loop is behind or busy. */
export type FlushInterval = (rows: number, pressed?: boolean) => number;

export function createFlushInterval(config: Omit<FlushIntervalConfig, 'busyPercent'>): FlushInterval {
  const { minMs, rowsPerSecond } = config;
  const maxMs = Math.max(minMs, config.maxMs);
  if (rowsPerSecond <= 0) return () => minMs;
  return (rows, pressed = false) =>
    pressed ? maxMs : Math.min(maxMs, Math.max(minMs, Math.ceil((rows * 1000) / rowsPerSecond)));
}

/** The share (0–1) of wall time the event loop was busy since the last call: Node's event-loop utilization. */
function eventLoopShare(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const share = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    return share;
  };
}

/** Whether the loop was busy at least `busyPercent` of the time since the last call (never with 0). */
export function createBusyMeter(busyPercent: number, share: () => number = eventLoopShare()): () => boolean {
  if (busyPercent <= 0) return () => false;
  return () => share() * 100 >= busyPercent;
}
