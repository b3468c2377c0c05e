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

export interface TraceSampleRow extends TraceSampleFacts {
  /** every operation the hops touch, so that a trace can be found from any of them */
  operations: string[];
}

/** A hop as a sampled skeleton stores it (a late correction finds it by this text: ingest/late-writer.ts). */
export const hopText = (from: string, to: string, error: boolean, latencyMs: number, at: number): string =>
  JSON.stringify([from, to, error ? 1 : 0, Math.round(latencyMs * 1000) / 1000, Math.floor(at)]);

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
      rows.push({
        traceId,
        entry,
        error,
        firstSeen,
        lastSeen: Math.floor(hops[hops.length - 1]!.at),
        hops: hops.map((h) => hopText(h.from, h.to, h.error, h.latencyMs, h.at)),
        operations: [...new Set(hops.flatMap((h) => [h.from, h.to]))].sort(),
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
