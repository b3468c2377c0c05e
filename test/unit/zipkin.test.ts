import { describe, expect, it } from 'vitest';
import { zipkinToBatch } from '../../ingest/formats/zipkin.js';
import { InvalidPayloadError } from '../../ingest/otlp/errors.js';
import { SpanKind, StatusCode } from '../../ingest/span.js';
import { corpusJson, duplicateIds, edges, edgesOf, placedSpans, servicesOf } from './trace-edges.js';

const zspan = (overrides: Record<string, unknown> = {}) => ({
  traceId: '1e223ff1f80f1c69',
  id: 'bf396325699c84bf',
  kind: 'SERVER',
  name: 'get',
  timestamp: 1470150004071068,
  duration: 99411,
  localEndpoint: { serviceName: 'servicea', ipv4: '127.0.0.1' },
  ...overrides,
});

describe('zipkinToBatch', () => {
  it('maps ids, kinds, times, tags and endpoints', () => {
    const decoded = zipkinToBatch([
      zspan({
        kind: 'CLIENT',
        parentId: '74280ae0c10d8062',
        tags: { 'http.method': 'GET', 'http.path': '/a', 'http.status_code': '500', error: '' },
        remoteEndpoint: { serviceName: 'db', ipv6: '::1', port: 5432 },
      }),
    ]);
    expect(decoded.rejected).toEqual([]);
    expect(decoded.batch).toHaveLength(1);
    expect(decoded.batch[0]!.resource).toEqual({ 'service.name': 'servicea' });
    expect(decoded.batch[0]!.scopeSpans[0]!.spans[0]).toEqual({
      traceId: '00000000000000001e223ff1f80f1c69',
      spanId: 'bf396325699c84bf',
      parentSpanId: '74280ae0c10d8062',
      name: 'get',
      kind: SpanKind.CLIENT,
      startMs: 1470150004071.068,
      endMs: 1470150004170.479,
      status: StatusCode.ERROR,
      attributes: {
        'http.method': 'GET',
        'http.path': '/a',
        'http.status_code': '500',
        error: '',
        'peer.service': 'db',
        'network.peer.address': '::1',
        'network.peer.port': 5432,
      },
      links: [],
    });
  });

  it('maps PRODUCER/CONSUMER; a missing or unknown kind is UNSPECIFIED, not a rejection', () => {
    const decoded = zipkinToBatch([
      zspan({ id: '0000000000000001', kind: 'PRODUCER' }),
      zspan({ id: '0000000000000002', kind: 'CONSUMER' }),
      zspan({ id: '0000000000000003', kind: undefined }),
      zspan({ id: '0000000000000004', kind: 'SIDEWAYS' }),
    ]);
    expect(decoded.rejected).toEqual([]);
    expect(placedSpans(decoded).map((p) => p.span.kind)).toEqual([
      SpanKind.PRODUCER,
      SpanKind.CONSUMER,
      SpanKind.UNSPECIFIED,
      SpanKind.UNSPECIFIED,
    ]);
  });

  it('groups spans into one resource per service', () => {
    const decoded = zipkinToBatch([
      zspan({ id: '0000000000000001' }),
      zspan({ id: '0000000000000002', localEndpoint: { serviceName: 'b' } }),
      zspan({ id: '0000000000000003' }),
    ]);
    expect(decoded.batch.map((rs) => [rs.resource['service.name'], rs.scopeSpans[0]!.spans.length])).toEqual([
      ['servicea', 2],
      ['b', 1],
    ]);
  });

  it('rejects spans without a service name, bad ids or a timestamp and keeps the others', () => {
    const decoded = zipkinToBatch([
      zspan({ localEndpoint: { ipv4: '10.0.0.1' } }),
      zspan({ id: 'xyz' }),
      zspan({ id: '0000000000000000' }),
      zspan({ traceId: '0'.repeat(32) }),
      zspan({ timestamp: undefined }),
      zspan({ id: '0000000000000009' }),
      'junk',
      zspan({ duration: -1 }),
    ]);
    expect(decoded.spanCount).toBe(1);
    expect(decoded.rejected).toEqual([
      { at: '[0]', message: 'span bf396325699c84bf has no service name (localEndpoint.serviceName)' },
      { at: '[1]', message: 'id "xyz" is not 8 bytes of hex or base64' },
      { at: '[2]', message: 'span 0000000000000000: spanId is all zeros' },
      { at: '[3]', message: 'span bf396325699c84bf: traceId is all zeros' },
      { at: '[4]', message: 'span bf396325699c84bf has no timestamp' },
      { at: '[6]', message: 'span is not an object' },
      { at: '[7]', message: 'span bf396325699c84bf: duration -1 is not a length in µs' },
    ]);
  });

  it('merges a kind-less, time-less fragment into the span with its id from the same host', () => {
    const local = { serviceName: 'platformapi', ipv4: '10.0.0.1', port: 8140 };
    const decoded = zipkinToBatch([
      {
        traceId: '14b60fd9ae504820',
        parentId: 'cfcd115a2af18bd9',
        id: 'a0dc23f22c4fee3f',
        name: 'post',
        localEndpoint: local,
      },
      zspan({
        traceId: '14b60fd9ae504820',
        parentId: 'cfcd115a2af18bd9',
        id: 'a0dc23f22c4fee3f',
        localEndpoint: local,
      }),
    ]);
    expect(decoded.spanCount).toBe(1);
    expect(placedSpans(decoded)[0]!.span).toMatchObject({ kind: SpanKind.SERVER, name: 'post' });
  });

  it('does not merge two timed spans with one id from one host (repeated deliveries)', () => {
    const decoded = zipkinToBatch([zspan({ timestamp: 1 }), zspan({ timestamp: 2 })]);
    expect(decoded.spanCount).toBe(2);
  });

  it('throws InvalidPayloadError for a non-array', () => {
    expect(() => zipkinToBatch({ spans: [] })).toThrow(InvalidPayloadError);
  });
});

describe('zipkinToBatch: corpus', () => {
  const decode = (file: string) => {
    const raw = corpusJson(`zipkin/${file}`) as unknown[];
    return { raw, decoded: zipkinToBatch(raw) };
  };

  it('yelp.json: 16 spans, 6 services, the README edges', () => {
    const { decoded } = decode('yelp.json');
    expect(decoded.rejected).toEqual([]);
    expect(decoded.spanCount).toBe(16);
    expect(servicesOf(decoded)).toEqual([
      'mobile_api',
      'routing',
      'spectre',
      'unknown',
      'yelp-main',
      'yelp_main/api_proxy',
    ]);
    expect(duplicateIds(decoded)).toEqual([]);
    const e = edgesOf(decoded);
    // Three of the calls have both halves; the other three README edges have no CLIENT span on the
    // caller's side (routing and the proxy only have SERVER spans), so only parent → child shows them.
    expect(e.calls).toEqual(
      edges(['unknown', 'yelp_main/api_proxy'], ['yelp-main', 'mobile_api'], ['mobile_api', 'spectre']),
    );
    expect(e.parentChild).toEqual(
      edges(
        ['routing', 'yelp-main'],
        ['routing', 'unknown'],
        ['unknown', 'yelp_main/api_proxy'],
        ['yelp_main/api_proxy', 'yelp-main'],
        ['yelp-main', 'mobile_api'],
        ['mobile_api', 'spectre'],
      ),
    );
    // Uninstrumented remotes appear only as peer.service on CLIENT spans.
    const peers = new Set(placedSpans(decoded).map((p) => p.span.attributes['peer.service']));
    for (const peer of ['memcache', 'mysql', 'blt']) expect(peers).toContain(peer);
  });

  it('smartthings-oauth-authorization.json: 175 spans, 8 services, the README edges', () => {
    const { decoded } = decode('smartthings-oauth-authorization.json');
    expect(decoded.rejected).toEqual([]);
    expect(decoded.spanCount).toBe(175);
    expect(servicesOf(decoded)).toEqual([
      'account',
      'auth',
      'bouncer',
      'datamgmt',
      'dove',
      'paperboy',
      'pusher',
      'stlogin',
    ]);
    expect(duplicateIds(decoded)).toEqual([]);
    const e = edgesOf(decoded);
    expect(e.calls).toEqual(
      edges(
        ['datamgmt', 'auth'],
        ['datamgmt', 'account'],
        ['datamgmt', 'bouncer'],
        ['datamgmt', 'stlogin'],
        ['stlogin', 'auth'],
        ['bouncer', 'pusher'],
        ['pusher', 'dove'],
        ['pusher', 'paperboy'],
      ),
    );
    // stlogin → datamgmt: a datamgmt SERVER span directly under a stlogin SERVER span (no CLIENT span).
    expect(e.parentChild).toContain('stlogin -> datamgmt');
  });

  it('smartthings-mobile-web-install.json: 1041 entries = 957 spans + 84 merged fragments, 16 services', () => {
    const { raw, decoded } = decode('smartthings-mobile-web-install.json');
    expect(raw).toHaveLength(1041);
    expect(decoded.rejected).toEqual([]);
    expect(decoded.spanCount).toBe(957);
    expect(servicesOf(decoded)).toEqual(
      [
        'account',
        'alice',
        'auth',
        'bookie',
        'bouncer',
        'coreSrv',
        'dove',
        'execution',
        'gizmo',
        'guardian',
        'oreck',
        'paperboy',
        'platformapi',
        'pusher',
        'stLogin',
        'strongman',
      ].sort(),
    );
    expect(duplicateIds(decoded)).toEqual([]);
    const e = edgesOf(decoded);
    const readme = edges(
      ['platformapi', 'gizmo'],
      ['platformapi', 'bookie'],
      ['platformapi', 'execution'],
      ['platformapi', 'paperboy'],
      ['execution', 'bookie'],
      ['execution', 'guardian'],
      ['execution', 'alice'],
      ['execution', 'bouncer'],
      ['execution', 'auth'],
      ['bookie', 'account'],
      ['bookie', 'auth'],
      ['bookie', 'coreSrv'],
      ['bookie', 'execution'],
      ['guardian', 'platformapi'],
    );
    for (const edge of readme) expect(e.calls).toContain(edge);
    // "About 30 distinct edges": 26 with both halves, plus stLogin ↔ strongman, SERVER directly under SERVER.
    expect(e.calls).toHaveLength(26);
    expect(e.parentChild).toHaveLength(28);
  });

  it('ascend.json: 8 spans, mobile-gateway → auth-service and content-service', () => {
    const { decoded } = decode('ascend.json');
    expect(decoded.spanCount).toBe(8);
    expect(servicesOf(decoded)).toEqual(['auth-service', 'content-service', 'mobile-gateway']);
    expect(edgesOf(decoded).calls).toEqual(
      edges(['mobile-gateway', 'auth-service'], ['mobile-gateway', 'content-service']),
    );
  });

  it('messaging.json: 4 spans, frontend PRODUCER → backend CONSUMER through rabbitmq', () => {
    const { decoded } = decode('messaging.json');
    expect(decoded.spanCount).toBe(4);
    expect(servicesOf(decoded)).toEqual(['backend', 'frontend']);
    expect(edgesOf(decoded).messaging).toEqual(edges(['frontend', 'backend']));
    const producer = placedSpans(decoded).find((p) => p.span.kind === SpanKind.PRODUCER)!;
    expect(producer.span.attributes['peer.service']).toBe('rabbitmq');
    const server = placedSpans(decoded).find((p) => p.span.kind === SpanKind.SERVER)!;
    expect(server.span.attributes).toMatchObject({
      'http.method': 'GET',
      'http.path': '/',
      'network.peer.address': '::1',
      'network.peer.port': 54602,
    });
  });

  it('messaging2.json: 11 spans, 4 services, and no edge (its ids do not connect)', () => {
    const { decoded } = decode('messaging2.json');
    expect(decoded.spanCount).toBe(11);
    expect(servicesOf(decoded)).toEqual(['auth-service', 'mobile-gateway', 'notification-service', 'transfer-service']);
    const e = edgesOf(decoded);
    expect(e.calls).toEqual([]);
    expect(e.messaging).toEqual([]);
  });

  it('messaging-kafka.json: 28 spans, servicea PRODUCERs → serviceb CONSUMERs', () => {
    const { decoded } = decode('messaging-kafka.json');
    expect(decoded.spanCount).toBe(28);
    expect(servicesOf(decoded)).toEqual(['servicea', 'serviceb']);
    expect(edgesOf(decoded).messaging).toEqual(edges(['servicea', 'serviceb']));
  });

  it('simple-db-p6.json: 5 spans, 4 CLIENT spans to app_db, no service edge', () => {
    const { decoded } = decode('simple-db-p6.json');
    expect(decoded.spanCount).toBe(5);
    expect(servicesOf(decoded)).toEqual(['bootifulmeters']);
    const clients = placedSpans(decoded).filter((p) => p.span.kind === SpanKind.CLIENT);
    expect(clients.map((p) => p.span.attributes['peer.service'])).toEqual(['app_db', 'app_db', 'app_db', 'app_db']);
    expect(edgesOf(decoded).parentChild).toEqual([]);
  });

  it('skew.json: the shared id 74280ae0c10d8062 is split into a CLIENT and a SERVER with its own id', () => {
    const { decoded } = decode('skew.json');
    expect(decoded.spanCount).toBe(4);
    expect(duplicateIds(decoded)).toEqual([]);
    expect(edgesOf(decoded).calls).toEqual(edges(['servicea', 'serviceb']));
    const spans = placedSpans(decoded);
    const client = spans.find((p) => p.span.kind === SpanKind.CLIENT)!;
    const server = spans.find((p) => p.service === 'serviceb' && p.span.kind === SpanKind.SERVER)!;
    const async = spans.find((p) => p.span.name === 'async')!;
    expect(client.span).toMatchObject({ spanId: '74280ae0c10d8062', parentSpanId: 'bf396325699c84bf' });
    expect(server.span.parentSpanId).toBe('74280ae0c10d8062');
    expect(server.span.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(server.span.spanId).not.toBe('74280ae0c10d8062');
    // serviceb's own child moves under serviceb's half.
    expect(async.span.parentSpanId).toBe(server.span.spanId);
    // Deterministic: decoding again gives the same id.
    const again = placedSpans(zipkinToBatch(corpusJson('zipkin/skew.json')));
    expect(again.find((p) => p.service === 'serviceb' && p.span.kind === SpanKind.SERVER)!.span.spanId).toBe(
      server.span.spanId,
    );
  });

  it('envoy.json: the span without a service name is rejected', () => {
    const { decoded } = decode('envoy.json');
    expect(decoded.spanCount).toBe(0);
    expect(decoded.batch).toEqual([]);
    expect(decoded.rejected).toHaveLength(1);
    expect(decoded.rejected[0]!.at).toBe('[0]');
    expect(decoded.rejected[0]!.message).toContain('978883983d506fa5');
    expect(decoded.rejected[0]!.message).toContain('no service name');
  });
});

describe('what the OpenTelemetry Zipkin exporter writes as tags', () => {
  it('moves resource attributes back to the resource, the scope to the scope, and reads otel.status_code', () => {
    const decoded = zipkinToBatch([
      {
        traceId: 'a'.repeat(32),
        id: '1'.repeat(16),
        name: 'get /orders',
        kind: 'SERVER',
        timestamp: 1_700_000_000_000_000,
        duration: 1000,
        localEndpoint: { serviceName: 'orders' },
        tags: {
          'deployment.environment.name': 'prod',
          'service.namespace': 'shop',
          'service.version': '2.1.0',
          'telemetry.sdk.name': 'opentelemetry',
          'otel.scope.name': '@opentelemetry/instrumentation-http',
          'otel.scope.version': '0.223.0',
          'otel.status_code': 'ERROR',
          'http.route': '/orders',
        },
      },
    ]);
    const [rs] = decoded.batch;
    expect(rs!.resource).toEqual({
      'service.name': 'orders',
      'deployment.environment.name': 'prod',
      'service.namespace': 'shop',
      'service.version': '2.1.0',
      'telemetry.sdk.name': 'opentelemetry',
    });
    const [ss] = rs!.scopeSpans;
    expect(ss!.scope).toEqual({ name: '@opentelemetry/instrumentation-http', version: '0.223.0' });
    expect(ss!.spans[0]!.status).toBe(2);
    expect(ss!.spans[0]!.attributes).toEqual({ 'http.route': '/orders', 'otel.status_code': 'ERROR' });
  });
});
