import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytesHex, hexWord } from '../../ingest/hex.js';
import { prng } from '../bench/workload.js';

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
