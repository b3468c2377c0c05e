/**
 * The ancestry index: every span the engine saw in the last two pairing TTLs, by trace and span id,
 * with what finding the entry operation above a client span needs (its parent, name, kind, service,
 * entry operation). At saturation it holds ~700,000 spans, more than anything else in the worker,
 * so it keeps no object per span: a span is a slot in columns (typed arrays for ids, times and kind;
 * plain arrays for the shared name, service and operation objects), in arrival order in a ring that
 * grows up to its bound, and found through an open-addressing table of slot numbers keyed by the
 * ids' bits. A Map of objects with a 48-character id string per span held ~280 bytes per span (heap
 * snapshot, docs/benchmarks.md item 62); a slot holds ~80.
 *
 * Ids are the model's lower-case hex (32 characters for a trace, 16 for a span); any other id (an
 * importer's odd one, a test's) is kept the same way but found through a Map by its string.
 * Pure and synchronous; time is passed in.
 */
import type { OperationRef, ServiceInfo } from './derive.js';
import { hashIdWords as hash, hexWord, spanWords, type SpanIdWords } from './hex.js';
import type { SpanKind } from './span.js';

/**
 * What the index copies of a span into its columns (not held). The engine passes the span's own half
 * (ingest/callers.ts `Half` has these fields), not an object made for the index per span.
 */
export interface Ancestor {
  parentSpanId: string;
  name: string;
  kind: SpanKind;
  service: ServiceInfo;
  /** a SERVER/CONSUMER span's entry operation (its own `op`); undefined for any other */
  op?: OperationRef;
  source: number;
}

/** Slot flags, beside the kind (bits 0-2). */
const HAS_PARENT = 8;
/** found through the Map by its string, not by bits (see the file comment) */
const BY_STRING = 16;
/** its parent's id is not model hex: kept as a string */
const PARENT_STRING = 32;
/** a slot left behind when its span id came again (the newer one is at the tail) */
const DEAD = 64;
const KIND_BITS = 7;

/** 4 words of trace id, 2 of span id */
const KEY_WORDS = 6;
const MIN_CAPACITY = 1024;

interface StringIds {
  /** its key in `byString` ('' when found by bits) */
  key: string;
  traceId: string;
  parentSpanId: string;
}

export interface AncestryIndex {
  /** spans held */
  readonly size: number;
  /** spans forgotten before their time because the index was full */
  readonly evicted: number;
  /**
   * Remembers a span as of `arrived` (ms since the engine began); a repeated id replaces the earlier
   * one and moves to the end (arrival order). `words`: the span's ids already read (the engine reads
   * them once per span for the pairing store too), else they are read here.
   */
  remember(traceId: string, spanId: string, a: Ancestor, arrived: number, words?: SpanIdWords): void;
  /** The slot of a span, or -1 when it is not (or no longer) held. */
  find(traceId: string, spanId: string): number;
  /** The slot of the span above `slot` (same trace), or -1 when it has none or it is not held. */
  parentOf(slot: number): number;
  hasParent(slot: number): boolean;
  kind(slot: number): SpanKind;
  name(slot: number): string;
  service(slot: number): ServiceInfo;
  entryOp(slot: number): OperationRef | undefined;
  /** Forgets every span that arrived at or before `arrived` (ms since the engine began, as remembered). */
  expire(arrived: number): void;
  /** The `source` of the oldest span held (Infinity when none). */
  oldestSource(): number;
}

/** An index holding at most `maxEntries` spans: past it the oldest go early, counted in `evicted`. */
export function createAncestryIndex(maxEntries: number): AncestryIndex {
  const bound = Math.max(1, maxEntries);
  let capacity = 0;
  /** the ring: its oldest slot, and how many slots from there are in use (live or dead) */
  let head = 0;
  let used = 0;
  let live = 0;
  let evicted = 0;
  let keys = new Uint32Array(0);
  let parents = new Uint32Array(0);
  let flags = new Uint8Array(0);
  let arrivedAt = new Float64Array(0);
  let sources = new Float64Array(0);
  let names: string[] = [];
  let services: (ServiceInfo | undefined)[] = [];
  let entryOps: (OperationRef | undefined)[] = [];
  /**
   * open addressing, linear probing: slot + 1 in the low `slotBits` bits (0 for empty), and above them
   * as many high bits of the ids' hash as fit in 31 (`fingerprint`); a power of two, at least twice the capacity
   */
  let table = new Int32Array(0);
  let mask = 0;
  let slotBits = 0;
  let slotMask = 0;
  /** how far a hash is shifted right for its fingerprint: 32 less the bits above `slotBits` */
  let fingerprintShift = 32;
  /** spans with an id that is not model hex, by `traceId spanId`, and what their slot needs to find its parent */
  const byString = new Map<string, number>();
  let stringIds = new Map<number, StringIds>();

  /** the ids being looked up, as words; the trace's are kept from the last call (spans of a trace come together) */
  const probe = new Uint32Array(KEY_WORDS);
  let probeTrace: string | undefined;
  let probeTraceHex = false;
  /** the ids being remembered (probe is reused by what remembering does first) */
  const ids = new Uint32Array(KEY_WORDS);
  const parentIds = new Uint32Array(2);

  /** Reads `traceId` and `spanId` into `probe`; false when either is not model hex. */
  function toWords(traceId: string, spanId: string): boolean {
    if (traceId !== probeTrace) {
      probeTrace = traceId;
      probeTraceHex = traceId.length === 32;
      for (let w = 0; w < 4 && probeTraceHex; w++) {
        const v = hexWord(traceId, w * 8);
        if (v < 0) probeTraceHex = false;
        else probe[w] = v;
      }
    }
    return probeTraceHex && spanWords(spanId, probe, 4);
  }

  /**
   * The hash's high bits kept beside a slot in the table: a lookup reads the ids (a cache miss each, as
   * the ids of ~500,000 spans are ~12 MB) only of the entries whose fingerprint is the probe's, not of
   * every entry its run passes. 0 when the slot numbers take all 31 bits.
   */
  const fingerprint = (h: number) => (fingerprintShift >= 32 ? 0 : h >>> fingerprintShift);

  /** The slot a table entry holds. */
  const slotAt = (position: number) => (table[position]! & slotMask) - 1;

  /** The table position holding the slot whose ids are `probe`, or -1. */
  function lookup(): number {
    const h = hash(probe, 0);
    const fp = fingerprint(h);
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const entry = table[i]!;
      if (entry === 0) return -1;
      if (entry >>> slotBits !== fp) continue;
      const k = ((entry & slotMask) - 1) * KEY_WORDS;
      if (
        keys[k + 4] === probe[4] &&
        keys[k + 5] === probe[5] &&
        keys[k] === probe[0] &&
        keys[k + 1] === probe[1] &&
        keys[k + 2] === probe[2] &&
        keys[k + 3] === probe[3]
      )
        return i;
    }
  }

  const home = (position: number) => hash(keys, slotAt(position) * KEY_WORDS) & mask;

  function insert(slot: number): void {
    const h = hash(keys, slot * KEY_WORDS);
    let i = h & mask;
    while (table[i] !== 0) i = (i + 1) & mask;
    table[i] = (slot + 1) | (fingerprint(h) << slotBits);
  }

  /** Empties table position `hole`, moving later entries of its run back so that no lookup stops short of them. */
  function removeAt(hole: number): void {
    for (let j = (hole + 1) & mask; table[j] !== 0; j = (j + 1) & mask) {
      const k = home(j);
      // An entry whose home lies cyclically in (hole, j] is still reachable; any other moves into the hole.
      const reachable = hole <= j ? hole < k && k <= j : hole < k || k <= j;
      if (reachable) continue;
      table[hole] = table[j]!;
      hole = j;
    }
    table[hole] = 0;
  }

  /** Takes a live slot out of whichever lookup holds it. */
  function unlink(slot: number): void {
    const f = flags[slot]!;
    if (f & (BY_STRING | PARENT_STRING)) {
      if (f & BY_STRING) byString.delete(stringIds.get(slot)!.key);
      stringIds.delete(slot);
    }
    if (!(f & BY_STRING)) {
      for (let w = 0; w < KEY_WORDS; w++) probe[w] = keys[slot * KEY_WORDS + w]!;
      probeTrace = undefined;
      removeAt(lookup());
    }
    live--;
  }

  /** Drops the oldest slot: a live one is forgotten (a dead one was unlinked already). */
  function dropHead(): void {
    if (!(flags[head]! & DEAD)) unlink(head);
    // Let a service or operation no longer seen anywhere be collected.
    services[head] = undefined;
    entryOps[head] = undefined;
    if (++head === capacity) head = 0;
    used--;
  }

  /** Doubles the ring (up to the bound), its slots renumbered from 0 in arrival order. */
  function grow(): void {
    const next = Math.min(bound, Math.max(MIN_CAPACITY, capacity * 2));
    const nKeys = new Uint32Array(next * KEY_WORDS);
    const nParents = new Uint32Array(next * 2);
    const nFlags = new Uint8Array(next);
    const nArrived = new Float64Array(next);
    const nSources = new Float64Array(next);
    const nNames = new Array<string>(next).fill('');
    const nServices = new Array<ServiceInfo | undefined>(next).fill(undefined);
    const nEntryOps = new Array<OperationRef | undefined>(next).fill(undefined);
    // The ring in its two runs, [head, capacity) then [0, rest): a copy per column and run, not per slot
    // (a view per slot to copy its key from was ~200 bytes a span while the ring grew, item 113).
    const first = Math.min(used, capacity - head);
    const rest = used - first;
    const runs: [from: number, to: number, count: number][] = [
      [head, 0, first],
      [0, first, rest],
    ];
    for (const [from, to, count] of runs) {
      if (count === 0) continue;
      nKeys.set(keys.subarray(from * KEY_WORDS, (from + count) * KEY_WORDS), to * KEY_WORDS);
      nParents.set(parents.subarray(from * 2, (from + count) * 2), to * 2);
      nFlags.set(flags.subarray(from, from + count), to);
      nArrived.set(arrivedAt.subarray(from, from + count), to);
      nSources.set(sources.subarray(from, from + count), to);
      for (let i = 0; i < count; i++) {
        nNames[to + i] = names[from + i]!;
        nServices[to + i] = services[from + i];
        nEntryOps[to + i] = entryOps[from + i];
      }
    }
    // Ids not in hex (rare): renumbered as their slots are.
    const moved = new Map<number, StringIds>();
    for (const [from, s] of stringIds) {
      const i = (from - head + capacity) % capacity;
      moved.set(i, s);
      if (flags[from]! & BY_STRING) byString.set(s.key, i);
    }
    stringIds = moved;
    keys = nKeys;
    parents = nParents;
    flags = nFlags;
    arrivedAt = nArrived;
    sources = nSources;
    names = nNames;
    services = nServices;
    entryOps = nEntryOps;
    capacity = next;
    head = 0;
    let size = 2;
    while (size < next * 2) size *= 2;
    table = new Int32Array(size);
    mask = size - 1;
    // Slot numbers 1..capacity in the low bits, the hash's highest bits in the rest of 31.
    slotBits = 1;
    while (2 ** slotBits <= next) slotBits++;
    slotMask = 2 ** slotBits - 1;
    fingerprintShift = 32 - Math.max(0, 31 - slotBits);
    for (let slot = 0; slot < used; slot++) if (!(flags[slot]! & (DEAD | BY_STRING))) insert(slot);
  }

  function find(traceId: string, spanId: string): number {
    if (!toWords(traceId, spanId)) return byString.get(`${traceId} ${spanId}`) ?? -1;
    if (live === 0) return -1;
    const i = lookup();
    return i < 0 ? -1 : slotAt(i);
  }

  return {
    get size() {
      return live;
    },
    get evicted() {
      return evicted;
    },

    remember(traceId, spanId, a, arrived, words) {
      const hasParent = a.parentSpanId !== '';
      // By bits when the ids are model hex; by string otherwise (rare: importers, tests).
      let hex: boolean;
      let parentHex: boolean;
      if (words) {
        // Word by word: a subarray to copy from would be an object per span.
        const w = words.words;
        for (let i = 0; i < KEY_WORDS; i++) probe[i] = w[i]!;
        probeTrace = traceId;
        probeTraceHex = words.traceHex;
        hex = words.traceHex && words.spanHex;
        parentHex = words.parentHex;
        if (parentHex) {
          parentIds[0] = w[6]!;
          parentIds[1] = w[7]!;
        }
      } else {
        hex = toWords(traceId, spanId);
        parentHex = hasParent && spanWords(a.parentSpanId, parentIds, 0);
      }
      let previous: number;
      if (hex) {
        ids.set(probe);
        const i = live === 0 ? -1 : lookup();
        previous = i < 0 ? -1 : slotAt(i);
      } else previous = byString.get(`${traceId} ${spanId}`) ?? -1;
      if (previous >= 0) {
        unlink(previous);
        flags[previous] = flags[previous]! | DEAD;
      }
      if (used === capacity) {
        if (capacity < bound) grow();
        else {
          if (!(flags[head]! & DEAD)) evicted++;
          dropHead();
        }
      }
      const slot = (head + used) % capacity;
      used++;
      live++;
      const parentString = hasParent && !parentHex;
      flags[slot] =
        (a.kind & KIND_BITS) |
        (hasParent ? HAS_PARENT : 0) |
        (hex ? 0 : BY_STRING) |
        (parentString ? PARENT_STRING : 0);
      if (hex) {
        keys.set(ids, slot * KEY_WORDS);
        insert(slot);
      }
      if (parentHex) {
        parents[slot * 2] = parentIds[0]!;
        parents[slot * 2 + 1] = parentIds[1]!;
      }
      if (!hex || parentString) {
        const key = hex ? '' : `${traceId} ${spanId}`;
        if (!hex) byString.set(key, slot);
        stringIds.set(slot, { key, traceId, parentSpanId: a.parentSpanId });
      }
      arrivedAt[slot] = arrived;
      sources[slot] = a.source;
      names[slot] = a.name;
      services[slot] = a.service;
      entryOps[slot] = a.op;
    },

    find,

    parentOf(slot) {
      const f = flags[slot]!;
      if (!(f & HAS_PARENT)) return -1;
      if (f & PARENT_STRING || f & BY_STRING) {
        const s = stringIds.get(slot)!;
        return find(s.traceId, s.parentSpanId);
      }
      for (let w = 0; w < 4; w++) probe[w] = keys[slot * KEY_WORDS + w]!;
      probeTrace = undefined;
      probe[4] = parents[slot * 2]!;
      probe[5] = parents[slot * 2 + 1]!;
      const i = lookup();
      return i < 0 ? -1 : slotAt(i);
    },

    hasParent: (slot) => (flags[slot]! & HAS_PARENT) !== 0,
    kind: (slot) => (flags[slot]! & KIND_BITS) as SpanKind,
    name: (slot) => names[slot]!,
    service: (slot) => services[slot]!,
    entryOp: (slot) => entryOps[slot],

    expire(arrived) {
      while (used > 0 && ((flags[head]! & DEAD) !== 0 || arrivedAt[head]! <= arrived)) dropHead();
    },

    oldestSource() {
      for (let i = 0; i < used; i++) {
        const slot = (head + i) % capacity;
        if (!(flags[slot]! & DEAD)) return sources[slot]!;
      }
      return Number.POSITIVE_INFINITY;
    },
  };
}
