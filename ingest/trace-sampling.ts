/**
 * Bounded trace sampling: which traces keep their skeleton (the CALLS hops they took) so that the
 * API can show a recent trace hop by hop. Every failing trace is kept up to a cap, and a few
 * successful ones per entry operation per time window, so quiet endpoints get examples too and busy
 * ones cannot flood the store. Decisions are made per flush, on the hops resolved in it; a trace kept
 * once keeps the hops that arrive in later flushes.
 *
 * Memory is bounded: hops of at most MAX_TRACES_PER_FLUSH traces per flush, at most MAX_HOPS per
 * trace, window counters for the current and previous window, and the last DECISION_MEMORY decisions.
 */
import type { TraceSampleFacts } from '../src/core/records.js';
import type { TraceSamplingConfig } from '../src/core/config.js';

/** The TOPOGRAPH_TRACE_* sampling settings (src/core/config.ts), and a memory bound tests may lower. */
export interface TraceSamplingOptions extends TraceSamplingConfig {
  /** traces whose hops one flush considers (default MAX_TRACES_PER_FLUSH) */
  maxTracesPerFlush?: number;
}

export const MAX_TRACES_PER_FLUSH = 50_000;

export const MAX_HOPS = 200;
const DECISION_MEMORY = 100_000;

/**
 * A kept trace's row: `ops` every operation its hops touch (sorted; a trace is found from any of them),
 * the hops naming them by position in `ops`. The writer moves the positions to the sample's own
 * `ops` when the sample already holds some (a later flush's hops).
 */
export type TraceSampleRow = TraceSampleFacts;

const figures = (error: boolean, latencyMs: number, at: number): [number, number, number] => [
  error ? 1 : 0,
  Math.round(latencyMs * 1000) / 1000,
  Math.floor(at),
];

/**
 * A hop as a late correction names it, by its operations' keys (ingest/late-pairs.ts); the skeleton
 * stores it with positions in its `ops` instead (`hopParts` gives the late writer what it needs to find it).
 */
export const hopText = (from: string, to: string, error: boolean, latencyMs: number, at: number): string =>
  JSON.stringify([from, to, ...figures(error, latencyMs, at)]);

/**
 * Cypher for the position of `key` in the list `list` (-1 when absent; Cypher has no indexOf for
 * lists): how the writers find a stored hop's operations in a sample's `ops`.
 */
export const POSITION_IN = (list: string, key: string) =>
  `coalesce(head([i IN range(0, size(${list}) - 1) WHERE ${list}[i] = ${key}]), -1)`;

/** A `hopText`'s keys, and its figures as the stored hop ends with them (after `[from,to,`). */
export function hopParts(text: string): { fromKey: string; toKey: string; figures: string } {
  const [fromKey, toKey, ...rest] = JSON.parse(text) as [string, string, ...number[]];
  return { fromKey, toKey, figures: JSON.stringify(rest).slice(1, -1) };
}

interface Hop {
  from: string;
  to: string;
  error: boolean;
  latencyMs: number;
  at: number;
}

/**
 * The operation a trace entered through: the earliest hop's caller that no hop calls (the first in
 * arrival order among hops at the same time), else the earliest hop's caller (`first`).
 */
function entryOf(hops: Hop[], first: Hop): string {
  const callees = new Set<string>();
  for (const h of hops) callees.add(h.to);
  let found: Hop | undefined;
  for (const h of hops) if (!callees.has(h.from) && (found === undefined || h.at < found.at)) found = h;
  return (found ?? first).from;
}

export class TraceSampler {
  private pending = new Map<string, Hop[]>();
  private counts = new Map<string, { ok: number; errors: number }>();
  /** recent decisions: the entry operation of a kept trace, null for one left out */
  private decided = new Map<string, string | null>();
  /** hops not considered because the flush already held its most traces */
  droppedHops = 0;

  constructor(private readonly options: TraceSamplingOptions) {}

  hop(traceId: string, from: string, to: string, error: boolean, latencyMs: number, at: number): void {
    let hops = this.pending.get(traceId);
    if (!hops) {
      if (this.pending.size >= (this.options.maxTracesPerFlush ?? MAX_TRACES_PER_FLUSH)) {
        this.droppedHops++;
        return;
      }
      hops = [];
      this.pending.set(traceId, hops);
    }
    if (hops.length < MAX_HOPS) hops.push({ from, to, error, latencyMs, at });
  }

  /** Decides which of this flush's traces to keep and hands back their rows. */
  drain(): TraceSampleRow[] {
    const rows: TraceSampleRow[] = [];
    let newestWindow = -Infinity;
    for (const [traceId, hops] of this.pending) {
      // Most traces are left out: they are decided without sorting their hops (a sort per trace per
      // flush was most of this), which only a kept trace's row needs.
      let first = hops[0]!;
      let error = false;
      for (const h of hops) {
        if (h.at < first.at) first = h;
        if (h.error) error = true;
      }
      const earlier = this.decided.get(traceId);
      const entry = earlier ?? entryOf(hops, first);
      const firstSeen = Math.floor(first.at);
      const window = Math.floor(firstSeen / this.options.windowMs);
      newestWindow = Math.max(newestWindow, window);
      // A trace is decided once: later hops follow the decision, so a left-out trace's tail never
      // comes back as a sample of its own.
      const keep = earlier === undefined ? this.admit(entry, window, error) : earlier !== null;
      this.remember(traceId, keep ? entry : null);
      if (!keep) continue;
      hops.sort((a, b) => a.at - b.at);
      const ops = [...new Set(hops.flatMap((h) => [h.from, h.to]))].sort();
      const position = new Map(ops.map((k, i) => [k, i]));
      rows.push({
        traceId,
        entry,
        error,
        firstSeen,
        lastSeen: Math.floor(hops[hops.length - 1]!.at),
        ops,
        // Keys by position: each key stored once per sample, not twice per hop (with its JSON escaping a
        // hop by keys was ~290 bytes, and trace samples most of a flush's transaction log).
        hops: hops.map((h) =>
          JSON.stringify([position.get(h.from), position.get(h.to), ...figures(h.error, h.latencyMs, h.at)]),
        ),
      });
    }
    this.pending.clear();
    this.forgetWindowsBefore(newestWindow - 1);
    return rows.sort((a, b) => (a.traceId < b.traceId ? -1 : a.traceId > b.traceId ? 1 : 0));
  }

  /** Whether the trace may have a skeleton stored: kept, or not decided within the decisions remembered. */
  mayHaveKept(traceId: string): boolean {
    return this.decided.get(traceId) !== null;
  }

  private admit(entry: string, window: number, error: boolean): boolean {
    const key = `${window}\n${entry}`;
    const c = this.counts.get(key) ?? { ok: 0, errors: 0 };
    this.counts.set(key, c);
    if (error && c.errors < this.options.errorsPerWindow) {
      c.errors++;
      return true;
    }
    if (!error && c.ok < this.options.perWindow) {
      c.ok++;
      return true;
    }
    return false;
  }

  private remember(traceId: string, entry: string | null): void {
    this.decided.delete(traceId);
    this.decided.set(traceId, entry);
    if (this.decided.size > DECISION_MEMORY) this.decided.delete(this.decided.keys().next().value!);
  }

  private forgetWindowsBefore(window: number): void {
    if (!Number.isFinite(window)) return;
    for (const key of this.counts.keys()) {
      if (Number(key.slice(0, key.indexOf('\n'))) < window) this.counts.delete(key);
    }
  }
}
