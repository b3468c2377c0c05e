/**
 * The pairing buffer: the two halves of one call (a CLIENT span and its SERVER child, a PRODUCER and
 * its CONSUMER) arrive in different batches, from different processes, at different times. Unmatched
 * halves wait here, client side keyed by its span id and server side by its parent span id (or link),
 * until the other half arrives (`onComplete`) or the TTL passes (`onExpire`).
 *
 * Pure and synchronous: the clock is passed in, and tests force expiry with `expire(now)` instead of
 * sleeping. Bounded: past `maxEntries`, the oldest halves are expired early and counted as evicted.
 */

export interface PairingCallbacks<C, S> {
  onComplete(client: C, server: S): void;
  onExpireClient(client: C, reason: 'ttl' | 'evicted'): void;
  /** `keys`: every key it waited under (its parent, a consumer's links) */
  onExpireServer(server: S, reason: 'ttl' | 'evicted', keys: string[]): void;
}

export interface PairingOptions {
  ttlMs: number;
  maxEntries: number;
}

interface Waiting<T> {
  value: T;
  at: number;
}

interface WaitingServer<S> extends Waiting<S> {
  /** every key a server half waits under (its parent, or a batch consumer's links); all go when it pairs */
  keys: string[];
}

export interface PairingStats {
  completed: number;
  expiredClients: number;
  expiredServers: number;
  evicted: number;
}

export class PairingStore<C, S> {
  // Maps and sets keep insertion order, which is arrival order: expiry scans from the front and stops early.
  private readonly clients = new Map<string, Waiting<C>>();
  private readonly servers = new Set<WaitingServer<S>>();
  /**
   * Waiting server halves by key, oldest first: several children can wait under one parent (a SERVER
   * with several SERVER children), but nearly always one does, held as itself (no array per half).
   */
  private readonly serversByKey = new Map<string, WaitingServer<S> | WaitingServer<S>[]>();
  readonly stats: PairingStats = { completed: 0, expiredClients: 0, expiredServers: 0, evicted: 0 };

  constructor(
    private readonly options: PairingOptions,
    private readonly callbacks: PairingCallbacks<C, S>,
  ) {}

  get size(): number {
    return this.clients.size + this.servers.size;
  }

  /** A CLIENT or PRODUCER half, keyed by trace id and its own span id; it pairs with the oldest server waiting under it. */
  addClient(key: string, client: C, now: number): void {
    const waiting = this.serversByKey.get(key);
    const server = Array.isArray(waiting) ? waiting[0] : waiting;
    if (server) {
      this.takeServer(server);
      this.stats.completed++;
      this.callbacks.onComplete(client, server.value);
      return;
    }
    // A client waits under its one key, the map's: no array of keys of its own.
    this.clients.set(key, { value: client, at: now });
    this.bound();
  }

  /**
   * A SERVER or CONSUMER half, keyed by trace id and parent span id; a batch consumer also waits
   * under each link, and pairs with whichever producer arrives first.
   */
  addServer(keys: string[], server: S, now: number): void {
    for (const key of keys) {
      const client = this.clients.get(key);
      if (client) {
        this.clients.delete(key);
        this.stats.completed++;
        this.callbacks.onComplete(client.value, server);
        return;
      }
    }
    if (keys.length === 0) return;
    const entry: WaitingServer<S> = { value: server, at: now, keys };
    this.servers.add(entry);
    for (const key of keys) {
      const waiting = this.serversByKey.get(key);
      if (waiting === undefined) this.serversByKey.set(key, entry);
      else if (Array.isArray(waiting)) waiting.push(entry);
      else this.serversByKey.set(key, [waiting, entry]);
    }
    this.bound();
  }

  /**
   * Every half still waiting, each once, clients then servers, with the key a client waits under: what
   * a checkpoint must carry over, taken at every flush, so without an object per half (`waiting()`).
   */
  forEachWaiting(visit: (half: C | S, clientKey: string | undefined) => void): void {
    for (const [key, entry] of this.clients) visit(entry.value, key);
    for (const entry of this.servers) visit(entry.value, undefined);
  }

  /** Every half still waiting, each once, oldest first (what a checkpoint must carry over). */
  *waiting(): Generator<{ client?: C; server?: S; at: number }> {
    for (const entry of this.clients.values()) yield { client: entry.value, at: entry.at };
    for (const entry of this.servers) yield { server: entry.value, at: entry.at };
  }

  /** Expires every half that waited longer than the TTL at `now`. */
  expire(now: number): void {
    const deadline = now - this.options.ttlMs;
    for (const [key, entry] of this.clients) {
      if (entry.at > deadline) break;
      this.clients.delete(key);
      this.stats.expiredClients++;
      this.callbacks.onExpireClient(entry.value, 'ttl');
    }
    for (const entry of this.servers) {
      if (entry.at > deadline) break;
      this.takeServer(entry);
      this.stats.expiredServers++;
      this.callbacks.onExpireServer(entry.value, 'ttl', entry.keys);
    }
  }

  /** Expires everything still waiting (shutdown, or the end of an import). */
  expireAll(): void {
    this.expire(Number.POSITIVE_INFINITY);
  }

  /** Removes a waiting server half under all its keys. */
  private takeServer(entry: WaitingServer<S>): void {
    this.servers.delete(entry);
    for (const key of entry.keys) {
      const waiting = this.serversByKey.get(key);
      if (waiting === entry) this.serversByKey.delete(key);
      else if (Array.isArray(waiting)) {
        const i = waiting.indexOf(entry);
        if (i >= 0) waiting.splice(i, 1);
        if (waiting.length === 0) this.serversByKey.delete(key);
      }
    }
  }

  private bound(): void {
    while (this.size > this.options.maxEntries) {
      const oldestClient = this.clients.entries().next();
      const oldestServer = this.servers.values().next();
      const takeClient = !oldestClient.done && (oldestServer.done || oldestClient.value[1].at <= oldestServer.value.at);
      this.stats.evicted++;
      if (takeClient) {
        const [key, entry] = oldestClient.value as [string, Waiting<C>];
        this.clients.delete(key);
        this.callbacks.onExpireClient(entry.value, 'evicted');
      } else if (!oldestServer.done) {
        this.takeServer(oldestServer.value);
        this.callbacks.onExpireServer(oldestServer.value.value, 'evicted', oldestServer.value.keys);
      } else return;
    }
  }
}
