/**
 * Resources the protobuf decoder shares between requests (ingest/otlp/resource-table.ts): the same
 * bytes give the same attributes, read as a fresh decode reads them; a resource the limits change, one
 * with bad UTF-8, and one whose bytes a nested length runs past are read afresh every time, as before.
 */
import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { createEngine, engineOptions } from '../../ingest/engine.js';
import { decodeOtlpProtobuf } from '../../ingest/otlp/decode-protobuf.js';
import type { DecodeLimits } from '../../ingest/otlp/validate.js';
import { defaultConfig } from '../../src/core/config.js';
import { encodeProtobuf, rawSpan } from '../support/otlp-payloads.js';

const limits = defaultConfig().limits.decode;
const request = (resource: Record<string, string>) => encodeProtobuf({ resource, spans: [rawSpan()] });

describe('resources shared between requests', () => {
  it('the same bytes give the same attributes, frozen; other bytes their own', () => {
    const resource = { 'service.name': 'checkout', 'telemetry.sdk.name': 'opentelemetry', 'host.name': 'pod-1' };
    const first = decodeOtlpProtobuf(request(resource), limits).batch[0]!.resource;
    const again = decodeOtlpProtobuf(request(resource), limits).batch[0]!.resource;
    expect(again).toBe(first);
    expect(again).toEqual(resource);
    expect(Object.isFrozen(again)).toBe(true);
    // One byte apart (another pod): its own attributes.
    const other = decodeOtlpProtobuf(request({ ...resource, 'host.name': 'pod-2' }), limits).batch[0]!.resource;
    expect(other).not.toBe(first);
    expect(other).toEqual({ ...resource, 'host.name': 'pod-2' });
    // The same bytes under other limits: read under those.
    const tight: DecodeLimits = { ...limits, maxValueLength: 8 };
    const cut = decodeOtlpProtobuf(request(resource), tight).batch[0]!.resource;
    expect(cut).not.toBe(first);
    expect(cut['telemetry.sdk.name']).toBe('opentele');
  });

  it('a resource the limits change is cut and counted every time', () => {
    const tight: DecodeLimits = { ...limits, maxAttributes: 2 };
    const resource = { 'service.name': 'cart', a: '1', b: '2', c: '3' };
    for (let i = 0; i < 3; i++) {
      const d = decodeOtlpProtobuf(request(resource), tight);
      expect(Object.keys(d.batch[0]!.resource)).toHaveLength(2);
      expect(Object.isFrozen(d.batch[0]!.resource)).toBe(false);
      expect(d.limited?.attributesDropped).toBe(2);
    }
  });

  it('a resource with bad UTF-8 rejects its spans every time', () => {
    for (let i = 0; i < 3; i++) {
      const d = decodeOtlpProtobuf(request({ 'service.name': 'caf\udc80' }), limits);
      expect(d.spanCount).toBe(0);
      expect(d.rejected[0]!.message).toMatch(/resource .* is not valid UTF-8/);
    }
  });

  it('bytes a nested length runs past are read again: what follows them decides what they say', () => {
    // A resource of one KeyValue whose value (an AnyValue of 3 bytes) lies past the resource's end,
    // in the bytes that follow it: a string value of one character, `x` in one request, `y` in another.
    const kv = protobuf.Writer.create()
      .uint32((1 << 3) | 2)
      .string('service.name')
      .finish();
    const resource = Buffer.concat([Buffer.from([(1 << 3) | 2, kv.length + 2]), kv, Buffer.from([(2 << 3) | 2, 3])]);
    const body = (char: string) => {
      const w = protobuf.Writer.create();
      w.uint32((1 << 3) | 2).fork();
      w.uint32((1 << 3) | 2).bytes(resource);
      const rs = w.finish();
      // The ResourceSpans' length covers the 3 bytes of the value that follow the resource.
      const inner = Buffer.concat([Buffer.from(rs.subarray(2)), Buffer.from([(1 << 3) | 2, 1, char.charCodeAt(0)])]);
      return Buffer.concat([Buffer.from([(1 << 3) | 2, inner.length]), inner]);
    };
    const y = () => decodeOtlpProtobuf(body('y'), limits).batch[0]!.resource;
    const before = y();
    expect(before).toEqual({ 'service.name': 'y' });
    expect(decodeOtlpProtobuf(body('x'), limits).batch[0]!.resource).toEqual({ 'service.name': 'x' });
    expect(y()).toEqual(before);
  });

  it('each engine derives a shared resource its own way (its own tag keys)', () => {
    const body = () =>
      encodeProtobuf({ resource: { 'service.name': 'billing', team: 'payments' }, spans: [rawSpan()] });
    const tagsOf = (tagKeys: string[]) => {
      const config = defaultConfig();
      const engine = createEngine({ ...engineOptions(config), tagKeys });
      const d = decodeOtlpProtobuf(body(), limits);
      engine.ingest(d, Date.now());
      return engine
        .collect(Date.now())
        .tags.filter((t) => !t.onOperation)
        .map((t) => `${t.key}=${t.value}`);
    };
    expect(tagsOf(['team'])).toEqual(['team=payments']);
    expect(tagsOf([])).toEqual([]);
    expect(tagsOf(['team'])).toEqual(['team=payments']);
  });

  it('values of a shared resource past the tag cap are counted each time it comes', () => {
    const engine = createEngine({ ...engineOptions(defaultConfig()), tagKeys: ['team'], tagMaxValues: 1 });
    const body = (team: string) => encodeProtobuf({ resource: { 'service.name': 's', team }, spans: [rawSpan()] });
    for (let i = 0; i < 5; i++) {
      engine.ingest(decodeOtlpProtobuf(body('a'), limits), Date.now());
      engine.ingest(decodeOtlpProtobuf(body('b'), limits), Date.now());
    }
    // `b` is past the cap of one value each of the 5 times.
    expect(engine.stats().tagOverflow).toBe(5);
  });

  it('a resource whose length runs past the body is refused as when the table held nothing', () => {
    const body = Buffer.from('0a0b0a090a070a016112020a00', 'hex');
    const cut = body.subarray(0, body.length - 1);
    const cold = (() => {
      try {
        decodeOtlpProtobuf(cut, { ...limits });
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(cold).toMatch(/index out of range/);
    decodeOtlpProtobuf(body, limits);
    expect(() => decodeOtlpProtobuf(cut, limits)).toThrow(cold);
  });
});
