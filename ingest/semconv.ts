/**
 * Reading semantic-convention attributes, old and new names alike (the conventions renamed many:
 * db.name → db.namespace, net.peer.name → server.address, http.method → http.request.method, …).
 * Each accessor lists the names it accepts, newest first unless a rule says otherwise.
 */
import type { Attributes } from './span.js';

/** The first present, non-empty value among `keys`, as a string. */
export function str(attrs: Attributes, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const v = attrs[key];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  }
  return undefined;
}

export function num(attrs: Attributes, ...keys: string[]): number | undefined {
  for (const key of keys) {
    const v = attrs[key];
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  }
  return undefined;
}

/** `service.peer.name`, the newest conventions' name for the `peer.service` it deprecates, read first. */
export const peerService = (a: Attributes) => str(a, 'service.peer.name', 'peer.service');
export const peerNamespace = (a: Attributes) => str(a, 'service.peer.namespace');
export const serverAddress = (a: Attributes) => str(a, 'server.address', 'net.peer.name');
export const networkPeerAddress = (a: Attributes) =>
  str(a, 'network.peer.address', 'net.sock.peer.addr', 'net.peer.ip', 'peer.ipv4', 'peer.ipv6');
export const networkPeerPort = (a: Attributes) => str(a, 'network.peer.port', 'net.sock.peer.port', 'net.peer.port');

/** When db.system and db.system.name disagree, the older db.system wins (as in Tempo). */
export const dbSystem = (a: Attributes) => str(a, 'db.system', 'db.system.name');
export const dbNamespace = (a: Attributes) => str(a, 'db.namespace');
export const dbName = (a: Attributes) => str(a, 'db.name');
export const dbOperation = (a: Attributes) => str(a, 'db.operation.name', 'db.operation');
export const dbCollection = (a: Attributes) =>
  str(
    a,
    'db.collection.name',
    'db.sql.table',
    'db.mongodb.collection',
    'db.cassandra.table',
    'db.cosmosdb.container',
    'db.redis.database_index',
  );
export const dbQuerySummary = (a: Attributes) => str(a, 'db.query.summary');

export const httpMethod = (a: Attributes) => str(a, 'http.request.method', 'http.method');
export const httpRoute = (a: Attributes) => str(a, 'http.route');
export const httpStatus = (a: Attributes) => num(a, 'http.response.status_code', 'http.status_code');
export const urlFull = (a: Attributes) => str(a, 'url.full', 'http.url');
export const urlTemplate = (a: Attributes) => str(a, 'url.template');
export const urlPath = (a: Attributes) => str(a, 'url.path', 'http.target', 'http.path');

/**
 * `messaging.system`; Brave's Kafka and RabbitMQ instrumentation (Zipkin) predates it and says so
 * only through its tags (`kafka.topic`, `rabbit.exchange`, `rabbit.queue`).
 */
export const messagingSystem = (a: Attributes) =>
  str(a, 'messaging.system') ??
  (str(a, 'kafka.topic') ? 'kafka' : str(a, 'rabbit.exchange', 'rabbit.queue') ? 'rabbitmq' : undefined);
export const messagingDestination = (a: Attributes) =>
  str(
    a,
    'messaging.destination.name',
    'messaging.destination',
    'messaging.rabbitmq.destination.routing_key',
    'messaging.rabbitmq.routing_key',
    'kafka.topic',
    'rabbit.exchange',
    'rabbit.queue',
  );

export const rpcSystem = (a: Attributes) => str(a, 'rpc.system');
export const rpcService = (a: Attributes) => str(a, 'rpc.service');
export const rpcMethod = (a: Attributes) => str(a, 'rpc.method');

/** The host part of a URL, or undefined when it does not parse. */
export function urlHost(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname || undefined;
  } catch {
    return undefined;
  }
}

const ID_SEGMENT =
  /^(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{12,}|[A-Za-z0-9_-]{20,}|.*\d.*\d.*\d.*)$/i;

/**
 * A path with its query dropped and id-like segments replaced by `{id}`: the fallback when no
 * route or URL template names an HTTP operation, so that operations never multiply per raw URL.
 */
export function templatePath(path: string): string {
  let p = path;
  try {
    if (/^[a-z]+:\/\//i.test(p)) p = new URL(p).pathname;
  } catch {
    /* keep as given */
  }
  p = p.split(/[?#]/)[0] ?? '';
  return p
    .split('/')
    .map((seg) => (seg !== '' && ID_SEGMENT.test(seg) ? '{id}' : seg))
    .join('/');
}
