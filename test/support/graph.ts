/**
 * Test access to the real Neo4j chosen by the global setup, and helpers to seed it through the real
 * ingest path. Tests share one database, so each test names its own services (or environment) with
 * `uniqueName` and asserts only on those; nothing here wipes the database.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { createGraph, type Graph } from '../../src/core/neo4j/connection.js';
import { createEngine } from '../../ingest/engine.js';
import type { DecodedBatch } from '../../ingest/span.js';
import { pipelineOptions } from '../../ingest/worker.js';
import { createNeo4jSink } from '../../ingest/writer.js';
import { driveEngine } from './capture.js';

export function testGraph(): Graph {
  return createGraph(inject('neo4j'));
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
  const config = loadConfig({});
  const pipeline = driveEngine(
    createEngine(pipelineOptions(config)),
    createNeo4jSink(graph, { exemplarsPerEdge: config.ingest.exemplarsPerEdge }),
    now,
  );
  for (const b of batches) pipeline.ingest(b);
  await pipeline.drainAll();
}
