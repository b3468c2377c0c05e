/** Building spans for tests: a small trace builder that produces the internal span model. */
import { randomBytes } from 'node:crypto';
import { SpanKind, type Attributes, type DecodedBatch, type ResourceSpans, type Span } from '../../ingest/span.js';

export const hexId = (bytes: number) => randomBytes(bytes).toString('hex');

/** A PostgreSQL `SELECT` on the `orders` table of the `orders-db` server: the rest of a CLIENT span. */
export const ORDERS_QUERY = {
  kind: SpanKind.CLIENT,
  name: 'SELECT orders',
  attributes: {
    'db.system': 'postgresql',
    'server.address': 'orders-db',
    'db.operation.name': 'SELECT',
    'db.collection.name': 'orders',
  },
};

export interface SpanSpec {
  service: string;
  kind: SpanKind;
  name: string;
  parent?: Span;
  attributes?: Attributes;
  error?: boolean;
  startMs?: number;
  durationMs?: number;
  resource?: Attributes;
  scope?: { name: string; version: string };
  links?: Span[];
}

/** The rest of an HTTP span: its method (GET unless given), its name, and anything of a SpanSpec. */
export type HttpSpec = Partial<Omit<SpanSpec, 'service' | 'kind'>> & { method?: string };

/** Builds spans of one trace; `batch()` groups them by service into one decoded request. */
export class TraceBuilder {
  /** `traceId` continues a trace another builder started (spans sent in a later request). */
  constructor(readonly traceId = hexId(16)) {}
  private readonly items: { spec: SpanSpec; span: Span }[] = [];

  span(spec: SpanSpec): Span {
    const start = spec.startMs ?? Date.now() - 1000;
    const span: Span = {
      traceId: this.traceId,
      spanId: hexId(8),
      parentSpanId: spec.parent?.spanId ?? '',
      name: spec.name,
      kind: spec.kind,
      startMs: start,
      endMs: start + (spec.durationMs ?? 10),
      status: spec.error ? 2 : 0,
      attributes: spec.attributes ?? {},
      links: (spec.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
    };
    this.items.push({ spec, span });
    return span;
  }

  /** A SERVER span of `service` answering an HTTP `route` (method GET unless `method`), named `GET /route`. */
  server(service: string, route: string, more: HttpSpec = {}): Span {
    const method = more.method ?? 'GET';
    return this.span({
      ...more,
      service,
      kind: SpanKind.SERVER,
      name: more.name ?? `${method} ${route}`,
      attributes: { 'http.request.method': method, 'http.route': route, ...more.attributes },
    });
  }

  /** A CLIENT span of `service` making an HTTP request (method GET unless `method`), named by its method. */
  client(service: string, more: HttpSpec = {}): Span {
    const method = more.method ?? 'GET';
    return this.span({
      ...more,
      service,
      kind: SpanKind.CLIENT,
      name: more.name ?? method,
      attributes: { 'http.request.method': method, ...more.attributes },
    });
  }

  /** All spans so far, one ResourceSpans per service and namespace (optionally only these services). */
  batch(services?: string[]): DecodedBatch {
    const byService = new Map<string, ResourceSpans>();
    let spanCount = 0;
    for (const { spec, span } of this.items) {
      if (services && !services.includes(spec.service)) continue;
      const key = `${spec.service}\n${String(spec.resource?.['service.namespace'] ?? '')}`;
      let rs = byService.get(key);
      if (!rs) {
        rs = { resource: { 'service.name': spec.service, ...spec.resource }, scopeSpans: [] };
        byService.set(key, rs);
      }
      const scope = spec.scope ?? { name: 'test', version: '1.0.0' };
      let ss = rs.scopeSpans.find((s) => s.scope.name === scope.name && s.scope.version === scope.version);
      if (!ss) rs.scopeSpans.push((ss = { scope, spans: [] }));
      ss.spans.push(span);
      spanCount++;
    }
    return { batch: [...byService.values()], spanCount, rejected: [] };
  }
}

/** `n` HTTP calls from `client` to `server` in `environment`, each a CLIENT span and its SERVER child (starting at `startMs`, else a second ago). */
export function httpCalls(
  client: string,
  server: string,
  environment: string,
  n: number,
  startMs?: number,
): DecodedBatch {
  const t = new TraceBuilder();
  const resource = { 'deployment.environment.name': environment };
  for (let i = 0; i < n; i++) {
    const c = t.client(client, { resource, startMs });
    t.server(server, '/x', { parent: c, resource, startMs: startMs === undefined ? undefined : startMs + 1 });
  }
  return t.batch();
}

/**
 * `n` calls web → api (`GET /v`) in `environment` ending at `at`, each its own trace and request, the
 * first `failing` of them failing: 20 ms at the client, 10 ms at the server.
 */
export function webApiCalls(environment: string, at: number, n: number, failing: number): DecodedBatch[] {
  const batches = [];
  for (let i = 0; i < n; i++) {
    const t = new TraceBuilder();
    const resource = { 'deployment.environment.name': environment };
    const c = t.client('web', { resource, startMs: at - 20, durationMs: 20 });
    t.server('api', '/v', { parent: c, resource, startMs: at - 15, durationMs: 10, error: i < failing });
    batches.push(t.batch());
  }
  return batches;
}

/**
 * `n` HTTP calls from a to b, the client halves and the server halves as two requests (as two
 * processes export them); the first `errors` fail on both sides. With `trace` and `parent`, the client
 * spans are made under that span of that trace.
 */
export function splitCalls(
  n: number,
  opts: {
    environment?: string;
    startMs?: number;
    errors?: number;
    trace?: TraceBuilder;
    parent?: Span;
    /** `service.version` of a and of b */
    versions?: [string, string];
  } = {},
) {
  const t = opts.trace ?? new TraceBuilder();
  const env = opts.environment ? { 'deployment.environment.name': opts.environment } : undefined;
  const [clientResource, serverResource] = [0, 1].map((i) =>
    opts.versions ? { ...env, 'service.version': opts.versions[i]! } : env,
  );
  for (let i = 0; i < n; i++) {
    const error = i < (opts.errors ?? 0);
    const c = t.client('a', { parent: opts.parent, resource: clientResource, error, startMs: opts.startMs });
    t.server('b', '/x', {
      parent: c,
      resource: serverResource,
      error,
      startMs: opts.startMs === undefined ? undefined : opts.startMs + 1,
    });
  }
  return { clients: t.batch(['a']), servers: t.batch(['b']) };
}
