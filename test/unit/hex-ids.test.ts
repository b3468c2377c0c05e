import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytesHex } from '../../ingest/hex.js';

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
});
