/**
 * The retention job against the real Neo4j, forced with an injected `now`. The database is shared,
 * so this test's data lives in 1980: a cutoff there touches nothing any other test writes.
 */
import { describe, expect, it } from 'vitest';
import { createRetentionJob } from '../../ingest/retention.js';
import { ADD_LATE_SEGMENT, DELETE_CHECKPOINT } from '../../ingest/spool/checkpoint-store.js';
import { seed, fileGraph, uniqueName } from '../support/graph.js';
import { componentsIn, edgesIn, operationsIn } from '../support/model-graph.js';
import { TraceBuilder } from '../support/spans.js';

const DAY = 86_400_000;
const T0 = Date.UTC(1980, 0, 1);
const graph = fileGraph();
function trace(env: string, at: number, callees: string[]) {
  const t = new TraceBuilder();
  const res = { 'deployment.environment.name': env };
  const root = t.server('front', '/', { resource: res, startMs: at - 100 });
  for (const callee of callees) {
    const c = t.client('front', { parent: root, resource: res, startMs: at - 90 });
    t.server(callee, '/x', { parent: c, resource: res, startMs: at - 80 });
  }
  return t.batch();
}

describe('retention', () => {
  it('removes nodes and relationships not seen within the retention, in bounded batches, and keeps the rest', async () => {
    const env = uniqueName('retention');
    // Day 0: front calls old and kept; day 8: front calls kept only.
    await seed(graph, [trace(env, T0, ['old', 'kept'])], () => T0);
    await seed(graph, [trace(env, T0 + 8 * DAY, ['kept'])], () => T0 + 8 * DAY);
    expect((await edgesIn(graph, env)).map((e) => `${e.from} -> ${e.to}`)).toEqual(['front -> kept', 'front -> old']);

    const job = createRetentionJob({
      graph,
      retentionMs: 7 * DAY,
      intervalMs: 3_600_000,
      batchSize: 1,
      now: () => T0 + 8 * DAY,
    });
    const deleted = await job.runOnce();

    expect((await edgesIn(graph, env)).map((e) => `${e.from} -> ${e.to}`)).toEqual(['front -> kept']);
    expect((await componentsIn(graph, env)).map((c) => c.name).sort()).toEqual(['front', 'kept']);
    expect((await operationsIn(graph, env)).map((o) => `${o.component}:${o.name}`)).toEqual([
      'front:GET /',
      'kept:GET /x',
    ]);
    // The edge front → old, the CALLS to old's operation, old's USES, old's operation and old itself at least.
    expect(deleted).toBeGreaterThanOrEqual(5);
    // What is kept keeps only its hours of presence within the retention (ingest/presence.ts).
    const hours = await graph.read('test', async (tx) =>
      (
        await tx.run(
          `MATCH (a:Component {environment: $env})-[r:DEPENDS_ON]->(b) RETURN r.hours AS edge, a.hours AS front, b.hours AS kept`,
          { env },
        )
      ).records.map((r) => r.toObject()),
    );
    // The spans end just before day 8 begins: in the last hour of day 7.
    const day8 = Math.floor((T0 + 8 * DAY - 1) / 3_600_000);
    expect(hours.map((h) => [Number(h.edge), Number(h.front), Number(h.kept)])).toEqual([[day8, day8, day8]]);
    // A second pass finds nothing more to do.
    expect(await job.runOnce()).toBe(0);
  });
});

describe('retention of the late memory', () => {
  it('deletes the late halves of a checkpoint not written within the retention, and keeps a live one', async () => {
    const stale = uniqueName('retention-stale-checkpoint');
    const live = uniqueName('retention-live-checkpoint');
    // Checkpoints written in 1980 (day 0 and day 8), each holding a segment of late halves.
    for (const [id, at] of [
      [stale, T0],
      [live, T0 + 8 * DAY],
    ] as const)
      await graph.write('test', async (tx) => {
        await tx.run(`CREATE (:IngestCheckpoint {id: $id, updatedAt: $at})`, { id, at });
        await tx.run(ADD_LATE_SEGMENT, { id, segment: 1, halves: new Int8Array([3]) });
      });
    const segments = () =>
      graph.read('test', async (tx) =>
        (
          await tx.run(
            `MATCH (c:IngestCheckpoint)-[:REMEMBERS]->(s:IngestLateHalves) WHERE c.id IN [$stale, $live]
             RETURN c.id AS id ORDER BY id`,
            { stale, live },
          )
        ).records.map((r) => r.get('id') as string),
      );
    expect((await segments()).sort()).toEqual([live, stale].sort());

    const job = createRetentionJob({ graph, retentionMs: 7 * DAY, intervalMs: 3_600_000, now: () => T0 + 8 * DAY });
    await job.runOnce();

    expect(await segments()).toEqual([live]);
    // The checkpoint itself stays: its spool position and pairing state are still the worker's.
    const checkpoints = await graph.read('test', async (tx) =>
      Number(
        (
          await tx.run(`MATCH (c:IngestCheckpoint) WHERE c.id = $stale RETURN count(c) AS n`, { stale })
        ).records[0]!.get('n'),
      ),
    );
    expect(checkpoints).toBe(1);
    for (const id of [stale, live]) await graph.write('test', (tx) => tx.run(DELETE_CHECKPOINT, { id }));
  });
});
