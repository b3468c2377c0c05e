/**
 * The protobuf decoder reads a KeyValue in the layout SDKs write (the key, then a value shorter than
 * 128 bytes) from the bytes in place, and any other layout through protobufjs. Both must give the
 * same request: here the same attributes are encoded twice, once as SDKs lay them out and once with
 * each value before its key (valid protobuf, which only the general reads take), and decoded alike.
 */
import { describe, expect, it } from 'vitest';
import { readsSpanAttribute } from '../../ingest/derive.js';
import { createAttributeKeys } from '../../ingest/otlp/attribute-keys.js';
import { decodeOtlpProtobuf } from '../../ingest/otlp/decode-protobuf.js';
import { InvalidPayloadError } from '../../ingest/otlp/errors.js';
import type { DecodeLimits } from '../../ingest/otlp/validate.js';
import type { DecodedBatch } from '../../ingest/span.js';
import { defaultConfig } from '../../src/core/config.js';
import { prng } from '../bench/workload.js';
import { encodeProtobuf, rawSpan, type RawRequest, type RawValue } from '../support/otlp-payloads.js';

const config = defaultConfig();
const small: DecodeLimits = { maxSpans: 50, maxAttributes: 6, maxValueLength: 90, maxDepth: 2, maxDurationMs: 60_000 };

/** Values about every edge the in-place read has: lengths about 127 and 128 bytes, every type, nesting, text that is not ASCII. */
function values(rand: () => number): RawValue[] {
  const text = (n: number) =>
    Array.from({ length: n }, () => String.fromCharCode(32 + Math.floor(rand() * 95))).join('');
  return [
    '',
    'GET',
    text(60),
    text(64),
    text(65),
    text(123),
    text(124),
    text(125),
    text(126),
    text(127),
    text(200),
    'café',
    'é'.repeat(62),
    0,
    200,
    2 ** 40,
    -7,
    true,
    false,
    1.5,
    new Uint8Array([1, 2, 3]),
    ['a', 1, true],
    { k: 'v', n: [1, { deep: 'x' }] },
    [],
    {},
  ];
}

/** Keys of the worker's reads and others, about the one-byte length's end. */
const keys = [
  'http.request.method',
  'url.full',
  'server.port',
  'team',
  'app.x',
  'k'.repeat(120),
  'k'.repeat(126),
  'k'.repeat(127),
  'k'.repeat(128),
  'k'.repeat(130),
];

function request(rand: () => number): RawRequest {
  const vs = values(rand);
  const attrs = () => {
    const out: Record<string, RawValue> = {};
    for (let i = 0, n = 1 + Math.floor(rand() * 5); i < n; i++)
      out[keys[Math.floor(rand() * keys.length)]!] = vs[Math.floor(rand() * vs.length)]!;
    return out;
  };
  return {
    resource: { 'service.name': 'layouts', ...attrs() },
    spans: Array.from({ length: 6 }, (_, i) => rawSpan({ kind: 1 + (i % 5), attributes: attrs() })),
  };
}

function outcome(body: Uint8Array, limits: DecodeLimits, workerKeys: boolean): unknown {
  const keyTable = workerKeys ? createAttributeKeys(readsSpanAttribute(config.ingest.tagKeys)) : undefined;
  try {
    return decodeOtlpProtobuf(body, limits, keyTable);
  } catch (error) {
    if (error instanceof InvalidPayloadError) return `invalid: ${error.message}`;
    throw error;
  }
}

describe('attributes in the layout SDKs write and in any other', () => {
  it('decode to the same request, whole and with only the keys the worker reads, under any limits', () => {
    const rand = prng(7);
    let attributes = 0;
    for (let n = 0; n < 300; n++) {
      const req = request(rand);
      const sdkLayout = encodeProtobuf(req);
      const valueFirst = encodeProtobuf(req, { valueFirst: true });
      for (const limits of [config.limits.decode, small])
        for (const workerKeys of [false, true]) {
          const a = outcome(sdkLayout, limits, workerKeys);
          expect(a).toEqual(outcome(valueFirst, limits, workerKeys));
          if (typeof a !== 'string')
            attributes += (
              a as { batch: { scopeSpans: { spans: { attributes: object }[] }[] }[] }
            ).batch[0]!.scopeSpans[0]!.spans.reduce((sum, s) => sum + Object.keys(s.attributes).length, 0);
        }
    }
    // The requests do carry attributes through both reads.
    expect(attributes).toBeGreaterThan(3000);
  });

  it('refuse a request cut short anywhere, its attributes in the SDK layout', () => {
    const body = encodeProtobuf({
      resource: { 'service.name': 'layouts', 'host.name': 'h1', nested: { a: 'b', c: ['d'] } },
      spans: [
        rawSpan({ attributes: { 'http.request.method': 'GET', 'http.route': '/orders/list', team: 'core' } }),
        rawSpan({ kind: 3, attributes: { 'url.full': 'http://pay/v1', 'app.x': 'y' } }),
      ],
    });
    expect(outcome(body, config.limits.decode, true)).toMatchObject({ spanCount: 2 });
    for (let cut = 1; cut < body.length; cut++)
      for (const workerKeys of [false, true])
        expect(outcome(body.subarray(0, cut), config.limits.decode, workerKeys)).toMatch(/^invalid: /);
  });

  it('take the last of two fields a value holds, as protobuf says, not the text before it', () => {
    // 'http.route' = 'ab' made a value holding an empty text and then a flag, in as many bytes.
    const body = Buffer.from(
      encodeProtobuf({ resource: { 'service.name': 's' }, spans: [rawSpan({ attributes: { 'http.route': 'ab' } })] }),
    );
    const at = body.indexOf(Buffer.from([0x12, 0x04, 0x0a, 0x02, 0x61, 0x62]));
    expect(at).toBeGreaterThan(0);
    body.set([0x0a, 0x00, 0x10, 0x01], at + 2);
    for (const workerKeys of [false, true]) {
      const decoded = outcome(body, config.limits.decode, workerKeys) as DecodedBatch;
      expect(decoded.batch[0]!.scopeSpans[0]!.spans[0]!.attributes).toEqual({ 'http.route': true });
    }
  });
});
