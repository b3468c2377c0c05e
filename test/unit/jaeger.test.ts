import { describe, expect, it } from 'vitest';
import { jaegerToBatch } from '../../ingest/formats/jaeger.js';
import { InvalidPayloadError } from '../../ingest/otlp/errors.js';
import { SpanKind, StatusCode, type DecodedBatch } from '../../ingest/span.js';
import { placedSpans, servicesOf } from '../support/trace-edges.js';

const TRACE = '2be38093ead7a083';
const jspan = (overrides: Record<string, unknown> = {}) => ({
  traceID: TRACE,
  spanID: '7606ddfe69932d34',
  operationName: 'op',
  references: [],
  startTime: 1605223981761425,
  duration: 267037,
  tags: [],
  processID: 'p1',
  ...overrides,
});
const trace = (spans: unknown[]) => ({
  traceID: TRACE,
  spans,
  processes: { p1: { serviceName: 'svc', tags: [{ key: 'hostname', type: 'string', value: 'h1' }] } },
});
const spanOf = (decoded: DecodedBatch) => {
  expect(decoded.rejected).toEqual([]);
  return placedSpans(decoded)[0]!.span;
};

describe('jaegerToBatch', () => {
  it('reads a UI/API trace: ids padded to 32/16 hex, µs times, process → resource', () => {
    const decoded = jaegerToBatch({ data: [trace([jspan({ spanID: 'a68c6983a6d81a2' })])] });
    expect(decoded.batch[0]!.resource).toEqual({ 'service.name': 'svc', hostname: 'h1' });
    expect(spanOf(decoded)).toMatchObject({
      traceId: '00000000000000002be38093ead7a083',
      spanId: '0a68c6983a6d81a2',
      parentSpanId: '',
      name: 'op',
      startMs: 1605223981761.425,
      endMs: 1605223982028.462,
    });
  });

  it('accepts {data: trace}, a bare trace, and arrays of spans with an inline process', () => {
    const inline = jspan({ process: { serviceName: 'inline', tags: [] }, processID: undefined });
    expect(jaegerToBatch({ data: trace([jspan()]) }).spanCount).toBe(1);
    expect(jaegerToBatch(trace([jspan()])).spanCount).toBe(1);
    expect(servicesOf(jaegerToBatch([inline]))).toEqual(['inline']);
  });

  it('maps span.kind, error and otel.status_code tags, and typed tag values', () => {
    const tags = [
      { key: 'span.kind', type: 'string', value: 'producer' },
      { key: 'error', type: 'bool', value: 'true' },
      { key: 'n', type: 'int64', value: '12' },
      { key: 'f', type: 'float64', value: 2.5 },
      { key: 'blob', type: 'binary', value: 'AAAwOQ==' },
      { key: 'otel.scope.name', type: 'string', value: 'lib' },
    ];
    const span = spanOf(jaegerToBatch(trace([jspan({ tags })])));
    expect(span.kind).toBe(SpanKind.PRODUCER);
    expect(span.status).toBe(StatusCode.ERROR);
    expect(span.attributes).toEqual({ error: true, n: 12, f: 2.5, blob: 'AAAwOQ==' });
    expect(jaegerToBatch(trace([jspan({ tags })])).batch[0]!.scopeSpans[0]!.scope.name).toBe('lib');

    const ok = spanOf(
      jaegerToBatch(trace([jspan({ tags: [{ key: 'otel.status_code', type: 'string', value: 'OK' }] })])),
    );
    expect(ok.status).toBe(StatusCode.OK);
    const odd = spanOf(jaegerToBatch(trace([jspan({ tags: [{ key: 'span.kind', type: 'string', value: 'weird' }] })])));
    expect(odd.kind).toBe(SpanKind.UNSPECIFIED);
  });

  it('CHILD_OF is the parent, FOLLOWS_FROM a link (and the parent when there is no CHILD_OF)', () => {
    const ref = (refType: string, spanID: string, traceID = TRACE) => ({ refType, traceID, spanID });
    const both = spanOf(
      jaegerToBatch(
        trace([jspan({ references: [ref('FOLLOWS_FROM', '1111111111111111'), ref('CHILD_OF', '2222222222222222')] })]),
      ),
    );
    expect(both.parentSpanId).toBe('2222222222222222');
    expect(both.links.map((l) => l.spanId)).toEqual(['1111111111111111']);
    const followsOnly = spanOf(
      jaegerToBatch(trace([jspan({ references: [ref('FOLLOWS_FROM', '1111111111111111')] })])),
    );
    expect(followsOnly.parentSpanId).toBe('1111111111111111');
    expect(followsOnly.links.map((l) => l.spanId)).toEqual(['1111111111111111']);
  });

  it('reads Elasticsearch documents: startTimeMillis, tag maps with @ for dots', () => {
    const doc = {
      traceID: TRACE,
      spanID: '7606ddfe69932d34',
      operationName: 'op',
      startTimeMillis: 1611677021714,
      duration: 1000,
      tag: { 'span@kind': 'server', 'http@status_code': 200 },
      process: { serviceName: 'es', tag: { 'jaeger@version': 'Java-1.5.0', ip: '10.0.0.1' } },
    };
    const decoded = jaegerToBatch([doc]);
    expect(spanOf(decoded)).toMatchObject({
      kind: SpanKind.SERVER,
      startMs: 1611677021714,
      endMs: 1611677021715,
      attributes: { 'http.status_code': 200 },
    });
    expect(decoded.batch[0]!.resource).toEqual({
      'service.name': 'es',
      'jaeger.version': 'Java-1.5.0',
      ip: '10.0.0.1',
    });
  });

  it('rejects spans without a service, with bad ids or end before start; keeps the rest', () => {
    const decoded = jaegerToBatch(
      trace([jspan({ processID: 'nope' }), jspan({ spanID: 'zz' }), jspan({ duration: -5 }), jspan({ spanID: '1' })]),
    );
    expect(decoded.spanCount).toBe(1);
    expect(decoded.rejected).toEqual([
      { at: 'spans[0]', message: 'span 7606ddfe69932d34 has no service name' },
      { at: 'spans[1]', message: 'spanID "zz" is not 8 bytes of hex or base64' },
      { at: 'spans[2]', message: 'span 7606ddfe69932d34: duration -5 is not a length in µs' },
    ]);
  });

  it('throws InvalidPayloadError for documents that are no Jaeger shape', () => {
    for (const doc of [null, 'x', {}, { data: 'x' }, { data: [{ foo: 1 }] }]) {
      expect(() => jaegerToBatch(doc)).toThrow(InvalidPayloadError);
    }
  });
});
