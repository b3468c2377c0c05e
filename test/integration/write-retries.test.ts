/**
 * Two writers that lock the same nodes in opposite orders deadlock; Neo4j aborts one of them with a
 * transient error, the driver runs it again, and the retry is counted by its reason, so that
 * contention between several workers shows in `topograph_ingest_write_retries_total`.
 */
import { inject, afterAll, beforeAll, expect, it } from 'vitest';
import { createGraph, type Graph } from '../../src/core/neo4j/connection.js';
import { uniqueName } from '../support/graph.js';

const LOCK = 'MATCH (n:WriteRetryProbe {id: $id}) SET n.writes = n.writes + 1';
const reasons: string[] = [];
let graph: Graph;
beforeAll(() => {
  graph = createGraph(inject('neo4j'), { onWriteRetry: (reason) => reasons.push(reason) });
});
afterAll(async () => {
  await graph.close();
});

it('retries a deadlocked write and counts the retry with the Neo4j error code', async () => {
  const [a, b] = [uniqueName('lock-a'), uniqueName('lock-b')];
  await graph.write('test', (tx) =>
    tx.run('UNWIND $ids AS id CREATE (:WriteRetryProbe {id: id, writes: 0})', { ids: [a, b] }),
  );
  try {
    // Each first attempt takes its first lock, waits until the other holds its own, then asks for it.
    let holding = 0;
    const bothHold = async () => {
      holding++;
      while (holding < 2) await new Promise((r) => setTimeout(r, 10));
    };
    const lockBoth = (first: string, second: string) => {
      let attempts = 0;
      return graph.write('test', async (tx) => {
        await tx.run(LOCK, { id: first });
        if (attempts++ === 0) await bothHold();
        await tx.run(LOCK, { id: second });
      });
    };
    await Promise.all([lockBoth(a, b), lockBoth(b, a)]);

    expect(reasons).toEqual(['Neo.TransientError.Transaction.DeadlockDetected']);
    // Both transactions committed once each: nothing lost, nothing twice.
    const rows = await graph.read(
      'test',
      async (tx) =>
        (await tx.run('MATCH (n:WriteRetryProbe) WHERE n.id IN $ids RETURN n.writes AS w', { ids: [a, b] })).records,
    );
    expect(rows.map((r) => Number(r.get('w')))).toEqual([2, 2]);
  } finally {
    await graph.write('test', (tx) => tx.run('MATCH (n:WriteRetryProbe) WHERE n.id IN $ids DELETE n', { ids: [a, b] }));
  }
});
