/** The one row index of the aggregator and the version counts (ingest/row-index.ts). */
import { describe, expect, it } from 'vitest';
import { RowIndex, type RowIndexDepth } from '../../ingest/row-index.js';

const get = <R>(index: RowIndex<R>, p: unknown[]) => index.get(p[0], p[1], p[2], p[3]);
const add = <R>(index: RowIndex<R>, row: R, p: unknown[]) => index.add(row, p[0], p[1], p[2], p[3]);

describe('RowIndex', () => {
  const parts: Record<RowIndexDepth, unknown[]> = { 2: ['a', 1], 3: ['a', 'b', 1], 4: ['a', 'b', '', 'v1'] };

  for (const depth of [2, 3, 4] as const) {
    it(`finds a row by its ${depth} parts, and another row wherever one part differs`, () => {
      const index = new RowIndex<{ n: number }>(depth);
      const key = parts[depth];
      const row = add(index, { n: 1 }, key);
      expect(get(index, key)).toBe(row);
      for (let i = 0; i < depth; i++) {
        const other = [...key];
        // A number and the string of it are different parts.
        other[i] = typeof key[i] === 'number' ? String(key[i]) : `${String(key[i])}x`;
        expect(get(index, other)).toBeUndefined();
        add(index, { n: i + 2 }, other);
        expect(get(index, other)?.n).toBe(i + 2);
      }
      expect(get(index, key)).toBe(row);
      expect(index.size).toBe(depth + 1);
    });
  }

  it('hands back its rows in the order they came, then starts afresh', () => {
    const index = new RowIndex<string>(3);
    index.add('second', 'b', 'x', 1);
    index.add('first', 'a', 'x', 1);
    index.add('third', 'a', 'x', 2);
    expect(index.drain()).toEqual(['second', 'first', 'third']);
    expect(index.size).toBe(0);
    expect(index.get('a', 'x', 1)).toBeUndefined();
    expect(index.drain()).toEqual([]);
  });

  it('finds only the rows of the current flush across many flushes, keys kept or moving on', () => {
    const index = new RowIndex<{ flush: number; key: string }>(3);
    for (let flush = 0; flush < 12; flush++) {
      // Half the keys come back every flush (tags), half move on with the minute (edges, calls).
      const keys = Array.from({ length: 1_500 }, (_, i) => (i % 2 === 0 ? ['s', `k${i}`, 0] : ['s', `k${i}`, flush]));
      for (const [a, b, c] of keys) {
        expect(index.get(a, b, c)).toBeUndefined();
        index.add({ flush, key: `${a}/${b}/${c}` }, a, b, c);
      }
      for (const [a, b, c] of keys) expect(index.get(a, b, c)).toEqual({ flush, key: `${a}/${b}/${c}` });
      // A row added under a key of an earlier flush is the new one, not the old.
      expect(index.get('s', 'k1', flush - 1)).toBeUndefined();
      const rows = index.drain();
      expect(rows.map((r) => r.key)).toEqual(keys.map(([a, b, c]) => `${a}/${b}/${c}`));
      for (const [a, b, c] of keys) expect(index.get(a, b, c)).toBeUndefined();
    }
  });
});
