/**
 * The recent-health rings on DEPENDS_ON edges: calls written in two different minutes, read back
 * from Neo4j and summed per window with the API's windowFigures.
 */
import { describe, expect, it } from 'vitest';
import { minuteRing, windowFigures } from '../../src/api/graphql/measure.js';
import type { MeasureRecord } from '../../src/api/graphql/data/projections.js';
import { HOUR_MS, MINUTE_MS } from '../../src/core/model.js';
import { seed, fileGraph, uniqueName } from '../support/graph.js';
import { webApiCalls } from '../support/spans.js';

const graph = fileGraph();
const EDGE_MEASURE = `
MATCH (a:Service {environment: $env, name: 'web'})-[r:DEPENDS_ON]->(b:Service {name: 'api'})
RETURN r {.calls, .errors, .latSum, .latMax, .latBuckets, .hm, .hmCalls, .hmErrors, .hmLatSum, .hh, .hhCalls, .hhErrors, .hhLatSum, .hmCur, .hmStartCalls, .hmStartErrors, .hmStartLatSum, .hmCurCalls, .hmCurErrors, .hmCurLatSum, .firstSeen, .lastSeen} AS m`;

describe('recent health rings', () => {
  it('keeps calls per minute and per hour, so the last minutes and the last day are cheap sums', async () => {
    const env = uniqueName('rings');
    // Two minutes of the same hour, well in the past of the current hour.
    const hour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 2 * HOUR_MS;
    const first = hour + 10 * MINUTE_MS + 30_000;
    const second = hour + 13 * MINUTE_MS + 30_000;
    await seed(graph, webApiCalls(env, first, 3, 1), () => first);
    await seed(graph, webApiCalls(env, second, 2, 0), () => second);

    const m = await graph.read(
      'test',
      async (tx) => (await tx.run(EDGE_MEASURE, { env })).records[0]!.get('m') as MeasureRecord,
    );
    expect(m).toMatchObject({ calls: 5, errors: 1, firstSeen: first, lastSeen: second });

    // At the second minute's end: the last 2 minutes hold only the second minute's calls…
    expect(windowFigures(m, 2 * MINUTE_MS, second)).toMatchObject({ calls: 2, errors: 0 });
    // …the last 15 minutes both, with their latency (20 ms per client call).
    expect(windowFigures(m, 15 * MINUTE_MS, second)).toEqual({ calls: 5, errors: 1, latSum: 100 });
    // An hour later the minute ring no longer covers them, the hour ring does.
    expect(windowFigures(m, 15 * MINUTE_MS, second + HOUR_MS)).toMatchObject({ calls: 0 });
    expect(windowFigures(m, 24 * HOUR_MS, second + HOUR_MS)).toMatchObject({ calls: 5, errors: 1 });
    // Exactly one minute slot per minute written, the rest untouched (the minute still being counted
    // is kept apart from the ring lists, and folded in as the API reads them).
    expect(
      minuteRing(m)
        .calls.filter((x) => x > 0)
        .sort(),
    ).toEqual([2, 3]);
  });

  it('counts a minute that arrives late, and a finished minute in its hour once the next hour starts', async () => {
    const env = uniqueName('rings-late');
    const hour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 3 * HOUR_MS;
    const newer = hour + 13 * MINUTE_MS + 30_000;
    const late = hour + 10 * MINUTE_MS + 30_000;
    const nextHour = hour + HOUR_MS + 5 * MINUTE_MS + 30_000;
    const read = () =>
      graph.read('test', async (tx) => (await tx.run(EDGE_MEASURE, { env })).records[0]!.get('m') as MeasureRecord);
    await seed(graph, webApiCalls(env, newer, 2, 0), () => newer);
    // Written after a newer minute: it goes to its own slot, not to the minute being counted.
    await seed(graph, webApiCalls(env, late, 3, 1), () => late);
    const m = await read();
    expect(windowFigures(m, 2 * MINUTE_MS, newer)).toEqual({ calls: 2, errors: 0, latSum: 40 });
    expect(windowFigures(m, 15 * MINUTE_MS, newer)).toEqual({ calls: 5, errors: 1, latSum: 100 });
    expect(
      minuteRing(m)
        .calls.filter((x) => x > 0)
        .sort(),
    ).toEqual([2, 3]);

    await seed(graph, webApiCalls(env, nextHour, 4, 0), () => nextHour);
    const later = await read();
    expect(later).toMatchObject({ calls: 9, errors: 1, lastSeen: nextHour });
    expect(windowFigures(later, 3 * MINUTE_MS, nextHour)).toMatchObject({ calls: 4, errors: 0 });
    // The hour ring holds the first hour's 5 calls and the second's 4.
    expect(windowFigures(later, 2 * HOUR_MS, nextHour)).toMatchObject({ calls: 9, errors: 1 });
    expect(windowFigures(later, 24 * HOUR_MS, nextHour + HOUR_MS)).toMatchObject({ calls: 9, errors: 1 });
    expect(windowFigures(later, 2 * HOUR_MS, nextHour + HOUR_MS)).toMatchObject({ calls: 4 });
  });
});
