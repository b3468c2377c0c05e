import { describe, expect, it } from 'vitest';
import { asLists, KEEP_PLAN, positional, runRows } from '../../ingest/positional-rows.js';
import { FLUSH_STATEMENTS as STATEMENTS } from '../support/flush-statements.js';

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

  it('leaves no field of a flush statement read by name, and the row itself only carried along', () => {
    expect(Object.keys(STATEMENTS).length).toBeGreaterThan(20);
    for (const [name, statement] of Object.entries(STATEMENTS)) {
      const { text, columns } = positional(statement);
      expect(text, name).not.toMatch(/\brow\.\w/);
      expect(columns.length, name).toBeGreaterThan(0);
      // A bare `row` is the UNWIND variable, or passed on by WITH or into a CALL: never read as a map.
      for (const line of text.split('\n').filter((l) => /\brow\b(?!\[)/.test(l)))
        expect(line.trim(), name).toMatch(/^(UNWIND \$rows AS row|WITH .*\brow\b|CALL \([^)]*\brow\b[^)]*\) \{)/);
    }
  });

  it('sends each flush statement in its positional form, asking Neo4j to keep the plan it first made', () => {
    const sent: { text: string; params: Record<string, unknown> }[] = [];
    const tx = { run: (text: string, params: Record<string, unknown>) => sent.push({ text, params }) };
    runRows(tx, 'UNWIND $rows AS row MATCH (c {key: row.key}) SET c.calls = row.calls', [{ key: 'a', calls: 2 }], {
      env: 'e',
    });
    expect(sent).toEqual([
      {
        text: `${KEEP_PLAN}UNWIND $rows AS row MATCH (c {key: row[0]}) SET c.calls = row[1]`,
        params: { rows: [['a', 2]], env: 'e' },
      },
    ]);
    expect(KEEP_PLAN).toBe('CYPHER replan=skip\n');
  });

  it('refuses a statement that does not unwind its rows as `row`', () => {
    expect(() => positional('UNWIND $rows AS r MATCH (c {key: r.key})')).toThrow(/unwinds \$rows AS row/);
  });
});
