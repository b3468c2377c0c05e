/** Ids as the decoders make them: lower-case hex. */

/** The value of a lower-case hex digit's character code, -1 for any other character. */
export function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** a half's id: trace id and span id in lower-case hex, as every decoder makes them */
export const ID_HEX = 48;
export const TRACE_HEX = 32;

/** `nibble` of every UTF-16 code unit, looked up: a branch per character was half the cost of reading an id. */
const NIBBLES = new Int8Array(65536).fill(-1);
for (let c = 0; c < 128; c++) NIBBLES[c] = nibble(c);

/** Whether `id` is a half's id as decoders make them (the checkpoint stores anything else as text). */
export function isHexId(id: string): boolean {
  if (id.length !== ID_HEX) return false;
  // One test after the loop, not a branch per character: every id asked is hex but for an importer's.
  let bad = 0;
  for (let i = 0; i < ID_HEX; i++) bad |= NIBBLES[id.charCodeAt(i)]!;
  return bad >= 0;
}

/**
 * The `bytes` bytes a lower-case hex string of twice as many characters spells, into `into` from
 * `at`; false (and `into` written with garbage) when `s` is not that. Faster than `Buffer.write`'s
 * 'hex', whose per-call checks cost more than the eight or sixteen bytes of an id (docs/benchmarks.md item 121).
 */
export function putHex(s: string, bytes: number, into: Uint8Array, at: number): boolean {
  if (s.length !== 2 * bytes) return false;
  let bad = 0;
  for (let i = 0; i < bytes; i++) {
    const hi = NIBBLES[s.charCodeAt(2 * i)]!;
    const lo = NIBBLES[s.charCodeAt(2 * i + 1)]!;
    bad |= hi | lo;
    into[at + i] = (hi << 4) | (lo & 15);
  }
  return bad >= 0;
}

/** 8 hex characters of `s` from `at` as an unsigned 32-bit number; -1 when one is not lower-case hex. */
export function hexWord(s: string, at: number): number {
  if (at < 0 || at + 8 > s.length) return -1;
  let w = 0;
  // Any character that is not a digit makes `bad` negative; checked once, after the eight.
  let bad = 0;
  for (let i = at; i < at + 8; i++) {
    const n = NIBBLES[s.charCodeAt(i)]!;
    bad |= n;
    w = (w << 4) | (n & 15);
  }
  return bad < 0 ? -1 : w >>> 0;
}

/** A 32-character trace id into `into[at..at + 3]`; false when it is not model hex. */
export function traceWords(traceId: string, into: Uint32Array, at: number): boolean {
  if (traceId.length !== TRACE_HEX) return false;
  for (let w = 0; w < 4; w++) {
    const v = hexWord(traceId, w * 8);
    if (v < 0) return false;
    into[at + w] = v;
  }
  return true;
}

/** A 16-character span id into `into[at]`, `into[at + 1]`; false when it is not model hex. */
export function spanWords(spanId: string, into: Uint32Array, at: number): boolean {
  if (spanId.length !== ID_HEX - TRACE_HEX) return false;
  const s0 = hexWord(spanId, 0);
  const s1 = hexWord(spanId, 8);
  if (s0 < 0 || s1 < 0) return false;
  into[at] = s0;
  into[at + 1] = s1;
  return true;
}

/** A 48-character id (trace and span) into `into[at..at + 5]`; false when it is not model hex. */
export function idWords(id: string, into: Uint32Array, at: number): boolean {
  if (id.length !== ID_HEX) return false;
  for (let w = 0; w < 6; w++) {
    const v = hexWord(id, w * 8);
    if (v < 0) return false;
    into[at + w] = v;
  }
  return true;
}

/** A hash of the 6 words of a half's id (trace 4, span 2) from `key[at]`. */
export function hashIdWords(key: Uint32Array, at: number): number {
  let h = Math.imul(key[at + 4]! ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ key[at + 5]! ^ (h >>> 15), 0xc2b2ae35);
  h = Math.imul(h ^ key[at + 3]! ^ (h >>> 13), 0x85ebca6b);
  h ^= key[at]! ^ key[at + 1]! ^ key[at + 2]!;
  return Math.imul(h ^ (h >>> 16), 0x27d4eb2d) ^ (h >>> 15);
}

const HEX_CODES = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102];
/** the character codes of each byte's two lower-case hex digits: high digit at `2 * byte`, low at `2 * byte + 1` */
const BYTE_HEX = new Uint8Array(512);
for (let b = 0; b < 256; b++) {
  BYTE_HEX[2 * b] = HEX_CODES[b >> 4]!;
  BYTE_HEX[2 * b + 1] = HEX_CODES[b & 15]!;
}

/**
 * `buf[start, end)` as lower-case hex, what `buf.toString('hex', start, end)` gives. A span id (8 bytes)
 * and a trace id (16) are spelled out by one `String.fromCharCode` of their digits: Buffer's hex
 * slice is a call into C++ per id, ~20 times the cost (two or three ids per span); other lengths
 * (not the model's ids) still take it.
 */
export function bytesHex(buf: Buffer, start: number, end: number): string {
  const len = end - start;
  if (len === 8) return hex8(buf, start);
  if (len === 16) return hex16(buf, start);
  return buf.toString('hex', start, end);
}

/** the high and the low hex digit of byte `b`, as character codes */
const hi = (b: number) => BYTE_HEX[2 * b]!;
const lo = (b: number) => BYTE_HEX[2 * b + 1]!;

function hex8(u: Buffer, s: number): string {
  // prettier-ignore
  return String.fromCharCode(
    hi(u[s]!), lo(u[s]!), hi(u[s + 1]!), lo(u[s + 1]!), hi(u[s + 2]!), lo(u[s + 2]!), hi(u[s + 3]!), lo(u[s + 3]!),
    hi(u[s + 4]!), lo(u[s + 4]!), hi(u[s + 5]!), lo(u[s + 5]!), hi(u[s + 6]!), lo(u[s + 6]!), hi(u[s + 7]!), lo(u[s + 7]!),
  );
}

function hex16(u: Buffer, s: number): string {
  // prettier-ignore
  return String.fromCharCode(
    hi(u[s]!), lo(u[s]!), hi(u[s + 1]!), lo(u[s + 1]!), hi(u[s + 2]!), lo(u[s + 2]!), hi(u[s + 3]!), lo(u[s + 3]!),
    hi(u[s + 4]!), lo(u[s + 4]!), hi(u[s + 5]!), lo(u[s + 5]!), hi(u[s + 6]!), lo(u[s + 6]!), hi(u[s + 7]!), lo(u[s + 7]!),
    hi(u[s + 8]!), lo(u[s + 8]!), hi(u[s + 9]!), lo(u[s + 9]!), hi(u[s + 10]!), lo(u[s + 10]!), hi(u[s + 11]!), lo(u[s + 11]!),
    hi(u[s + 12]!), lo(u[s + 12]!), hi(u[s + 13]!), lo(u[s + 13]!), hi(u[s + 14]!), lo(u[s + 14]!), hi(u[s + 15]!), lo(u[s + 15]!),
  );
}

const hexChars = new Array<number>(ID_HEX).fill(0);

/** The 48-character id (trace and span) that 6 words from `key[at]` were read from. */
export function idHex(key: Uint32Array, at: number): string {
  for (let w = 0; w < 6; w++) {
    const v = key[at + w]!;
    for (let i = 0; i < 8; i++) hexChars[w * 8 + i] = HEX_CODES[(v >>> (28 - 4 * i)) & 15]!;
  }
  return String.fromCharCode.apply(null, hexChars);
}

/**
 * A span's ids in a decoder's column (`DecodedBatch.idColumn`): the words `SpanIdWords.words` holds,
 * then a word of `ID_FLAGS` saying which ids are the model's (16 bytes of trace id, 8 of span id, 8
 * of parent span id).
 */
export const ID_STRIDE = 9;
export const ID_FLAGS = { trace: 1, span: 2, parent: 4 } as const;

/** `count` words of `buf` from `at` (big-endian, as `hexWord` reads their hex) into `into` from `to`. */
export function bytesWords(buf: Uint8Array, at: number, count: number, into: Uint32Array, to: number): void {
  for (let i = 0; i < count; i++, at += 4)
    into[to + i] = ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

/**
 * A span's ids as 32-bit words, read once per span and handed to the pairing store and the ancestry
 * index, which key by them (no id string joined, no string hashed): `words` holds the trace id (0–3),
 * the span id (4–5) and the parent span id (6–7). An id that is not model hex (an importer's odd one,
 * a test's) is flagged, and each keeps it as a string instead.
 */
export class SpanIdWords {
  readonly words = new Uint32Array(8);
  traceHex = false;
  spanHex = false;
  /** false too for a root span ('') */
  parentHex = false;
  /** spans of a trace come together: its words are kept from the last span */
  private trace: string | undefined;

  /**
   * The words a decoder read from the bytes (`column` from `at`, see `ID_STRIDE`): a copy, where
   * `read` parses 32 to 64 hex characters a span (~2% of the worker, docs/benchmarks.md item 170).
   */
  take(column: Uint32Array, at: number): this {
    const w = this.words;
    for (let i = 0; i < 8; i++) w[i] = column[at + i]!;
    const flags = column[at + 8]!;
    this.traceHex = (flags & ID_FLAGS.trace) !== 0;
    this.spanHex = (flags & ID_FLAGS.span) !== 0;
    this.parentHex = (flags & ID_FLAGS.parent) !== 0;
    // The trace words `read` keeps from span to span are not those of its remembered trace any more.
    this.trace = undefined;
    return this;
  }

  read(traceId: string, spanId: string, parentSpanId: string): this {
    if (traceId !== this.trace) {
      this.trace = traceId;
      this.traceHex = traceWords(traceId, this.words, 0);
    }
    this.spanHex = spanWords(spanId, this.words, 4);
    this.parentHex = parentSpanId !== '' && spanWords(parentSpanId, this.words, 6);
    return this;
  }
}
