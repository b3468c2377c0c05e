/**
 * An operation's HAS_OPERATION link (ingest/writer.ts MERGE_OPERATIONS): made with the operation, and
 * its times moved by a flush that brings the operation a new minute, so they stay within a minute of
 * the operation's own (docs/model.md). Through the real engine and writer into Neo4j.
 */
import { describe, expect, it } from 'vitest';
import { createEngine, engineOptions } from '../../ingest/engine.js';
import { createNeo4jSink } from '../../ingest/writer.js';
import { defaultConfig } from '../../src/core/config.js';
import { fileGraph, uniqueName } from '../support/graph.js';
import { TraceBuilder } from '../support/spans.js';
import { driveEngine } from '../support/capture.js';

const graph = fileGraph();
const env = uniqueName('has-operation');
const pipeline = driveEngine(
  createEngine(engineOptions(defaultConfig())),
  createNeo4jSink(graph, defaultConfig().ingest.writer),
);

/** One root request to `GET /a` on `api`, starting at `startMs`, written. */
async function request(startMs: number) {
  const t = new TraceBuilder();
  t.server('api', '/a', { resource: { 'deployment.environment.name': env }, startMs, durationMs: 10 });
  pipeline.ingest(t.batch());
  await pipeline.drainAll();
}

const times = async () =>
  graph.read('test', async (tx) => {
    const r = (
      await tx.run(
        `MATCH (c:Component {environment: $env})-[has:HAS_OPERATION]->(o:Operation)
         RETURN count(has) AS links, has.firstSeen AS hasFirst, has.lastSeen AS hasLast, o.firstSeen AS opFirst, o.lastSeen AS opLast`,
        { env },
      )
    ).records;
    expect(r).toHaveLength(1);
    const n = (k: string) => Number(r[0]!.get(k));
    return {
      links: n('links'),
      hasFirst: n('hasFirst'),
      hasLast: n('hasLast'),
      opFirst: n('opFirst'),
      opLast: n('opLast'),
    };
  });

/** One link whose times are the operation's. */
const together = (first: number, last: number) => ({
  links: 1,
  hasFirst: first,
  hasLast: last,
  opFirst: first,
  opLast: last,
});

describe("an operation's HAS_OPERATION link", () => {
  it('is made with the operation, and its times follow the operation by the minute', async () => {
    const minute = Math.floor((Date.now() - 10 * 60_000) / 60_000) * 60_000;
    await request(minute + 5_000);
    expect(await times()).toEqual(together(minute + 5_010, minute + 5_010));

    // Later in the same minute: the operation's time moves, the link's waits for the next minute.
    await request(minute + 40_000);
    expect(await times()).toMatchObject({ links: 1, hasLast: minute + 5_010, opLast: minute + 40_010 });

    // The next minute: the link's time moves with it, still one link.
    await request(minute + 65_000);
    expect(await times()).toEqual(together(minute + 5_010, minute + 65_010));
  });
});
