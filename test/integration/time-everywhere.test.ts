/**
 * Time is part of the model: every node and relationship the ingest path writes carries firstSeen
 * and lastSeen (docs/model.md), so that retention and `since` can reason about all of them. Checked on
 * the shop, which holds every kind of node and relationship the writer makes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Graph } from '../../src/core/neo4j/connection.js';
import { testGraph, uniqueName } from '../support/graph.js';
import { seedShop } from '../support/shop.js';

let graph: Graph;
const env = uniqueName('time-env');

beforeAll(async () => {
  graph = testGraph();
  await seedShop(graph, env);
});

afterAll(async () => {
  await graph.close();
});

/**
 * The environment's components, what hangs off them (operations, tags, libraries, other components)
 * and, from their operations, the operations they call and the sampled traces.
 */
const UNTIMED = `
MATCH (c:Component {environment: $env})
OPTIONAL MATCH (c)-[r1]-(m)
OPTIONAL MATCH (m:Operation)-[r2]-(x) WHERE x:TraceSample OR x:Operation
WITH collect(DISTINCT c) + collect(DISTINCT m) + collect(DISTINCT x) AS nodes,
     collect(DISTINCT r1) + collect(DISTINCT r2) AS rels
RETURN [n IN nodes WHERE n.firstSeen IS NULL OR n.lastSeen IS NULL | labels(n)] AS untimedNodes,
       [r IN rels WHERE r.firstSeen IS NULL OR r.lastSeen IS NULL | type(r)] AS untimedRels,
       [n IN nodes | labels(n)] AS labels,
       [r IN rels | type(r)] AS types`;

describe('firstSeen and lastSeen', () => {
  it('are on every node and relationship the writer made', async () => {
    const found = await graph.read('test', async (tx) => (await tx.run(UNTIMED, { env })).records[0]!.toObject());
    // The shop holds every kind the writer makes, so a kind left untimed would show here.
    expect(new Set(found.labels.flat())).toEqual(
      new Set([
        'Component',
        'Service',
        'Database',
        'MessagingDestination',
        'External',
        'Operation',
        'Library',
        'Tag',
        'TraceSample',
      ]),
    );
    expect(new Set(found.types)).toEqual(
      new Set(['DEPENDS_ON', 'HAS_OPERATION', 'USES', 'TAGGED', 'CALLS', 'SAMPLED', 'IN_TRACE']),
    );
    expect(found.untimedNodes).toEqual([]);
    expect(found.untimedRels).toEqual([]);
  });
});
