import { describe, expect, it } from 'vitest';
import { decodeOtlpJson, nanosToMs, parseId, parseSpanKind, parseStatusCode } from '../../ingest/otlp/decode-json.js';
import { InvalidPayloadError } from '../../ingest/otlp/errors.js';
import { SpanKind, StatusCode, type Span } from '../../ingest/span.js';
import { defaultConfig } from '../../src/core/config.js';

const LIMITS = defaultConfig().limits.decode;

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';

function request(spans: unknown[], resource: unknown[] = [{ key: 'service.name', value: { stringValue: 'svc' } }]) {
  return { resourceSpans: [{ resource: { attributes: resource }, scopeSpans: [{ scope: { name: 'lib' }, spans }] }] };
}

function rawSpan(overrides: Record<string, unknown> = {}) {
  return {
    traceId: TRACE,
    spanId: SPAN,
    name: 'op',
    kind: 2,
    startTimeUnixNano: '1544712660000000000',
    endTimeUnixNano: '1544712661000000000',
    ...overrides,
  };
}

const only = (body: unknown): Span => {
  const decoded = decodeOtlpJson(body, LIMITS);
  expect(decoded.rejected).toEqual([]);
  expect(decoded.spanCount).toBe(1);
  return decoded.batch[0]!.scopeSpans[0]!.spans[0]!;
};

const nested = (levels: number): unknown =>
  levels === 0 ? { stringValue: 'leaf' } : { arrayValue: { values: [nested(levels - 1)] } };

describe('decodeOtlpJson: the span model', () => {
  it('reads hex ids in either case and base64 ids', () => {
    expect(only(request([rawSpan({ traceId: TRACE.toUpperCase(), spanId: SPAN.toUpperCase() })]))).toMatchObject({
      traceId: TRACE,
      spanId: SPAN,
      parentSpanId: '',
    });
    const b64Trace = Buffer.from(TRACE, 'hex').toString('base64');
    const b64Span = Buffer.from(SPAN, 'hex').toString('base64');
    const urlSafe = Buffer.from('fbff000000000001', 'hex').toString('base64url');
    expect(only(request([rawSpan({ traceId: b64Trace, spanId: b64Span, parentSpanId: urlSafe })]))).toMatchObject({
      traceId: TRACE,
      spanId: SPAN,
      parentSpanId: 'fbff000000000001',
    });
  });

  it('reads kinds and status codes as integers or enum names; unknown names are UNSPECIFIED / UNSET', () => {
    expect(parseSpanKind(3)).toBe(SpanKind.CLIENT);
    expect(parseSpanKind('SPAN_KIND_PRODUCER')).toBe(SpanKind.PRODUCER);
    expect(parseSpanKind('consumer')).toBe(SpanKind.CONSUMER);
    expect(parseSpanKind('2')).toBe(SpanKind.SERVER);
    expect(parseSpanKind('SPAN_KIND_SIDEWAYS')).toBe(SpanKind.UNSPECIFIED);
    expect(parseSpanKind('constructor')).toBe(SpanKind.UNSPECIFIED);
    expect(parseSpanKind(9)).toBe(SpanKind.UNSPECIFIED);
    expect(parseStatusCode('STATUS_CODE_ERROR')).toBe(StatusCode.ERROR);
    expect(parseStatusCode(1)).toBe(StatusCode.OK);
    expect(parseStatusCode('STATUS_CODE_MAYBE')).toBe(StatusCode.UNSET);

    const span = only(request([rawSpan({ kind: 'SPAN_KIND_BOGUS', status: { code: 'STATUS_CODE_ERROR' } })]));
    expect(span.kind).toBe(SpanKind.UNSPECIFIED);
    expect(span.status).toBe(StatusCode.ERROR);
  });

  it('converts int64 nanoseconds given as numbers or strings to fractional ms without losing microseconds', () => {
    expect(nanosToMs('1544712660123456789')).toBeCloseTo(1544712660123.4568, 3);
    expect(nanosToMs(1_000_000_500)).toBe(1000.0005);
    expect(nanosToMs(undefined)).toBe(0);
    expect(nanosToMs('12abc')).toBeUndefined();
    expect(nanosToMs(-1)).toBeUndefined();
    const span = only(request([rawSpan({ startTimeUnixNano: 1_000_000_000, endTimeUnixNano: '1000000001500' })]));
    expect(span.startMs).toBe(1000);
    expect(span.endMs).toBe(1000000.0015);
  });

  it('converts attribute values to plain JS values', () => {
    const span = only(
      request([
        rawSpan({
          attributes: [
            { key: 's', value: { stringValue: 'x' } },
            { key: 'i', value: { intValue: '42' } },
            { key: 'n', value: { intValue: 7 } },
            { key: 'd', value: { doubleValue: 1.5 } },
            { key: 'b', value: { boolValue: true } },
            { key: 'bytes', value: { bytesValue: 'AAAwOQ==' } },
            { key: 'a', value: { arrayValue: { values: [{ stringValue: 'p' }, { intValue: '1' }] } } },
            { key: 'kv', value: { kvlistValue: { values: [{ key: 'inner', value: { boolValue: false } }] } } },
            { key: 'empty', value: {} },
            { key: '__proto__', value: { stringValue: 'not a prototype' } },
          ],
        }),
      ]),
    );
    expect(span.attributes).toEqual({
      s: 'x',
      i: 42,
      n: 7,
      d: 1.5,
      b: true,
      bytes: 'AAAwOQ==',
      a: ['p', 1],
      kv: { inner: false },
      empty: null,
      ['__proto__']: 'not a prototype',
    });
    expect(Object.getPrototypeOf(span.attributes)).toBe(Object.prototype);
    expect(Object.hasOwn(span.attributes, '__proto__')).toBe(true);
  });

  it('cuts attribute nesting at depth 8', () => {
    const span = only(
      request([
        rawSpan({
          attributes: [
            { key: 'eight', value: nested(8) },
            { key: 'nine', value: nested(9) },
          ],
        }),
      ]),
    );
    const wrap = (levels: number, inner: unknown): unknown => (levels === 0 ? inner : [wrap(levels - 1, inner)]);
    expect(span.attributes.eight).toEqual(wrap(8, 'leaf'));
    expect(span.attributes.nine).toEqual(wrap(8, '[too deep]'));
  });

  it('reads links, drops unreadable ones, and treats an all-zero parent as none', () => {
    const span = only(
      request([
        rawSpan({
          parentSpanId: '0000000000000000',
          links: [
            { traceId: TRACE, spanId: 'aaaaaaaaaaaaaaaa' },
            { traceId: 'nope', spanId: 'bbbbbbbbbbbbbbbb' },
          ],
        }),
      ]),
    );
    expect(span.parentSpanId).toBe('');
    expect(span.links).toEqual([{ traceId: TRACE, spanId: 'aaaaaaaaaaaaaaaa' }]);
  });

  it('accepts the older instrumentationLibrarySpans names and Tempo batches', () => {
    const old = decodeOtlpJson(
      {
        resourceSpans: [
          {
            resource: { attributes: [] },
            instrumentationLibrarySpans: [
              { instrumentationLibrary: { name: 'old', version: '0.1' }, spans: [rawSpan()] },
            ],
          },
        ],
      },
      LIMITS,
    );
    expect(old.spanCount).toBe(1);
    expect(old.batch[0]!.scopeSpans[0]!.scope).toEqual({ name: 'old', version: '0.1' });
    const tempo = decodeOtlpJson({ batches: request([rawSpan()]).resourceSpans }, LIMITS);
    expect(tempo.spanCount).toBe(1);
  });

  it('keeps a resource without service.name', () => {
    const decoded = decodeOtlpJson(request([rawSpan()], [{ key: 'host.name', value: { stringValue: 'h1' } }]), LIMITS);
    expect(decoded.spanCount).toBe(1);
    expect(decoded.batch[0]!.resource).toEqual({ 'host.name': 'h1' });
  });
});

describe('decodeOtlpJson: rejections', () => {
  it('rejects bad spans with a precise locator and message, keeping the rest', () => {
    const body = {
      resourceSpans: [
        { resource: {}, scopeSpans: [{ spans: [rawSpan()] }] },
        {
          resource: {},
          scopeSpans: [
            { spans: [rawSpan()] },
            {
              spans: [
                rawSpan({ traceId: 'zz' + TRACE.slice(2) }),
                rawSpan({ traceId: '0'.repeat(32) }),
                rawSpan({ spanId: 'abc' }),
                rawSpan({ spanId: '' }),
                rawSpan({ parentSpanId: 'xyz' }),
                rawSpan({ startTimeUnixNano: '2000', endTimeUnixNano: '1000' }),
                rawSpan({ startTimeUnixNano: 'soon' }),
                'not a span',
                rawSpan({ kind: 'SPAN_KIND_WHATEVER' }),
              ],
            },
          ],
        },
      ],
    };
    const decoded = decodeOtlpJson(body, LIMITS);
    expect(decoded.spanCount).toBe(3);
    const at = (k: number) => `resourceSpans[1].scopeSpans[1].spans[${k}]`;
    expect(decoded.rejected).toEqual([
      { at: at(0), message: expect.stringMatching(/^traceId "zz.*" is not 16 bytes of hex or base64$/) },
      { at: at(1), message: 'traceId is all zeros' },
      { at: at(2), message: 'spanId "abc" has 3 hex digits, expected 16' },
      { at: at(3), message: 'spanId is missing' },
      { at: at(4), message: 'parentSpanId "xyz" is not 8 bytes of hex or base64' },
      { at: at(5), message: 'endTimeUnixNano (1000) is before startTimeUnixNano (2000)' },
      { at: at(6), message: 'startTimeUnixNano "soon" is not an unsigned integer' },
      { at: at(7), message: 'span is not an object' },
    ]);
    expect(decoded.batch[1]!.scopeSpans[1]!.spans.map((s) => s.kind)).toEqual([SpanKind.UNSPECIFIED]);
  });

  it('checks base64 ids decode to the right number of bytes', () => {
    expect(parseId(Buffer.alloc(12, 1).toString('base64'), 16, 'traceId')).toEqual({
      error: expect.stringContaining('is not 16 bytes of hex or base64'),
    });
    expect(parseId('abc', 8, 'spanId', true)).toEqual({ id: '0000000000000abc' });
  });

  it('throws InvalidPayloadError (status 400) for a body that is not a request', () => {
    for (const body of [null, 'text', 42, [], {}, { resourceSpans: {} }]) {
      expect(() => decodeOtlpJson(body, LIMITS)).toThrow(InvalidPayloadError);
    }
    try {
      decodeOtlpJson({ spans: [] }, LIMITS);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidPayloadError);
      expect((error as InvalidPayloadError).status).toBe(400);
      expect((error as Error).message).toMatch(/resourceSpans/);
    }
  });
});
