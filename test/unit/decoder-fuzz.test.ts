/**
 * Fuzzing the OTLP decoders (and the Zipkin one) with random bytes and mutations of valid payloads. Seeded, so a
 * failure repeats; bounded in iterations, so it takes a few seconds. The only acceptable outcomes
 * are a DecodedBatch or an InvalidPayloadError.
 */
import { describe, expect, it } from 'vitest';
import { zipkinToBatch } from '../../ingest/formats/zipkin.js';
import { decodeOtlpJson } from '../../ingest/otlp/decode-json.js';
import { decodeOtlpProtobuf } from '../../ingest/otlp/decode-protobuf.js';
import { InvalidPayloadError } from '../../ingest/otlp/errors.js';
import { defaultConfig } from '../../src/core/config.js';
import { encodeJson, encodeProtobuf, rawSpan } from '../support/otlp-payloads.js';

const LIMITS = defaultConfig().limits.decode;

const ITERATIONS = 3000;

/** mulberry32: a tiny seeded PRNG, so every run tries the same inputs. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const valid = {
  resource: { 'service.name': 'fuzz', nested: { a: [1, 'two', true], b: { c: 'd' } } },
  spans: [rawSpan({ attributes: { 'http.route': '/x', list: ['a', 'b'] } }), rawSpan({ kind: 3, statusCode: 2 })],
};

function mutate(bytes: Uint8Array, rand: () => number): Uint8Array {
  const out = Buffer.from(bytes);
  const edits = 1 + Math.floor(rand() * 8);
  let buf: Buffer = out;
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rand() * buf.length);
    const op = rand();
    if (op < 0.5) buf[at] = Math.floor(rand() * 256);
    else if (op < 0.7) buf = buf.subarray(0, at);
    else if (op < 0.85) buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at, at + 16), buf.subarray(at)]);
    else buf = Buffer.concat([buf.subarray(0, at), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), buf.subarray(at)]);
  }
  return buf;
}

/** Decodes and returns 'ok' or 'invalid'; anything else thrown fails the test with the input shown. */
function outcome(decode: () => unknown, input: Uint8Array | string): 'ok' | 'invalid' {
  try {
    const d = decode() as { spanCount: number; rejected: unknown[] };
    expect(typeof d.spanCount).toBe('number');
    expect(Array.isArray(d.rejected)).toBe(true);
    return 'ok';
  } catch (error) {
    if (error instanceof InvalidPayloadError) return 'invalid';
    throw new Error(`decoder crashed on ${Buffer.from(input).toString('base64').slice(0, 200)}: ${String(error)}`);
  }
}

describe('decoder fuzzing', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  it('protobuf: random and mutated payloads give a batch or an InvalidPayloadError', () => {
    process.on('unhandledRejection', onUnhandled);
    const rand = prng(0x70b0f);
    const base = encodeProtobuf(valid);
    const seen = { ok: 0, invalid: 0 };
    for (let i = 0; i < ITERATIONS; i++) {
      const input =
        i % 3 === 0
          ? new Uint8Array(Array.from({ length: Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)))
          : mutate(base, rand);
      seen[outcome(() => decodeOtlpProtobuf(input, LIMITS), input)]++;
    }
    // Both outcomes must occur, or the fuzzing proved nothing.
    expect(seen.ok).toBeGreaterThan(0);
    expect(seen.invalid).toBeGreaterThan(0);
  });

  it('json: mutated texts and structurally mutated objects give a batch or an InvalidPayloadError', () => {
    const rand = prng(0x150f);
    const text = JSON.stringify(encodeJson(valid));
    const seen = { ok: 0, invalid: 0, notJson: 0 };
    const oddValues = [
      null,
      0,
      -1,
      1e308,
      '',
      'x'.repeat(1000),
      [],
      {},
      true,
      { stringValue: 5 },
      '__proto__',
      'constructor',
      [[[[]]]],
    ];
    for (let i = 0; i < ITERATIONS; i++) {
      let parsed: unknown;
      if (i % 2 === 0) {
        const mutated = Buffer.from(mutate(Buffer.from(text), rand)).toString('utf8');
        try {
          parsed = JSON.parse(mutated);
        } catch {
          seen.notJson++;
          continue;
        }
      } else {
        // Replace one random node of the valid object with an odd value.
        parsed = JSON.parse(text);
        const nodes: [Record<string, unknown>, string][] = [];
        const walk = (v: unknown) => {
          if (!v || typeof v !== 'object') return;
          const o = v as Record<string, unknown>;
          for (const k of Object.keys(o)) {
            nodes.push([o, k]);
            walk(o[k]);
          }
        };
        walk(parsed);
        const [holder, key] = nodes[Math.floor(rand() * nodes.length)]!;
        holder[key] = oddValues[Math.floor(rand() * oddValues.length)];
      }
      const input = JSON.stringify(parsed) ?? '';
      seen[outcome(() => decodeOtlpJson(parsed, LIMITS), input)]++;
    }
    expect(seen.ok).toBeGreaterThan(0);
    expect(seen.invalid).toBeGreaterThan(0);
  });

  it('zipkin: mutated texts give a batch or an InvalidPayloadError', () => {
    const rand = prng(0x21b);
    const text = JSON.stringify([
      {
        traceId: 'ab'.repeat(16),
        id: '01'.repeat(8),
        parentId: '02'.repeat(8),
        name: 'get /x',
        kind: 'CLIENT',
        timestamp: 1_700_000_000_000_000,
        duration: 1500,
        localEndpoint: { serviceName: 'fuzz', ipv4: '10.0.0.1' },
        remoteEndpoint: { serviceName: 'db', port: 5432 },
        tags: { 'http.method': 'GET', error: 'boom', nested: '{"a":1}' },
        shared: true,
        annotations: [{ timestamp: 1_700_000_000_000_100, value: 'ws' }],
      },
    ]);
    const seen = { ok: 0, invalid: 0, notJson: 0 };
    for (let i = 0; i < ITERATIONS; i++) {
      const mutated = Buffer.from(mutate(Buffer.from(text), rand)).toString('utf8');
      let parsed: unknown;
      try {
        parsed = JSON.parse(mutated);
      } catch {
        seen.notJson++;
        continue;
      }
      seen[outcome(() => zipkinToBatch(parsed, LIMITS), mutated)]++;
    }
    expect(seen.ok).toBeGreaterThan(0);
    expect(seen.invalid + seen.notJson).toBeGreaterThan(0);
  });

  it('left no unhandled rejection behind', async () => {
    await new Promise((r) => setImmediate(r));
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });
});
