/**
 * Test access to the real Neo4j chosen by the global setup, and helpers to seed it through the real
 * ingest path. Tests share one database, so each test names its own services (or environment) with
 * `uniqueName` and asserts only on those; nothing here wipes the database.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, inject } from 'vitest';
import { defaultConfig } from '../../src/core/config.js';
import { createGraph, type Graph } from '../../src/core/neo4j/connection.js';
import { createEngine, engineOptions } from '../../ingest/engine.js';
import type { DecodedBatch } from '../../ingest/span.js';
import { createNeo4jSink } from '../../ingest/writer.js';
import { driveEngine } from './capture.js';

export function testGraph(): Graph {
  return createGraph(inject('neo4j'));
}

/** The test database for one test file: a driver opened now (it connects when first used), closed after the file's tests. */
export function fileGraph(): Graph {
  const graph = testGraph();
  afterAll(() => graph.close());
  return graph;
}

/** `prefix-<random>`: a name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** The environment variables that point a child process at the test database. */
export function neo4jEnv(): Record<string, string> {
  const t = inject('neo4j');
  return { NEO4J_URI: t.uri, NEO4J_USER: t.user, NEO4J_PASSWORD: t.password, NEO4J_DATABASE: t.database };
}

/** Runs decoded batches through the real engine into Neo4j and expires every waiting half. */
export async function seed(graph: Graph, batches: DecodedBatch[], now?: () => number): Promise<void> {
  const config = defaultConfig();
  const pipeline = driveEngine(createEngine(engineOptions(config)), createNeo4jSink(graph, config.ingest.writer), now);
  for (const b of batches) pipeline.ingest(b);
  await pipeline.drainAll();
}

/** DEPENDS_ON call counts between the services whose names start with `prefix`, by "from>to". */
export async function edgeCalls(graph: Graph, prefix: string): Promise<Map<string, number>> {
  const rows = await graph.read(
    'test',
    async (tx) =>
      (
        await tx.run(
          `MATCH (a:Service)-[r:DEPENDS_ON]->(b:Service) WHERE a.name STARTS WITH $prefix
           RETURN a.name AS a, b.name AS b, r.calls AS calls`,
          { prefix },
        )
      ).records,
  );
  return new Map(rows.map((r) => [`${r.get('a')}>${r.get('b')}`, Number(r.get('calls'))]));
}
