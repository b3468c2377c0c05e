/** The ancestry index by trace and span id (ingest/ancestry.ts): expiry, the count bound, the oldest input. */
import { describe, expect, it } from 'vitest';
import { AncestryIndex } from '../../ingest/ancestry.js';

const at = (arrived: number, source = arrived) => ({ arrived, source });

describe('AncestryIndex', () => {
  it('finds a span by its trace and span id, and not under another trace', () => {
    const index = new AncestryIndex(10);
    const a = at(1);
    index.remember('t1', 's1', a);
    expect(index.get('t1', 's1')).toBe(a);
    expect(index.get('t2', 's1')).toBeUndefined();
    expect(index.get('t1', 's2')).toBeUndefined();
  });

  it('forgets a trace once its newest span is past the deadline, and keeps a trace still busy', () => {
    const index = new AncestryIndex(10);
    index.remember('quiet', 'a', at(1));
    index.remember('busy', 'b', at(2));
    index.remember('busy', 'c', at(8));
    index.expire(5);
    expect(index.get('quiet', 'a')).toBeUndefined();
    // Its first span is older than the deadline, but the trace has a newer one.
    expect(index.get('busy', 'b')).toBeDefined();
    expect(index.size).toBe(2);
    index.expire(8);
    expect(index.size).toBe(0);
  });

  it('moves a trace behind the others when it gets a new span, so expiry stops at the first one still live', () => {
    const index = new AncestryIndex(10);
    index.remember('first', 'a', at(1));
    index.remember('second', 'b', at(2));
    index.remember('first', 'c', at(9));
    index.expire(5);
    expect(index.get('second', 'b')).toBeUndefined();
    expect(index.get('first', 'a')).toBeDefined();
  });

  it('past its bound forgets the oldest spans of the oldest trace one by one, counting them', () => {
    const index = new AncestryIndex(3);
    index.remember('t1', 'a', at(1));
    index.remember('t1', 'b', at(2));
    index.remember('t2', 'c', at(3));
    index.remember('t2', 'd', at(4));
    index.remember('t2', 'e', at(5));
    expect(index.size).toBe(3);
    expect(index.evicted).toBe(2);
    expect(index.get('t1', 'a')).toBeUndefined();
    expect(index.get('t1', 'b')).toBeUndefined();
    expect(index.get('t2', 'c')).toBeDefined();
  });

  it('a repeated span counts once', () => {
    const index = new AncestryIndex(10);
    index.remember('t1', 'a', at(1));
    index.remember('t1', 'a', at(2));
    expect(index.size).toBe(1);
    expect(index.get('t1', 'a')?.arrived).toBe(2);
  });

  it('names the oldest input any span held came from, wherever its trace sits', () => {
    const index = new AncestryIndex(10);
    expect(index.oldestSource()).toBe(Number.POSITIVE_INFINITY);
    index.remember('old', 'a', at(1, 3));
    index.remember('new', 'b', at(2, 5));
    // The old trace moves behind the new one; its oldest span still came from input 3.
    index.remember('old', 'c', at(3, 6));
    expect(index.oldestSource()).toBe(3);
  });
});
