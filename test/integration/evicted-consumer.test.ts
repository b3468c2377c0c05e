/**
 * A consumer half pushed out of the full pairing buffer while a request is read is counted at once as
 * delivered from its queue (the publish → process hop among it); its producer then arrives in the same
 * flush, which takes that hop back and credits the same hop as the real call. Stored, the sampled
 * trace holds that hop once, as without the eviction: the take-back drops the hop still pending in
 * the flush, where a late correction would reach Neo4j before the flush's samples and find nothing
 * (ingest/trace-sampling.ts `takeBack`).
 */
import { describe, expect, it } from 'vitest';
import { createEngine, engineOptions } from '../../ingest/engine.js';
import { SpanKind } from '../../ingest/span.js';
import { createNeo4jSink } from '../../ingest/writer.js';
import { defaultConfig } from '../../src/core/config.js';
import { readHop } from '../../src/core/records.js';
import { fileGraph, uniqueName } from '../support/graph.js';
import { TraceBuilder } from '../support/spans.js';

const graph = fileGraph();
const config = defaultConfig();

/** an operation key's component name and operation name, for reading */
const opName = (key: string) => {
  const [, component, , name] = JSON.parse(key) as string[];
  return `${(JSON.parse(component!) as string[]).at(-1)} ${name}`;
};

/** Writes one producer → queue → consumer trace, consumer first, and reads back its stored sample's hops. */
async function storedHops(evict: boolean): Promise<{ hops: string[]; hopCorrections: number }> {
  const environment = uniqueName('evicted-consumer');
  const resource = { 'deployment.environment.name': environment };
  const messaging = { 'messaging.system': 'kafka', 'messaging.destination.name': 'orders' };
  const T0 = Date.now() - 5_000;
  const engine = createEngine({ ...engineOptions(config), ...(evict ? { pairingMaxEntries: 1 } : {}) });
  const sink = createNeo4jSink(graph, config.ingest.writer);
  const t = new TraceBuilder();
  const root = t.server('shop', '/buy', { resource, startMs: T0 - 300 });
  const send = t.span({
    service: 'shop',
    kind: SpanKind.PRODUCER,
    name: 'send',
    parent: root,
    resource,
    attributes: messaging,
    startMs: T0 - 200,
  });
  t.span({
    service: 'billing',
    kind: SpanKind.CONSUMER,
    name: 'process',
    parent: send,
    resource,
    attributes: messaging,
    startMs: T0 - 150,
  });
  const others = new TraceBuilder();
  for (let i = 0; i < 2; i++)
    others.client('batch', { resource, startMs: T0 - 100, attributes: { 'server.address': 'elsewhere' } });

  engine.ingest(t.batch(['billing']), T0, 1);
  // Two more waiting halves push the consumer out of a buffer of one.
  engine.ingest(others.batch(['batch']), T0 + 100, 2);
  engine.ingest(t.batch(['shop']), T0 + 200, 3);
  const batch = engine.collect(T0 + 1_000);
  await sink.write(batch);
  await sink.write(engine.drain(T0 + 100_000));

  const rows = await graph.read(
    'test',
    async (tx) =>
      (await tx.run('MATCH (s:TraceSample {traceId: $traceId}) RETURN s.ops AS ops, s.hops AS hops', t)).records,
  );
  const hops = rows.flatMap((r) =>
    (r.get('hops') as string[]).map((h) => {
      const hop = readHop({ ops: r.get('ops') as string[] }, h);
      return `${opName(hop.from)} -> ${opName(hop.to)}`;
    }),
  );
  const hopCorrections = (batch.corrections ?? []).filter((c) => c.kind === 'hop').length;
  return { hops: hops.sort(), hopCorrections };
}

describe('a consumer evicted before its producer arrives in the same flush', () => {
  it('leaves the stored trace sample as without the eviction: each hop once', async () => {
    const evicted = await storedHops(true);
    expect(evicted.hops).toEqual(['orders publish -> billing process', 'shop GET /buy -> orders publish']);
    expect(evicted.hopCorrections).toBe(0);
    expect(evicted.hops).toEqual((await storedHops(false)).hops);
  });
});
