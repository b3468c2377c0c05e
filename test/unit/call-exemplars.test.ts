/**
 * A CALLS row's exemplars (TOPOGRAPH_EXEMPLARS_PER_EDGE): the newest distinct trace ids of the calls it
 * counted, newest first, as the writer merges them ahead of the stored ones (ingest/writer.ts MERGE_CALLS).
 */
import { describe, expect, it } from 'vitest';
import { Aggregator } from '../../ingest/aggregate.js';

const AT = Date.UTC(2026, 11, 7, 1, 0, 0);

function callsWith(max: number, traces: string[], to = 'b /pay'): string[][] {
  const agg = new Aggregator({ exemplarsPerEdge: max });
  for (const t of traces) agg.call('a GET /', to, false, 3, AT, t);
  return agg.drain().calls.map((r) => r.exemplars);
}

describe('call exemplars', () => {
  it('keeps the newest distinct trace ids, newest first', () => {
    expect(callsWith(3, ['t1', 't2', 't1', 't3', 't4'])).toEqual([['t4', 't3', 't2']]);
    expect(callsWith(3, ['t1', 't2'])).toEqual([['t2', 't1']]);
    // Seven past a ring of three: what wrapped around twice comes back in order.
    expect(callsWith(3, ['t1', 't2', 't3', 't4', 't5', 't6', 't7'])).toEqual([['t7', 't6', 't5']]);
  });

  it('does not let a trace that calls the edge again push out the others', () => {
    expect(callsWith(2, ['t1', 't2', 't2', 't2'])).toEqual([['t2', 't1']]);
  });

  it('keeps none when the limit is 0', () => {
    expect(callsWith(0, ['t1', 't2'])).toEqual([[]]);
  });

  it('starts each flush afresh, and keeps each edge its own', () => {
    const agg = new Aggregator({ exemplarsPerEdge: 2 });
    agg.call('a GET /', 'b /pay', false, 3, AT, 't1');
    agg.call('a GET /', 'c /ship', false, 3, AT, 't2');
    agg.call('a GET /', 'b /pay', true, 3, AT, 't3');
    expect(agg.drain().calls.map((r) => [r.to, r.exemplars])).toEqual([
      ['b /pay', ['t3', 't1']],
      ['c /ship', ['t2']],
    ]);
    agg.call('a GET /', 'b /pay', false, 3, AT, 't4');
    expect(agg.drain().calls.map((r) => r.exemplars)).toEqual([['t4']]);
  });
});
