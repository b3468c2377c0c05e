/**
 * The late memory's halves as columns (ingest/late-pairs.ts): a ring of slots in the order they were
 * remembered, which is their expiry order, so that the late window and the bound forget from its
 * start. Each slot holds a half's figures in typed arrays, the index of its template, its checkpoint
 * place, and its key (trace id and span id in lower-case hex, as the decoders make them) as six
 * 32-bit words; a hash index over those words finds a slot by its key. A remembered half costs ~77
 * bytes here and 16–32 in the index (8 an entry; up to 64 after a drain, until it shrinks), off the
 * V8 heap, where an object per half cost ~320 (item 83 of docs/benchmarks.md) and 15 minutes of the
 * bench's expiries did not fit.
 *
 * The ring is chunked (4,096 slots each) so that it grows and shrinks without copying: a chunk the
 * start has passed is reused at the end. A slot taken from the middle (a late partner came) stays in
 * place, empty, until the start passes it. A slot is named by its `ref`: its chunk's number and its
 * place in that chunk, stable while the slot is held (the index keeps refs, not positions).
 *
 * Pure and synchronous; knows nothing of what a half means.
 */
import { hashIdWords, idHex, idWords } from './hex.js';

const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;
/** a key's words: the trace id's four, the span id's two */
const WORDS = 6;
const EMPTY = -1;

const LIVE = 1;
const ERROR = 2;
/** the slot's key is in the index (not when a later slot with the same key took its place there) */
const KEYED = 4;

/** A hash of the six words of a key at `at` in `words`. */
export type KeyHash = (words: Uint32Array, at: number) => number;

class Chunk {
  readonly key = new Uint32Array(CHUNK * WORDS);
  readonly latencyMs = new Float64Array(CHUNK);
  readonly at = new Float64Array(CHUNK);
  readonly source = new Float64Array(CHUNK);
  readonly expiredAt = new Float64Array(CHUNK);
  readonly seq = new Float64Array(CHUNK);
  readonly template = new Int32Array(CHUNK);
  readonly segment = new Int32Array(CHUNK);
  readonly index = new Int32Array(CHUNK);
  readonly flags = new Uint8Array(CHUNK);
  constructor(readonly id: number) {}
}

/** What a slot holds besides its key. */
export interface SlotFigures {
  error: boolean;
  latencyMs: number;
  at: number;
  source: number;
  expiredAt: number;
  seq: number;
  /** the template's number (-1: none, the half is held elsewhere) */
  template: number;
  /** the checkpoint segment holding it and its place there (-1: none yet) */
  segment: number;
  index: number;
}

/** Bytes per slot in the columns (the index adds 8 per table entry, at most half of them full). */
export const SLOT_BYTES = WORDS * 4 + 5 * 8 + 3 * 4 + 1;

export class LateRing {
  /** chunks by number; a chunk in use is in `order` too */
  private readonly pool: (Chunk | undefined)[] = [];
  /** numbers of chunks let go, and one passed chunk kept for the next */
  private readonly free: number[] = [];
  private spare: Chunk | undefined;
  /** the chunks from the oldest slot to the newest */
  private order: Chunk[] = [];
  /** the oldest slot's place in the first chunk, the next free place in the last */
  private head = 0;
  private tail = CHUNK;
  private live = 0;
  private slots = 0;
  /**
   * Open addressing with linear probing, removal shifting back (no tombstones): entry `t` is a slot's
   * ref at `2t` and its key's hash at `2t + 1`. Nearly every lookup misses (a late half is rare), and
   * a miss compares the hashes it passes, side by side in the table, instead of reading each slot's
   * key from its chunk: ~2 cache misses a probe before (docs/benchmarks.md item 179).
   */
  private table = new Int32Array(2 << 10).fill(EMPTY);
  /** entries the table has room for (half its length) */
  private entries = 1 << 10;
  private keyed = 0;
  private readonly scratch = new Uint32Array(WORDS);

  constructor(private readonly hash: KeyHash = hashIdWords) {}

  /** halves held */
  get size(): number {
    return this.live;
  }

  /** slots from the oldest held to the newest, taken ones between included: what the ring occupies */
  get length(): number {
    return this.slots;
  }

  /** Bytes the columns and the index hold (whole chunks). */
  get bytes(): number {
    let chunks = 0;
    for (const c of this.pool) if (c) chunks++;
    return chunks * CHUNK * SLOT_BYTES + this.table.byteLength;
  }

  /** The oldest slot held (-1: none). */
  oldest(): number {
    return this.slots === 0 ? -1 : (this.order[0]!.id << CHUNK_BITS) | this.head;
  }

  /**
   * Holds a half at the end: its key (when in lower-case hex, the index finds it by it, in place of
   * any older slot with that key; otherwise it is held without one) and its figures. Returns its ref.
   */
  push(key: string | undefined, f: SlotFigures): number {
    const ref = this.place();
    const chunk = this.chunk(ref);
    const i = ref & MASK;
    const keyed = key !== undefined && idWords(key, chunk.key, i * WORDS);
    if (!keyed) chunk.key.fill(0, i * WORDS, i * WORDS + WORDS);
    this.fill(chunk, i, f);
    if (keyed) this.insertKey(ref);
    return ref;
  }

  /** As `push`, the key as 24 bytes (trace id and span id) at `at` in `bytes`. */
  pushBytes(bytes: Uint8Array, at: number, f: SlotFigures): number {
    const ref = this.place();
    const chunk = this.chunk(ref);
    const i = ref & MASK;
    for (let w = 0; w < WORDS; w++, at += 4)
      chunk.key[i * WORDS + w] =
        ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
    this.fill(chunk, i, f);
    this.insertKey(ref);
    return ref;
  }

  /** The slot held under `key` (-1: none). */
  find(key: string): number {
    if (this.keyed === 0 || !idWords(key, this.scratch, 0)) return -1;
    return this.findWords(this.scratch, 0);
  }

  /** The slot held under the key whose six words are at `at` in `k` (-1: none). */
  findWords(k: Uint32Array, at: number): number {
    if (this.keyed === 0) return -1;
    const table = this.table;
    const mask = this.entries - 1;
    const h = this.hash(k, at) | 0;
    for (let t = h & mask; ; t = (t + 1) & mask) {
      const ref = table[2 * t]!;
      if (ref === EMPTY) return -1;
      if (table[2 * t + 1] !== h) continue;
      const c = this.chunk(ref).key;
      const o = (ref & MASK) * WORDS;
      if (
        c[o] === k[at] &&
        c[o + 1] === k[at + 1] &&
        c[o + 2] === k[at + 2] &&
        c[o + 3] === k[at + 3] &&
        c[o + 4] === k[at + 4] &&
        c[o + 5] === k[at + 5]
      )
        return ref;
    }
  }

  /** Whether `ref` is held, as the half of expiry order `seq` (a ref is reused once its slot is gone). */
  holds(ref: number, seq: number): boolean {
    const chunk = this.pool[ref >>> CHUNK_BITS];
    const i = ref & MASK;
    return chunk !== undefined && (chunk.flags[i]! & LIVE) !== 0 && chunk.seq[i] === seq && this.inRing(chunk, i);
  }

  /** The slot's key as text, as it was given (zeros for a slot held without one). */
  key(ref: number): string {
    const chunk = this.chunk(ref);
    return idHex(chunk.key, (ref & MASK) * WORDS);
  }

  /** Copies a slot's figures into `f`. */
  read(ref: number, f: SlotFigures): SlotFigures {
    const c = this.chunk(ref);
    const i = ref & MASK;
    f.error = (c.flags[i]! & ERROR) !== 0;
    f.latencyMs = c.latencyMs[i]!;
    f.at = c.at[i]!;
    f.source = c.source[i]!;
    f.expiredAt = c.expiredAt[i]!;
    f.seq = c.seq[i]!;
    f.template = c.template[i]!;
    f.segment = c.segment[i]!;
    f.index = c.index[i]!;
    return f;
  }

  expiredAt = (ref: number): number => this.chunk(ref).expiredAt[ref & MASK]!;
  seq = (ref: number): number => this.chunk(ref).seq[ref & MASK]!;
  template = (ref: number): number => this.chunk(ref).template[ref & MASK]!;
  segment = (ref: number): number => this.chunk(ref).segment[ref & MASK]!;
  index = (ref: number): number => this.chunk(ref).index[ref & MASK]!;

  setTemplate(ref: number, template: number): void {
    this.chunk(ref).template[ref & MASK] = template;
  }

  /** Sets the slot's checkpoint place (-1, -1: none). */
  setPlace(ref: number, segment: number, index: number): void {
    const c = this.chunk(ref);
    c.segment[ref & MASK] = segment;
    c.index[ref & MASK] = index;
  }

  /** Lets a slot go: out of the index, and the ring's start moves past what is no longer held. */
  remove(ref: number): void {
    const chunk = this.chunk(ref);
    const i = ref & MASK;
    const flags = chunk.flags[i]!;
    if ((flags & LIVE) === 0) return;
    if (flags & KEYED) this.unindex(ref);
    chunk.flags[i] = 0;
    this.live--;
    while (this.slots > 0 && (this.order[0]!.flags[this.head]! & LIVE) === 0) {
      this.slots--;
      if (++this.head === CHUNK || this.slots === 0) this.dropFirst();
    }
  }

  /** The next free place at the end, a chunk added when the last is full. */
  private place(): number {
    if (this.tail === CHUNK) {
      let chunk = this.spare;
      this.spare = undefined;
      if (!chunk) {
        const id = this.free.pop() ?? this.pool.length;
        this.pool[id] = chunk = new Chunk(id);
      }
      this.order.push(chunk);
      this.tail = 0;
    }
    const chunk = this.order[this.order.length - 1]!;
    this.slots++;
    this.live++;
    return (chunk.id << CHUNK_BITS) | this.tail++;
  }

  private fill(c: Chunk, i: number, f: SlotFigures): void {
    c.flags[i] = LIVE | (f.error ? ERROR : 0);
    c.latencyMs[i] = f.latencyMs;
    c.at[i] = f.at;
    c.source[i] = f.source;
    c.expiredAt[i] = f.expiredAt;
    c.seq[i] = f.seq;
    c.template[i] = f.template;
    c.segment[i] = f.segment;
    c.index[i] = f.index;
  }

  /** The first chunk is passed: reused at the end (one kept spare, the rest let go). */
  private dropFirst(): void {
    const first = this.order.shift()!;
    this.head = 0;
    if (this.order.length === 0) this.tail = CHUNK;
    if (!this.spare) this.spare = first;
    else {
      this.pool[first.id] = undefined;
      this.free.push(first.id);
    }
  }

  private chunk(ref: number): Chunk {
    return this.pool[ref >>> CHUNK_BITS]!;
  }

  /** Whether place `i` of `chunk` lies between the ring's start and end. */
  private inRing(chunk: Chunk, i: number): boolean {
    const at = this.order.indexOf(chunk);
    if (at < 0) return false;
    if (at === 0 && i < this.head) return false;
    return at < this.order.length - 1 || i < this.tail;
  }

  private slotHash(ref: number): number {
    return this.hash(this.chunk(ref).key, (ref & MASK) * WORDS) | 0;
  }

  private sameKey(a: number, b: number): boolean {
    const ka = this.chunk(a).key;
    const kb = this.chunk(b).key;
    const oa = (a & MASK) * WORDS;
    const ob = (b & MASK) * WORDS;
    for (let w = 0; w < WORDS; w++) if (ka[oa + w] !== kb[ob + w]) return false;
    return true;
  }

  /** Puts `ref` in the index, in place of an older slot with the same key. */
  private insertKey(ref: number): void {
    if ((this.keyed + 1) * 2 > this.entries) this.rehash(this.entries * 2);
    const table = this.table;
    const mask = this.entries - 1;
    const h = this.slotHash(ref);
    let t = h & mask;
    for (; table[2 * t] !== EMPTY; t = (t + 1) & mask) {
      const other = table[2 * t]!;
      if (table[2 * t + 1] === h && this.sameKey(other, ref)) {
        this.chunk(other).flags[other & MASK]! &= ~KEYED;
        this.keyed--;
        break;
      }
    }
    table[2 * t] = ref;
    table[2 * t + 1] = h;
    this.chunk(ref).flags[ref & MASK]! |= KEYED;
    this.keyed++;
  }

  /** Takes `ref` out of the index, shifting back the entries after it that would no longer be found. */
  private unindex(ref: number): void {
    const table = this.table;
    const mask = this.entries - 1;
    let hole = this.slotHash(ref) & mask;
    while (table[2 * hole] !== ref) hole = (hole + 1) & mask;
    for (let t = (hole + 1) & mask; table[2 * t] !== EMPTY; t = (t + 1) & mask) {
      const home = table[2 * t + 1]! & mask;
      // The entry at `t` stays only if its home lies cyclically in (hole, t].
      const stays = hole <= t ? hole < home && home <= t : hole < home || home <= t;
      if (!stays) {
        table[2 * hole] = table[2 * t]!;
        table[2 * hole + 1] = table[2 * t + 1]!;
        hole = t;
      }
    }
    table[2 * hole] = EMPTY;
    this.keyed--;
    this.chunk(ref).flags[ref & MASK]! &= ~KEYED;
    // Shrunk when mostly empty, so that a burst's index does not stay.
    if (this.entries > 1 << 10 && this.keyed * 8 < this.entries) this.rehash(this.entries / 2);
  }

  private rehash(size: number): void {
    const old = this.table;
    const table = new Int32Array(2 * size).fill(EMPTY);
    const mask = size - 1;
    for (let t = 0; t < old.length; t += 2) {
      const ref = old[t]!;
      if (ref === EMPTY) continue;
      let at = old[t + 1]! & mask;
      while (table[2 * at] !== EMPTY) at = (at + 1) & mask;
      table[2 * at] = ref;
      table[2 * at + 1] = old[t + 1]!;
    }
    this.table = table;
    this.entries = size;
  }
}
