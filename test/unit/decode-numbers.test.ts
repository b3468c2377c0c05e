/**
 * The numbers of an OTLP/protobuf request as the worker's decoder reads them from the bytes in place
 * (ingest/otlp/decode-protobuf.ts): integer attribute values of every varint length, negative ones
 * and those past 2^53, and span times whose low 32-bit half is above 2^31, encoded by the official
 * OpenTelemetry SDK's serializer.
 */
import { SpanKind, type HrTime } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { decodeOtlpProtobuf } from '../../ingest/otlp/decode-protobuf.js';
import { defaultConfig } from '../../src/core/config.js';

const INTEGERS = [
  0,
  1,
  127,
  128,
  200,
  500,
  16_383,
  16_384,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 + 5,
  2 ** 42 + 1,
  2 ** 49 - 1,
  2 ** 49,
  2 ** 53 - 1,
  -1,
  -500,
  -(2 ** 40),
  Number.MIN_SAFE_INTEGER,
];

/** Span times as [seconds, nanoseconds], start and end: the low half of most of their fixed64 is above 2^31. */
const TIMES: HrTime[] = [
  [1_700_000_000, 123_456_789],
  [1_765_432_110, 100_000_000],
  [1_765_432_111, 500_000_000],
  [4_100_000_000, 5],
];

/** What the decoder must give for a time: its two 32-bit halves as one double, in milliseconds. */
function expectedMs([seconds, nanos]: HrTime): number {
  const ns = BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
  return (Number(ns >> 32n) * 4294967296 + Number(ns & 0xffffffffn)) / 1e6;
}

function encoded(): Uint8Array {
  const exporter = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'numbers', 'process.pid': 2 ** 31 + 7 }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  }).getTracer('numbers');
  for (const [i, start] of TIMES.entries()) {
    const span = tracer.startSpan(`span ${i}`, {
      kind: SpanKind.SERVER,
      startTime: start,
      attributes: Object.fromEntries(INTEGERS.map((n, k) => [`int.${k}`, n])),
    });
    span.end([start[0] + 1, start[1]]);
  }
  return ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans() as ReadableSpan[])!;
}

describe('the protobuf decoder reads numbers in place', () => {
  it('gives every integer attribute value, of any length or sign, and the resource’s', () => {
    const { batch, rejected } = decodeOtlpProtobuf(encoded(), defaultConfig().limits.decode);
    expect(rejected).toEqual([]);
    expect(batch[0]!.resource['process.pid']).toBe(2 ** 31 + 7);
    const spans = batch.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
    expect(spans).toHaveLength(TIMES.length);
    for (const span of spans) expect(INTEGERS.map((_, k) => span.attributes[`int.${k}`])).toEqual(INTEGERS);
  });

  it('gives span times whose low half is above 2^31 as their milliseconds', () => {
    const highLow = TIMES.filter(
      ([seconds, nanos]) => (BigInt(seconds) * 1_000_000_000n + BigInt(nanos)) & 0x80000000n,
    );
    expect(highLow.length).toBeGreaterThanOrEqual(3);
    const { batch } = decodeOtlpProtobuf(encoded(), defaultConfig().limits.decode);
    const spans = batch.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
    expect(spans.map((s) => [s.startMs, s.endMs])).toEqual(
      TIMES.map((t) => [expectedMs(t), expectedMs([t[0] + 1, t[1]])]),
    );
  });

  it('refuses a request cut short anywhere, inside a time or an integer too, with an InvalidPayloadError', () => {
    const bytes = encoded();
    let refused = 0;
    for (let cut = 1; cut < bytes.length; cut++) {
      // A copy of exactly the cut bytes, not a view of the whole request.
      const body = Buffer.alloc(cut);
      Buffer.from(bytes).copy(body, 0, 0, cut);
      try {
        const { batch } = decodeOtlpProtobuf(body, defaultConfig().limits.decode);
        for (const span of batch.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans))) {
          expect(Number.isFinite(span.startMs) && Number.isFinite(span.endMs)).toBe(true);
          for (const [k, n] of INTEGERS.entries())
            if (`int.${k}` in span.attributes) expect(span.attributes[`int.${k}`]).toBe(n);
        }
      } catch (error) {
        expect((error as Error).name).toBe('InvalidPayloadError');
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(bytes.length / 2);
  });
});
