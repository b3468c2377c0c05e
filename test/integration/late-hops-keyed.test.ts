/**
 * A trace sample stored before hops named their operations by position (ingest/writer.ts
 * MERGE_TRACE_SAMPLES) still has its hops by key: a late correction takes its virtual hop out and
 * keeps every operation another hop still names IN_TRACE.
 */
import { describe, expect, it } from 'vitest';
import { sendHopCorrections } from '../../ingest/late-writer.js';
import { hopText } from '../../ingest/trace-sampling.js';
import { fileGraph, uniqueName } from '../support/graph.js';

const graph = fileGraph();

const SAMPLE = `
MATCH (t:TraceSample {traceId: $traceId})
OPTIONAL MATCH (o:Operation)-[:IN_TRACE]->(t)
RETURN t.hops AS hops, collect(o.key) AS inTrace`;

describe('late hop corrections on a sample stored with hops by key', () => {
  it('takes the virtual hop out and unlinks only the operation no hop names any more', async () => {
    const env = uniqueName('keyed-hops');
    const traceId = uniqueName('trace');
    const [entry, virtual, real] = ['entry', 'unknown', 'real'].map((n) => `["${env}","service","${n}","GET"]`);
    const at = Date.now();
    const virtualHop = hopText(entry!, virtual!, false, 12, at);
    const realHop = hopText(entry!, real!, true, 30, at);
    await graph.write('test', (tx) =>
      tx.run(
        `CREATE (t:TraceSample {traceId: $traceId, hops: $hops})
         WITH t UNWIND $keys AS key
         CREATE (:Operation {key: key})-[:IN_TRACE]->(t)`,
        { traceId, hops: [virtualHop, realHop], keys: [entry, virtual, real] },
      ),
    );
    await graph.write('test', (tx) =>
      Promise.all(
        sendHopCorrections(tx, [
          { kind: 'hop', from: traceId, to: virtualHop, fromVersion: entry!, toVersion: virtual! },
        ]),
      ),
    );
    const [row] = await graph.read('test', async (tx) => (await tx.run(SAMPLE, { traceId })).records);
    expect(row!.get('hops')).toEqual([realHop]);
    expect((row!.get('inTrace') as string[]).sort()).toEqual([entry, real].sort());
    await graph.write('test', (tx) =>
      tx.run(
        `MATCH (t:TraceSample {traceId: $traceId}) OPTIONAL MATCH (o:Operation)-[:IN_TRACE]->(t) DETACH DELETE t, o`,
        {
          traceId,
        },
      ),
    );
  });
});
