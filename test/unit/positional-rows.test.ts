import { describe, expect, it } from 'vitest';
import { asLists, positional } from '../../ingest/positional-rows.js';
import * as writer from '../../ingest/writer.js';
import * as versions from '../../ingest/versions.js';
import * as late from '../../ingest/late-writer.js';
import * as presence from '../../ingest/presence.js';

/** Every statement a flush sends through `runRows`. */
const STATEMENTS = {
  ...Object.fromEntries(
    Object.entries(writer).filter(([name]) => name.startsWith('MERGE_') && name !== 'MERGE_DEPENDENCY_LINKS'),
  ),
  MERGE_EDGE_VERSIONS: versions.MERGE_EDGE_VERSIONS,
  MERGE_CALL_VERSIONS: versions.MERGE_CALL_VERSIONS,
  MERGE_SERVICE_VERSIONS: versions.MERGE_SERVICE_VERSIONS,
  ...Object.fromEntries(
    Object.entries(late).filter(
      ([name]) => (name.startsWith('TAKE_BACK_') && name !== 'TAKE_BACK_HOPS') || name === 'DELETE_BARE_VIRTUALS',
    ),
  ),
  MERGE_EDGE_PRESENCE: presence.MERGE_EDGE_PRESENCE,
  MERGE_COMPONENT_PRESENCE: presence.MERGE_COMPONENT_PRESENCE,
} as Record<string, string>;

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

  it('refuses a statement that does not unwind its rows as `row`', () => {
    expect(() => positional('UNWIND $rows AS r MATCH (c {key: r.key})')).toThrow(/unwinds \$rows AS row/);
  });
});
