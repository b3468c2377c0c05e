/** The ingest limits of issue 6, in both OTLP decoders alike. */
import { describe, expect, it } from 'vitest';
import { decodeOtlpJson } from '../../ingest/otlp/decode-json.js';
import { decodeOtlpProtobuf } from '../../ingest/otlp/decode-protobuf.js';
import { InvalidPayloadError } from '../../ingest/otlp/errors.js';
import { TOO_DEEP, type DecodeLimits } from '../../ingest/otlp/validate.js';
import { defaultConfig } from '../../src/core/config.js';
import type { AttrValue, DecodedBatch } from '../../ingest/span.js';
import { encodeJson, encodeProtobuf, rawSpan, type RawRequest, type RawValue } from '../support/otlp-payloads.js';

const LIMITS = defaultConfig().limits.decode;

const limits: DecodeLimits = { maxSpans: 5, maxAttributes: 3, maxValueLength: 10, maxDepth: 3, maxDurationMs: 60_000 };

const formats: [string, (req: RawRequest, l?: DecodeLimits) => DecodedBatch][] = [
  ['protobuf', (req, l = limits) => decodeOtlpProtobuf(encodeProtobuf(req), l)],
  ['json', (req, l = limits) => decodeOtlpJson(JSON.parse(JSON.stringify(encodeJson(req))), l)],
];

const spans = (d: DecodedBatch) => d.batch.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));

describe.each(formats)('%s decoder limits', (_, decode) => {
  it('refuses a request with more spans than the limit, whole, with 413', () => {
    const req = { resource: { 'service.name': 's' }, spans: Array.from({ length: 6 }, () => rawSpan()) };
    try {
      decode(req);
      expect.unreachable('accepted too many spans');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidPayloadError);
      expect((error as InvalidPayloadError).status).toBe(413);
      expect((error as Error).message).toContain('more than 5 spans');
    }
    expect(decode({ ...req, spans: req.spans.slice(0, 5) }).spanCount).toBe(5);
  });

  it('keeps the first attributes and cuts long values, counting both', () => {
    const d = decode({
      resource: { 'service.name': 'a-long-service-name' },
      spans: [
        rawSpan({
          name: 'x'.repeat(20),
          attributes: { a: '0123456789abcdef', b: 1, c: true, d: 'dropped', e: 'dropped' },
        }),
      ],
    });
    const [span] = spans(d);
    expect(span!.name).toBe('x'.repeat(10));
    expect(span!.attributes).toEqual({ a: '0123456789', b: 1, c: true });
    expect(d.batch[0]!.resource['service.name']).toBe('a-long-ser');
    // name, attribute a, service.name and the scope name "hostile-test"
    expect(d.limited).toMatchObject({ attributesDropped: 2, valuesTruncated: 4 });
  });

  it('never cuts a surrogate pair in half', () => {
    const d = decode({ resource: {}, spans: [rawSpan({ attributes: { k: '123456789😀😀' } })] });
    expect(spans(d)[0]!.attributes.k).toBe('123456789');
  });

  it('replaces values nested past the depth limit, without recursion trouble at any depth', () => {
    let deep: RawValue = 'leaf';
    for (let i = 0; i < 200; i++) deep = [deep];
    const d = decode({ resource: {}, spans: [rawSpan({ attributes: { deep } })] });
    let v: AttrValue = spans(d)[0]!.attributes.deep!;
    let depth = 0;
    while (Array.isArray(v)) {
      v = v[0]!;
      depth++;
    }
    expect(depth).toBe(3);
    expect(v).toBe(TOO_DEEP);
  });

  it('rejects ids of the wrong length and all-zero ids, keeping the other spans', () => {
    const d = decode({
      resource: {},
      spans: [
        rawSpan(),
        rawSpan({ traceId: 'abcd' }),
        rawSpan({ spanId: '00'.repeat(8) }),
        rawSpan({ parentSpanId: 'ab' }),
      ],
    });
    expect(d.spanCount).toBe(1);
    expect(d.rejected.map((r) => r.message).join('\n')).toMatch(/traceId[\s\S]*spanId is all zeros[\s\S]*parentSpanId/);
  });

  it('rejects times after 2100 and durations past the limit', () => {
    const after2100 = BigInt(Date.UTC(2101, 0, 1)) * 1_000_000n;
    const start = 1_700_000_000_000_000_000n;
    const d = decode({
      resource: {},
      spans: [
        rawSpan({ startNs: after2100, endNs: after2100 }),
        rawSpan({ startNs: start, endNs: start + 61_000_000_000n }),
        rawSpan({ startNs: start, endNs: start + 59_000_000_000n }),
      ],
    });
    expect(d.spanCount).toBe(1);
    expect(d.rejected[0]!.message).toContain('after 2100');
    expect(d.rejected[1]!.message).toContain('longer than the limit of 60 s');
  });

  it('reads unknown span kinds and status codes as UNSPECIFIED / UNSET and counts them', () => {
    const d = decode({ resource: {}, spans: [rawSpan({ kind: 9 }), rawSpan({ statusCode: 7 }), rawSpan({ kind: 3 })] });
    expect(spans(d).map((s) => [s.kind, s.status])).toEqual([
      [0, 0],
      [2, 0],
      [3, 0],
    ]);
    expect(d.limited!.unknownEnums).toBe(2);
  });

  it('keeps "__proto__" and "constructor" as ordinary attribute keys', () => {
    const d = decode({
      resource: {},
      spans: [rawSpan({ attributes: JSON.parse('{"__proto__": "p", "constructor": "c"}') })],
    });
    const attrs = spans(d)[0]!.attributes;
    expect(Object.getPrototypeOf(attrs)).toBe(Object.prototype);
    expect(Object.keys(attrs).sort()).toEqual(['__proto__', 'constructor']);
  });
});

describe('nesting far past any stack', () => {
  const levels = 100_000;

  it('json: a body nested 100,000 arrays deep is decoded without a stack overflow', () => {
    const value = '{"arrayValue":{"values":['.repeat(levels) + '{"stringValue":"x"}' + ']}}'.repeat(levels);
    const text = JSON.stringify(encodeJson({ resource: {}, spans: [rawSpan({ attributes: { deep: 'HERE' } })] }));
    const d = decodeOtlpJson(JSON.parse(text.replace('{"stringValue":"HERE"}', value)), limits);
    expect(d.spanCount).toBe(1);
    expect(JSON.stringify(spans(d)[0]!.attributes.deep)).toBe(`[[[${JSON.stringify(TOO_DEEP)}]]]`);
  });

  it('protobuf: the same nesting is skipped, not recursed into', () => {
    // AnyValue{array_value(5): ArrayValue{values(1): AnyValue{…}}}, built inside out.
    let inner = Buffer.from([0x0a, 0x01, 0x78]);
    const wrap = (field: number, body: Buffer) =>
      Buffer.concat([Buffer.from([(field << 3) | 2]), varint(body.length), body]);
    for (let i = 0; i < 2000; i++) inner = wrap(5, wrap(1, inner));
    const kv = Buffer.concat([wrap(1, Buffer.from('deep')), wrap(2, inner)]);
    const span = Buffer.concat([
      wrap(1, Buffer.from(rawSpan().traceId!, 'hex')),
      wrap(2, Buffer.from(rawSpan().spanId!, 'hex')),
      wrap(9, kv),
    ]);
    const req = wrap(1, wrap(2, wrap(2, span)));
    const deep = decodeOtlpProtobuf(req, limits);
    expect(deep.spanCount).toBe(1);
    expect(JSON.stringify(spans(deep)[0]!.attributes.deep)).toBe(`[[[${JSON.stringify(TOO_DEEP)}]]]`);
  });
});

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

describe('invalid text', () => {
  const bad = new Uint8Array([0x47, 0x45, 0x54, 0xff, 0xfe]);

  it('protobuf: a span whose name or attributes are not UTF-8 is rejected with the field named', () => {
    const d = decodeOtlpProtobuf(
      encodeProtobuf({
        resource: {},
        spans: [rawSpan({ name: bad }), rawSpan({ attributes: { 'http.route': bad } }), rawSpan()],
      }),
      limits,
    );
    expect(d.spanCount).toBe(1);
    expect(d.rejected.map((r) => r.message)).toEqual([
      'name is not valid UTF-8',
      'attribute "http.route" is not valid UTF-8',
    ]);
  });

  it('protobuf: a resource that is not UTF-8 rejects all of its spans', () => {
    const d = decodeOtlpProtobuf(
      encodeProtobuf({ resource: { 'service.name': bad }, spans: [rawSpan(), rawSpan()] }),
      limits,
    );
    expect(d.spanCount).toBe(0);
    expect(d.rejected).toHaveLength(2);
    expect(d.rejected[0]!.message).toBe('resource attribute "service.name" is not valid UTF-8');
  });

  it('json: unpaired surrogates (from \\ud800 escapes) reject the span', () => {
    const body = JSON.parse(
      JSON.stringify(encodeJson({ resource: {}, spans: [rawSpan({ name: 'a\ud800b' }), rawSpan()] })),
    );
    const d = decodeOtlpJson(body, limits);
    expect(d.spanCount).toBe(1);
    expect(d.rejected[0]!.message).toBe('name is not valid Unicode (unpaired surrogate)');
  });

  it('the default limits are the documented ones', () => {
    expect(LIMITS).toEqual({
      maxSpans: 50_000,
      maxAttributes: 128,
      maxValueLength: 4096,
      maxDepth: 8,
      maxDurationMs: 7 * 86_400_000,
    });
  });
});
