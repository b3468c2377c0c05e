/**
 * Held version counts and late corrections (docs/ingest.md, "Tag and version counts under load"):
 * a call whose client half expired is credited to the peer its attributes name, version pair
 * included, and taken back when its server half comes late. When the credit's version count is still
 * held, the flush carrying the take-back writes it first, so the take-back finds it: nothing is left
 * on the peer. Against the real Neo4j, through the real engine and writer.
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
         RETURN b.name + ' ' + v.fromVersion + '->' + v.toVersion + ' x' + v.calls AS pair ORDER BY pair`,
        { environment },
      )
    ).records.map((r) => r.get('pair') as string),
  );

it('writes held version counts before the late corrections that take them back', async () => {
  const environment = uniqueName('held-late');
  const config = defaultConfig();
  const engine = createEngine(engineOptions(config));
  const sink = createNeo4jSink(graph, config.ingest.writer);
  /** A flush under load: the breakdowns stay held unless a correction needs them. */
  const flushUnderLoad = async (at: number) => {
    const batch: FactBatch = engine.collect(at, at, true);
    Object.assign(batch, engine.takeBreakdowns(breakdownsToTake(batch, false)));
    await sink.write(batch);
    return batch;
  };
  const t0 = Date.now() - 120_000;
  // Three calls a → b whose servers come late, and one whose server never comes.
  const late = splitCalls(3, { environment, startMs: t0, versions: ['1', '2'] });
  const unanswered = splitCalls(1, { environment, startMs: t0, versions: ['1', '2'] });
  engine.ingest(late.clients, t0);
  engine.ingest(unanswered.clients, t0);
  // The four client halves expire: credited to the peer they name, their version pairs held.
  await flushUnderLoad(t0 + 20_000);
  engine.ingest(late.servers, t0 + 21_000);
  const corrected = await flushUnderLoad(t0 + 22_000);
  expect(corrected.corrections?.filter((c) => c.kind === 'edgeVersion').length).toBeGreaterThan(0);
  // The end (a stop): whatever is still held is written.
  await sink.write(engine.drain(t0 + 30_000));

  expect(await pairsFrom(environment)).toEqual(['b 1->2 x3', 'unknown 1-> x1']);
});
