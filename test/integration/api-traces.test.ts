/**
 * Sampled trace skeletons end to end: the ingest pipeline samples (every failing checkout, a few
 * successful ones per entry operation), the writer stores them, the API answers `trace(traceId)`
 * and `Operation.traces`. Seeded through the real ingest path (test/support/shop.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createEngine, engineOptions } from '../../ingest/engine.js';
import { createNeo4jSink } from '../../ingest/writer.js';
import { MAX_HOPS } from '../../ingest/trace-sampling.js';
import { defaultConfig } from '../../src/core/config.js';
import { createGql } from '../support/api.js';
import { fileGraph, uniqueName } from '../support/graph.js';
import { seedShop, SHOP, type Shop } from '../support/shop.js';
import { TraceBuilder } from '../support/spans.js';
import { driveEngine } from '../support/capture.js';

const SAMPLING = defaultConfig().ingest.traceSampling;
const graph = fileGraph();
let gql: ReturnType<typeof createGql>;
let shop: Shop;
const env = uniqueName('traces');

/** The engine on its defaults, writing through the real writer into Neo4j. */
const writingPipeline = () =>
  driveEngine(createEngine(engineOptions(defaultConfig())), createNeo4jSink(graph, defaultConfig().ingest.writer));

beforeAll(async () => {
  gql = createGql(graph, { traceUrlTemplate: 'https://jaeger.example/trace/{traceId}' });
  shop = await seedShop(graph, env);
});

const TRACES = `query($env: String, $errorsOnly: Boolean!) { operation(service: "gateway", name: "GET /checkout", environment: $env) {
  traces(first: 50, errorsOnly: $errorsOnly) { traceId error entry { name } }
} }`;

describe('sampled traces', () => {
  it('keeps every failing checkout and a few successful ones per entry operation', async () => {
    const all = await gql(TRACES, { env, errorsOnly: false });
    expect(all.errors).toBeUndefined();
    const traces: any[] = all.data.operation.traces;
    const failed = traces
      .filter((t) => t.error)
      .map((t) => t.traceId)
      .sort();
    expect(failed).toEqual([...shop.failedTraceIds].sort());
    expect(traces.filter((t) => !t.error)).toHaveLength(SAMPLING.perWindow);
    expect(traces.length).toBe(SHOP.failedCheckouts + SAMPLING.perWindow);
    expect(traces.every((t) => t.entry.name === 'GET /checkout')).toBe(true);
    const errorsOnly = await gql(TRACES, { env, errorsOnly: true });
    expect(errorsOnly.data.operation.traces.map((t: any) => t.traceId).sort()).toEqual(failed);
  });

  it('trace(traceId) gives the skeleton hop by hop, with depth, errors and a link', async () => {
    const id = shop.failedTraceIds[0]!;
    const r = await gql(
      `query($id: String!) { trace(traceId: $id) {
      traceId error url entry { name component { name } }
      hops { depth from { name component { name } } to { name component { name } } error latencyMs }
    } }`,
      { id: id.toUpperCase() },
    );
    expect(r.errors).toBeUndefined();
    const t = r.data.trace;
    expect(t).toMatchObject({
      traceId: id,
      error: true,
      url: `https://jaeger.example/trace/${id}`,
      entry: { name: 'GET /checkout', component: { name: 'gateway' } },
    });
    const hops = t.hops.map(
      (h: any) =>
        `${h.depth} ${h.from.component.name}:${h.from.name} -> ${h.to.component.name}:${h.to.name}${h.error ? ' !' : ''}`,
    );
    expect(hops.sort()).toEqual([
      '1 gateway:GET /checkout -> checkout:POST /checkout !',
      '2 checkout:POST /checkout -> orders-db:SELECT orders',
      '2 checkout:POST /checkout -> orders:publish',
      '2 checkout:POST /checkout -> payments:POST /pay !',
      '3 orders:publish -> shipping:orders process',
      '3 payments:POST /pay -> api.stripe.com:POST /v1/charges !',
    ]);
    expect(t.hops[0].depth).toBe(1);
    expect(t.hops.find((h: any) => h.to.name === 'POST /checkout').latencyMs).toBe(45);
  });

  it('Operation.trace answers only for traces through that operation; unknown ids are null', async () => {
    const id = shop.failedTraceIds[0]!;
    const r = await gql(
      `query($env: String, $id: String!) {
      pay: operation(service: "payments", name: "POST /pay", environment: $env) { trace(traceId: $id) { traceId } }
      catalog: operation(service: "catalog", name: "GET /products", environment: $env) { trace(traceId: $id) { traceId } }
      none: trace(traceId: "0000000000000000000000000000beef") { traceId }
    }`,
      { env, id },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ pay: { trace: { traceId: id } }, catalog: { trace: null }, none: null });
  });

  it('stores what was sampled: one skeleton per kept trace, hanging off its entry operation', async () => {
    expect(await samplesPerOperation(env)).toEqual([
      ['GET /checkout', SHOP.failedCheckouts + SAMPLING.perWindow],
      ['GET /legacy', 1],
      ['GET /products', SAMPLING.perWindow],
    ]);
  });

  it('the store keeps the newest few per entry operation and ages old ones out', async () => {
    const capped = uniqueName('capped');
    const pipeline = driveEngine(
      createEngine({
        ...engineOptions(defaultConfig()),
        traceSampling: { ...SAMPLING, perWindow: 100 },
      }),
      createNeo4jSink(graph, {
        ...defaultConfig().ingest.writer,
        exemplarsPerEdge: 5,
        traceSamplesPerOperation: 3,
        traceSampleMaxAgeMs: 3_600_000,
      }),
    );
    const res = { 'deployment.environment.name': capped };
    const call = (startMs: number) => {
      const t = new TraceBuilder();
      const s = t.server('api', '/a', { resource: res, startMs });
      t.client('api', { parent: s, resource: res, startMs, attributes: { 'server.address': 'peer' } });
      pipeline.ingest(t.batch());
      return t.traceId;
    };
    // Two hours old: kept while it is the newest, removed once newer ones are more than an hour younger.
    call(Date.now() - 2 * 3_600_000);
    await pipeline.drainAll();
    expect(await samplesPerOperation(capped)).toEqual([['GET /a', 1]]);
    const recent = [call(Date.now() - 20_000), call(Date.now() - 19_000)];
    await pipeline.drainAll();
    expect(await samplesPerOperation(capped)).toEqual([['GET /a', 2]]);
    recent.push(...Array.from({ length: 4 }, (_, i) => call(Date.now() - 10_000 + i)));
    await pipeline.drainAll();
    expect(await samplesPerOperation(capped)).toEqual([['GET /a', 3]]);
    const kept = await graph.read('test', async (tx) =>
      (
        await tx.run(
          `MATCH (c:Component {environment: $env})-[:HAS_OPERATION]->(:Operation)-[:SAMPLED]->(t:TraceSample) RETURN t.traceId AS id`,
          {
            env: capped,
          },
        )
      ).records.map((x) => x.get('id') as string),
    );
    expect(kept.sort()).toEqual(recent.slice(3).sort());
  });

  it('a trace whose hops come in several flushes keeps each once, under the operations they name', async () => {
    const split = uniqueName('split');
    const pipeline = writingPipeline();
    const resource = { 'deployment.environment.name': split };
    const startMs = Date.now() - 5_000;
    const t = new TraceBuilder();
    // gw -> b -> a -> b: the second flush names the operations the first stored and a new one (a's), which
    // sorts first in its row but comes last in the sample: its hops' positions move.
    const g = t.server('gw', '/g', { resource, startMs });
    const toB = t.client('gw', { parent: g, resource, startMs, durationMs: 40 });
    const b = t.server('b', '/b', { parent: toB, resource, startMs, durationMs: 30 });
    const toA = t.client('b', { parent: b, resource, startMs: startMs + 1, durationMs: 20 });
    const a = t.server('a', '/a', { parent: toA, resource, startMs: startMs + 1, durationMs: 15 });
    const back = t.client('a', { parent: a, resource, startMs: startMs + 2, durationMs: 5 });
    t.server('b', '/b', { parent: back, resource, startMs: startMs + 2, durationMs: 4 });
    const first = t.batch(['gw']);
    const [bResource] = t.batch(['b']).batch;
    first.batch.push({
      ...bResource!,
      scopeSpans: bResource!.scopeSpans.map((ss) => ({ ...ss, spans: [ss.spans[0]!] })),
    });
    const hops = async () => {
      const r = await gql(
        `query($id: String!) { trace(traceId: $id) { hops { from { name component { name } } to { name component { name } } latencyMs } } }`,
        { id: t.traceId },
      );
      expect(r.errors).toBeUndefined();
      return r.data.trace.hops
        .map(
          (h: any) => `${h.from.component.name}:${h.from.name} -> ${h.to.component.name}:${h.to.name} ${h.latencyMs}`,
        )
        .sort();
    };
    pipeline.ingest(first);
    await pipeline.flush();
    expect(await hops()).toEqual(['gw:GET /g -> b:GET /b 40']);
    // The rest of the trace, and the first flush's spans once more (a redelivery adds no hop).
    pipeline.ingest(t.batch());
    await pipeline.drainAll();
    expect(await hops()).toEqual(['a:GET /a -> b:GET /b 5', 'b:GET /b -> a:GET /a 20', 'gw:GET /g -> b:GET /b 40']);
  });

  it('a sample full of hops takes no more operations in later flushes', async () => {
    const full = uniqueName('fullsample');
    const pipeline = writingPipeline();
    const resource = { 'deployment.environment.name': full };
    const startMs = Date.now() - 5_000;
    const t = new TraceBuilder();
    const g = t.server('gw', '/g', { resource, startMs });
    // MAX_HOPS calls to as many operations fill the sample in the first flush.
    for (let i = 0; i < MAX_HOPS; i++) {
      const call = t.client('gw', { parent: g, resource, startMs: startMs + i, durationMs: 2 });
      t.server('b', `/b${i}`, { parent: call, resource, startMs: startMs + i, durationMs: 1 });
    }
    pipeline.ingest(t.batch());
    await pipeline.drainAll();
    // One call more in a later request, to an operation the sample does not hold.
    const later = new TraceBuilder(t.traceId);
    const call = later.client('gw', { parent: g, resource, startMs: startMs + 500, durationMs: 2 });
    later.server('c', '/late', { parent: call, resource, startMs: startMs + 500, durationMs: 1 });
    pipeline.ingest(later.batch());
    await pipeline.drainAll();
    const [sample] = await graph.read('test', async (tx) =>
      (
        await tx.run(
          `MATCH (t:TraceSample {traceId: $id})
           RETURN size(t.hops) AS hops, size(t.ops) AS ops, COUNT { (:Operation)-[:IN_TRACE]->(t) } AS linked,
                  COUNT { (:Component {name: 'c', environment: $env})-[:HAS_OPERATION]->(:Operation)-[:IN_TRACE]->(t) } AS lateLinked`,
          { id: t.traceId, env: full },
        )
      ).records.map((x) => x.toObject()),
    );
    expect(sample).toEqual({ hops: MAX_HOPS, ops: MAX_HOPS + 1, linked: MAX_HOPS + 1, lateLinked: 0 });
  });

  it('reads a skeleton stored before hops named operations by position', async () => {
    const traceId = `old${Date.now().toString(16)}`;
    const [op] = await graph.read('test', async (tx) =>
      (
        await tx.run(
          `MATCH (:Component {environment: $env, name: 'gateway'})-[:HAS_OPERATION]->(o:Operation {name: 'GET /checkout'}) RETURN o.key AS key`,
          { env },
        )
      ).records.map((x) => x.get('key') as string),
    );
    await graph.write('test', (tx) =>
      tx.run(
        `MATCH (o:Operation {key: $op})
         CREATE (o)-[:SAMPLED {firstSeen: 1, lastSeen: 1}]->(t:TraceSample {traceId: $traceId, entry: $op, error: false, firstSeen: 1, lastSeen: 1, hops: [$hop]})`,
        { op, traceId, hop: JSON.stringify([op, op, 1, 2.5, 1]) },
      ),
    );
    try {
      const r = await gql(
        `query($id: String!) { trace(traceId: $id) { hops { from { name } to { name } error latencyMs } } }`,
        {
          id: traceId,
        },
      );
      expect(r.data.trace.hops).toEqual([
        { from: { name: 'GET /checkout' }, to: { name: 'GET /checkout' }, error: true, latencyMs: 2.5 },
      ]);
    } finally {
      await graph.write('test', (tx) =>
        tx.run(`MATCH (t:TraceSample {traceId: $traceId}) DETACH DELETE t`, { traceId }),
      );
    }
  });
});

async function samplesPerOperation(env: string) {
  return graph.read('test', async (tx) =>
    (
      await tx.run(
        `MATCH (c:Component {environment: $env})-[:HAS_OPERATION]->(o:Operation)-[:SAMPLED]->(t:TraceSample)
         RETURN o.name AS op, count(t) AS n ORDER BY op`,
        { env },
      )
    ).records.map((x) => [x.get('op'), x.get('n')]),
  );
}
