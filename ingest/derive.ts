/**
 * Span → facts, pure: what one span (with its resource and scope) says about the system, before
 * pairing. docs/model.md "From spans to facts" is the specification; the naming precedence of
 * components that send no spans follows Grafana Tempo's service graphs.
 */
import {
  ComponentKind,
  databaseKey,
  destinationKey,
  externalKey,
  KEY_CACHE_MAX,
  operationKey,
  OperationKind,
  remembered,
  serviceKey,
} from '../src/core/model.js';
import { deploymentEnvironment, serviceName, serviceNamespace } from './resource.js';
import * as sc from './semconv.js';
import { SpanKind, StatusCode, type Attributes, type Scope, type Span } from './span.js';
import { tagKeyMatcher } from './tags.js';

export const UNKNOWN_SERVICE = 'unknown_service';
export const UNKNOWN_PEER = 'unknown';

export interface ServiceInfo {
  key: string;
  name: string;
  namespace: string;
  environment: string;
  version: string;
}

/** A component known only from the spans that call it: a database, a destination, an external peer. */
export interface VirtualComponent {
  kind: Exclude<ComponentKind, 'SERVICE'>;
  key: string;
  name: string;
  environment: string;
  system?: string;
  namespace?: string;
  address?: string;
}

export interface OperationRef {
  key: string;
  componentKey: string;
  name: string;
  kind: OperationKind;
}

export interface LibraryUse {
  name: string;
  version: string;
  kind: 'instrumentation' | 'sdk' | 'runtime' | 'attribute';
}

/**
 * One value per key for what every span builds again (its service, operation, callee and name), as
 * long as it says the same: the ancestry index and the pairing buffer hold ~20 s of spans, and a
 * copy per span was ~90 MB of the worker's heap at 40,000 spans/s (heap snapshot, 2026-12-02).
 * Nothing mutates these values. Bounded like the key caches: past KEY_CACHE_MAX keys it starts over.
 */
function sharedByKey<T>(keyOf: (t: T) => string, same: (a: T, b: T) => boolean = () => true) {
  let byKey = new Map<string, T>();
  return (made: T): T => {
    const key = keyOf(made);
    const known = byKey.get(key);
    if (known !== undefined && same(known, made)) return known;
    if (byKey.size >= KEY_CACHE_MAX) byKey = new Map();
    byKey.set(key, made);
    return made;
  };
}

const byKey = (t: { key: string }) => t.key;
/** Operations and services are named whole by their key; a database's key leaves out its namespace and address. */
const sharedService = sharedByKey<ServiceInfo>(byKey, (a, b) => a.version === b.version);
const sharedComponent = sharedByKey<VirtualComponent>(
  byKey,
  (a, b) => a.namespace === b.namespace && a.address === b.address,
);
/** One string per span name: names repeat, and the ancestry index keeps every span's. */
export const sharedName = sharedByKey<string>((name) => name);

/**
 * The operation with this key, one object for every span that names it: found by its parts, so a
 * span that names a known operation makes no object and looks up no key string.
 */
const operation: (componentKey: string, kind: OperationKind, name: string) => OperationRef = remembered(
  (componentKey: string, kind: string, name: string) => ({
    key: operationKey(componentKey, kind as OperationKind, name),
    componentKey,
    name,
    kind: kind as OperationKind,
  }),
);

/**
 * Names joined from two parts (`GET` and a route, `SELECT` and a table, an SDK and its language): one
 * string per pair of parts, found by the parts. A name joined per span was a new string that each map
 * it is then looked up in (the operation's, the library use's) had to flatten and hash again; the
 * parts, as the decoder hands them (ingest/otlp/ascii-strings.ts), are strings V8 has hashed already.
 */
const spaced = remembered((a: string, b: string) => `${a} ${b}`);
const slashed = remembered((a: string, b: string) => `${a}/${b}`);

/**
 * Whether derivation reads a span attribute under this key: a semantic-convention key it reads, or a
 * key on the tag allow-list `tagKeys`. The protobuf decoder builds no other span attribute.
 */
export function readsSpanAttribute(tagKeys: readonly string[]): (key: string) => boolean {
  const tagged = tagKeyMatcher(tagKeys);
  return (key) => sc.SPAN_ATTRIBUTE_KEYS.has(key) || tagged(key);
}

export function describeService(resource: Attributes): ServiceInfo {
  const name = serviceName(resource) ?? UNKNOWN_SERVICE;
  const namespace = serviceNamespace(resource) ?? '';
  const environment = deploymentEnvironment(resource);
  return sharedService({
    key: serviceKey(environment, namespace, name),
    name,
    namespace,
    environment,
    version: sc.str(resource, 'service.version') ?? '',
  });
}

/**
 * One object per library, version and kind: every resource (one for every few spans from a Collector
 * in front) names the same few again. Nothing mutates them.
 */
const library = remembered((name: string, version: string, kind: string): LibraryUse => ({
  name,
  version,
  kind: kind as LibraryUse['kind'],
}));

/** Libraries a resource and scope reveal: the OTel SDK, the runtime, configured version attributes, the scope. */
export function librariesOf(resource: Attributes, versionKeys: readonly string[]): LibraryUse[] {
  const out: LibraryUse[] = [];
  const sdk = sc.str(resource, 'telemetry.sdk.name');
  if (sdk) {
    const language = sc.str(resource, 'telemetry.sdk.language');
    const name = language ? slashed(sdk, language) : sdk;
    out.push(library(name, sc.str(resource, 'telemetry.sdk.version') ?? '', 'sdk'));
  }
  const runtime = sc.str(resource, 'process.runtime.name');
  if (runtime) out.push(library(runtime, sc.str(resource, 'process.runtime.version') ?? '', 'runtime'));
  for (const key of versionKeys) {
    const version = sc.str(resource, key);
    if (version) out.push(library(key, version, 'attribute'));
  }
  return out;
}

export function scopeLibrary(scope: Scope): LibraryUse | undefined {
  return scope.name ? { name: scope.name, version: scope.version, kind: 'instrumentation' } : undefined;
}

export function isError(span: Span): boolean {
  if (span.status === StatusCode.ERROR) return true;
  if (span.kind === SpanKind.SERVER && span.status !== StatusCode.OK) {
    const status = sc.httpStatus(span.attributes, span.keyBits);
    return status !== undefined && status >= 500;
  }
  return false;
}

export function protocolOf(span: Span): string {
  const a = span.attributes;
  const keyBits = span.keyBits;
  if (sc.dbSystem(a, keyBits)) return 'db';
  if (sc.messagingSystem(a, keyBits)) return 'messaging';
  const rpc = sc.rpcSystem(a, keyBits);
  if (rpc) return rpc;
  if (sc.httpMethod(a, keyBits) || sc.urlFull(a, keyBits)) return 'http';
  return 'unknown';
}

/** The name of a SERVER or CONSUMER span's operation: method and route for HTTP, never a raw URL. */
export function entryOperationName(span: Span): string {
  const a = span.attributes;
  const keyBits = span.keyBits;
  const method = sc.httpMethod(a, keyBits);
  if (method) {
    const route = sc.httpRoute(a, keyBits);
    if (route) return spaced(method, route);
    // Span names of HTTP servers without a route are `GET` or `GET /path`: keep the method, template the path.
    const fromName = span.name.startsWith(`${method} `) ? span.name.slice(method.length + 1) : undefined;
    const path = fromName ?? sc.urlPath(a, keyBits) ?? sc.urlFull(a, keyBits);
    return path ? spaced(method, sc.templatePath(path)) : method;
  }
  const rpcService = sc.rpcService(a, keyBits);
  const rpcMethod = sc.rpcMethod(a, keyBits);
  if (rpcService && rpcMethod) return slashed(rpcService, rpcMethod);
  return normalizeName(span.name);
}

/** Span names that embed a URL or path are templated; others are kept, bounded in length. */
function normalizeName(name: string): string {
  const space = name.indexOf(' ');
  const rest = space >= 0 ? name.slice(space + 1) : name;
  if (rest.startsWith('/') || /^[a-z]+:\/\//i.test(rest)) {
    return `${space >= 0 ? name.slice(0, space + 1) : ''}${sc.templatePath(rest)}`;
  }
  return name.length > 200 ? name.slice(0, 200) : name;
}

/** The destination a PRODUCER or CONSUMER span names, when it names one. */
export function destinationOf(span: Span, environment: string): VirtualComponent | undefined {
  const system = sc.messagingSystem(span.attributes, span.keyBits);
  if (!system) return undefined;
  const name = sc.messagingDestination(span.attributes, span.keyBits) ?? system;
  return sharedComponent({
    kind: ComponentKind.MESSAGING_DESTINATION,
    key: destinationKey(environment, system, name),
    name,
    environment,
    system,
  });
}

/**
 * The name of a peer that sends no spans of its own, by Tempo's precedence: peer.service,
 * server.address (net.peer.name), network peer address:port, db.namespace, db.name, URL host, db.system.
 */
export function peerName(a: Attributes, keyBits = sc.ANY_KEY): string | undefined {
  const byPeer = sc.peerService(a, keyBits) ?? sc.serverAddress(a, keyBits);
  if (byPeer) return byPeer;
  const address = sc.networkPeerAddress(a, keyBits);
  if (address) {
    const port = sc.networkPeerPort(a, keyBits);
    return port ? `${address}:${port}` : address;
  }
  return (
    sc.dbNamespace(a, keyBits) ?? sc.dbName(a, keyBits) ?? sc.urlHost(sc.urlFull(a, keyBits)) ?? sc.dbSystem(a, keyBits)
  );
}

/** What an unanswered CLIENT (or PRODUCER) span called: a Database, a MessagingDestination or an External peer. */
export function calleeOf(span: Span, environment: string): VirtualComponent {
  const a = span.attributes;
  const keyBits = span.keyBits;
  if (span.kind === SpanKind.PRODUCER || span.kind === SpanKind.CONSUMER) {
    const destination = destinationOf(span, environment);
    if (destination) return destination;
  }
  const system = sc.dbSystem(a, keyBits);
  if (system) {
    const name = peerName(a, keyBits) ?? system;
    const address = sc.serverAddress(a, keyBits) ?? sc.networkPeerAddress(a, keyBits);
    const port = sc.serverPort(a, keyBits) ?? sc.networkPeerPort(a, keyBits);
    return sharedComponent({
      kind: ComponentKind.DATABASE,
      key: databaseKey(environment, system, name),
      name,
      environment,
      system,
      namespace: sc.dbNamespace(a, keyBits) ?? sc.dbName(a, keyBits),
      address: address ? (port ? `${address}:${port}` : address) : undefined,
    });
  }
  const name = peerName(a, keyBits) ?? UNKNOWN_PEER;
  return sharedComponent({ kind: ComponentKind.EXTERNAL, key: externalKey(environment, name), name, environment });
}

/**
 * Whether `calleeOf(span)` may be a database: a call to one is a fact at once, so its callee is
 * needed at once. Any other CLIENT span's callee is needed only if no server half answers it.
 */
export function mayCallDatabase(span: Span): boolean {
  return span.kind !== SpanKind.CLIENT || sc.dbSystem(span.attributes, span.keyBits) !== undefined;
}

/** What a CLIENT span asked for, as its callee would name it: a database's operation, an HTTP method and path. */
function clientOperationName(span: Span, database: boolean): string {
  const a = span.attributes;
  const keyBits = span.keyBits;
  if (database) {
    const op = sc.dbOperation(a, keyBits);
    const collection = sc.dbCollection(a, keyBits);
    return op
      ? collection
        ? spaced(op, collection)
        : op
      : (sc.dbQuerySummary(a, keyBits) ?? normalizeName(span.name));
  }
  const method = sc.httpMethod(a, keyBits);
  const template = sc.urlTemplate(a, keyBits);
  const path = template ?? sc.urlPath(a, keyBits) ?? sc.urlFull(a, keyBits);
  return method ? (path ? spaced(method, template ?? sc.templatePath(path)) : method) : normalizeName(span.name);
}

/** The operation a CLIENT/PRODUCER span reached on a component that has no spans of its own. */
export function calleeOperation(span: Span, callee: VirtualComponent): OperationRef {
  if (callee.kind === ComponentKind.MESSAGING_DESTINATION)
    return operation(callee.key, OperationKind.PRODUCER, 'publish');
  const name = clientOperationName(span, callee.kind === ComponentKind.DATABASE);
  return operation(callee.key, OperationKind.CLIENT, name);
}

/**
 * Whether a CLIENT span's peer attribute (`service.peer.name`, `peer.service`) names the service
 * that sent it: a database or cache traced as if it were a service (HotROD's `mysql` and `redis`),
 * a proxy naming itself. Such a span is that service's own side of the call, not a call to a peer.
 */
export function namesOwnService(span: Span, service: ServiceInfo): boolean {
  if (span.kind !== SpanKind.CLIENT || sc.peerService(span.attributes, span.keyBits) !== service.name) return false;
  const namespace = sc.peerNamespace(span.attributes, span.keyBits);
  return namespace === undefined || namespace === service.namespace;
}

/** The operation of a CLIENT span that names its own service: a CLIENT operation of that service. */
export function ownClientOperation(span: Span, service: ServiceInfo): OperationRef {
  const name = clientOperationName(span, sc.dbSystem(span.attributes, span.keyBits) !== undefined);
  return operation(service.key, OperationKind.CLIENT, name);
}

/** The operation a destination's messages are received through, on the consumer's way in. */
export function destinationReceiveOperation(destination: VirtualComponent): OperationRef {
  return operation(destination.key, OperationKind.CONSUMER, 'receive');
}

export function entryOperation(span: Span, service: ServiceInfo): OperationRef {
  const kind = span.kind === SpanKind.CONSUMER ? OperationKind.CONSUMER : OperationKind.SERVER;
  const name = entryOperationName(span);
  return operation(service.key, kind, name);
}

/** An operation for work that began inside a service with no SERVER/CONSUMER span above it (a job, a script). */
export function internalOperation(name: string, service: ServiceInfo): OperationRef {
  return operation(service.key, OperationKind.INTERNAL, normalizeName(name));
}

/**
 * A caller seen only through the `service.peer.name` (`peer.service`) of a root SERVER/CONSUMER span
 * (Tempo's virtual client); none when it names the service itself.
 */
export function externalCallerOf(span: Span, service: ServiceInfo): VirtualComponent | undefined {
  const name = sc.peerService(span.attributes, span.keyBits);
  const environment = service.environment;
  return name && name !== service.name
    ? { kind: ComponentKind.EXTERNAL, key: externalKey(environment, name), name, environment }
    : undefined;
}
