import { describe, expect, it } from 'vitest';
import { zipkinToBatch } from '../../ingest/formats/zipkin.js';
import { InvalidPayloadError } from '../../ingest/otlp/errors.js';
import { SpanKind, StatusCode } from '../../ingest/span.js';
import { placedSpans } from '../support/trace-edges.js';

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
