/**
 * Runs once before the test files: finds the Neo4j the tests use (NEO4J_URI, else the project's
 * local server, started if needed and stopped afterwards only if this run started it) and applies
 * the schema. Test files read the target with `inject('neo4j')`.
 */
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../src/core/config.js';
import { applySchema, createGraph, resolveNeo4j } from '../../src/core/neo4j/connection.js';
import { defaultLocalOptions, stopLocalNeo4j } from '../../src/core/neo4j/local-server.js';

export default async function setup(project: TestProject) {
  const config = loadConfig();
  const target = await resolveNeo4j(config.neo4j);
  const graph = createGraph(target);
  await applySchema(graph);
  await graph.close();
  const { startedLocal, ...neo4j } = target;
  project.provide('neo4j', neo4j);
  return async () => {
    if (startedLocal && process.env.TOPOGRAPH_KEEP_NEO4J !== '1') await stopLocalNeo4j(defaultLocalOptions());
  };
}
