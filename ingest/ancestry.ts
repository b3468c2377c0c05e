/**
 * The ancestry index: every span the engine saw in the last two pairing TTLs, by trace and span id,
 * with what finding the entry operation above a client span needs (its parent, name, kind, service,
 * entry operation). At saturation it holds ~1,000,000 spans, more than anything else in the worker,
 * so it keeps no object per span: a span is a slot in columns (typed arrays for ids, times and kind;
 * plain arrays for the shared name, service and operation objects), in arrival order in a ring that
 * grows up to its bound. A Map of objects with a 48-character id string per span held ~280 bytes per
 * span (heap snapshot, docs/benchmarks.md item 62); a slot holds ~80.
 *
 * The ring is cut into `BLOCKS` blocks, each found through an open-addressing table of its own
 * (slot numbers keyed by the ids' bits), asked newest block first. Spans leave in arrival order, so a
 * block leaves whole: its table is emptied at once, where one shared table cost every span a second
 * probe and a deletion that re-hashed the entries after it, each a cache miss (item 160). Until its
 * block leaves, a span past the time window is only marked gone (`gone`: it is not found); the bound
 * lets the oldest block go whole. A block is an eighth of the ring rounded up to a power of two, so a
 * full index holds at least three quarters of its bound (87% at the default 1,000,000) and at most all.
 * A span id that comes again replaces the earlier one in the same block; an earlier one in an older
 * block stays, never found again (the newer is asked first), and counts in `size` until its block
 * leaves (in `evicted` too, should the bound make it go).
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
/** a slot left behind when its span id came again in its block (the newer one is later in the ring) */
const DEAD = 64;
const KIND_BITS = 7;

/** 4 words of trace id, 2 of span id */
const KEY_WORDS = 6;
const MIN_CAPACITY = 1024;
/** the ring's blocks, each with a table of its own (see the file comment) */
export const BLOCKS = 8;

interface StringIds {
  /** its key in `byString` ('' when found by bits) */
  key: string;
  traceId: string;
  parentSpanId: string;
}

export interface AncestryIndex {
  /** spans held */
  readonly size: number;
  /** spans forgotten before their time because the index was full (an older copy of a repeated id among them) */
  readonly evicted: number;
  /**
   * Remembers a span as of `arrived` (ms since the engine began); a repeated id is found as the newer
   * one from then on, at the end (arrival order; see the file comment for the older copy). `words`: the span's ids already read (the engine reads
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

/** An index holding at most `maxEntries` spans: past it the oldest block goes early, its spans counted in `evicted`. */
export function createAncestryIndex(maxEntries: number): AncestryIndex {
  const bound = Math.max(1, maxEntries);
  let capacity = 0;
  /** the ring: its oldest slot (always a block's first), and how many slots from there are in use */
  let head = 0;
  let used = 0;
  /** of the slots in use, how many from `head` on are past the time window (their block not yet let go) */
  let gone = 0;
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
  /** slots per block, a power of two (the last block holds the rest of the ring) */
  let blockShift = 0;
  let blockMask = 0;
  /**
   * a table per block, open addressing with linear probing: the slot's place in its block + 1 in the
   * low `slotBits` bits (0 for empty), and above them as many high bits of the ids' hash as fit in 31
   * (`fingerprint`); twice the block's size
   */
  let tables: Int32Array[] = [];
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
   * The hash's high bits kept beside a slot in a table: a lookup reads the ids (a cache miss each, as
   * the ids of ~1,000,000 spans are ~24 MB) only of the entries whose fingerprint is the probe's.
   */
  const fingerprint = (h: number) => (fingerprintShift >= 32 ? 0 : h >>> fingerprintShift);

  /** How far `slot` is from the head, in arrival order. */
  const fromHead = (slot: number) => (slot >= head ? slot - head : slot + capacity - head);

  /** Whether a slot in use is past the time window. */
  const isGone = (slot: number) => gone > 0 && fromHead(slot) < gone;

  /** The slot in block `b` whose ids are `probe`, or -1. */
  function lookupIn(b: number, h: number, fp: number): number {
    const table = tables[b]!;
    const base = b << blockShift;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const entry = table[i]!;
      if (entry === 0) return -1;
      if (entry >>> slotBits !== fp) continue;
      const slot = base + (entry & slotMask) - 1;
      const k = slot * KEY_WORDS;
      if (
        keys[k + 4] === probe[4] &&
        keys[k + 5] === probe[5] &&
        keys[k] === probe[0] &&
        keys[k + 1] === probe[1] &&
        keys[k + 2] === probe[2] &&
        keys[k + 3] === probe[3]
      )
        return slot;
    }
  }

  /** The newest slot in use whose ids are `probe` and that is not gone, or -1: the blocks newest first. */
  function lookup(): number {
    if (used === 0) return -1;
    const h = hash(probe, 0);
    const fp = fingerprint(h);
    let tail = head + used - 1;
    if (tail >= capacity) tail -= capacity;
    const first = head >>> blockShift;
    const last = capacity === 0 ? 0 : (capacity - 1) >>> blockShift;
    for (let b = tail >>> blockShift; ; b = b === 0 ? last : b - 1) {
      const slot = lookupIn(b, h, fp);
      // The newest copy past the window: any older one is too.
      if (slot >= 0) return isGone(slot) ? -1 : slot;
      if (b === first) return -1;
    }
  }

  /** Whether two slots hold the same ids. */
  function sameIds(a: number, b: number): boolean {
    const x = a * KEY_WORDS;
    const y = b * KEY_WORDS;
    for (let w = 0; w < KEY_WORDS; w++) if (keys[x + w] !== keys[y + w]) return false;
    return true;
  }

  /** Puts `slot` (its ids written) in its block's table; an earlier slot of the same ids there is left dead. */
  function insert(slot: number): void {
    const b = slot >>> blockShift;
    const table = tables[b]!;
    const h = hash(keys, slot * KEY_WORDS);
    const fp = fingerprint(h);
    let i = h & mask;
    for (let entry = table[i]!; entry !== 0; entry = table[(i = (i + 1) & mask)]!) {
      if (entry >>> slotBits !== fp) continue;
      const other = (b << blockShift) + (entry & slotMask) - 1;
      if (sameIds(other, slot)) {
        bury(other);
        break;
      }
    }
    table[i] = ((slot & blockMask) + 1) | (fp << slotBits);
  }

  /** Marks a slot replaced by a newer one of the same ids. */
  function bury(slot: number): void {
    const f = flags[slot]!;
    if (f & DEAD) return;
    if (!isGone(slot)) live--;
    if (f & (BY_STRING | PARENT_STRING)) stringIds.delete(slot);
    flags[slot] = f | DEAD;
  }

  /** Takes a slot whose id or parent's is not hex out of the Maps (its block goes, or it was gone when the ring grew). */
  function forgetStrings(slot: number): void {
    const s = stringIds.get(slot)!;
    if (flags[slot]! & BY_STRING && byString.get(s.key) === slot) byString.delete(s.key);
    stringIds.delete(slot);
  }

  /** Lets the head block go whole (`full`: the bound made it go; what was not gone yet counts as evicted). */
  function dropBlock(full: boolean): void {
    const b = head >>> blockShift;
    const end = Math.min((b + 1) << blockShift, capacity);
    const count = Math.min(end - head, used);
    for (let slot = head; slot < head + count; slot++) {
      const f = flags[slot]!;
      if (f & DEAD) continue;
      if (slot - head >= gone) {
        live--;
        if (full) evicted++;
      }
      if (f & (BY_STRING | PARENT_STRING)) forgetStrings(slot);
    }
    // Let a service or operation no longer seen anywhere be collected.
    services.fill(undefined, head, head + count);
    entryOps.fill(undefined, head, head + count);
    tables[b]!.fill(0);
    gone = Math.max(0, gone - count);
    used -= count;
    head = end === capacity ? 0 : end;
  }

  /** Doubles the ring (up to the bound), its slots renumbered from 0 in arrival order, those gone left out. */
  function grow(): void {
    // What is gone is not copied.
    for (let i = 0; i < gone; i++) {
      const slot = (head + i) % capacity;
      if (!(flags[slot]! & DEAD) && flags[slot]! & (BY_STRING | PARENT_STRING)) forgetStrings(slot);
      services[slot] = undefined;
      entryOps[slot] = undefined;
    }
    if (gone > 0) {
      head = (head + gone) % capacity;
      used -= gone;
      gone = 0;
    }
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
      const i = fromHead(from);
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
    blockShift = 0;
    while (2 ** blockShift * BLOCKS < next) blockShift++;
    blockMask = 2 ** blockShift - 1;
    mask = 2 ** (blockShift + 1) - 1;
    tables = [];
    for (let b = 0; b << blockShift < next; b++) tables.push(new Int32Array(mask + 1));
    // A block's places 1..2^blockShift in the low bits, the hash's highest bits in the rest of 31.
    slotBits = blockShift + 1;
    slotMask = 2 ** slotBits - 1;
    fingerprintShift = 32 - Math.max(0, 31 - slotBits);
    for (let slot = 0; slot < used; slot++) if (!(flags[slot]! & (DEAD | BY_STRING))) insert(slot);
  }

  function find(traceId: string, spanId: string): number {
    if (!toWords(traceId, spanId)) {
      const slot = byString.get(`${traceId} ${spanId}`);
      return slot === undefined || isGone(slot) ? -1 : slot;
    }
    return lookup();
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
      let parent0 = 0;
      let parent1 = 0;
      if (words) {
        // Word by word: a subarray to copy from would be an object per span.
        const w = words.words;
        for (let i = 0; i < KEY_WORDS; i++) probe[i] = w[i]!;
        probeTrace = traceId;
        probeTraceHex = words.traceHex;
        hex = words.traceHex && words.spanHex;
        parentHex = words.parentHex;
        parent0 = w[6]!;
        parent1 = w[7]!;
      } else {
        hex = toWords(traceId, spanId);
        parentHex = hasParent && spanWords(a.parentSpanId, parentIds, 0);
        parent0 = parentIds[0]!;
        parent1 = parentIds[1]!;
      }
      if (used === capacity) {
        if (capacity < bound) grow();
        else dropBlock(true);
      }
      let slot = head + used;
      if (slot >= capacity) slot -= capacity;
      used++;
      live++;
      const parentString = hasParent && !parentHex;
      flags[slot] =
        (a.kind & KIND_BITS) |
        (hasParent ? HAS_PARENT : 0) |
        (hex ? 0 : BY_STRING) |
        (parentString ? PARENT_STRING : 0);
      if (hex) {
        keys.set(probe, slot * KEY_WORDS);
        insert(slot);
      } else {
        const key = `${traceId} ${spanId}`;
        const previous = byString.get(key);
        if (previous !== undefined) bury(previous);
        byString.set(key, slot);
      }
      if (parentHex) {
        parents[slot * 2] = parent0;
        parents[slot * 2 + 1] = parent1;
      }
      if (!hex || parentString)
        stringIds.set(slot, { key: hex ? '' : `${traceId} ${spanId}`, traceId, parentSpanId: a.parentSpanId });
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
      return lookup();
    },

    hasParent: (slot) => (flags[slot]! & HAS_PARENT) !== 0,
    kind: (slot) => (flags[slot]! & KIND_BITS) as SpanKind,
    name: (slot) => names[slot]!,
    service: (slot) => services[slot]!,
    entryOp: (slot) => entryOps[slot],

    expire(arrived) {
      // Marked gone span by span (no table touched), then let go of block by block.
      while (gone < used) {
        let slot = head + gone;
        if (slot >= capacity) slot -= capacity;
        if (arrivedAt[slot]! > arrived) break;
        if (!(flags[slot]! & DEAD)) live--;
        gone++;
      }
      while (used > 0 && gone >= Math.min(Math.min(((head >>> blockShift) + 1) << blockShift, capacity) - head, used))
        dropBlock(false);
    },

    oldestSource() {
      for (let i = gone; i < used; i++) {
        let slot = head + i;
        if (slot >= capacity) slot -= capacity;
        if (!(flags[slot]! & DEAD)) return sources[slot]!;
      }
      return Number.POSITIVE_INFINITY;
    },
  };
}
