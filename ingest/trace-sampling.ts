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
import { widened, type TypedColumn } from './typed-columns.js';

/** The TOPOGRAPH_TRACE_* sampling settings (src/core/config.ts), and a memory bound tests may lower. */
export interface TraceSamplingOptions extends TraceSamplingConfig {
  /** traces whose hops one flush considers (default MAX_TRACES_PER_FLUSH) */
  maxTracesPerFlush?: number;
  /** decisions remembered (default DECISION_MEMORY) */
  decisionMemory?: number;
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

/**
 * The hops of one flush's traces, in columns: no object per hop. Every call made one, held until
 * the flush, so each outlived the young generation and was promoted (docs/benchmarks.md item 150).
 * A trace is a slot (in arrival order, as its hops are in it): its hops are a list through `next`.
 */
class PendingHops {
  /** trace id → slot */
  readonly slots = new Map<string, number>();
  traceIds: string[] = [];
  head = new Int32Array(256);
  tail = new Int32Array(256);
  count = new Int32Array(256);
  hops = 0;
  from: string[] = [];
  to: string[] = [];
  latencyMs = new Float64Array(1024);
  at = new Float64Array(1024);
  error = new Uint8Array(1024);
  /** the trace's next hop, -1 after its last */
  next = new Int32Array(1024);

  get traces(): number {
    return this.slots.size;
  }

  /** The slot of a new trace. */
  add(traceId: string): number {
    const slot = this.slots.size;
    if (slot === this.head.length) {
      this.head = grown(this.head);
      this.tail = grown(this.tail);
      this.count = grown(this.count);
    }
    this.slots.set(traceId, slot);
    this.traceIds[slot] = traceId;
    this.head[slot] = -1;
    this.count[slot] = 0;
    return slot;
  }

  push(slot: number, from: string, to: string, error: boolean, latencyMs: number, at: number): void {
    const h = this.hops++;
    if (h === this.next.length) {
      this.latencyMs = grown(this.latencyMs);
      this.at = grown(this.at);
      this.error = grown(this.error);
      this.next = grown(this.next);
    }
    this.from[h] = from;
    this.to[h] = to;
    this.latencyMs[h] = latencyMs;
    this.at[h] = at;
    this.error[h] = error ? 1 : 0;
    this.next[h] = -1;
    if (this.head[slot]! < 0) this.head[slot] = h;
    else this.next[this.tail[slot]!] = h;
    this.tail[slot] = h;
    this.count[slot]!++;
  }

  /**
   * Takes back one hop of this flush equal to the one given, if there is one: unlinked from its
   * trace's list (a trace left with none is passed over by `drain`). Returns whether it found it.
   */
  remove(slot: number, from: string, to: string, error: boolean, latencyMs: number, at: number): boolean {
    let before = -1;
    for (let h = this.head[slot]!; h >= 0; before = h, h = this.next[h]!) {
      if (
        this.from[h] !== from ||
        this.to[h] !== to ||
        this.latencyMs[h] !== latencyMs ||
        this.at[h] !== at ||
        this.error[h] !== (error ? 1 : 0)
      )
        continue;
      if (before < 0) this.head[slot] = this.next[h]!;
      else this.next[before] = this.next[h]!;
      if (this.tail[slot] === h) this.tail[slot] = before;
      this.count[slot]!--;
      return true;
    }
    return false;
  }

  /**
   * The operation a trace entered through: the earliest hop's caller that no hop calls (the first in
   * arrival order among hops at the same time), else the earliest hop's caller (`first`).
   */
  entryOf(slot: number, first: number): string {
    const { from, to, at, next } = this;
    const head = this.head[slot]!;
    // A few hops are compared with each other; a long trace's callees go in a set.
    const callees = this.count[slot]! > 16 ? new Set<string>() : undefined;
    if (callees) for (let h = head; h >= 0; h = next[h]!) callees.add(to[h]!);
    let found = -1;
    for (let h = head; h >= 0; h = next[h]!) {
      if (found >= 0 && !(at[h]! < at[found]!)) continue;
      let called = false;
      if (callees) called = callees.has(from[h]!);
      else for (let g = head; g >= 0 && !called; g = next[g]!) called = to[g] === from[h];
      if (!called) found = h;
    }
    return from[found >= 0 ? found : first]!;
  }

  /** Forgets this flush's hops; the columns are kept for the next, unless a burst left them far too large. */
  clear(): void {
    this.traceIds.fill('', 0, this.slots.size);
    this.slots.clear();
    if (this.next.length > SHRINK_ABOVE && this.hops < this.next.length / 4) {
      const n = Math.max(1024, 2 * this.hops);
      this.latencyMs = new Float64Array(n);
      this.at = new Float64Array(n);
      this.error = new Uint8Array(n);
      this.next = new Int32Array(n);
      this.from = [];
      this.to = [];
    }
    this.hops = 0;
  }
}

/** Hop columns longer than this shrink after a flush that used under a quarter of them. */
const SHRINK_ABOVE = 1 << 16;

const grown = <T extends TypedColumn>(column: T): T => widened(column, column.length * 2);

/**
 * The latest decisions of the last `max` traces decided, by trace id: a trace decided again moves to
 * the newest. The oldest go in the order they were made, through a log of the decisions: a Map's own
 * order (deleting `keys().next()`) walks every entry deleted before it, which V8 keeps until it
 * rehashes, and with the memory full that cost ~40 µs a decision (docs/benchmarks.md item 178). The
 * log has room for twice `max`: when it is full of decisions made again since, it is compacted to
 * the latest of each trace (at most `max`), so a decision costs the same on average.
 */
class Decisions {
  /** trace id → the position in the log of its latest decision */
  private readonly latest = new Map<string, number>();
  /** the log: position `n` in slot `n % room` */
  private readonly ids: (string | undefined)[];
  private readonly entries: (string | null)[];
  private readonly room: number;
  /** the oldest position still in the log, and the next one */
  private start = 0;
  private end = 0;

  constructor(private readonly max: number) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`decisions remembered must be an integer ≥ 1, not ${max}`);
    this.room = 2 * max;
    this.ids = new Array<string | undefined>(this.room).fill(undefined);
    this.entries = new Array<string | null>(this.room).fill(null);
  }

  /** The entry operation of a kept trace, null for one left out, undefined when not (or no longer) known. */
  get(traceId: string): string | null | undefined {
    const n = this.latest.get(traceId);
    return n === undefined ? undefined : this.entries[n % this.room]!;
  }

  set(traceId: string, entry: string | null): void {
    if (this.end - this.start === this.room) this.compact();
    const n = this.end++;
    this.ids[n % this.room] = traceId;
    this.entries[n % this.room] = entry;
    this.latest.set(traceId, n);
    while (this.latest.size > this.max) {
      const oldest = this.start++;
      const id = this.ids[oldest % this.room]!;
      // A trace decided again since stays, under its later decision.
      if (this.latest.get(id) === oldest) this.latest.delete(id);
    }
  }

  /** Keeps only each trace's latest decision, in order, at the start of the log. */
  private compact(): void {
    let to = this.start;
    for (let n = this.start; n < this.end; n++) {
      const id = this.ids[n % this.room]!;
      if (this.latest.get(id) !== n) continue;
      this.ids[to % this.room] = id;
      this.entries[to % this.room] = this.entries[n % this.room]!;
      this.latest.set(id, to++);
    }
    this.end = to;
  }
}

export class TraceSampler {
  private pending = new PendingHops();
  /** per window, per entry operation: the traces kept */
  private counts = new Map<number, Map<string, { ok: number; errors: number }>>();
  /** recent decisions: the entry operation of a kept trace, null for one left out */
  private decided: Decisions;
  /** hops not considered because the flush already held its most traces */
  droppedHops = 0;

  constructor(private readonly options: TraceSamplingOptions) {
    this.decided = new Decisions(options.decisionMemory ?? DECISION_MEMORY);
  }

  hop(traceId: string, from: string, to: string, error: boolean, latencyMs: number, at: number): void {
    const pending = this.pending;
    let slot = pending.slots.get(traceId);
    if (slot === undefined) {
      if (pending.traces >= (this.options.maxTracesPerFlush ?? MAX_TRACES_PER_FLUSH)) {
        this.droppedHops++;
        return;
      }
      slot = pending.add(traceId);
    }
    if (pending.count[slot]! < MAX_HOPS) pending.push(slot, from, to, error, latencyMs, at);
  }

  /**
   * A hop credited in this flush and now taken back (a late half corrected its call): it is dropped
   * here, before the flush is written. Returns whether it was; if not, it may be stored from an
   * earlier flush, and the late correction takes it back there (ingest/late-writer.ts). A correction
   * for a hop of the same flush would reach Neo4j before the flush's samples (it must, for a hop
   * taken back and credited again, ingest/writer.ts), find nothing, and leave the hop stored.
   */
  takeBack(traceId: string, from: string, to: string, error: boolean, latencyMs: number, at: number): boolean {
    const slot = this.pending.slots.get(traceId);
    return slot !== undefined && this.pending.remove(slot, from, to, error, latencyMs, at);
  }

  /** Decides which of this flush's traces to keep and hands back their rows. */
  drain(): TraceSampleRow[] {
    const rows: TraceSampleRow[] = [];
    const p = this.pending;
    const { at, next } = p;
    let newestWindow = -Infinity;
    for (let slot = 0; slot < p.traces; slot++) {
      const traceId = p.traceIds[slot]!;
      // Most traces are left out: they are decided without sorting their hops (a sort per trace per
      // flush was most of this), which only a kept trace's row needs.
      let first = p.head[slot]!;
      // Every hop it had in this flush taken back (`takeBack`): nothing to decide or write.
      if (first < 0) continue;
      let error = false;
      for (let h = first; h >= 0; h = next[h]!) {
        if (at[h]! < at[first]!) first = h;
        if (p.error[h]) error = true;
      }
      const earlier = this.decided.get(traceId);
      const entry = earlier ?? p.entryOf(slot, first);
      const firstSeen = Math.floor(at[first]!);
      const window = Math.floor(firstSeen / this.options.windowMs);
      newestWindow = Math.max(newestWindow, window);
      // A trace is decided once: later hops follow the decision, so a left-out trace's tail never
      // comes back as a sample of its own.
      const keep = earlier === undefined ? this.admit(entry, window, error) : earlier !== null;
      this.decided.set(traceId, keep ? entry : null);
      if (keep) rows.push(this.rowOf(slot, traceId, entry, error, firstSeen));
    }
    p.clear();
    this.forgetWindowsBefore(newestWindow - 1);
    return rows.sort((a, b) => (a.traceId < b.traceId ? -1 : a.traceId > b.traceId ? 1 : 0));
  }

  /** A kept trace's row: its hops in time order (arrival order among equal times). */
  private rowOf(slot: number, traceId: string, entry: string, error: boolean, firstSeen: number): TraceSampleRow {
    const p = this.pending;
    const hops: number[] = [];
    for (let h = p.head[slot]!; h >= 0; h = p.next[h]!) hops.push(h);
    hops.sort((a, b) => p.at[a]! - p.at[b]!);
    const ops = [...new Set(hops.flatMap((h) => [p.from[h]!, p.to[h]!]))].sort();
    const position = new Map(ops.map((k, i) => [k, i]));
    return {
      traceId,
      entry,
      error,
      firstSeen,
      lastSeen: Math.floor(p.at[hops[hops.length - 1]!]!),
      ops,
      // Keys by position: each key stored once per sample, not twice per hop (with its JSON escaping a
      // hop by keys was ~290 bytes, and trace samples most of a flush's transaction log).
      hops: hops.map((h) =>
        JSON.stringify([
          position.get(p.from[h]!),
          position.get(p.to[h]!),
          ...figures(p.error[h] === 1, p.latencyMs[h]!, p.at[h]!),
        ]),
      ),
    };
  }

  /** Whether the trace may have a skeleton stored: kept, or not decided within the decisions remembered. */
  mayHaveKept(traceId: string): boolean {
    return this.decided.get(traceId) !== null;
  }

  private admit(entry: string, window: number, error: boolean): boolean {
    let inWindow = this.counts.get(window);
    if (!inWindow) this.counts.set(window, (inWindow = new Map()));
    let c = inWindow.get(entry);
    if (!c) inWindow.set(entry, (c = { ok: 0, errors: 0 }));
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

  private forgetWindowsBefore(window: number): void {
    if (!Number.isFinite(window)) return;
    for (const w of this.counts.keys()) if (w < window) this.counts.delete(w);
  }
}
