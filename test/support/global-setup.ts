/**
 * Runs once before the test files: finds the Neo4j the tests use (NEO4J_URI, else the test suite's
 * own local server, `.neo4j/tests`, started if needed and stopped afterwards only if this run
 * started it) and applies the schema. Test files read the target with `inject('neo4j')`.
 */
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { createEngine, engineOptions } from '../../ingest/engine.js';
import { createNeo4jSink } from '../../ingest/writer.js';
import { defaultConfig, loadConfig } from '../../src/core/config.js';
import { applySchema, createGraph, resolveNeo4j, type Graph } from '../../src/core/neo4j/connection.js';
import {
  defaultLocalOptions,
  fetchServer,
  stopLocalNeo4j,
  testLocalOptions,
} from '../../src/core/neo4j/local-server.js';
import { driveEngine } from './capture.js';
import { ORDERS_QUERY, TraceBuilder } from './spans.js';

export default async function setup(project: TestProject) {
  const config = loadConfig();
  // Its jars are the project server's (fetched once with Maven), its data its own.
  if (!config.neo4j.uri) fetchServer(defaultLocalOptions());
  const target = await resolveNeo4j(config.neo4j, testLocalOptions());
  const graph = createGraph(target);
  await applySchema(graph);
  await warmUp(graph);
  await graph.close();
  const { startedLocal, ...neo4j } = target;
  project.provide('neo4j', neo4j);
  return async () => {
    if (startedLocal && process.env.TOPOGRAPH_KEEP_NEO4J !== '1') await stopLocalNeo4j(testLocalOptions());
  };
}

/**
 * One small trace written through the real engine and writer, under names no test uses. A Neo4j
 * just started plans the writer's statements with a cold JIT: measured on this 2-core machine under
 * load, the first flush of a test took 17-61 s against a fresh server, 7 s once this had run, and
 * whichever test flushed first ran into its timeout. Tests assert only on their own names.
 */
async function warmUp(graph: Graph): Promise<void> {
  const name = (s: string) => `warmup-${s}-${randomBytes(4).toString('hex')}`;
  const [front, back] = [name('front'), name('back')];
  const t = new TraceBuilder();
  const resource = { 'service.version': '1.0.0', 'deployment.environment.name': name('env') };
  const entry = t.server(front, '/warm', { resource });
  const call = t.client(front, { parent: entry, resource });
  const served = t.server(back, '/warm', { parent: call, resource, error: true });
  t.span({ ...ORDERS_QUERY, service: back, parent: served, resource });
  const config = defaultConfig();
  const pipeline = driveEngine(createEngine(engineOptions(config)), createNeo4jSink(graph, config.ingest.writer));
  pipeline.ingest(t.batch());
  await pipeline.drainAll();
}
