/**
 * The pairing buffer: the two halves of one call (a CLIENT span and its SERVER child, a PRODUCER and
 * its CONSUMER) arrive in different batches, from different processes, at different times. Unmatched
 * halves wait here, client side keyed by its span id and server side by its parent span id (or link),
 * until the other half arrives (`onComplete`) or the TTL passes (`onExpire`).
 *
 * At the bench's 35,000 spans/s some 35,000 halves wait, up to the 200,000-half bound. A Map keyed by
 * a joined 48-character id string, a wrapper object per half and a Set made a string and two objects
 * per half and held ~155-180 bytes a half besides the half (docs/benchmarks.md items 80 and 91). So a
 * key is its ids' bits instead: each key is a record in columns (6 words: trace id 4, span id 2), found
 * through an open-addressing table of record numbers (linear probing, deletion by moving the rest of a
 * run back, so a run keeps the order its keys came in and the oldest server waiting under a key is the
 * first found; a growing table is rebuilt in arrival order for the same reason). A half is its first
 * key's record (its payload in a plain array by record); a batch consumer's further keys (its links)
 * are records chained to it. Each side keeps its halves in arrival order in a list through the
 * records, for expiry. An id that is not model hex (an importer's odd one, a test's) is kept as its
 * string beside a hash of it in the words.
 *
 * Pure and synchronous: the clock is passed in, and tests force expiry with `expire(now)` instead of
 * sleeping. Bounded: past `maxEntries`, the oldest halves are expired early and counted as evicted.
 */
import { hashIdWords, idHex, spanWords, traceWords, type SpanIdWords } from './hex.js';
import { widened } from './typed-columns.js';

export interface PairingCallbacks<C, S> {
  onComplete(client: C, server: S): void;
  /** `unanswered`: expired before its TTL, after `expireSoon` (its callee is not expected to answer) */
  onExpireClient(client: C, reason: 'ttl' | 'evicted' | 'unanswered'): void;
  /** `keys`: every key it waited under (trace id + span id of its parent, then of a consumer's links) */
  onExpireServer(server: S, reason: 'ttl' | 'evicted', keys: string[]): void;
}

export interface PairingOptions {
  ttlMs: number;
  maxEntries: number;
}

export interface PairingStats {
  completed: number;
  expiredClients: number;
  expiredServers: number;
  evicted: number;
  /** clients expired before their TTL, after `expireSoon` */
  unanswered: number;
}

/** A span link as the decoders make it: the other span's ids. */
export interface PairingLink {
  traceId: string;
  spanId: string;
}

const KEY_WORDS = 6;
const MIN_CAPACITY = 64;
/** record flags: in use (not on the free list) */
const USED = 1;
/** a server half's key (else a client's) */
const SERVER = 2;
/** its ids are not model hex: the words hold a hash of the joined string, kept in `strings` */
const BY_STRING = 4;
/** the time of a client half `expireSoon` moved to the front: before any deadline */
const SOON = Number.NEGATIVE_INFINITY;
/** A server half's links when it has none (shared, never written to). */
export const NO_LINKS: readonly PairingLink[] = [];

export class PairingStore<C, S> {
  readonly stats: PairingStats = { completed: 0, expiredClients: 0, expiredServers: 0, evicted: 0, unanswered: 0 };
  private capacity = 0;
  private keys = new Uint32Array(0);
  private flags = new Uint8Array(0);
  /** the half (its first record) a key belongs to */
  private owner = new Int32Array(0);
  /** the half's next key (-1: none); on the free list, the next free record */
  private nextKey = new Int32Array(0);
  /** a half's: when it began to wait, and its neighbours in its side's arrival order (-1: none) */
  private at = new Float64Array(0);
  private older = new Int32Array(0);
  private newer = new Int32Array(0);
  private values: (C | S | undefined)[] = [];
  /** the joined ids of a record whose ids are not model hex (rare: importers, tests) */
  private readonly strings = new Map<number, string>();
  /** record + 1, 0 for empty; a power of two, at least twice the capacity */
  private table = new Int32Array(0);
  private mask = 0;
  private free = -1;
  private clientOldest = -1;
  private clientNewest = -1;
  private serverOldest = -1;
  private serverNewest = -1;
  private clients = 0;
  private servers = 0;
  /** the key being looked up or added, and its string when its ids are not model hex */
  private readonly key = new Uint32Array(KEY_WORDS);
  private keyString: string | undefined;

  constructor(
    private readonly options: PairingOptions,
    private readonly callbacks: PairingCallbacks<C, S>,
  ) {}

  get size(): number {
    return this.clients + this.servers;
  }

  /**
   * A CLIENT or PRODUCER half, keyed by trace id and its own span id; it pairs with the oldest server
   * waiting under it. `words`: the span's ids already read (`spanId` is its own), else read here. A
   * second client under a waiting client's key takes its place (a span sent again). Returns where it
   * waits (for `expireSoon`), or -1 when a server half completed it.
   */
  addClient(traceId: string, spanId: string, client: C, now: number, words?: SpanIdWords): number {
    this.setKey(traceId, spanId, words !== undefined && words.traceHex && words.spanHex ? words : undefined, 4);
    const server = this.find(SERVER);
    if (server >= 0) {
      const half = this.owner[server]!;
      const value = this.values[half] as S;
      this.takeServer(half);
      this.stats.completed++;
      this.callbacks.onComplete(client, value);
      return -1;
    }
    const waiting = this.find(0);
    if (waiting >= 0) {
      // As a Map's set did: the newer half, its time, the older one's place in the arrival order.
      this.values[waiting] = client;
      if (this.at[waiting] !== SOON) this.at[waiting] = now;
      return waiting;
    }
    const r = this.add(0);
    this.owner[r] = r;
    this.wait(r, client, now, false);
    this.clients++;
    this.bound();
    return r;
  }

  /** Takes `client` out without expiring it, if it still waits where `addClient` put it (`at`): a copy of a half already counted. */
  forget(at: number, client: C): boolean {
    if (!this.waitsAt(at, client)) return false;
    this.takeClient(at);
    return true;
  }

  /**
   * Lets `client` expire at the next `expire`, whatever its TTL, if it still waits where `addClient`
   * put it (`at`): it moves to the front of the clients' arrival order, and expires as `unanswered`.
   * Until then a server half still completes it. Returns whether it was moved.
   */
  expireSoon(at: number, client: C): boolean {
    if (!this.waitsAt(at, client)) return false;
    if (this.at[at] === SOON) return true;
    this.unlist(at, false);
    this.at[at] = SOON;
    this.older[at] = -1;
    this.newer[at] = this.clientOldest;
    if (this.clientOldest >= 0) this.older[this.clientOldest] = at;
    else this.clientNewest = at;
    this.clientOldest = at;
    return true;
  }

  /**
   * A SERVER or CONSUMER half, keyed by trace id and parent span id ('' for none); a batch consumer
   * also waits under each link, and pairs with whichever producer arrives first. `words`: the span's
   * ids already read (its parent's among them), else read here. With no parent and no link it does
   * not wait.
   */
  addServer(
    traceId: string,
    parentSpanId: string,
    links: readonly PairingLink[],
    server: S,
    now: number,
    words?: SpanIdWords,
  ): void {
    const parent = parentSpanId !== '';
    const known = words !== undefined && words.traceHex && words.parentHex ? words : undefined;
    if (parent) {
      this.setKey(traceId, parentSpanId, known, 6);
      if (this.pairWithClient(server)) return;
    }
    for (const l of links) {
      this.setKey(l.traceId, l.spanId, undefined, 4);
      if (this.pairWithClient(server)) return;
    }
    if (!parent && links.length === 0) return;
    let half = -1;
    let last = -1;
    // Under each key, even one given twice (a link to its parent): its expiry names every key given.
    for (let k = parent ? -1 : 0; k < links.length; k++) {
      if (k < 0) this.setKey(traceId, parentSpanId, known, 6);
      else this.setKey(links[k]!.traceId, links[k]!.spanId, undefined, 4);
      const r = this.add(SERVER);
      if (half < 0) half = r;
      else this.nextKey[last] = r;
      this.owner[r] = half;
      last = r;
    }
    this.wait(half, server, now, true);
    this.servers++;
    this.bound();
  }

  /** Every half still waiting, each once, clients then servers, oldest first: what a checkpoint must carry over. */
  forEachWaiting(visit: (half: C | S) => void): void {
    for (let r = this.clientOldest; r >= 0; r = this.newer[r]!) visit(this.values[r]!);
    for (let r = this.serverOldest; r >= 0; r = this.newer[r]!) visit(this.values[r]!);
  }

  /** Every half still waiting, each once, oldest first (what a checkpoint must carry over). */
  *waiting(): Generator<{ client?: C; server?: S; at: number }> {
    for (let r = this.clientOldest; r >= 0; r = this.newer[r]!) yield { client: this.values[r] as C, at: this.at[r]! };
    for (let r = this.serverOldest; r >= 0; r = this.newer[r]!) yield { server: this.values[r] as S, at: this.at[r]! };
  }

  /** Whether `client` waits in record `at` (a record is reused once its half is gone). */
  private waitsAt(at: number, client: C): boolean {
    return at >= 0 && at < this.capacity && this.values[at] === client && (this.flags[at]! & SERVER) === 0;
  }

  /** Expires every half that waited longer than the TTL at `now`. */
  expire(now: number): void {
    const deadline = now - this.options.ttlMs;
    while (this.clientOldest >= 0 && this.at[this.clientOldest]! <= deadline) {
      const soon = this.at[this.clientOldest] === SOON;
      const value = this.takeClient(this.clientOldest);
      if (soon) this.stats.unanswered++;
      else this.stats.expiredClients++;
      this.callbacks.onExpireClient(value, soon ? 'unanswered' : 'ttl');
    }
    while (this.serverOldest >= 0 && this.at[this.serverOldest]! <= deadline) {
      const half = this.serverOldest;
      const value = this.values[half] as S;
      const keys = this.keysOf(half);
      this.takeServer(half);
      this.stats.expiredServers++;
      this.callbacks.onExpireServer(value, 'ttl', keys);
    }
  }

  /** Expires everything still waiting (shutdown, or the end of an import). */
  expireAll(): void {
    this.expire(Number.POSITIVE_INFINITY);
  }

  /** The ids a key is made of into `key` (`at`: where its span id is in `words`), or its string when not model hex. */
  private setKey(traceId: string, spanId: string, words: SpanIdWords | undefined, at: number): void {
    const key = this.key;
    if (words !== undefined) {
      const w = words.words;
      key[0] = w[0]!;
      key[1] = w[1]!;
      key[2] = w[2]!;
      key[3] = w[3]!;
      key[4] = w[at]!;
      key[5] = w[at + 1]!;
      this.keyString = undefined;
    } else if (traceWords(traceId, key, 0) && spanWords(spanId, key, 4)) this.keyString = undefined;
    else {
      const s = traceId + spanId;
      let h = 0x811c9dc5;
      for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
      key.fill(0);
      key[0] = h >>> 0;
      key[1] = s.length;
      this.keyString = s;
    }
  }

  /** The record holding `key` on one side (`SERVER` or 0), the oldest such, or -1. */
  private find(side: number): number {
    if (this.capacity === 0) return -1;
    const { key, keys, table, mask } = this;
    const want = USED | side | (this.keyString === undefined ? 0 : BY_STRING);
    for (let i = hashIdWords(key, 0) & mask; ; i = (i + 1) & mask) {
      const entry = table[i]!;
      if (entry === 0) return -1;
      const r = entry - 1;
      const k = r * KEY_WORDS;
      if (
        keys[k + 4] === key[4] &&
        keys[k + 5] === key[5] &&
        keys[k] === key[0] &&
        keys[k + 1] === key[1] &&
        keys[k + 2] === key[2] &&
        keys[k + 3] === key[3] &&
        this.flags[r] === want &&
        (this.keyString === undefined || this.strings.get(r) === this.keyString)
      )
        return r;
    }
  }

  /** Pairs `server` with the client waiting under `key`, if one does. */
  private pairWithClient(server: S): boolean {
    const client = this.find(0);
    if (client < 0) return false;
    const value = this.takeClient(client);
    this.stats.completed++;
    this.callbacks.onComplete(value, server);
    return true;
  }

  /** A record for `key` on one side, in the table. */
  private add(side: number): number {
    if (this.free < 0) this.grow();
    const r = this.free;
    this.free = this.nextKey[r]!;
    this.nextKey[r] = -1;
    this.keys.set(this.key, r * KEY_WORDS);
    this.flags[r] = USED | side | (this.keyString === undefined ? 0 : BY_STRING);
    if (this.keyString !== undefined) this.strings.set(r, this.keyString);
    this.insert(r);
    return r;
  }

  /** A half begins to wait, the newest of its side. */
  private wait(half: number, value: C | S, now: number, server: boolean): void {
    this.values[half] = value;
    this.at[half] = now;
    const newest = server ? this.serverNewest : this.clientNewest;
    this.older[half] = newest;
    this.newer[half] = -1;
    if (newest >= 0) this.newer[newest] = half;
    else if (server) this.serverOldest = half;
    else this.clientOldest = half;
    if (server) this.serverNewest = half;
    else this.clientNewest = half;
  }

  /** Takes a half out of its side's arrival order. */
  private unlist(half: number, server: boolean): void {
    const older = this.older[half]!;
    const newer = this.newer[half]!;
    if (older >= 0) this.newer[older] = newer;
    else if (server) this.serverOldest = newer;
    else this.clientOldest = newer;
    if (newer >= 0) this.older[newer] = older;
    else if (server) this.serverNewest = older;
    else this.clientNewest = older;
  }

  private takeClient(half: number): C {
    const value = this.values[half] as C;
    this.unlist(half, false);
    this.release(half);
    this.clients--;
    return value;
  }

  /** Removes a waiting server half under all its keys. */
  private takeServer(half: number): void {
    this.unlist(half, true);
    for (let r = half; r >= 0;) {
      const next = this.nextKey[r]!;
      this.release(r);
      r = next;
    }
    this.servers--;
  }

  /** Every key a server half waits under, as the joined id strings the rest of the engine keys by. */
  private keysOf(half: number): string[] {
    const keys: string[] = [];
    for (let r = half; r >= 0; r = this.nextKey[r]!)
      keys.push(this.flags[r]! & BY_STRING ? this.strings.get(r)! : idHex(this.keys, r * KEY_WORDS));
    return keys;
  }

  /** Takes a record out of the table and onto the free list. */
  private release(r: number): void {
    this.removeAt(this.positionOf(r));
    if (this.flags[r]! & BY_STRING) this.strings.delete(r);
    this.flags[r] = 0;
    this.values[r] = undefined;
    this.nextKey[r] = this.free;
    this.free = r;
  }

  private insert(r: number): void {
    const { table, mask } = this;
    let i = hashIdWords(this.keys, r * KEY_WORDS) & mask;
    while (table[i] !== 0) i = (i + 1) & mask;
    table[i] = r + 1;
  }

  private positionOf(r: number): number {
    const { table, mask } = this;
    let i = hashIdWords(this.keys, r * KEY_WORDS) & mask;
    while (table[i] !== r + 1) i = (i + 1) & mask;
    return i;
  }

  /** Empties table position `hole`, moving later entries of its run back so that no lookup stops short of them. */
  private removeAt(hole: number): void {
    const { table, mask, keys } = this;
    for (let j = (hole + 1) & mask; table[j] !== 0; j = (j + 1) & mask) {
      const home = hashIdWords(keys, (table[j]! - 1) * KEY_WORDS) & mask;
      // An entry whose home lies cyclically in (hole, j] is still reachable; any other moves into the hole.
      const reachable = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (reachable) continue;
      table[hole] = table[j]!;
      hole = j;
    }
    table[hole] = 0;
  }

  /** Doubles the records (numbers kept: the arrival lists and key chains stay as they are) and rebuilds the table. */
  private grow(): void {
    const old = this.capacity;
    const next = Math.max(MIN_CAPACITY, old * 2);
    this.keys = widened(this.keys, next * KEY_WORDS);
    this.flags = widened(this.flags, next);
    this.owner = widened(this.owner, next);
    this.nextKey = widened(this.nextKey, next);
    this.at = widened(this.at, next);
    this.older = widened(this.older, next);
    this.newer = widened(this.newer, next);
    for (let r = old; r < next; r++) this.values.push(undefined);
    // The new records go on the free list, lowest first.
    for (let r = next - 1; r >= old; r--) {
      this.nextKey[r] = this.free;
      this.free = r;
    }
    this.capacity = next;
    let size = 2;
    while (size < next * 2) size *= 2;
    this.table = new Int32Array(size);
    this.mask = size - 1;
    // In arrival order, so that under a key the oldest server is still found first (records are reused
    // out of order); then the records of a server half being added, not yet in its side's list.
    const placed = new Uint8Array(old);
    for (let r = this.clientOldest; r >= 0; r = this.newer[r]!) {
      this.insert(r);
      placed[r] = 1;
    }
    for (let half = this.serverOldest; half >= 0; half = this.newer[half]!)
      for (let r = half; r >= 0; r = this.nextKey[r]!) {
        this.insert(r);
        placed[r] = 1;
      }
    for (let r = 0; r < old; r++) if (this.flags[r]! & USED && placed[r] === 0) this.insert(r);
  }

  private bound(): void {
    while (this.size > this.options.maxEntries) {
      const client = this.clientOldest;
      const server = this.serverOldest;
      this.stats.evicted++;
      if (client >= 0 && (server < 0 || this.at[client]! <= this.at[server]!))
        this.callbacks.onExpireClient(this.takeClient(client), 'evicted');
      else if (server >= 0) {
        const value = this.values[server] as S;
        const keys = this.keysOf(server);
        this.takeServer(server);
        this.callbacks.onExpireServer(value, 'evicted', keys);
      } else return;
    }
  }
}
