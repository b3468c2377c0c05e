/**
 * The look-ahead sets come from the schema (each field's `answeredFrom`): these are the fields a
 * lighter read answers, so that a summary walk or operation list is used exactly when the selection
 * needs no more. A field added without `answeredFrom` needs the whole record, which is always right.
 */
import { describe, expect, it } from 'vitest';
import { fieldsAnsweredFrom } from '../../src/api/graphql/look-ahead.js';
import { schema } from '../../src/api/graphql/schema.js';

const sorted = (s: Set<string>) => [...s].sort();

describe('fields answered from a lighter read', () => {
  it('a component reached by a summary walk answers its id, name and kind', () => {
    expect(sorted(fieldsAnsweredFrom(schema, 'Component', 'named'))).toEqual(['__typename', 'id', 'kind', 'name']);
  });

  it('a hop answers where it leads without its edge, and its counts and times from the edge summary', () => {
    // byVersion is read by the hop's two ends, which every walk knows.
    expect(sorted(fieldsAnsweredFrom(schema, 'DependencyHop', 'named'))).toEqual([
      '__typename',
      'byVersion',
      'component',
      'depth',
      'from',
      'path',
    ]);
    expect(sorted(fieldsAnsweredFrom(schema, 'DependencyHop', 'summary'))).toEqual([
      '__typename',
      'byVersion',
      'calls',
      'component',
      'depth',
      'errorRate',
      'errors',
      'from',
      'lastSeen',
      'path',
    ]);
  });

  it('an operation read without its histogram and rings answers all but latency, traces and connections', () => {
    const summary = fieldsAnsweredFrom(schema, 'Operation', 'summary');
    expect(sorted(summary)).toEqual([
      '__typename',
      'calls',
      'component',
      'downstream',
      'entryPoint',
      'errors',
      'firstSeen',
      'id',
      'kind',
      'lastSeen',
      'name',
      'upstream',
    ]);
    expect(summary.has('latency')).toBe(false);
  });

  it('names only fields the types have', () => {
    for (const [type, weight] of [
      ['Component', 'named'],
      ['DependencyHop', 'summary'],
      ['Operation', 'summary'],
    ] as const) {
      const fields = Object.keys((schema.getType(type) as any).getFields());
      for (const f of fieldsAnsweredFrom(schema, type, weight)) if (f !== '__typename') expect(fields).toContain(f);
    }
  });
});
