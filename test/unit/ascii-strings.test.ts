import { describe, expect, it } from 'vitest';
import { asciiHash, MAX_LENGTH, shortAscii } from '../../ingest/otlp/ascii-strings.js';
import { prng } from '../bench/workload.js';

/** `text` written at `at` in a fresh buffer, between bytes that are not part of it. */
function placed(text: string, at: number): Buffer {
  const buf = Buffer.alloc(at + text.length + 3, 0x7e);
  buf.write(text, at, 'latin1');
  return buf;
}

describe('shortAscii', () => {
  it('reads the text of the bytes whatever the table holds: texts that repeat, texts that come once, texts one character apart', () => {
    const rand = prng(3);
    // Repeating texts among many that come once, texts differing in one character, of every short length.
    const repeating = Array.from({ length: 300 }, (_, i) => `GET /v1/route${i}/{id}`);
    for (let n = 0; n < 40_000; n++) {
      const text =
        n % 3 === 0
          ? `/v1/items/${Math.floor(rand() * 1e9)}`
          : n % 3 === 1
            ? repeating[Math.floor(rand() * repeating.length)]!
            : 'x'.repeat(Math.floor(rand() * (MAX_LENGTH + 1))).replace(/x$/, String.fromCharCode(32 + (n % 95)));
      const at = n % 7;
      const read = shortAscii(placed(text, at), at, at + text.length);
      expect(read).toBe(text);
    }
  });

  it('tells apart texts of one length whose hashes are equal', () => {
    // Two such texts, found by trying (a 32-bit hash: a pair is all but certain among 300,000).
    const rand = prng(11);
    const byHash = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let n = 0; pair === undefined && n < 300_000; n++) {
      const text = Array.from({ length: 12 }, () => String.fromCharCode(97 + Math.floor(rand() * 26))).join('');
      const h = asciiHash(Buffer.from(text, 'latin1'), 0, text.length);
      const other = byHash.get(h);
      if (other !== undefined && other !== text) pair = [other, text];
      else byHash.set(h, text);
    }
    expect(pair).toBeDefined();
    const [a, b] = pair!;
    for (let round = 0; round < 4; round++) {
      expect(shortAscii(Buffer.from(a, 'latin1'), 0, a.length)).toBe(a);
      expect(shortAscii(Buffer.from(b, 'latin1'), 0, b.length)).toBe(b);
    }
  });

  it('leaves non-ASCII and long texts to the caller', () => {
    const accented = Buffer.from('caf\u00e9', 'utf8');
    expect(shortAscii(accented, 0, accented.length)).toBeUndefined();
    const long = Buffer.from('a'.repeat(MAX_LENGTH + 1), 'latin1');
    expect(shortAscii(long, 0, long.length)).toBeUndefined();
    expect(shortAscii(long, 0, MAX_LENGTH)).toBe('a'.repeat(MAX_LENGTH));
    expect(shortAscii(long, 5, 5)).toBe('');
  });
});
