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
 * derivation. Bounded: past `maxEntries` the oldest are forgotten (counted, their virtual credit stays),
 * and past a sixteenth of it the oldest of those whose ids are not in hex.
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
import { KEY_CACHE_MAX, MINUTE_MS } from '../src/core/model.js';
import { bucketOf, type Aggregator } from './aggregate.js';
import { hopText } from './trace-sampling.js';
import type { Half } from './callers.js';
import type { OperationRef, ServiceInfo, VirtualComponent } from './derive.js';
import { idHex, isHexId } from './hex.js';
import { LateRing, type KeyHash, type SlotFigures } from './late-ring.js';
import type { TagPairs } from './tags.js';
import { RowIndex } from './row-index.js';
import { fitsTemplate, fromTemplate, templateOf, textOf, type Figures, type Template } from './late-template.js';

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

/**
 * A half the memory holds against a template, as `journal` gives it: what a checkpoint's record holds
 * (its key, its template's text, its figures and its place), not the half rebuilt whole from them.
 * Rebuilding every such half for the checkpoint to take its figures back out was 2.2% of the
 * saturated worker (docs/benchmarks.md item 180). `wholeOf` rebuilds it when it is needed whole.
 */
export interface TemplatedHalf extends Omit<SlotFigures, 'template'> {
  key: string;
  /** its template's text (the slot holds its number) */
  template: string;
}

/** Whether a journal's half is held against a template (see `TemplatedHalf`). */
export const isTemplated = (h: LateHalf | TemplatedHalf): h is TemplatedHalf => !('half' in h);

/** A journal's half whole (a templated one rebuilt from its template, as `parse` reads its text). */
export function wholeOf(h: LateHalf | TemplatedHalf, parse = (text: string) => JSON.parse(text) as Template): LateHalf {
  if (!isTemplated(h)) return h;
  return {
    ...fromTemplate(parse(h.template), h.key, h),
    expiredAt: h.expiredAt,
    seq: h.seq,
    segment: h.segment,
    index: h.index,
    template: h.template,
  };
}

/** A template interned by its text, with how many remembered halves use it (dropped at none). */
interface Shared {
  text: string;
  template: Template;
  uses: number;
}

/**
 * A half an expiry remembered, as the engine holds it for a call its expiry queued (`wrap`): its
 * place in the memory's ring, its expiry order, and whether a late partner took it back.
 */
export interface LateEntry {
  ref: number;
  seq: number;
  taken: boolean;
}

/** What a half is held as until templated (see `settle`), and for good when no template fits (a key not in hex). */
type Whole = Pick<LateHalf, 'side' | 'half' | 'keys' | 'credits'>;

/**
 * A checkpoint segment's halves as its bytes hold them (ingest/spool/late-state.ts), read into the
 * memory without an object each: a restart at the bound reads ~1.75 million.
 */
export interface StoredHalves {
  segment: number;
  /** records held (those the checkpoint names as forgotten left out) */
  count: number;
  /** the templates' texts, by the number a record names */
  templates: readonly string[];
  /** the bytes holding the records' keys */
  bytes: Uint8Array;
  /** where the r-th record's key (trace id and span id, 24 bytes) is in `bytes` */
  keyAt(r: number): number;
  seq(r: number): number;
  /** the r-th record's figures, its place (`segment`, `index`) and its template's number in `templates` */
  read(r: number, f: SlotFigures): void;
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
  halves: (LateHalf | TemplatedHalf)[];
  /** for `restore`: halves read in place from the checkpoint's segments (`halves` then holds the rest) */
  stored?: StoredHalves[];
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
  /**
   * edgeVersion/callVersion: the version pair (the engine nets these rows with its version counts:
   * they are never written as corrections); hop: the operation keys of its two ends
   */
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
  /** takes back a hop credited in the flush under way, if it was (ingest/trace-sampling.ts `takeBack`); else a correction takes it back from the stored skeleton */
  pendingHop?: (traceId: string, from: string, to: string, error: boolean, latencyMs: number, at: number) => boolean;
  /** the key index's hash (tests force collisions with one) */
  hash?: KeyHash;
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

/** The bound's share held by halves whose ids are not in hex: one in ODD_SHARE (see `bound`). */
const ODD_SHARE = 16;

export function createLatePairs(options: LatePairsOptions) {
  /** remembered halves in expiry order, their figures in columns, found by their first key (ingest/late-ring.ts) */
  const ring = new LateRing(options.hash);
  /** halves held whole until templated (see `settle`), and for good when no template fits, by ref */
  const wholes = new Map<number, Whole>();
  /** keys the ring does not index, by key: a first key not in hex, and those after the first (a consumer's links) */
  const extraKeys = new Map<string, number>();
  /** refs of halves whose first key is not in hex */
  const oddKeys = new Set<number>();
  /**
   * The same refs with their expiry order (`[ref, seq]` flat), oldest first, for the bound to let the
   * oldest go: a Set's oldest found by `keys().next()` walks every entry deleted before it, which made
   * each such eviction ~40 µs once the Set was full (docs/benchmarks.md items 178 and 182). A ref taken
   * out otherwise stays here, stale (its slot no longer held under that order), until passed or compacted.
   */
  let oddOrder: number[] = [];
  let oddHead = 0;
  /** the templates of the halves remembered, by number (the ring's template column), and their numbers by text */
  const templates: (Shared | undefined)[] = [];
  const byText = new Map<string, number>();
  const freeTemplates: number[] = [];
  /**
   * Client halves whose expiry queued a call not credited yet, by ref: a late partner taking one marks
   * it, so that its call is then not credited at all (the engine holds the entry, the memory only its ref).
   */
  const handles = new Map<number, LateEntry>();
  /**
   * corrections gathered since the last drain, by from, to, minute and kind (with the versions when
   * there are any): a key joined of all six was a long string built per credit
   */
  const rows = new RowIndex<CorrectionRow>(4);
  const stats: LatePairsStats = { corrected: 0, waiting: 0, droppedWindow: 0, droppedBound: 0 };
  let nextSeq = 0;
  /** What the checkpoint holds: per segment still held, how many of its halves are remembered and the places of those not. */
  const segments = new Map<number, { live: number; gone: number[] }>();
  let lastSegment = 0;
  /** since the last journal: halves to write (by ref), segments emptied, whether any place was forgotten */
  const fresh = new Set<number>();
  let dropped: number[] = [];
  let forgotten = false;
  /** one slot's figures, read and written through (not an object per half) */
  const figures: SlotFigures = {
    error: false,
    latencyMs: 0,
    at: 0,
    source: 0,
    expiredAt: 0,
    seq: 0,
    template: -1,
    segment: -1,
    index: -1,
  };

  /** `ref`'s place in the checkpoint is no longer held (it was forgotten, or is written again). */
  function unsave(ref: number): void {
    const s = ring.segment(ref);
    if (s < 0) {
      fresh.delete(ref);
      return;
    }
    const seg = segments.get(s)!;
    forgotten = true;
    if (--seg.live > 0) seg.gone.push(ring.index(ref));
    else {
      segments.delete(s);
      dropped.push(s);
    }
    ring.setPlace(ref, -1, -1);
  }

  /**
   * Halves held whole, by age: those whose expiry queued a call, until it is credited, and those no
   * template fits (ids not in hex; tried again, and kept whole).
   * Making the template is most of what remembering a half costs (~10 µs): so it is made once, by the
   * checkpoint that writes the half, or else by the collect after next (a worker without checkpoints).
   */
  let unsettled: number[] = [];
  let settling: number[] = [];

  /** The number of the template of `text`, interned (its uses not counted). */
  function templateNumber(text: string, template: () => Template): number {
    let t = byText.get(text);
    if (t === undefined) {
      t = freeTemplates.pop() ?? templates.length;
      templates[t] = { text, template: template(), uses: 0 };
      byText.set(text, t);
    }
    return t;
  }

  /** `ref` remembered against template `t`, no longer whole. */
  function share(ref: number, t: number): void {
    templates[t]!.uses++;
    ring.setTemplate(ref, t);
    wholes.delete(ref);
  }

  /**
   * Sets what `ref` remembers besides its figures: the whole half until `settle` templates it, or at
   * once the template of a known text (one a checkpoint wrote).
   */
  function hold(ref: number, whole: Whole, known?: string): void {
    release(ref);
    if (known === undefined) {
      wholes.set(ref, whole);
      unsettled.push(ref);
    } else
      share(
        ref,
        templateNumber(known, () => JSON.parse(known) as Template),
      );
  }

  /**
   * The template last made for a half of this service and name, by number: the next such half
   * nearly always has the same one, which `fitsTemplate` tells without making it or writing its text. Bounded
   * like the key caches.
   */
  let recent = new WeakMap<ServiceInfo, Map<string, number>>();
  let recentNames = 0;

  /** Templates `ref` if it is held whole (one no template fits stays so); its template's text, if any. */
  function settle(ref: number): string | undefined {
    const t = ring.template(ref);
    if (t >= 0) return templates[t]!.text;
    const w = wholes.get(ref);
    return w === undefined ? undefined : templated(ref, w);
  }

  /** Remembers `ref` against the template of `w` (undefined: none fits, a key not in hex); its text. */
  function templated(ref: number, w: Whole): string | undefined {
    let byName = recent.get(w.half.service);
    if (byName === undefined) recent.set(w.half.service, (byName = new Map()));
    const last = byName.get(w.half.name);
    const known = last === undefined ? undefined : templates[last];
    if (known !== undefined && fitsTemplate(known.template, w.side, w.half, w.keys, w.credits)) {
      share(ref, last!);
      return known.text;
    }
    const made = templateOf(w.side, w.half, w.keys, w.credits);
    if (!made) return undefined;
    const n = templateNumber(textOf(made)!, () => made);
    // Compared from here on against an object made as this one was (one read from a checkpoint is not).
    templates[n]!.template = made;
    if (recentNames++ > KEY_CACHE_MAX) {
      recent = new WeakMap();
      recentNames = 0;
    }
    byName.set(w.half.name, n);
    share(ref, n);
    return templates[n]!.text;
  }

  function release(ref: number): void {
    const t = ring.template(ref);
    if (t < 0) return;
    const shared = templates[t]!;
    if (--shared.uses === 0) {
      byText.delete(shared.text);
      templates[t] = undefined;
      freeTemplates.push(t);
    }
    ring.setTemplate(ref, -1);
  }

  /** The half `ref` remembers, rebuilt. */
  function open(ref: number): LateHalf {
    const f = ring.read(ref, figures);
    const parts = f.template >= 0 ? fromTemplate(templates[f.template]!.template, ring.key(ref), f) : wholes.get(ref)!;
    return { ...parts, expiredAt: f.expiredAt, seq: f.seq };
  }

  function keysOf(ref: number): readonly string[] {
    const t = ring.template(ref);
    return t >= 0 ? (templates[t]!.template.keys ?? [ring.key(ref)]) : wholes.get(ref)!.keys;
  }

  /** The remembered half a partner finds by `key` (-1: none); the latest remembered when two have it. */
  function find(key: string): number {
    return orExtra(ring.find(key), key);
  }

  /** `ref` (found by the ring), or the half `key` names among the keys the ring does not index when that is later. */
  function orExtra(ref: number, key: string): number {
    if (extraKeys.size > 0) {
      const other = extraKeys.get(key);
      if (other !== undefined && (ref < 0 || ring.seq(other) > ring.seq(ref))) ref = other;
    }
    return ref;
  }

  function sideOf(ref: number): LateHalf['side'] {
    const t = ring.template(ref);
    return t >= 0 ? templates[t]!.template.side : wholes.get(ref)!.side;
  }

  /**
   * `ref` if it remembers a half of `side`, else -1: a client span's own key is also the key a server
   * under it waits by, so a half delivered twice (a retried request) finds its own expired copy.
   */
  function ofSide(ref: number, side: LateHalf['side']): number {
    return ref >= 0 && sideOf(ref) === side ? ref : -1;
  }

  /** Takes the remembered half `ref` back for its late partner. */
  function takeBack(ref: number): LateHalf {
    const h = open(ref);
    const handle = handles.get(ref);
    if (handle) handle.taken = true;
    remove(ref);
    h.taken = true;
    for (const c of h.credits) apply(c, -1, h.half.traceId);
    stats.corrected++;
    return h;
  }

  function row(
    kind: CorrectionRow['kind'],
    from: string,
    to: string,
    minute: number,
    fromVersion = '',
    toVersion = '',
  ): CorrectionRow {
    const variant = fromVersion === '' && toVersion === '' ? kind : `${kind}\n${fromVersion}\n${toVersion}`;
    let r = rows.get(from, to, minute, variant);
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
      rows.add(r, from, to, minute, variant);
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
      if (
        traceId !== '' &&
        !(options.pendingHop?.(traceId, from, to, error, latencyMs, at) ?? false) &&
        (options.sampled?.(traceId) ?? true)
      ) {
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

  /** An aggregator that credits `agg` and records what it credited with `record` (see `Recording`). */
  function recorder(agg: Aggregator, record: (c: Credit) => void): Aggregator {
    return new Recording(agg, (c) => {
      record(c);
      apply(c, 1);
    }) as unknown as Aggregator;
  }

  /** A call `entry`'s expiry queued, credited once its caller is known: remembered with the rest. */
  function credited(entry: LateEntry, c: Credit): void {
    const ref = entry.ref;
    if (!ring.holds(ref, entry.seq)) return;
    // Mostly right after its expiry, still whole (templated later with this credit).
    const whole = wholes.get(ref);
    if (whole) whole.credits.push(c);
    else {
      const h = open(ref);
      h.credits.push(c);
      hold(ref, { side: h.side, half: h.half, keys: h.keys, credits: h.credits });
    }
    // A remembered half whose queued call is credited after a checkpoint wrote it: written again.
    if (ring.segment(ref) >= 0) {
      unsave(ref);
      fresh.add(ref);
    }
  }

  function remove(ref: number): void {
    unsave(ref);
    if (extraKeys.size > 0) for (const key of keysOf(ref)) if (extraKeys.get(key) === ref) extraKeys.delete(key);
    if (oddKeys.size > 0) oddKeys.delete(ref);
    handles.delete(ref);
    release(ref);
    wholes.delete(ref);
    ring.remove(ref);
  }

  /** Holds a half at the end of the ring under its keys; its ref. */
  function add(keys: readonly string[], f: SlotFigures): number {
    const first = keys[0] ?? '';
    const hex = isHexId(first);
    const ref = ring.push(hex ? first : undefined, f);
    if (!hex) {
      oddKeys.add(ref);
      oddOrder.push(ref, f.seq);
      if (oddOrder.length - oddHead > 4 * oddKeys.size + 1024) compactOddOrder();
      extraKeys.set(first, ref);
    }
    for (let i = 1; i < keys.length; i++) extraKeys.set(keys[i]!, ref);
    if (f.segment < 0) fresh.add(ref);
    return ref;
  }

  /**
   * Past `maxEntries` the oldest are forgotten. The bound counts the ring's slots, a half taken back
   * in the middle included until the ones before it go: so it bounds the memory itself.
   */
  function bound(): void {
    while (ring.length > options.maxEntries) {
      remove(ring.oldest());
      stats.droppedBound++;
    }
    // A half whose ids are not in hex (an importer's) fits no template and stays an object of ~300 bytes:
    // at most a sixteenth of the bound are held so, or ids of another form would take ~4 times the
    // memory the bound was sized for (docs/ingest.md, "Late halves").
    while (oddKeys.size > options.maxEntries / ODD_SHARE && oddHead < oddOrder.length) {
      const ref = oddOrder[oddHead]!;
      const seq = oddOrder[oddHead + 1]!;
      oddHead += 2;
      if (!ring.holds(ref, seq)) continue;
      remove(ref);
      stats.droppedBound++;
    }
    if (oddHead > 1024 && oddHead * 2 > oddOrder.length) compactOddOrder();
  }

  /** `oddOrder` without the refs passed or no longer held as the half it names. */
  function compactOddOrder(): void {
    const kept: number[] = [];
    for (let i = oddHead; i < oddOrder.length; i += 2) {
      const ref = oddOrder[i]!;
      if (ring.holds(ref, oddOrder[i + 1]!)) kept.push(ref, oddOrder[i + 1]!);
    }
    oddOrder = kept;
    oddHead = 0;
  }

  /** Sets `figures` to a half's. */
  function figuresOf(half: Figures, expiredAt: number, seq: number, segment = -1, index = -1): SlotFigures {
    figures.error = half.error;
    figures.latencyMs = half.latencyMs;
    figures.at = half.at;
    figures.source = half.source;
    figures.expiredAt = expiredAt;
    figures.seq = seq;
    figures.template = -1;
    figures.segment = segment;
    figures.index = index;
    return figures;
  }

  /**
   * The aggregator a call queued by `entry`'s expiry is credited through once its caller is known:
   * recorded while the entry is remembered; none once a late partner took it back (the real call is
   * counted instead); the plain one once it was forgotten.
   */
  function wrap(entry: LateEntry, agg: Aggregator): Aggregator | undefined {
    if (entry.taken) return undefined;
    if (handles.get(entry.ref) === entry) handles.delete(entry.ref);
    return ring.holds(entry.ref, entry.seq) ? recorder(agg, (c) => credited(entry, c)) : agg;
  }

  return {
    stats: (): LatePairsStats => ({ ...stats, waiting: ring.size }),
    get size() {
      return ring.size;
    },

    /** Bytes the memory's columns and key index hold (its templates and whole halves not counted). */
    get bytes() {
      return ring.bytes;
    },

    /**
     * Runs an expiry of `half` with an aggregator that records what it credits, and remembers it.
     * `run` says whether the expiry queued a call (its caller not known yet), which records through
     * `wrap` with the entry returned. A half with nothing queued is templated at once: its credits and
     * copy then die young instead of outliving a scavenge until the checkpoint (docs/benchmarks.md item 172).
     */
    expire(
      side: LateHalf['side'],
      half: Half,
      keys: string[],
      at: number,
      out: { agg: Aggregator },
      run: () => boolean,
    ): LateEntry {
      const entry: LateEntry = { ref: -1, seq: nextSeq++, taken: false };
      if (options.windowMs <= 0) {
        run();
        return entry;
      }
      const credits: Credit[] = [];
      const live = out.agg;
      out.agg = recorder(live, (c) => credits.push(c));
      let queued: boolean;
      try {
        queued = run();
      } finally {
        out.agg = live;
      }
      // What its expiry reached is in the credits: a client's callee and caller need not be kept twice.
      const kept =
        side === 'client'
          ? { ...half, callee: undefined, calleeOp: undefined, span: undefined, caller: undefined, answered: undefined }
          : half;
      const ref = (entry.ref = add(keys, figuresOf(half, at, entry.seq)));
      const whole: Whole = { side, half: kept, keys, credits };
      if (queued) {
        // A call queued until its caller is known (ingest/callers.ts) is credited through `wrap`: held whole till then.
        hold(ref, whole);
        handles.set(ref, entry);
      } else if (templated(ref, whole) === undefined) hold(ref, whole);
      bound();
      return entry;
    },

    wrap,

    /** How a restored call queued by the expiry of the client half `id` is credited (see `wrap`). */
    viaFor(id: string): ((agg: Aggregator) => Aggregator | undefined) | undefined {
      const ref = ofSide(find(id), 'client');
      if (ref < 0) return undefined;
      const entry: LateEntry = { ref, seq: ring.seq(ref), taken: false };
      handles.set(ref, entry);
      return (agg) => wrap(entry, agg);
    },

    /** Whether an expired client half is remembered under `key` (its trace id + span id): a span sent again finds its own copy. */
    holdsClient(key: string): boolean {
      return ring.size > 0 && ofSide(find(key), 'client') >= 0;
    },

    /**
     * The remembered half of `side` a late half with these keys completes (removed and taken back), if
     * any: a late server asks for a client, a late client for a server.
     */
    take(keys: readonly string[], side: LateHalf['side']): LateHalf | undefined {
      if (ring.size === 0) return undefined;
      for (const key of keys) {
        const ref = ofSide(find(key), side);
        if (ref >= 0) return takeBack(ref);
      }
      return undefined;
    },

    /**
     * As `take` with the one key whose six words (trace id, span id, as ingest/hex.ts reads hex ids)
     * are at `at` in `words`: the engine has read them for the pairing store, so a span that waits
     * makes no joined id string to ask with. Its text is made only while halves are held under keys
     * the ring does not index (a consumer's links, ids not in hex).
     */
    takeWords(words: Uint32Array, at: number, side: LateHalf['side']): LateHalf | undefined {
      if (ring.size === 0) return undefined;
      let ref = ring.findWords(words, at);
      if (extraKeys.size > 0) ref = orExtra(ref, idHex(words, at));
      ref = ofSide(ref, side);
      return ref < 0 ? undefined : takeBack(ref);
    },

    /** Forgets what expired more than the late window before `at` (the pairing clock). */
    forget(at: number): void {
      for (const ref of settling) if (wholes.has(ref)) settle(ref);
      settling = unsettled;
      unsettled = [];
      const deadline = at - options.windowMs;
      for (let ref = ring.oldest(); ref >= 0 && ring.expiredAt(ref) <= deadline; ref = ring.oldest()) {
        remove(ref);
        stats.droppedWindow++;
      }
    },

    /** The correction rows gathered since the last drain. */
    drain(): CorrectionRow[] {
      const out = rows
        .drain()
        .filter(
          (r) => r.kind === 'virtual' || r.calls !== 0 || r.errors !== 0 || r.entryCalls !== 0 || r.unpaired !== 0,
        );
      // Sorted like the other rows, so that concurrent writers lock in one order.
      return out.sort((a, b) => cmp(a.kind, b.kind) || cmp(a.from, b.from) || cmp(a.to, b.to) || a.minute - b.minute);
    },

    /**
     * What changed since the last journal, for the checkpoint to write (undefined: nothing). The
     * halves new since are placed in a segment of their own from here on.
     */
    journal(): LateJournal | undefined {
      if (fresh.size === 0 && !forgotten) return undefined;
      const held = [...fresh].sort((a, b) => ring.seq(a) - ring.seq(b));
      fresh.clear();
      const segment = held.length > 0 ? ++lastSegment : lastSegment;
      const halves = held.map((ref, index): LateHalf | TemplatedHalf => {
        ring.setPlace(ref, segment, index);
        // One held whole since it expired is written as it is, and templated on the way.
        const whole = wholes.get(ref);
        const template = settle(ref);
        if (!whole) {
          // Held against a template (one not in hex is held whole): its record's contents.
          const f = ring.read(ref, figures);
          return {
            key: ring.key(ref),
            template: template!,
            error: f.error,
            latencyMs: f.latencyMs,
            at: f.at,
            source: f.source,
            expiredAt: f.expiredAt,
            seq: f.seq,
            segment,
            index,
          };
        }
        // Named field by field, not spread twice over the half: ~180 bytes a span (docs/benchmarks.md item 113).
        const { side, half, keys, credits } = whole;
        return {
          side,
          half,
          keys,
          credits,
          expiredAt: ring.expiredAt(ref),
          seq: ring.seq(ref),
          segment,
          index,
          template,
        };
      });
      if (halves.length > 0) segments.set(segment, { live: halves.length, gone: [] });
      const out: LateJournal = { segment, halves, dropped, gone: goneRanges() };
      dropped = [];
      forgotten = false;
      return out;
    },

    /**
     * Rebuilds the memory a checkpoint held (the halves in any order; those in `gone` are not
     * remembered): the ones read in place go into the ring without an object each.
     */
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
      const whole = journal.halves;
      const stored = journal.stored ?? [];
      // Every half by its expiry order: item i < whole.length is whole[i], the rest records in turn.
      let total = whole.length;
      for (const s of stored) total += s.count;
      const seqs = new Float64Array(total);
      const from = new Int32Array(total).fill(-1);
      const record = new Int32Array(total);
      const counted = (segment: number | undefined) => {
        if (segment === undefined) return;
        let seg = segments.get(segment);
        if (!seg) segments.set(segment, (seg = { live: 0, gone: gone.get(segment) ?? [] }));
        seg.live++;
      };
      // Halves of checkpoints before `seq` keep the order they were stored in.
      whole.forEach((h, i) => {
        seqs[i] = h.seq ?? i;
        counted(h.segment);
      });
      let n = whole.length;
      stored.forEach((s, k) => {
        for (let r = 0; r < s.count; r++, n++) {
          seqs[n] = s.seq(r);
          from[n] = k;
          record[n] = r;
          counted(s.segment);
        }
      });
      const order = new Uint32Array(total);
      let sorted = true;
      for (let i = 0; i < total; i++) {
        order[i] = i;
        if (i > 0 && seqs[i]! < seqs[i - 1]!) sorted = false;
        nextSeq = Math.max(nextSeq, seqs[i]! + 1);
      }
      if (!sorted) order.sort((a, b) => seqs[a]! - seqs[b]! || a - b);
      // Each segment's template numbers, as the memory numbers them (interned once each).
      const local = stored.map((s) => new Int32Array(s.templates.length).fill(-1));
      for (const i of order) {
        const k = from[i]!;
        if (k < 0) {
          const h = whole[i]!;
          if (isTemplated(h)) {
            const t = templateNumber(h.template, () => JSON.parse(h.template) as Template);
            const keys = templates[t]!.template.keys ?? [h.key];
            share(add(keys, figuresOf(h, h.expiredAt, seqs[i]!, h.segment, h.index)), t);
          } else {
            const ref = add(h.keys, figuresOf(h.half, h.expiredAt, seqs[i]!, h.segment, h.index));
            hold(ref, { side: h.side, half: h.half, keys: h.keys, credits: h.credits }, h.template);
          }
        } else {
          const s = stored[k]!;
          const r = record[i]!;
          s.read(r, figures);
          let t = local[k]![figures.template]!;
          const text = s.templates[figures.template]!;
          // A number is checked before reuse: a bound lower than at the checkpoint forgets halves while
          // restoring, and the last one to use a template frees its number (which may be handed out again).
          if (t < 0 || templates[t]?.text !== text) {
            t = local[k]![figures.template] = templateNumber(text, () => JSON.parse(text) as Template);
          }
          figures.template = t;
          templates[t]!.uses++;
          const ref = ring.pushBytes(s.bytes, s.keyAt(r), figures);
          const keys = templates[t]!.template.keys;
          if (keys) for (let j = 1; j < keys.length; j++) extraKeys.set(keys[j]!, ref);
        }
        bound();
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

/**
 * An aggregator that credits `agg` and hands `keep` what it credited. Only what a take-back needs is
 * kept: first/last seen times and version/library uses are widened, never taken back. A class: an
 * object of closures cost nine closures per expiry, each named at run time under tsx
 * (`__name`, 2.5% of the saturated worker: docs/benchmarks.md item 123).
 */
class Recording implements Pick<
  Aggregator,
  'virtual' | 'edge' | 'operation' | 'call' | 'countTags' | 'service' | 'use'
> {
  constructor(
    private readonly agg: Aggregator,
    private readonly keep: (c: Credit) => void,
  ) {}

  service(s: ServiceInfo, at: number): void {
    this.agg.service(s, at);
  }

  use(...a: Parameters<Aggregator['use']>): void {
    this.agg.use(...a);
  }

  virtual(c: VirtualComponent, at: number): void {
    this.agg.virtual(c, at);
    this.keep({ v: c.key });
  }

  edge(
    from: string,
    to: string,
    protocol: string,
    error: boolean,
    latencyMs: number,
    at: number,
    fromVersion = '',
    toVersion = '',
    origins?: number,
  ): void {
    this.agg.edge(from, to, protocol, error, latencyMs, at, fromVersion, toVersion, origins);
    this.keep({ e: [from, to, error, latencyMs, at, fromVersion, toVersion] });
  }

  operation(op: OperationRef, at: number, entry = false): void {
    this.agg.operation(op, at, entry);
    if (entry) this.keep({ o: [op.key, at, false, 0, false, true] });
  }

  operationCall(op: OperationRef, at: number, error: boolean, latencyMs: number): void {
    this.agg.operationCall(op, at, error, latencyMs);
    this.keep({ o: [op.key, at, error, latencyMs, true, false] });
  }

  call(
    from: string,
    to: string,
    error: boolean,
    latencyMs: number,
    at: number,
    traceId: string,
    fromVersion = '',
    toVersion = '',
  ): void {
    this.agg.call(from, to, error, latencyMs, at, traceId, fromVersion, toVersion);
    this.keep({ c: [from, to, error, latencyMs, at, fromVersion, toVersion] });
  }

  countTags(subject: string, onOperation: boolean, pairs: TagPairs, calls: number, error: boolean, at: number): void {
    this.agg.countTags(subject, onOperation, pairs, calls, error, at);
    if (calls <= 0) return;
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i]!;
      const key = pair[0];
      const value = pair[1];
      this.keep({ t: [subject, onOperation, key, value, calls, error] });
    }
  }
}
