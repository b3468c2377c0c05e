/**
 * The worker's protobuf decoding builds only the span attributes derivation reads. Whatever it leaves
 * out, a request must come out as the whole decode makes it, those attributes aside: the same spans,
 * the same rejections (a bad string in a left-out attribute still rejects its span), the same limit
 * counts (a left-out attribute still counts against the limits), the same InvalidPayloadError.
 */
import { describe, expect, it } from 'vitest';
import { readsSpanAttribute } from '../../ingest/derive.js';
import { createAttributeKeys, MAX_REMEMBERED_KEYS } from '../../ingest/otlp/attribute-keys.js';
import { decodeOtlpProtobuf } from '../../ingest/otlp/decode-protobuf.js';
import { InvalidPayloadError } from '../../ingest/otlp/errors.js';
import type { DecodeLimits } from '../../ingest/otlp/validate.js';
import { bitsOfKey } from '../../ingest/semconv.js';
import type { Attributes, DecodedBatch } from '../../ingest/span.js';
import { defaultConfig } from '../../src/core/config.js';
import { encodeProtobuf, rawSpan, type RawRequest } from '../support/otlp-payloads.js';

const config = defaultConfig();
const small: DecodeLimits = { maxSpans: 50, maxAttributes: 4, maxValueLength: 12, maxDepth: 2, maxDurationMs: 60_000 };
const bad = new Uint8Array([0x47, 0x45, 0x54, 0xff, 0xfe]);

/**
 * The whole decode with the span attributes `keep` leaves out taken away afterwards, and each span's
 * `keyBits` naming the accessors that its attributes left may answer.
 */
function wholeThenFiltered(body: Uint8Array, limits: DecodeLimits, keep: (key: string) => boolean): DecodedBatch {
  const d = decodeOtlpProtobuf(body, limits);
  for (const rs of d.batch)
    for (const ss of rs.scopeSpans)
      for (const span of ss.spans) {
        const kept: Attributes = {};
        span.keyBits = 0;
        for (const [k, v] of Object.entries(span.attributes))
          if (keep(k)) {
            kept[k] = v;
            span.keyBits |= bitsOfKey(k);
          }
        span.attributes = kept;
      }
  return d;
}

function outcome(decode: () => DecodedBatch): DecodedBatch | string {
  try {
    return decode();
  } catch (error) {
    if (error instanceof InvalidPayloadError) return `invalid: ${error.message}`;
    throw error;
  }
}

function expectSame(body: Uint8Array, limits: DecodeLimits): DecodedBatch | string {
  const keep = readsSpanAttribute(config.ingest.tagKeys);
  const keys = createAttributeKeys(keep);
  const filtered = outcome(() => decodeOtlpProtobuf(body, limits, keys));
  expect(filtered).toEqual(outcome(() => wholeThenFiltered(body, limits, keep)));
  // A second request through the same table (keys now remembered) decodes alike.
  expect(outcome(() => decodeOtlpProtobuf(body, limits, keys))).toEqual(filtered);
  return filtered;
}

const request = (attributes: RawRequest['spans'][number]['attributes'], resource = { 'service.name': 's' }) =>
  encodeProtobuf({
    resource,
    spans: [rawSpan({ kind: 3, attributes }), rawSpan({ attributes: { 'http.route': '/a' } })],
  });

describe('protobuf decoding with only the attributes derivation reads', () => {
  it('keeps semantic-convention and tag keys, builds no other', () => {
    const d = expectSame(
      request({ 'http.request.method': 'GET', 'server.port': 8080, team: 'core', 'app.user': 'u1', 'x.list': ['a'] }),
      config.limits.decode,
    ) as DecodedBatch;
    expect(d.batch[0]!.scopeSpans[0]!.spans[0]!.attributes).toEqual({
      'http.request.method': 'GET',
      'server.port': 8080,
      team: 'core',
    });
  });

  it('keeps every resource attribute', () => {
    const d = expectSame(request({}, { 'service.name': 's', 'app.anything': 'x' } as never), small) as DecodedBatch;
    expect(d.batch[0]!.resource).toEqual({ 'service.name': 's', 'app.anything': 'x' });
  });

  it('rejects a span whose left-out attribute is not UTF-8, naming it', () => {
    const d = expectSame(request({ 'app.user': bad, 'http.route': '/x' }), small) as DecodedBatch;
    expect(d.rejected.map((r) => r.message)).toEqual(['attribute "app.user" is not valid UTF-8']);
    expect(expectSame(request({ 'app.list': ['ok', [bad]] }), small)).toMatchObject({ spanCount: 1 });
  });

  it('rejects a span whose left-out key is not UTF-8', () => {
    // "é" is two bytes in UTF-8: swapped for two bytes that are not UTF-8, no length changes.
    const body = Buffer.from(request({ 'app.é': 'v' }));
    const at = body.indexOf(Buffer.from('é'));
    body[at] = 0xff;
    body[at + 1] = 0xfe;
    const d = expectSame(body, small) as DecodedBatch;
    expect(d.rejected.map((r) => r.message)).toEqual(['an attribute key is not valid UTF-8']);
  });

  it('counts attributes dropped and values cut among those left out, as the whole decode does', () => {
    const d = expectSame(
      request({
        'app.a': 'x'.repeat(20),
        'http.route': '/r',
        'app.b': 1,
        'app.c': true,
        'app.d': 'y',
        'db.system': 'pg',
      }),
      small,
    ) as DecodedBatch;
    expect(d.limited).toMatchObject({ attributesDropped: 2, valuesTruncated: 1 });
    expectSame(request({ 'app.a': 'x'.repeat(20), 'http.route': '/' + 'r'.repeat(20) }), small);
    expectSame(request({ 'app.bytes': new Uint8Array(20), 'app.kv': { a: 'x'.repeat(30), b: 1 } }), small);
    expectSame(request({ 'app.deep': [[['x'.repeat(30)]]], 'app.n': ['ok', 'x'.repeat(13)] }), small);
    expectSame(request({ 'app.many': { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 } }), small);
  });

  it('gives the same batch or the same InvalidPayloadError for mutated requests', () => {
    let seed = 0x5eed;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
    const bases = [
      request({ 'app.a': 'abc', 'http.request.method': 'GET', 'app.list': ['a', 1, true], 'app.kv': { k: 'v' } }),
      // The layout SDKs write (a key, then a short text, number or flag; read from the bytes in place),
      // beside values and keys about the one-byte length's end (127 and 128 bytes).
      request({
        'http.request.method': 'POST',
        'server.port': 443,
        team: '',
        'app.flag': true,
        'url.full': `http://h/${'p'.repeat(110)}`,
        'http.route': `/${'r'.repeat(123)}`,
        [`app.${'k'.repeat(124)}`]: 'v',
        'db.system': 'é',
      }),
    ];
    for (const [b, base] of bases.entries()) {
      const seen = new Set<string>();
      for (let i = 0; i < 2000; i++) {
        const buf = Buffer.from(base);
        for (let e = 0; e < 1 + Math.floor(rand() * 4); e++)
          buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
        const cut = rand() < 0.3 ? buf.subarray(0, Math.floor(rand() * buf.length)) : buf;
        seen.add(typeof expectSame(cut, b === 0 ? small : config.limits.decode) === 'string' ? 'invalid' : 'ok');
      }
      expect([...seen].sort()).toEqual(['invalid', 'ok']);
    }
  });

  it('remembers a bounded number of distinct keys, and still decodes past them', () => {
    const keys = createAttributeKeys(() => false);
    const buf = Buffer.alloc(8);
    for (let i = 0; i < MAX_REMEMBERED_KEYS + 100; i++) {
      buf.write(i.toString(36).padStart(8, 'k'), 'latin1');
      expect(keys.lookup(buf, 0, 8).text).toBe(i.toString(36).padStart(8, 'k'));
    }
    buf.write('kkkkkkk0', 'latin1');
    expect(keys.lookup(buf, 0, 8)).toBe(keys.lookup(Buffer.from('kkkkkkk0'), 0, 8));
  });
});
