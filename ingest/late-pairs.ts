/**
 * Late halves (docs/ingest.md, "Late halves"): a half whose partner did not come within the pairing
 * TTL is counted against a virtual component (`unknown`, `user`, a peer named by attribute) or as an
 * entry point. This module remembers, for the late window, what each such expiry credited, so that
 * when the partner does come the credits are taken back (negative deltas written in the same
 * transaction as the flush and its checkpoint, so exactly once) and the real pair is counted instead.
 *
 * What an expiry credited is recorded as it happens, by handing the expiry an aggregator that
 * forwards every call to the real one and keeps a copy: whatever an expiry counts (edges, operations,
 * CALLS, rings, entry counts, tags) is taken back the same way, without this module knowing the
 * derivation. Bounded: past `maxEntries` the oldest are forgotten (counted, their virtual credit stays).
 *
 * Every expiry is remembered, a call to a third-party API or a request from a browser as well as a
 * call whose partner is merely late: which is which cannot be told when it expires. The checkpoint
 * keeps them in a compact layout (ingest/spool/late-state.ts), and each checkpoint writes only what
 * changed since the last (`journal`): the halves remembered since, as a segment of their own, and the
 * places of those forgotten since in the segments still held. What a flush writes then follows the
 * expiry rate, not the size of the memory.
 *
 * Pure and synchronous: time (the pairing clock) is passed in.
 */
import { MINUTE_MS } from '../src/core/model.js';
import { bucketOf, type Aggregator } from './aggregate.js';
import { hopText } from './trace-sampling.js';
import type { Half } from './callers.js';
import type { OperationRef, ServiceInfo, VirtualComponent } from './derive.js';
import { fromTemplate, templateOf, type Template } from './late-template.js';

/** One aggregator call an expiry made: enough to take it back. */
export type Credit =
  | { e: [from: string, to: string, error: boolean, latencyMs: number, at: number, ...versions: Versions] }
  | { o: [key: string, at: number, error: boolean, latencyMs: number, counted: boolean, entry: boolean] }
  | { c: [from: string, to: string, error: boolean, latencyMs: number, at: number, ...versions: Versions] }
  | { t: [subject: string, onOperation: boolean, key: string, value: string, calls: number, error: boolean] }
  | { v: string };

/** The caller's and callee's `service.version` of a call ('' for none; absent in checkpoints before them). */
type Versions = [fromVersion?: string, toVersion?: string];

/** An expired half, remembered for the late window (kept in the checkpoint by value). */
export interface LateHalf {
  side: 'client' | 'server';
  half: Half;
  /** the keys its partner finds it by: a client's own span, a server's parent span (and a consumer's links) */
  keys: string[];
  /** the pairing clock when it expired */
  expiredAt: number;
  credits: Credit[];
  /** set once a late partner took it back: a call its expiry queued is then not credited at all */
  taken?: boolean;
  /** expiry order, kept across restarts: the memory is rebuilt in it (absent in checkpoints before it) */
  seq?: number;
  /** the checkpoint segment that holds it, and its place there; none until a checkpoint wrote it */
  segment?: number;
  index?: number;
  /** its template's text (ingest/late-template.ts) when known, so that it is not made again */
  template?: string;
}

/** A template interned by its text, with how many remembered halves use it (dropped at none). */
interface Shared {
  text: string;
  template: Template;
  uses: number;
}

/**
 * An expired half as the memory keeps it (~1.2 KB of heap each as a whole `LateHalf`, ~320 bytes so;
 * docs/benchmarks.md item 83): its figures and a shared template, rebuilt into a `LateHalf` when taken
 * back or written. Whole until templated (see `settle`), and for good when no template fits (a key not in hex).
 */
export interface LateEntry {
  /** the first key its partner finds it by (the template says whether there are others) */
  key: string;
  shared: Shared | undefined;
  whole: Pick<LateHalf, 'side' | 'half' | 'keys' | 'credits'> | undefined;
  error: boolean;
  latencyMs: number;
  at: number;
  source: number;
  expiredAt: number;
  seq: number;
  taken: boolean;
  /** the checkpoint segment that holds it, and its place there (-1: none until a checkpoint wrote it) */
  segment: number;
  index: number;
}

/**
 * The late memory as a checkpoint carries it. From `journal`: what changed since the last checkpoint
 * (each journal follows the one before, so every one must be committed, in order). For `restore`: all
 * of it, each half with its segment and place (a half without one is written again as new).
 */
export interface LateJournal {
  /** the segment `halves` are written as (from `journal`), or the last segment number used (for `restore`) */
  segment: number;
  /** in expiry order: the halves remembered (or changed: a queued call credited) since the last checkpoint */
  halves: LateHalf[];
  /** segments none of whose halves is remembered any more */
  dropped: number[];
  /**
   * The places of forgotten halves in the segments still held, as flat `[segment, from, to)` triples:
   * a checkpoint's whole list (a window or bound forgets a segment from its start, a late partner
   * takes from the middle, so it stays short).
   */
  gone: number[];
}

/** What a correction writes: negative deltas (and the unpaired count an expiry adds). */
export interface CorrectionRow {
  kind: 'edge' | 'operation' | 'call' | 'tag' | 'virtual' | 'edgeVersion' | 'callVersion' | 'hop';
  /**
   * edge/call and their versions: from → to; operation: key in `from`; tag: subject in `from`,
   * `key=value` in `to`; virtual: the component key; hop: the trace id in `from`, the hop as the
   * sampled skeleton keeps it in `to` (ingest/trace-sampling.ts `hopText`)
   */
  from: string;
  to: string;
  /** edgeVersion/callVersion: the version pair; hop: the operation keys of its two ends */
  fromVersion: string;
  toVersion: string;
  minute: number;
  calls: number;
  errors: number;
  latSum: number;
  latBuckets: number[];
  /** operations: entry calls taken back */
  entryCalls: number;
  /** edges: calls counted on the edge only because their half expired (+1 on expiry, -1 on correction) */
  unpaired: number;
  /** tags: whether the subject is an operation */
  onOperation: boolean;
  tagKey: string;
  tagValue: string;
}

export interface LatePairsOptions {
  /** how long an expired half is remembered (TOPOGRAPH_PAIRING_LATE_WINDOW; 0: never) */
  windowMs: number;
  /** how many expired halves are remembered at most (TOPOGRAPH_PAIRING_LATE_MAX_ENTRIES) */
  maxEntries: number;
  /** whether a trace may have a sampled skeleton to correct (default: any may) */
  sampled?: (traceId: string) => boolean;
}

export interface LatePairsStats {
  /** late halves that found their expired partner and were corrected */
  corrected: number;
  /** expired halves remembered now */
  waiting: number;
  /** expired halves forgotten: their window passed, or the bound pushed them out */
  droppedWindow: number;
  droppedBound: number;
}

const BUCKETS = bucketOf(Number.POSITIVE_INFINITY) + 1;

export function createLatePairs(options: LatePairsOptions) {
  /** remembered halves in expiry order, each under every key a partner finds it by */
  const entries = new Set<LateEntry>();
  const byKey = new Map<string, LateEntry>();
  /** the templates of the halves remembered, by their text */
  const templates = new Map<string, Shared>();
  /** corrections gathered since the last drain, by kind, row key */
  let rows = new Map<string, CorrectionRow>();
  const stats: LatePairsStats = { corrected: 0, waiting: 0, droppedWindow: 0, droppedBound: 0 };
  let nextSeq = 0;
  /** What the checkpoint holds: per segment still held, how many of its halves are remembered and the places of those not. */
  const segments = new Map<number, { live: number; gone: number[] }>();
  let lastSegment = 0;
  /** since the last journal: halves to write, segments emptied, whether any place was forgotten */
  const fresh = new Set<LateEntry>();
  let dropped: number[] = [];
  let forgotten = false;

  /** `entry`'s place in the checkpoint is no longer held (it was forgotten, or is written again). */
  function unsave(entry: LateEntry): void {
    const s = entry.segment;
    if (s < 0) {
      fresh.delete(entry);
      return;
    }
    const seg = segments.get(s)!;
    forgotten = true;
    if (--seg.live > 0) seg.gone.push(entry.index);
    else {
      segments.delete(s);
      dropped.push(s);
    }
    entry.segment = entry.index = -1;
  }

  /** A remembered half's entry, its figures those of `half` (what it holds is set by `hold`). */
  function entryOf(half: Half, key: string, expiredAt: number, seq: number): LateEntry {
    const { error, latencyMs, at, source } = half;
    const segment = -1;
    return {
      key,
      shared: undefined,
      whole: undefined,
      error,
      latencyMs,
      at,
      source,
      expiredAt,
      seq,
      taken: false,
      segment,
      index: -1,
    };
  }

  /**
   * Halves held whole until templated, by age. Making the template is most of what remembering a half
   * costs (~10 µs), and the checkpoint that writes the half needs it: so it is made once, by that
   * checkpoint, or else by the collect after next (a worker without checkpoints).
   */
  let unsettled: LateEntry[] = [];
  let settling: LateEntry[] = [];

  /**
   * Sets what `entry` remembers besides its figures: the whole half until `settle` templates it, or at
   * once the template of a known text (one a checkpoint wrote).
   */
  function hold(
    entry: LateEntry,
    side: LateHalf['side'],
    half: Half,
    keys: string[],
    credits: Credit[],
    known?: string,
  ): void {
    release(entry);
    if (known === undefined) {
      entry.whole = { side, half, keys, credits };
      unsettled.push(entry);
    } else share(entry, known, () => JSON.parse(known) as Template);
  }

  /** `entry` remembered against the template of `text`, interned. */
  function share(entry: LateEntry, text: string, template: () => Template): void {
    let shared = templates.get(text);
    if (!shared) templates.set(text, (shared = { text, template: template(), uses: 0 }));
    shared.uses++;
    entry.shared = shared;
    entry.whole = undefined;
  }

  /** Templates `entry` if it is held whole (one no template fits stays so); its template's text, if any. */
  function settle(entry: LateEntry): string | undefined {
    if (entry.shared) return entry.shared.text;
    const w = entry.whole;
    const made = w && templateOf(w.side, w.half, w.keys, w.credits);
    if (!made) return undefined;
    share(entry, made.text, () => made.template);
    return made.text;
  }

  function release(entry: LateEntry): void {
    const shared = entry.shared;
    if (shared && --shared.uses === 0) templates.delete(shared.text);
    entry.shared = undefined;
  }

  /** The half `entry` remembers, rebuilt. */
  function open(entry: LateEntry): LateHalf {
    const parts = entry.shared ? fromTemplate(entry.shared.template, entry.key, entry) : entry.whole!;
    return { ...parts, expiredAt: entry.expiredAt, seq: entry.seq };
  }

  const keysOf = (entry: LateEntry): readonly string[] =>
    entry.shared ? (entry.shared.template.keys ?? [entry.key]) : entry.whole!.keys;

  function row(
    kind: CorrectionRow['kind'],
    from: string,
    to: string,
    minute: number,
    fromVersion = '',
    toVersion = '',
  ): CorrectionRow {
    const id = `${kind}\n${from}\n${to}\n${minute}\n${fromVersion}\n${toVersion}`;
    let r = rows.get(id);
    if (!r) {
      r = {
        kind,
        from,
        to,
        fromVersion,
        toVersion,
        minute,
        calls: 0,
        errors: 0,
        latSum: 0,
        latBuckets: new Array<number>(BUCKETS).fill(0),
        entryCalls: 0,
        unpaired: 0,
        onOperation: false,
        tagKey: '',
        tagValue: '',
      };
      rows.set(id, r);
    }
    return r;
  }

  /** Adds `sign` × one call to a row's measure. */
  function measure(r: CorrectionRow, sign: number, error: boolean, latencyMs: number): void {
    r.calls += sign;
    if (error) r.errors += sign;
    r.latSum += sign * latencyMs;
    r.latBuckets[bucketOf(latencyMs)]! += sign;
  }

  const minuteOf = (at: number) => Math.floor(at / MINUTE_MS);

  /** A call's count per version pair taken back (calls where neither side has a version were not counted). */
  function versions(kind: 'edgeVersion' | 'callVersion', from: string, to: string, error: boolean, v: Versions) {
    const [fromVersion = '', toVersion = ''] = v;
    if (fromVersion === '' && toVersion === '') return;
    const r = row(kind, from, to, 0, fromVersion, toVersion);
    r.calls--;
    if (error) r.errors--;
  }

  /**
   * Takes one credit back (`sign` -1), or counts the unpaired call an expiry adds to an edge (`sign`
   * +1, edges only). `traceId`: the trace of the expired half, whose sampled skeleton loses the hop.
   */
  function apply(credit: Credit, sign: 1 | -1, traceId = ''): void {
    if ('e' in credit) {
      const [from, to, error, latencyMs, at, ...v] = credit.e;
      const r = row('edge', from, to, minuteOf(at));
      r.unpaired += sign;
      if (sign > 0) return;
      measure(r, sign, error, latencyMs);
      versions('edgeVersion', from, to, error, v);
    } else if (sign > 0) {
      return;
    } else if ('o' in credit) {
      const [key, at, error, latencyMs, counted, entry] = credit.o;
      const r = row('operation', key, '', minuteOf(at));
      if (counted) measure(r, sign, error, latencyMs);
      if (entry) r.entryCalls += sign;
    } else if ('c' in credit) {
      const [from, to, error, latencyMs, at, ...v] = credit.c;
      measure(row('call', from, to, minuteOf(at)), sign, error, latencyMs);
      versions('callVersion', from, to, error, v);
      // The hop the trace sampler may have kept (a sampled trace shows the real hop instead).
      if (traceId !== '' && (options.sampled?.(traceId) ?? true)) {
        const hop = row('hop', traceId, hopText(from, to, error, latencyMs, at), 0, from, to);
        hop.calls--;
      }
    } else if ('t' in credit) {
      const [subject, onOperation, key, value, calls, error] = credit.t;
      const r = row('tag', subject, `${key}=${value}`, 0);
      Object.assign(r, { onOperation, tagKey: key, tagValue: value });
      r.calls += sign * calls;
      if (error) r.errors += sign * calls;
    } else {
      row('virtual', credit.v, '', 0);
    }
  }

  /**
   * An aggregator that credits `agg` and records into `entry` what it credited. Only what a take-back
   * needs is recorded: first/last seen times and version/library uses are widened, never taken back.
   */
  function recorder(agg: Aggregator, record: (c: Credit) => void): Aggregator {
    const keep = (c: Credit) => {
      record(c);
      apply(c, 1);
    };
    const rec: Pick<Aggregator, 'virtual' | 'edge' | 'operation' | 'call' | 'tag' | 'service' | 'use'> = {
      service: (s: ServiceInfo, at: number) => agg.service(s, at),
      use: (...a) => agg.use(...a),
      virtual(c: VirtualComponent, at: number) {
        agg.virtual(c, at);
        keep({ v: c.key });
      },
      edge(from, to, protocol, error, latencyMs, at, fromVersion = '', toVersion = '', origins) {
        agg.edge(from, to, protocol, error, latencyMs, at, fromVersion, toVersion, origins);
        keep({ e: [from, to, error, latencyMs, at, fromVersion, toVersion] });
      },
      operation(op: OperationRef, at, call, entry = false) {
        agg.operation(op, at, call, entry);
        if (call || entry) keep({ o: [op.key, at, call?.error ?? false, call?.latencyMs ?? 0, !!call, entry] });
      },
      call(from, to, error, latencyMs, at, traceId, fromVersion = '', toVersion = '') {
        agg.call(from, to, error, latencyMs, at, traceId, fromVersion, toVersion);
        keep({ c: [from, to, error, latencyMs, at, fromVersion, toVersion] });
      },
      tag(subject, onOperation, key, value, calls, error, at) {
        agg.tag(subject, onOperation, key, value, calls, error, at);
        if (calls > 0) keep({ t: [subject, onOperation, key, value, calls, error] });
      },
    };
    return rec as Aggregator;
  }

  /** A call `entry`'s expiry queued, credited once its caller is known: remembered with the rest. */
  function credited(entry: LateEntry, c: Credit): void {
    // Mostly right after its expiry, still whole (templated later with this credit).
    if (entry.whole) entry.whole.credits.push(c);
    else {
      const h = open(entry);
      h.credits.push(c);
      hold(entry, h.side, h.half, h.keys, h.credits);
    }
    // A remembered half whose queued call is credited after a checkpoint wrote it: written again.
    if (entry.segment >= 0 && entries.has(entry)) {
      unsave(entry);
      fresh.add(entry);
    }
  }

  function remove(entry: LateEntry): void {
    entries.delete(entry);
    unsave(entry);
    for (const key of keysOf(entry)) if (byKey.get(key) === entry) byKey.delete(key);
    release(entry);
    entry.whole = undefined;
  }

  function add(entry: LateEntry): void {
    entries.add(entry);
    if (entry.segment < 0) fresh.add(entry);
    for (const key of keysOf(entry)) byKey.set(key, entry);
    while (entries.size > options.maxEntries) {
      remove(entries.values().next().value!);
      stats.droppedBound++;
    }
  }

  /**
   * The aggregator a call queued by `entry`'s expiry is credited through once its caller is known:
   * recorded while the entry is remembered; none once a late partner took it back (the real call is
   * counted instead); the plain one once it was forgotten.
   */
  function wrap(entry: LateEntry, agg: Aggregator): Aggregator | undefined {
    if (entry.taken) return undefined;
    return entries.has(entry) ? recorder(agg, (c) => credited(entry, c)) : agg;
  }

  return {
    stats: (): LatePairsStats => ({ ...stats, waiting: entries.size }),
    get size() {
      return entries.size;
    },

    /**
     * Runs an expiry of `half` with an aggregator that records what it credits, and remembers it.
     * Returns the entry: a call the expiry queued (its caller not known yet) records through `wrap`.
     */
    expire(
      side: LateHalf['side'],
      half: Half,
      keys: string[],
      at: number,
      out: { agg: Aggregator },
      run: () => void,
    ): LateEntry {
      const entry = entryOf(half, keys[0] ?? '', at, nextSeq++);
      if (options.windowMs <= 0) {
        run();
        return entry;
      }
      const credits: Credit[] = [];
      const live = out.agg;
      out.agg = recorder(live, (c) => credits.push(c));
      try {
        run();
      } finally {
        out.agg = live;
      }
      // What its expiry reached is in the credits: a client's callee need not be kept twice.
      const kept = side === 'client' ? { ...half, callee: undefined, calleeOp: undefined } : half;
      hold(entry, side, kept, keys, credits);
      add(entry);
      return entry;
    },

    wrap,

    /** How a restored call queued by the expiry of the client half `id` is credited (see `wrap`). */
    viaFor(id: string): ((agg: Aggregator) => Aggregator | undefined) | undefined {
      const entry = byKey.get(id);
      const side = entry && (entry.shared?.template.side ?? entry.whole!.side);
      return side === 'client' ? (agg) => wrap(entry!, agg) : undefined;
    },

    /** The remembered half a late half with these keys completes (removed and taken back), if any. */
    take(keys: readonly string[]): LateHalf | undefined {
      if (byKey.size === 0) return undefined;
      for (const key of keys) {
        const entry = byKey.get(key);
        if (!entry) continue;
        const h = open(entry);
        remove(entry);
        entry.taken = h.taken = true;
        for (const c of h.credits) apply(c, -1, h.half.traceId);
        stats.corrected++;
        return h;
      }
      return undefined;
    },

    /** Forgets what expired more than the late window before `at` (the pairing clock). */
    forget(at: number): void {
      for (const entry of settling) settle(entry);
      settling = unsettled;
      unsettled = [];
      const deadline = at - options.windowMs;
      for (const entry of entries) {
        if (entry.expiredAt > deadline) break;
        remove(entry);
        stats.droppedWindow++;
      }
    },

    /** The correction rows gathered since the last drain. */
    drain(): CorrectionRow[] {
      const out = [...rows.values()].filter(
        (r) => r.kind === 'virtual' || r.calls !== 0 || r.errors !== 0 || r.entryCalls !== 0 || r.unpaired !== 0,
      );
      rows = new Map();
      // Sorted like the other rows, so that concurrent writers lock in one order.
      return out.sort((a, b) => cmp(a.kind, b.kind) || cmp(a.from, b.from) || cmp(a.to, b.to) || a.minute - b.minute);
    },

    /**
     * What changed since the last journal, for the checkpoint to write (undefined: nothing). The
     * halves new since are placed in a segment of their own from here on.
     */
    journal(): LateJournal | undefined {
      if (fresh.size === 0 && !forgotten) return undefined;
      const held = [...fresh].sort((a, b) => a.seq - b.seq);
      fresh.clear();
      const segment = held.length > 0 ? ++lastSegment : lastSegment;
      const halves = held.map((entry, index) => {
        entry.segment = segment;
        entry.index = index;
        // One held whole since it expired is written as it is, and templated on the way.
        const whole = entry.whole;
        const template = settle(entry);
        const half = whole ? { ...whole, expiredAt: entry.expiredAt, seq: entry.seq } : open(entry);
        return { ...half, segment, index, template };
      });
      if (halves.length > 0) segments.set(segment, { live: halves.length, gone: [] });
      const out: LateJournal = { segment, halves, dropped, gone: goneRanges() };
      dropped = [];
      forgotten = false;
      return out;
    },

    /** Rebuilds the memory a checkpoint held (the halves in any order; those in `gone` are not remembered). */
    restore(journal: LateJournal | undefined): void {
      if (!journal) return;
      lastSegment = Math.max(lastSegment, journal.segment);
      // Segments held with nothing left in them (none are written so) go with the next checkpoint.
      if (journal.dropped.length > 0) {
        dropped.push(...journal.dropped);
        forgotten = true;
      }
      const gone = new Map<number, number[]>();
      for (let i = 0; i + 2 < journal.gone.length; i += 3) {
        const [s, from, to] = [journal.gone[i]!, journal.gone[i + 1]!, journal.gone[i + 2]!];
        let list = gone.get(s);
        if (!list) gone.set(s, (list = []));
        for (let n = from; n < to; n++) list.push(n);
      }
      // Halves of checkpoints before `seq` keep the order they were stored in.
      const halves = journal.halves.map((h, i) => (h.seq === undefined ? { ...h, seq: i } : h));
      halves.sort((a, b) => a.seq! - b.seq!);
      for (const h of halves) {
        nextSeq = Math.max(nextSeq, h.seq! + 1);
        if (h.segment === undefined) continue;
        let seg = segments.get(h.segment);
        if (!seg) segments.set(h.segment, (seg = { live: 0, gone: gone.get(h.segment) ?? [] }));
        seg.live++;
      }
      for (const h of halves) {
        const entry = entryOf(h.half, h.keys[0] ?? '', h.expiredAt, h.seq!);
        entry.segment = h.segment ?? -1;
        entry.index = h.index ?? -1;
        hold(entry, h.side, h.half, h.keys, h.credits, h.template);
        add(entry);
      }
    },
  };

  /** The places forgotten in the segments still held, as sorted `[segment, from, to)` runs. */
  function goneRanges(): number[] {
    const out: number[] = [];
    for (const [s, seg] of segments) {
      if (seg.gone.length === 0) continue;
      seg.gone.sort((a, b) => a - b);
      let from = seg.gone[0]!;
      let to = from + 1;
      for (let i = 1; i < seg.gone.length; i++) {
        const n = seg.gone[i]!;
        if (n === to) to++;
        else if (n > to) {
          out.push(s, from, to);
          from = n;
          to = n + 1;
        }
      }
      out.push(s, from, to);
    }
    return out;
  }
}

export type LatePairs = ReturnType<typeof createLatePairs>;

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
