/**
 * The retention job against the real Neo4j, forced with an injected `now`. The database is shared,
 * so this test's data lives in 1980: a cutoff there touches nothing any other test writes.
 */
import { describe, expect, it } from 'vitest';
import { createRetentionJob } from '../../ingest/retention.js';
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
