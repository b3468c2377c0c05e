/**
 * Grafana Tempo's service-graph fixtures (../shared/corpus/tempo-servicegraph/, base64 ids and enum
 * names) imported into Neo4j: the expected edges, the database naming rules file by file, virtual
 * nodes and expired edges, as Tempo's servicegraphs_test.go states them.
 *
 * One deliberate difference: docs/model.md's precedence reads the older `net.peer.name` as
 * `server.address`, which Tempo ignores. In the files that carry `net.peer.name=mythical-database`
 * Topograph names the database `mythical-database`; the name Tempo expects is still in the model, as
 * the database's `namespace` (db.namespace, else db.name) or its `system` — asserted below per file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Graph } from '../../src/core/neo4j/connection.js';
import { testGraph, uniqueName } from '../support/graph.js';
import { componentsIn, edgesIn, importInto, operationsIn, type EdgeRecord } from '../support/model-graph.js';

let graph: Graph;
beforeAll(() => {
  graph = testGraph();
});
afterAll(async () => {
  await graph.close();
});

async function load(file: string) {
  const env = uniqueName('tempo');
  const result = await importInto(graph, env, [`tempo-servicegraph/${file}`]);
  expect(result.files[0]).toMatchObject({ rejected: [] });
  expect(result.files[0]!.error).toBeUndefined();
  const edges = await edgesIn(graph, env);
  const edge = (from: string, to: string): EdgeRecord | undefined => edges.find((e) => e.from === from && e.to === to);
  return { env, edges, edge, components: await componentsIn(graph, env), operations: await operationsIn(graph, env) };
}

describe('trace-with-queue-database*: requester → server, server → database, requester → queue → recorder', () => {
  // file → [name Topograph gives, Tempo's expected name, where Tempo's name is kept]
  const cases: [string, string, string, { namespace?: string; system?: string }][] = [
    ['trace-with-queue-database.json', 'mythical-database', 'postgres', { namespace: 'postgres' }],
    ['trace-with-queue-database2.json', 'mythical-database', 'mythical-database', {}],
    ['trace-with-queue-database3.json', 'mythical-database', 'mythical-database', {}],
    ['trace-with-queue-database4.json', 'mythical-database:5432', 'mythical-database:5432', {}],
    ['trace-with-queue-database5.json', 'mythical-database', 'mythical-database', {}],
    ['trace-without-database-name.json', 'mythical-database', 'mythical-database', {}],
    ['trace-with-db-namespace.json', 'mythical-database', 'mydb', { namespace: 'mydb' }],
    ['trace-with-both-db-attributes.json', 'mythical-database', 'priority-db', { namespace: 'priority-db' }],
    ['trace-with-db-system-name.json', 'mythical-database', 'postgresql', { system: 'postgresql' }],
    ['trace-with-db-system-and-system-name.json', 'mythical-database', 'mssql', { system: 'mssql' }],
  ];

  it.each(cases)('%s: the database is %s (Tempo: %s)', async (file, name, tempoName, keptAs) => {
    const g = await load(file);
    expect(g.edge('mythical-requester', 'mythical-server')).toMatchObject({ calls: 1, errors: 0, toKind: 'SERVICE' });
    // connection_type=database
    expect(g.edge('mythical-server', name)).toMatchObject({ calls: 1, errors: 0, toKind: 'DATABASE' });
    const db = g.components.filter((c) => c.kind === 'DATABASE');
    expect(db.map((c) => c.name)).toEqual([name]);
    if (name !== tempoName) {
      // The net.peer.name difference: Tempo's name is the namespace or the system here.
      expect(db[0]).toMatchObject(keptAs);
    }
    expect(db[0]!.system).toBe(keptAs.system ?? 'postgresql');
    // connection_type=messaging_system: PRODUCER → CONSUMER, with the queue as a node between them.
    const toQueue = g.edges.find((e) => e.from === 'mythical-requester' && e.toKind === 'MESSAGING_DESTINATION');
    expect(toQueue).toMatchObject({ calls: 1, errors: 0 });
    expect(g.edge(toQueue!.to, 'mythical-recorder')).toMatchObject({ calls: 1, errors: 0 });
    expect(g.components.find((c) => c.kind === 'MESSAGING_DESTINATION')).toMatchObject({ system: 'rabbitmq' });
  });
});

describe('Tempo fixtures with failures, virtual nodes and expired edges', () => {
  it('trace-with-failed-requests: requester → server and server → database, one request each, both failed', async () => {
    const g = await load('trace-with-failed-requests.json');
    expect(g.edge('mythical-requester', 'mythical-server')).toMatchObject({ calls: 1, errors: 1 });
    // Tempo: mythical-server → postgres; the net.peer.name difference again.
    expect(g.edge('mythical-server', 'mythical-database')).toMatchObject({ calls: 1, errors: 1, toKind: 'DATABASE' });
    expect(g.components.find((c) => c.kind === 'DATABASE')).toMatchObject({
      namespace: 'postgres',
      system: 'postgresql',
    });
  });

  it('trace-with-virtual-nodes: user → mythical-server, mythical-requester → external-payments-platform, external-producer → internal-consumer, no database', async () => {
    const g = await load('trace-with-virtual-nodes.json');
    // Tempo's `user` client: the root SERVER span's operation is an entry point.
    expect(g.operations.find((o) => o.component === 'mythical-server')).toMatchObject({
      kind: 'SERVER',
      entryCalls: 1,
    });
    expect(g.edge('mythical-requester', 'external-payments-platform')).toMatchObject({ calls: 1, toKind: 'EXTERNAL' });
    // A root CONSUMER naming its producer with peer.service: the producer is an External caller.
    expect(g.edge('external-producer', 'internal-consumer')).toMatchObject({ calls: 1, fromKind: 'EXTERNAL' });
    expect(g.operations.find((o) => o.component === 'internal-consumer')).toMatchObject({
      kind: 'CONSUMER',
      entryCalls: 1,
    });
    expect(g.components.filter((c) => c.kind === 'DATABASE')).toEqual([]);
    // Beyond Tempo: the requester's CLIENT span is a child of mythical-server's SERVER span, a
    // cross-service parent → child that Jaeger's and Zipkin's linkers (and Topograph) count as a call.
    expect(g.edges.map((e) => `${e.from} -> ${e.to}`).sort()).toEqual([
      'external-producer -> internal-consumer',
      'mythical-requester -> external-payments-platform',
      'mythical-server -> mythical-requester',
    ]);
  });

  it('trace-with-expired-edges: 4 edges, 1 expired (an unmatched SERVER span)', async () => {
    const g = await load('trace-with-expired-edges.json');
    // user → mythical-server: the root SERVER span is an entry point.
    expect(g.operations.find((o) => o.name === 'server-root')).toMatchObject({
      component: 'mythical-server',
      entryCalls: 1,
    });
    // mythical-server → mythical-requester: a matched CLIENT → SERVER pair.
    expect(g.edge('mythical-server', 'mythical-requester')).toMatchObject({ calls: 1, toKind: 'SERVICE' });
    // mythical-requester → mysql: a CLIENT span with db.system and no server.
    expect(g.edge('mythical-requester', 'mysql')).toMatchObject({ calls: 1, toKind: 'DATABASE' });
    // The expired one: a SERVER span whose parent never arrived is an entry point, with no edge.
    expect(g.operations.find((o) => o.name === 'unmatched')).toMatchObject({
      component: 'mythical-requester',
      entryCalls: 1,
    });
    expect(g.edges).toHaveLength(2);
  });
});
