/**
 * The minute still being counted on edges and operations (ingest/current-minute.ts), written by the
 * worker into the real Neo4j and read back as the API reads it (its projections and windowFigures):
 * flushes within one minute, the roll into the next, and a store whose current minute was written in
 * the older layout (`hmCurCalls`, `hmCurErrors`, `hmCurLatSum`, no start).
 */
import { describe, expect, it } from 'vitest';
import { minuteRing, windowFigures } from '../../src/api/graphql/measure.js';
import { EDGE, operationProjection, type MeasureRecord } from '../../src/api/graphql/data/projections.js';
import { HOUR_MS, MINUTE_MS } from '../../src/core/model.js';
import { seed, fileGraph, uniqueName } from '../support/graph.js';
import { webApiCalls } from '../support/spans.js';

const graph = fileGraph();

const MEASURES = `
MATCH (a:Service {environment: $env, name: 'web'})-[r:DEPENDS_ON]->(:Service {name: 'api'})
MATCH (:Service {environment: $env, name: 'api'})-[:HAS_OPERATION]->(o:Operation {name: 'GET /v'})
RETURN ${EDGE} AS edge, ${operationProjection('o')} AS op`;

/** What a worker from before the start was kept would have left: the minute's own figures. */
const TO_OLDER_LAYOUT = `
MATCH (a:Service {environment: $env})-[r:DEPENDS_ON]->()
SET r.hmCurCalls = r.calls - r.hmStartCalls, r.hmCurErrors = r.errors - r.hmStartErrors, r.hmCurLatSum = r.latSum - r.hmStartLatSum
REMOVE r.hmStartCalls, r.hmStartErrors, r.hmStartLatSum
WITH DISTINCT a
MATCH (a)-[:DEPENDS_ON]->(:Service)-[:HAS_OPERATION]->(o:Operation)
SET o.hmCurCalls = o.calls - o.hmStartCalls, o.hmCurErrors = o.errors - o.hmStartErrors, o.hmCurLatSum = o.latSum - o.hmStartLatSum
REMOVE o.hmStartCalls, o.hmStartErrors, o.hmStartLatSum`;

async function read(env: string): Promise<{ edge: MeasureRecord; op: MeasureRecord }> {
  return graph.read('test', async (tx) => {
    const r = (await tx.run(MEASURES, { env })).records[0]!;
    return { edge: r.get('edge') as MeasureRecord, op: r.get('op') as MeasureRecord };
  });
}

/** Minutes 10 and 11 of an hour well before the current one (the rings' slots are by minute number). */
function minutes() {
  const hour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 2 * HOUR_MS;
  const first = hour + 10 * MINUTE_MS + 10_000;
  return { first, sameMinute: first + 30_000, next: first + MINUTE_MS };
}

/** The last minute and the last two before `now`, on the edge and on the server's operation. */
async function windows(env: string, now: number) {
  const { edge, op } = await read(env);
  return {
    edge: [windowFigures(edge, MINUTE_MS, now), windowFigures(edge, 2 * MINUTE_MS, now)],
    op: [windowFigures(op, MINUTE_MS, now), windowFigures(op, 2 * MINUTE_MS, now)],
    slots: [minuteRing(edge), minuteRing(op)].map((r) => r.calls.filter((x) => x > 0).sort()),
  };
}

/** The last minute and the last two after 3 calls (1 failing) and 2 more within the same minute. */
const WITHIN_THE_MINUTE = {
  edge: [
    { calls: 5, errors: 1, latSum: 100 },
    { calls: 5, errors: 1, latSum: 100 },
  ],
  op: [
    { calls: 5, errors: 1, latSum: 50 },
    { calls: 5, errors: 1, latSum: 50 },
  ],
  slots: [[5], [5]],
};

/** The same after 4 more calls in the next minute: the last minute holds those 4, the last two all 9. */
const AFTER_THE_ROLL = {
  edge: [
    { calls: 4, errors: 0, latSum: 80 },
    { calls: 9, errors: 1, latSum: 180 },
  ],
  op: [
    { calls: 4, errors: 0, latSum: 40 },
    { calls: 9, errors: 1, latSum: 90 },
  ],
  slots: [
    [4, 5],
    [4, 5],
  ],
};

describe('the minute still being counted', () => {
  it('adds up over flushes of one minute, and moves into its slot when the next minute comes', async () => {
    const env = uniqueName('curmin');
    const { first, sameMinute, next } = minutes();
    await seed(graph, webApiCalls(env, first, 3, 1), () => first);
    await seed(graph, webApiCalls(env, sameMinute, 2, 0), () => sameMinute);
    expect(await windows(env, sameMinute + 1)).toEqual(WITHIN_THE_MINUTE);
    // A flush within the minute keeps no figures of its own for it: they are the totals less the start.
    const stored = await read(env);
    expect(stored.edge).toMatchObject({ calls: 5, hmStartCalls: 0, hmCurCalls: null });

    await seed(graph, webApiCalls(env, next, 4, 0), () => next);
    expect(await windows(env, next + 1)).toEqual(AFTER_THE_ROLL);
    expect((await read(env)).edge).toMatchObject({ calls: 9, hmStartCalls: 5, hmStartErrors: 1, hmStartLatSum: 100 });
  });

  it('reads and carries on a current minute written in the older layout', async () => {
    const env = uniqueName('curmin-old');
    const { first, sameMinute, next } = minutes();
    await seed(graph, webApiCalls(env, first, 3, 1), () => first);
    await graph.write('test', (tx) => tx.run(TO_OLDER_LAYOUT, { env }));
    expect((await read(env)).edge).toMatchObject({ hmStartCalls: null, hmCurCalls: 3, hmCurLatSum: 60 });
    // Read as it was written…
    const three = { edge: { calls: 3, errors: 1, latSum: 60 }, op: { calls: 3, errors: 1, latSum: 30 } };
    expect(await windows(env, first + 1)).toEqual({
      edge: [three.edge, three.edge],
      op: [three.op, three.op],
      slots: [[3], [3]],
    });
    // …added to within its minute (the worker turns it into a start)…
    await seed(graph, webApiCalls(env, sameMinute, 2, 0), () => sameMinute);
    expect(await windows(env, sameMinute + 1)).toEqual(WITHIN_THE_MINUTE);
    expect((await read(env)).edge).toMatchObject({ hmStartCalls: 0, hmCurCalls: null });
    // …and folded into its slot by the next minute, from the older layout too.
    await graph.write('test', (tx) => tx.run(TO_OLDER_LAYOUT, { env }));
    await seed(graph, webApiCalls(env, next, 4, 0), () => next);
    expect(await windows(env, next + 1)).toEqual(AFTER_THE_ROLL);
  });
});
