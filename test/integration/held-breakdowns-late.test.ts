/**
 * Held version counts and late corrections (docs/ingest.md, "Tag and version counts under load"):
 * a call whose client half expired is credited to the peer its attributes name, version pair
 * included, and taken back when its server half comes late. The take-back is netted with the
 * version counts the engine holds, so under load it forces nothing out, never reaches Neo4j ahead of
 * the credit it undoes, and leaves nothing on the peer. Against the real Neo4j, through the real
 * engine and writer.
 */
import { expect, it } from 'vitest';
import { breakdownsToTake, type FactBatch } from '../../ingest/aggregate.js';
import { createEngine, engineOptions } from '../../ingest/engine.js';
import { createNeo4jSink } from '../../ingest/writer.js';
import { defaultConfig } from '../../src/core/config.js';
import { fileGraph, uniqueName } from '../support/graph.js';
import { splitCalls } from '../support/spans.js';

const graph = fileGraph();

const pairsFrom = (environment: string) =>
  graph.read('test', async (tx) =>
    (
      await tx.run(
        `MATCH (a:Component {name: 'a', environment: $environment})-[v:DEPENDS_ON_VERSION]->(b:Component)
         RETURN b.name + ' ' + v.fromVersion + '->' + v.toVersion + ' x' + v.calls + ' e' + v.errors AS pair ORDER BY pair`,
        { environment },
      )
    ).records.map((r) => r.get('pair') as string),
  );

function setUp(name: string) {
  const environment = uniqueName(name);
  const config = defaultConfig();
  const engine = createEngine(engineOptions(config));
  const sink = createNeo4jSink(graph, config.ingest.writer);
  /** A flush under load (`hold`): the breakdowns stay held unless a tag correction needs them. */
  const flush = async (at: number, hold: boolean) => {
    const batch: FactBatch = engine.collect(at, at, hold);
    if (hold) Object.assign(batch, engine.takeBreakdowns(breakdownsToTake(batch, false)));
    await sink.write(batch);
    return batch;
  };
  return { environment, engine, sink, flush };
}

it('nets late take-backs with held version counts: nothing forced out, nothing left on the peer', async () => {
  const { environment, engine, sink, flush } = setUp('held-late');
  const t0 = Date.now() - 120_000;
  // Three calls a → b whose servers come late (one failing), and one whose server never comes.
  const late = splitCalls(3, { environment, startMs: t0, versions: ['1', '2'], errors: 1 });
  const unanswered = splitCalls(1, { environment, startMs: t0, versions: ['1', '2'] });
  engine.ingest(late.clients, t0);
  engine.ingest(unanswered.clients, t0);
  // The four client halves expire: credited to the peer they name, their version pairs held.
  const expired = await flush(t0 + 20_000, true);
  expect(expired.edgeVersions).toEqual([]);
  engine.ingest(late.servers, t0 + 21_000);
  const corrected = await flush(t0 + 22_000, true);
  // The take-back waits with the counts it undoes: no version rows, no version corrections.
  expect(corrected.edgeVersions).toEqual([]);
  expect(corrected.corrections?.some((c) => c.kind === 'edge')).toBe(true);
  expect(corrected.corrections?.some((c) => c.kind === 'edgeVersion' || c.kind === 'callVersion')).toBe(false);
  expect(await pairsFrom(environment)).toEqual([]);
  // The end (a stop): whatever is still held is written, the credits taken back never were.
  await sink.write(engine.drain(t0 + 30_000));
  expect(await pairsFrom(environment)).toEqual(['b 1->2 x3 e1', 'unknown 1-> x1 e0']);
});

it('a take-back of version counts already written is written with the held counts; a pair left with none goes', async () => {
  const { environment, engine, sink, flush } = setUp('written-late');
  const t0 = Date.now() - 120_000;
  // Two calls from a at version 1 whose servers come late, one from a at version 3 whose never comes.
  const late = splitCalls(2, { environment, startMs: t0, versions: ['1', '2'], errors: 1 });
  const unanswered = splitCalls(1, { environment, startMs: t0, versions: ['3', '2'] });
  engine.ingest(late.clients, t0);
  engine.ingest(unanswered.clients, t0);
  // A lightly loaded worker: the credits to the peer and their version pairs are written at once.
  await flush(t0 + 20_000, false);
  expect(await pairsFrom(environment)).toEqual(['unknown 1-> x2 e1', 'unknown 3-> x1 e0']);
  engine.ingest(late.servers, t0 + 21_000);
  // Under load the take-back waits with the version counts: the edge to the peer keeps one call,
  // and both its pairs are still there.
  const corrected = await flush(t0 + 22_000, true);
  expect(corrected.edgeVersions).toEqual([]);
  expect(await pairsFrom(environment)).toEqual(['unknown 1-> x2 e1', 'unknown 3-> x1 e0']);
  await sink.write(engine.drain(t0 + 30_000));
  expect(await pairsFrom(environment)).toEqual(['b 1->2 x2 e1', 'unknown 3-> x1 e0']);
});
