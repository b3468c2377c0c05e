import { describe, expect, it } from 'vitest';
import { asLists, positional } from '../../ingest/positional-rows.js';
import { MERGE_CALLS, MERGE_OPERATIONS, MERGE_TRACE_SAMPLES } from '../../ingest/writer.js';

describe('rows sent as lists', () => {
  it('reads each field of a row by its position, in the order the statement first names it', () => {
    const { text, columns } = positional(
      'UNWIND $rows AS row MATCH (c {key: row.key}) SET c.calls = c.calls + row.calls, c.last = row.key, c.b = row.latBuckets[2]',
    );
    expect(columns).toEqual(['key', 'calls', 'latBuckets']);
    expect(text).toBe(
      'UNWIND $rows AS row MATCH (c {key: row[0]}) SET c.calls = c.calls + row[1], c.last = row[0], c.b = row[2][2]',
    );
  });

  it('sends the fields in that order, a missing one as null, and false and 0 as they are', () => {
    const rows = [
      { key: 'a', calls: 0, error: false, unused: 'x' },
      { key: 'b', calls: 3 },
    ];
    expect(asLists(rows, ['key', 'calls', 'error'])).toEqual([
      ['a', 0, false],
      ['b', 3, null],
    ]);
  });

  it('leaves no field of the writer statements read by name', () => {
    for (const statement of [MERGE_OPERATIONS, MERGE_CALLS, MERGE_TRACE_SAMPLES]) {
      const { text, columns } = positional(statement);
      expect(text).not.toMatch(/\brow\.\w/);
      expect(columns.length).toBeGreaterThan(3);
    }
  });
});
