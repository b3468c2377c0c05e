/**
 * Reading semantic-convention attributes, old and new names alike (the conventions renamed many:
 * db.name → db.namespace, net.peer.name → server.address, http.method → http.request.method, …).
 * Each accessor lists the names it accepts, newest first unless a rule says otherwise.
 */
import type { Attributes } from './span.js';

/**
 * The value under `key` as a string, when it is present and not empty. One key, not a rest list of
 * them: the list was an array allocated per call, five a resource (docs/benchmarks.md item 166).
 */
export function str(attrs: Attributes, key: string): string | undefined {
  const v = attrs[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** The first present, non-empty value among `keys`, as a string. */
function first(attrs: Attributes, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const v = str(attrs, key);
    if (v !== undefined) return v;
  }
  return undefined;
}

function firstNumber(attrs: Attributes, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const v = attrs[key];
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  }
  return undefined;
}

const spanKeys = new Set<string>();
/** each key's `keyBits`: the bits of the accessors that read it */
const bitsByKey = new Map<string, number>();
let accessors = 0;

/**
 * What a span's `keyBits` is when nothing is known of its keys: every accessor looks. A span the
 * protobuf decoder reads says which accessors' keys its attributes hold, so that the others answer
 * without a lookup: an absent key costs as much to look up as a present one (a keyed load across
 * the attribute objects of every instrumentation), and most keys asked of a span are absent (an HTTP
 * span is asked for a database's, a queue's and an RPC's first). docs/benchmarks.md item 165.
 */
export const ANY_KEY = -1;

/** The bits a span's `keyBits` holds for an attribute under `key` (0 when no accessor reads it). */
export function bitsOfKey(key: string): number {
  return bitsByKey.get(key) ?? 0;
}

/** A bit for one more accessor, given to each of its keys; past 31 accessors they share the last. */
function accessorBit(keys: readonly string[]): number {
  const bit = 1 << Math.min(accessors++, 30);
  for (const key of keys) {
    spanKeys.add(key);
    bitsByKey.set(key, bitsOfKey(key) | bit);
  }
  return bit;
}

/** An attribute accessor: the first present value among its keys, looked for only when a span's `keyBits` say one may be there. */
export type Accessor<T = string> = (a: Attributes, keyBits?: number) => T | undefined;

/**
 * An accessor over these keys, newest first. Each key is listed in SPAN_ATTRIBUTE_KEYS, and the key
 * list is made once (a list per call was an array allocated for every attribute read of every span).
 */
function reads(...keys: string[]): Accessor {
  const bit = accessorBit(keys);
  return (a, keyBits = ANY_KEY) => ((keyBits & bit) === 0 ? undefined : first(a, keys));
}

/** `service.peer.name`, the newest conventions' name for the `peer.service` it deprecates, read first. */
export const peerService = reads('service.peer.name', 'peer.service');
export const peerNamespace = reads('service.peer.namespace');
export const serverAddress = reads('server.address', 'net.peer.name');
export const serverPort = reads('server.port');
export const networkPeerAddress = reads(
  'network.peer.address',
  'net.sock.peer.addr',
  'net.peer.ip',
  'peer.ipv4',
  'peer.ipv6',
);
export const networkPeerPort = reads('network.peer.port', 'net.sock.peer.port', 'net.peer.port');

/** When db.system and db.system.name disagree, the older db.system wins (as in Tempo). */
export const dbSystem = reads('db.system', 'db.system.name');
export const dbNamespace = reads('db.namespace');
export const dbName = reads('db.name');
export const dbOperation = reads('db.operation.name', 'db.operation');
export const dbCollection = reads(
  'db.collection.name',
  'db.sql.table',
  'db.mongodb.collection',
  'db.cassandra.table',
  'db.cosmosdb.container',
  'db.redis.database_index',
);
export const dbQuerySummary = reads('db.query.summary');

export const httpMethod = reads('http.request.method', 'http.method');
export const httpRoute = reads('http.route');
const HTTP_STATUS = ['http.response.status_code', 'http.status_code'];
const httpStatusBit = accessorBit(HTTP_STATUS);
export const httpStatus: Accessor<number> = (a, keyBits = ANY_KEY) =>
  (keyBits & httpStatusBit) === 0 ? undefined : firstNumber(a, HTTP_STATUS);
export const urlFull = reads('url.full', 'http.url');
export const urlTemplate = reads('url.template');
export const urlPath = reads('url.path', 'http.target', 'http.path');

const kafkaTopic = reads('kafka.topic');
const rabbitExchangeOrQueue = reads('rabbit.exchange', 'rabbit.queue');
const messagingSystemKey = reads('messaging.system');
/**
 * `messaging.system`; Brave's Kafka and RabbitMQ instrumentation (Zipkin) predates it and says so
 * only through its tags (`kafka.topic`, `rabbit.exchange`, `rabbit.queue`).
 */
export const messagingSystem: Accessor = (a, keyBits = ANY_KEY) =>
  messagingSystemKey(a, keyBits) ??
  (kafkaTopic(a, keyBits) ? 'kafka' : rabbitExchangeOrQueue(a, keyBits) ? 'rabbitmq' : undefined);
export const messagingDestination = reads(
  'messaging.destination.name',
  'messaging.destination',
  'messaging.rabbitmq.destination.routing_key',
  'messaging.rabbitmq.routing_key',
  'kafka.topic',
  'rabbit.exchange',
  'rabbit.queue',
);

export const rpcSystem = reads('rpc.system');
export const rpcService = reads('rpc.service');
export const rpcMethod = reads('rpc.method');

/** Every span attribute key the accessors above read (the protobuf decoder builds no other, bar tag keys). */
export const SPAN_ATTRIBUTE_KEYS: ReadonlySet<string> = spanKeys;

/** The host part of a URL, or undefined when it does not parse. */
export function urlHost(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `p[from, end)` is an id-like segment: all digits, twelve or more hex digits, twenty or more
 * of `[A-Za-z0-9_-]` (a UUID is one), or three digits anywhere in a segment without a line break.
 * One pass over the characters in place: a regular expression over a slice per segment was most
 * of the cost of naming an HTTP client's operation (docs/benchmarks.md item 113).
 */
export function isIdSegment(p: string, from: number, end: number): boolean {
  let digits = 0;
  let hex = true;
  let word = true;
  for (let i = from; i < end; i++) {
    const c = p.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digits++;
      continue;
    }
    const lower = c | 32;
    const letter = lower >= 97 && lower <= 122;
    if (!(letter && lower <= 102)) hex = false;
    if (!letter && c !== 95 && c !== 45) {
      word = false;
      // A line break ends what `.` matches: such a segment is no id.
      if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) return false;
    }
  }
  const length = end - from;
  return (length > 0 && digits === length) || digits >= 3 || (hex && length >= 12) || (word && length >= 20);
}

/**
 * A path with its query dropped and id-like segments replaced by `{id}`: the fallback when no
 * route or URL template names an HTTP operation, so that operations never multiply per raw URL.
 */
export function templatePath(path: string): string {
  let p = path;
  if (/^[a-z]+:\/\//i.test(p)) {
    const simple = simpleHttpPath(p);
    if (simple !== undefined) p = simple;
    else
      try {
        p = new URL(p).pathname;
      } catch {
        /* keep as given */
      }
  }
  const query = p.search(/[?#]/);
  if (query >= 0) p = p.slice(0, query);
  // Segment by segment, and a new string only when one is replaced (most paths of a span carry an id).
  let out: string | undefined;
  let from = 0;
  for (;;) {
    const slash = p.indexOf('/', from);
    const end = slash < 0 ? p.length : slash;
    if (end > from && isIdSegment(p, from, end)) out = `${out ?? p.slice(0, from)}{id}`;
    else if (out !== undefined) out += p.slice(from, end);
    if (slash < 0) break;
    if (out !== undefined) out += '/';
    from = slash + 1;
  }
  return out ?? p;
}

const HTTP_URL = /^https?:\/\/([^/?#]*)([^?#]*)/i;
/** Hosts the URL parser takes as they are: names, not IP addresses, ports, users or IDNs (which it may refuse). */
const PLAIN_HOST = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?$/i;
const NUMERIC_LAST_LABEL = /(?:^|\.)(?:\d+|0x[0-9a-f]*)\.?$/i;
const IDN_LABEL = /(?:^|\.)xn--/i;
/** Paths of characters the parser neither encodes nor reads specially; dot segments it resolves. */
const PLAIN_PATH = /^(?:\/[A-Za-z0-9\-._~!$&'()*+,;=:@%]*)*$/;
const DOT_SEGMENT = /\/(?:\.|%2e){1,2}(?=\/|$)/i;

/**
 * The path `new URL(url).pathname` gives, found without parsing the URL when it is a plain http(s)
 * one (parsing a URL per HTTP client span was most of the cost of naming its operation); undefined
 * for any other, which is then parsed.
 */
export function simpleHttpPath(url: string): string | undefined {
  const m = HTTP_URL.exec(url);
  if (!m) return undefined;
  const host = m[1]!;
  const path = m[2]!;
  if (!PLAIN_HOST.test(host) || NUMERIC_LAST_LABEL.test(host) || IDN_LABEL.test(host)) return undefined;
  if (!PLAIN_PATH.test(path) || DOT_SEGMENT.test(path)) return undefined;
  return path === '' ? '/' : path;
}
