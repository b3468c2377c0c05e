/**
 * Naming what sends no spans (Tempo's precedence, docs/model.md) and naming operations, with old and new
 * semantic-convention attribute names alike.
 */
import { describe, expect, it } from 'vitest';
import { calleeOf, calleeOperation, entryOperationName, peerName } from '../../ingest/derive.js';
import { SpanKind, type Attributes, type Span } from '../../ingest/span.js';
import { externalKey } from '../../src/core/model.js';
import { capturePipeline } from '../support/capture.js';
import { TraceBuilder } from '../support/spans.js';

const span = (kind: SpanKind, name: string, attributes: Attributes): Span => ({
  traceId: '1'.repeat(32),
  spanId: '2'.repeat(16),
  parentSpanId: '',
  name,
  kind,
  startMs: 0,
  endMs: 1,
  status: 0,
  attributes,
  links: [],
});

describe('peer naming precedence', () => {
  it.each<[string, Attributes, string | undefined]>([
    ['peer.service first', { 'peer.service': 'billing', 'server.address': 'b.local', 'db.name': 'x' }, 'billing'],
    [
      'server.address next',
      { 'server.address': 'db.local', 'network.peer.address': '10.0.0.1', 'db.namespace': 'x' },
      'db.local',
    ],
    ['the older net.peer.name as server.address', { 'net.peer.name': 'db.local', 'db.name': 'postgres' }, 'db.local'],
    [
      'network peer address and port',
      { 'network.peer.address': '10.0.0.1', 'network.peer.port': 5432, 'db.name': 'x' },
      '10.0.0.1:5432',
    ],
    ['older socket peer names', { 'net.sock.peer.addr': '10.0.0.2', 'net.sock.peer.port': '6379' }, '10.0.0.2:6379'],
    ['a peer address without a port', { 'peer.ipv4': '10.0.0.3' }, '10.0.0.3'],
    ['db.namespace before db.name', { 'db.namespace': 'orders', 'db.name': 'legacy' }, 'orders'],
    ['db.name', { 'db.name': 'legacy' }, 'legacy'],
    ['the URL host', { 'url.full': 'https://api.example.com/v1/x?q=1' }, 'api.example.com'],
    ['the older http.url host', { 'http.url': 'http://rates.internal:8080/r' }, 'rates.internal'],
    ['db.system last', { 'db.system': 'redis' }, 'redis'],
    ['nothing', {}, undefined],
  ])('%s', (_what, attrs, expected) => {
    expect(peerName(attrs)).toBe(expected);
  });

  it('keeps a database namespace and address, and lets db.system win over db.system.name', () => {
    const c = calleeOf(
      span(SpanKind.CLIENT, 'SELECT', {
        'db.system': 'mssql',
        'db.system.name': 'microsoft.sql_server',
        'db.namespace': 'shop',
        'server.address': 'sql.local',
        'server.port': 1433,
      }),
      'prod',
    );
    expect(c).toMatchObject({
      kind: 'DATABASE',
      name: 'sql.local',
      system: 'mssql',
      namespace: 'shop',
      address: 'sql.local:1433',
      environment: 'prod',
    });
  });

  it('makes an unanswered call without db or messaging attributes an External peer, `unknown` when unnamed', () => {
    expect(calleeOf(span(SpanKind.CLIENT, 'GET', { 'http.method': 'GET' }), '')).toMatchObject({
      kind: 'EXTERNAL',
      name: 'unknown',
    });
  });
});

describe('operation names', () => {
  it('names HTTP server operations by method and route, old and new attribute names alike', () => {
    expect(
      entryOperationName(span(SpanKind.SERVER, 'GET', { 'http.request.method': 'GET', 'http.route': '/orders/:id' })),
    ).toBe('GET /orders/:id');
    expect(
      entryOperationName(span(SpanKind.SERVER, 'GET', { 'http.method': 'GET', 'http.target': '/orders/123?x=1' })),
    ).toBe('GET /orders/{id}');
    expect(
      entryOperationName(
        span(SpanKind.SERVER, 'GET /users/9f8e7d6c-1a2b-4c3d-9e8f-0a1b2c3d4e5f', { 'http.method': 'GET' }),
      ),
    ).toBe('GET /users/{id}');
  });

  it('names RPC operations by service and method', () => {
    expect(
      entryOperationName(
        span(SpanKind.SERVER, 'x', { 'rpc.system': 'grpc', 'rpc.service': 'shop.Cart', 'rpc.method': 'Add' }),
      ),
    ).toBe('shop.Cart/Add');
  });

  it('names database operations by operation and collection, old and new names alike', () => {
    const callee = (a: Attributes) => {
      const s = span(SpanKind.CLIENT, 'query', a);
      return calleeOperation(s, calleeOf(s, '')).name;
    };
    expect(
      callee({ 'db.system.name': 'postgresql', 'db.operation.name': 'SELECT', 'db.collection.name': 'orders' }),
    ).toBe('SELECT orders');
    expect(callee({ 'db.system': 'mysql', 'db.operation': 'INSERT', 'db.sql.table': 'items' })).toBe('INSERT items');
    expect(callee({ 'db.system': 'redis', 'db.operation': 'GET' })).toBe('GET');
  });

  it('names calls to an External by method and templated path, never the raw URL', () => {
    const s = span(SpanKind.CLIENT, 'GET', {
      'http.request.method': 'GET',
      'url.full': 'https://api.example.com/v1/rates/12345?ccy=EUR',
    });
    expect(calleeOperation(s, calleeOf(s, '')).name).toBe('GET /v1/rates/{id}');
  });
});

describe('what an unanswered call reached, through the engine', () => {
  // A client span's callee is derived only once no server half answered it (docs/benchmarks.md item 122).
  it('names it from the span after the pairing TTL, and not at all for a call a server answered', async () => {
    const { sink, clock, pipeline } = capturePipeline();
    const t = new TraceBuilder();
    const resource = { 'deployment.environment.name': 'prod' };
    const web = t.server('web', '/checkout', { method: 'POST', resource });
    t.client('web', {
      parent: web,
      resource,
      attributes: { 'url.full': 'https://api.example.com/v1/rates/12345?ccy=EUR' },
    });
    const answered = t.client('web', { parent: web, resource, attributes: { 'url.full': 'http://api/v/7' } });
    t.server('api', '/v/{id}', { parent: answered, resource });
    pipeline.ingest(t.batch(['web']));
    pipeline.ingest(t.batch(['api']));
    await pipeline.flush();
    expect(sink.edges()).toEqual({ 'web -> api': { calls: 1, errors: 0 } });
    clock.now += 11_000;
    await pipeline.flush();
    expect(sink.edges()).toEqual({
      'web -> api': { calls: 1, errors: 0 },
      'web -> api.example.com': { calls: 1, errors: 0 },
    });
    expect(sink.calls()).toEqual({
      'web:POST /checkout -> api:GET /v/{id}': 1,
      'web:POST /checkout -> api.example.com:GET /v1/rates/{id}': 1,
    });
    expect(sink.all.externals.map((v) => v.key)).toEqual([externalKey('prod', 'api.example.com')]);
  });
});
