import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readsSpanAttribute } from '../../ingest/derive.js';
import { bytesHex, hexWord, SpanIdWords } from '../../ingest/hex.js';
import { createAttributeKeys } from '../../ingest/otlp/attribute-keys.js';
import { decodeOtlpProtobuf } from '../../ingest/otlp/decode-protobuf.js';
import { defaultConfig } from '../../src/core/config.js';
import { prng } from '../bench/workload.js';
import { encodeProtobuf, rawSpan, type RawSpan } from '../support/otlp-payloads.js';

describe('bytesHex', () => {
  it('spells ids as Buffer does, every byte value and every length, at any offset', () => {
    // Every byte value in both digit places, in span-id and trace-id sized windows.
    const all = Buffer.from(Array.from({ length: 256 }, (_, b) => b));
    for (let at = 0; at + 16 <= all.length; at++) {
      expect(bytesHex(all, at, at + 8)).toBe(all.toString('hex', at, at + 8));
      expect(bytesHex(all, at, at + 16)).toBe(all.toString('hex', at, at + 16));
    }
    for (let n = 0; n < 2000; n++) {
      const buf = randomBytes(40);
      const at = n % 17;
      for (let len = 0; len <= 20; len++) expect(bytesHex(buf, at, at + len)).toBe(buf.toString('hex', at, at + len));
    }
  });

  it('reads 8 lower-case hex digits as their word, and refuses any other character or a short string', () => {
    const rand = prng(5);
    // Mostly digits, with what must be refused mixed in: upper case, letters past f, non-ASCII, a surrogate.
    const alphabet = '0123456789abcdef0123456789abcdefABCDEFgz/:@`\u00e9\u0130\ud800';
    for (let n = 0; n < 20_000; n++) {
      const word = Array.from({ length: 8 }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
      const text = `x${word}y`;
      const expected = /^[0-9a-f]{8}$/.test(word) ? parseInt(word, 16) : -1;
      expect(hexWord(text, 1)).toBe(expected);
    }
    expect(hexWord('0123456789abcdef', 0)).toBe(0x01234567);
    expect(hexWord('0123456789abcdef', 8)).toBe(0x89abcdef);
    expect(hexWord('0123456789abcde', 8)).toBe(-1);
  });
});

describe("the protobuf decoder's id words", () => {
  /** What the engine asks of a span's ids: its words and which ids are the model's. */
  const asked = (w: SpanIdWords) => ({
    trace: w.traceHex ? [...w.words.subarray(0, 4)] : undefined,
    span: w.spanHex ? [...w.words.subarray(4, 6)] : undefined,
    parent: w.parentHex ? [...w.words.subarray(6, 8)] : undefined,
  });

  it('are the words of its ids as hex: every span accepted (among others refused for their ids), a zero parent, spans read again whole', () => {
    const rand = prng(9);
    const hex = (bytes: number) =>
      Buffer.from(Array.from({ length: bytes }, () => Math.floor(rand() * 256))).toString('hex');
    const spans: RawSpan[] = [];
    for (let n = 0; n < 400; n++) {
      const traceId = n % 5 === 0 && spans.length > 0 ? spans[spans.length - 1]!.traceId : hex(16);
      spans.push(
        rawSpan({
          traceId: n % 41 === 7 ? hex(12) : traceId,
          spanId: n % 37 === 3 ? hex(4) : hex(8),
          parentSpanId: n % 3 === 0 ? undefined : n % 29 === 1 ? '0'.repeat(16) : n % 31 === 2 ? hex(5) : hex(8),
          // Past the limits, some spans are read again whole.
          attributes: n % 7 === 0 ? { 'app.long': 'x'.repeat(5000), team: 't' } : { team: 't' },
        }),
      );
    }
    const keys = createAttributeKeys(readsSpanAttribute(defaultConfig().ingest.tagKeys));
    const decoded = decodeOtlpProtobuf(
      encodeProtobuf({ resource: { 'service.name': 'ids' }, spans }),
      defaultConfig().limits.decode,
      keys,
    );
    const accepted = decoded.batch.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
    expect(accepted.length).toBeGreaterThan(300);
    expect(decoded.rejected.length).toBeGreaterThan(10);
    const fromColumn = new SpanIdWords();
    const fromHex = new SpanIdWords();
    let parents = 0;
    for (const span of accepted) {
      const read = asked(fromHex.read(span.traceId, span.spanId, span.parentSpanId));
      expect(asked(fromColumn.take(decoded.idColumn!, span.idAt!))).toEqual(read);
      if (read.parent) parents++;
    }
    expect(parents).toBeGreaterThan(200);
    // Spans of another decoder after them are parsed again, their trace too (it was the last one parsed).
    const [first, second] = [accepted[1]!, accepted.find((s) => s.traceId !== accepted[1]!.traceId)!];
    const mixed = new SpanIdWords();
    mixed.read(first.traceId, first.spanId, first.parentSpanId);
    mixed.take(decoded.idColumn!, second.idAt!);
    expect(asked(mixed.read(first.traceId, first.spanId, first.parentSpanId))).toEqual(
      asked(fromHex.read(first.traceId, first.spanId, first.parentSpanId)),
    );
  });
});
