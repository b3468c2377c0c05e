/**
 * Late halves against the real Neo4j (issue 19), through the durable loop on a spool whose clock the
 * test moves (no TTL is slept out): the two halves of a call tens of seconds apart end as the one real
 * edge, nothing left on the virtual one; past the late window the virtual edge stays, counted as
 * unpaired; across a restart the time the worker was down does not count against a waiting half.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine, engineOptions, type Engine } from '../../ingest/engine.js';
import { createIngestMetrics, registerIngestGauges } from '../../ingest/metrics.js';
import { createCheckpointStore } from '../../ingest/spool/checkpoint-store.js';
import { createDurableIngest, type DurableIngest } from '../../ingest/spool/durable-ingest.js';
import { recordStart } from '../../ingest/spool/pairing-clock.js';
import { openSpool } from '../../ingest/spool/segment-log.js';
import { defaultConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { createRegistry } from '../../src/core/metrics.js';
import { readHop } from '../../src/core/records.js';
import { createGql } from '../support/api.js';
import { fileGraph, uniqueName } from '../support/graph.js';
import { componentsIn } from '../support/model-graph.js';
import { httpCalls, splitCalls, TraceBuilder } from '../support/spans.js';
import { SpanKind } from '../../ingest/span.js';

const graph = fileGraph();
const config = defaultConfig();
const SECOND = 1000;

const EDGES = `
MATCH (a:Component {environment: $env})-[r:DEPENDS_ON]->(b:Component)
RETURN a.name + ' -> ' + b.name AS edge, r.calls AS calls, r.errors AS errors, coalesce(r.unpaired, 0) AS unpaired,
       reduce(n = 0, x IN r.hmCalls | n + x) + coalesce(r.calls - r.hmStartCalls, r.hmCurCalls, 0) AS ringCalls
ORDER BY edge`;

/** The hour ring's calls (finished minutes folded in) with the minute still being counted (ingest/current-minute.ts). */
const HOUR_RING = `
MATCH (a:Component {environment: $env})-[r:DEPENDS_ON]->(b:Component)
RETURN a.name + ' -> ' + b.name AS edge, reduce(n = 0, x IN r.hhCalls | n + x) + coalesce(r.calls - r.hmStartCalls, r.hmCurCalls, 0) AS hourRingCalls
ORDER BY edge`;

const CALLS = `
MATCH (ca:Component)-[:HAS_OPERATION]->(a:Operation)-[r:CALLS]->(b:Operation)<-[:HAS_OPERATION]-(cb:Component {environment: $env})
RETURN ca.name + ':' + a.name + ' -> ' + cb.name + ':' + b.name AS call, r.calls AS calls
ORDER BY call`;

/** Calls per version pair on DEPENDS_ON and CALLS, named by their ends. */
const VERSION_PAIRS = `
MATCH (a:Component {environment: $env})-[v:DEPENDS_ON_VERSION]->(b:Component)
RETURN 'DEPENDS_ON_VERSION ' + a.name + ' -> ' + b.name + ' ' + v.fromVersion + '/' + v.toVersion AS pair, v.calls AS calls, v.errors AS errors
ORDER BY pair
UNION ALL
MATCH (:Component {environment: $env})-[:HAS_OPERATION]->(a:Operation)-[v:CALLS_VERSION]->(b:Operation)
RETURN 'CALLS_VERSION ' + a.name + ' -> ' + b.name + ' ' + v.fromVersion + '/' + v.toVersion AS pair, v.calls AS calls, v.errors AS errors
ORDER BY pair`;

/** A sampled trace's hops (`component:operation -> component:operation`) and the operations IN_TRACE. */
async function sampleOf(traceId: string, env: string) {
  const names = new Map(
    (
      await read(
        `MATCH (c:Component {environment: $env})-[:HAS_OPERATION]->(o:Operation) RETURN o.key AS key, c.name + ':' + o.name AS name`,
        env,
      )
    ).map((r) => [r.key as string, r.name as string]),
  );
  const name = (key: string) => names.get(key) ?? key;
  const [sample] = await graph.read('test', async (tx) =>
    (
      await tx.run(
        `MATCH (t:TraceSample {traceId: $traceId}) RETURN t.ops AS ops, t.hops AS hops, [(o:Operation)-[:IN_TRACE]->(t) | o.key] AS inTrace`,
        { traceId },
      )
    ).records.map((r) => ({
      ops: r.get('ops') as string[],
      hops: r.get('hops') as string[],
      inTrace: r.get('inTrace') as string[],
    })),
  );
  return {
    hops: [...new Set(sample!.hops.map((h) => readHop(sample!, h)).map((h) => `${name(h.from)} -> ${name(h.to)}`))],
    inTrace: sample!.inTrace.map(name).sort(),
  };
}

/** A sampled trace's entry operation (null when no operation by that key is SAMPLED from), and its hops by operation name. */
async function entryAndHops(traceId: string) {
  const rows = await graph.read('test', async (tx) =>
    (
      await tx.run(
        `MATCH (t:TraceSample {traceId: $traceId})
         OPTIONAL MATCH (o:Operation {key: t.entry})-[:SAMPLED]->(t)
         RETURN o.name AS entry, t.hops AS hops, coalesce(t.ops, []) AS ops`,
        { traceId },
      )
    ).records.map((r) => ({
      entry: r.get('entry') as string | null,
      hops: r.get('hops') as string[],
      ops: r.get('ops') as string[],
    })),
  );
  const opName = (key: string) => (JSON.parse(key) as string[])[3]!;
  return rows.map((r) => ({
    entry: r.entry,
    hops: r.hops
      .map((h) => readHop(r, h))
      .map((h) => `${opName(h.from)} -> ${opName(h.to)}`)
      .sort(),
  }));
}

const read = async (query: string, env: string) =>
  graph.read('test', async (tx) => (await tx.run(query, { env })).records.map((r) => r.toObject()));

describe('late halves in Neo4j', () => {
  const wall = { t: Date.now() };
  let running: { ingest: DurableIngest; engine: Engine; registry: ReturnType<typeof createRegistry> } | undefined;

  /**
   * A durable loop on `dir`, its spool stamped by the test's clock, its checkpoint in Neo4j, its start
   * written to the spool's directory as the worker's entry point writes it.
   */
  async function start(dir: string, opts: { run?: boolean } = {}) {
    const spool = await openSpool({ dir, maxBytes: 1 << 24, now: () => wall.t });
    const starts = { at: wall.t, earlier: await recordStart(dir, wall.t) };
    const engine = createEngine(engineOptions(config));
    const registry = createRegistry(uniqueName('late'));
    const ingest = createDurableIngest({
      spool,
      store: createCheckpointStore(graph, spool.id, config.ingest.writer),
      engine,
      log: createLogger('test', 'silent'),
      limits: config.limits.decode,
      metrics: createIngestMetrics(registry),
      flushInterval: () => 60_000,
      shutdownTimeoutMs: 5000,
      now: () => wall.t,
      starts,
    });
    registerIngestGauges(registry, { engine, spool: ingest });
    if (opts.run === false) return { ingest, engine, registry, spool };
    ingest.start();
    running = { ingest, engine, registry };
    return { ...running, spool };
  }

  /** One request accepted at the test's clock, then written with its checkpoint. */
  async function send(ingest: DurableIngest, batch: Parameters<DurableIngest['accept']>[0]) {
    expect(await ingest.accept(batch)).toEqual({});
    await ingest.flush();
  }

  afterEach(async () => {
    await running?.ingest.stop();
    running = undefined;
  });

  it('halves 40 s apart: the virtual edge is taken back and the real one counted, exactly', async () => {
    const env = uniqueName('late');
    const { ingest, registry } = await start(mkdtempSync(join(tmpdir(), 'topograph-late-')));
    const { clients, servers } = splitCalls(6, { environment: env, errors: 1 });
    await send(ingest, clients);
    // 30 s later (on the spool's clock) something else arrives: the client halves expire to unknown.
    wall.t += 30 * SECOND;
    await send(ingest, httpCalls('x', 'y', env, 1));
    expect(await read(EDGES, env)).toEqual([
      { edge: 'a -> unknown', calls: 6, errors: 1, unpaired: 6, ringCalls: 6 },
      { edge: 'x -> y', calls: 1, errors: 0, unpaired: 0, ringCalls: 1 },
    ]);
    wall.t += 10 * SECOND;
    await send(ingest, servers);
    expect(await read(EDGES, env)).toEqual([
      { edge: 'a -> b', calls: 6, errors: 1, unpaired: 0, ringCalls: 6 },
      { edge: 'x -> y', calls: 1, errors: 0, unpaired: 0, ringCalls: 1 },
    ]);
    // No virtual node, operation or CALLS left behind; the entry operation of b is not an entry point.
    expect((await componentsIn(graph, env)).map((c) => c.name)).toEqual(['a', 'b', 'x', 'y']);
    expect(await read(CALLS, env)).toEqual([
      { call: 'a:GET -> b:GET /x', calls: 6 },
      { call: 'x:GET -> y:GET /x', calls: 1 },
    ]);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/^topograph_ingest_late_halves\{outcome="corrected"[^}]*\} 6$/m);
    expect(metrics).toMatch(/^topograph_ingest_late_halves_waiting\{[^}]*\} 0$/m);
  });

  it('the version pairs and the sampled skeleton of a virtual edge that keeps other calls follow the correction', async () => {
    const env = uniqueName('late-versions');
    const { ingest } = await start(mkdtempSync(join(tmpdir(), 'topograph-late-')));
    const late = splitCalls(3, { environment: env, errors: 1, versions: ['1.0', '2.0'] });
    // A call whose server half never comes: the virtual edge and its version pair keep it.
    const lone = splitCalls(1, { environment: env, versions: ['1.0', '2.0'] });
    await send(ingest, late.clients);
    await send(ingest, lone.clients);
    wall.t += 30 * SECOND;
    await send(ingest, httpCalls('x', 'y', env, 1));
    const traceId = late.clients.batch[0]!.scopeSpans[0]!.spans[0]!.traceId;
    expect(await read(VERSION_PAIRS, env)).toEqual([
      { pair: 'DEPENDS_ON_VERSION a -> unknown 1.0/', calls: 4, errors: 1 },
      { pair: 'CALLS_VERSION GET -> GET 1.0/', calls: 4, errors: 1 },
    ]);
    expect(await sampleOf(traceId, env)).toEqual({ hops: ['a:GET -> unknown:GET'], inTrace: ['a:GET', 'unknown:GET'] });
    wall.t += 10 * SECOND;
    await send(ingest, late.servers);
    expect(await read(VERSION_PAIRS, env)).toEqual([
      { pair: 'DEPENDS_ON_VERSION a -> b 1.0/2.0', calls: 3, errors: 1 },
      { pair: 'DEPENDS_ON_VERSION a -> unknown 1.0/', calls: 1, errors: 0 },
      { pair: 'CALLS_VERSION GET -> GET /x 1.0/2.0', calls: 3, errors: 1 },
      { pair: 'CALLS_VERSION GET -> GET 1.0/', calls: 1, errors: 0 },
    ]);
    // The sampled trace shows the call it made, not the hop to unknown it was first counted as.
    expect(await sampleOf(traceId, env)).toEqual({ hops: ['a:GET -> b:GET /x'], inTrace: ['a:GET', 'b:GET /x'] });
  });

  it('a correction for a minute the rings have already folded is taken out of that minute', async () => {
    const env = uniqueName('late-fold');
    const { ingest } = await start(mkdtempSync(join(tmpdir(), 'topograph-late-')));
    const older = splitCalls(3, { environment: env, startMs: Date.now() - 2 * 60_000 });
    const newer = splitCalls(2, { environment: env });
    // One call of the older minute whose server half never comes: the virtual edge stays, with it alone.
    const lone = splitCalls(1, { environment: env, startMs: Date.now() - 2 * 60_000 });
    await send(ingest, older.clients);
    await send(ingest, lone.clients);
    wall.t += 30 * SECOND;
    await send(ingest, newer.clients);
    wall.t += 30 * SECOND;
    await send(ingest, httpCalls('x', 'y', env, 1));
    // Both expired to unknown; the newer minute is the one being counted, the older one is in the lists.
    await send(ingest, older.servers);
    await send(ingest, newer.servers);
    expect((await read(EDGES, env)).filter((e) => e.edge !== 'x -> y')).toEqual([
      { edge: 'a -> b', calls: 5, errors: 0, unpaired: 0, ringCalls: 5 },
      { edge: 'a -> unknown', calls: 1, errors: 0, unpaired: 1, ringCalls: 1 },
    ]);
    // The hour ring too: the minute still being counted is taken back from the scalars alone.
    expect((await read(HOUR_RING, env)).filter((e) => e.edge !== 'x -> y')).toEqual([
      { edge: 'a -> b', hourRingCalls: 5 },
      { edge: 'a -> unknown', hourRingCalls: 1 },
    ]);
  });

  it('past the late window the virtual edge stays, its calls counted as unpaired', async () => {
    const env = uniqueName('late-window');
    const { ingest, registry } = await start(mkdtempSync(join(tmpdir(), 'topograph-late-')));
    const { clients, servers } = splitCalls(3, { environment: env, errors: 1 });
    await send(ingest, clients);
    wall.t += 30 * SECOND;
    await send(ingest, httpCalls('x', 'y', env, 1));
    wall.t += config.ingest.pairingLateWindowMs;
    await send(ingest, httpCalls('x', 'y', env, 1));
    await send(ingest, servers);
    expect((await read(EDGES, env)).filter((e) => e.edge !== 'x -> y')).toEqual([
      { edge: 'a -> unknown', calls: 3, errors: 1, unpaired: 3, ringCalls: 3 },
    ]);
    expect(await read(CALLS, env)).toEqual([
      { call: 'a:GET -> unknown:GET', calls: 3 },
      { call: 'x:GET -> y:GET /x', calls: 2 },
    ]);
    expect(await registry.metrics()).toMatch(/^topograph_ingest_late_halves\{outcome="window"[^}]*\} 3$/m);
    // The API shows them as unpaired calls of the edge.
    const r = await createGql(graph)(
      `query($env: String) { topology(environment: $env) { edges { from { name } to { name } calls unpairedCalls } } }`,
      { env },
    );
    expect(r.errors).toBeUndefined();
    expect(
      r.data.topology.edges.map((e: any) => `${e.from.name} -> ${e.to.name} ${e.calls} ${e.unpairedCalls}`),
    ).toEqual(['a -> unknown 3 3', 'x -> y 2 0']);
  });

  it('across a restart: the time the worker was down does not count against a waiting half, and what expired before is still corrected', async () => {
    const env = uniqueName('late-restart');
    const dir = mkdtempSync(join(tmpdir(), 'topograph-late-'));
    const early = splitCalls(4, { environment: env, errors: 1 });
    const waiting = splitCalls(5, { environment: env, errors: 1 });
    const first = (await start(dir)).ingest;
    await send(first, early.clients);
    wall.t += 30 * SECOND;
    await send(first, waiting.clients);
    // The early halves expired; the others wait, in the checkpoint, as the worker stops for a minute.
    await first.stop();
    running = undefined;
    wall.t += 60 * SECOND;
    const { ingest, engine } = await start(dir);
    // Something else first: its collect would expire the waiting halves if the minute counted.
    wall.t += 2 * SECOND;
    await send(ingest, httpCalls('x', 'y', `${env}-other`, 1));
    await send(ingest, waiting.servers);
    await send(ingest, early.servers);
    expect(await read(EDGES, env)).toEqual([{ edge: 'a -> b', calls: 9, errors: 2, unpaired: 0, ringCalls: 9 }]);
    // The waiting halves paired (with the other call) as if no time had passed; only the early ones needed correcting.
    expect(engine.pairing.stats.completed).toBe(5 + 1);
    expect(engine.stats().late.corrected).toBe(4);
  });

  it('a restarted worker that stops before its first checkpoint: the time down before it is still left out', async () => {
    const env = uniqueName('late-clock');
    const dir = mkdtempSync(join(tmpdir(), 'topograph-late-'));
    const waiting = splitCalls(5, { environment: env });
    const first = (await start(dir)).ingest;
    await send(first, waiting.clients);
    await first.stop();
    running = undefined;
    // Down for a minute; the next process accepts a request and dies before it checkpoints anything.
    wall.t += 60 * SECOND;
    const second = await start(dir, { run: false });
    expect(await second.ingest.accept(httpCalls('x', 'y', `${env}-other`, 1))).toEqual({});
    await second.spool.close();
    wall.t += 2 * SECOND;
    const { ingest, engine } = await start(dir);
    // A flush reads the dead process's request: the clock must not run on across the minute down.
    await ingest.flush();
    await send(ingest, waiting.servers);
    expect(await read(EDGES, env)).toEqual([{ edge: 'a -> b', calls: 5, errors: 0, unpaired: 0, ringCalls: 5 }]);
    // The halves waited through both restarts and paired in time: nothing expired, nothing to correct.
    expect(engine.stats().late.corrected).toBe(0);
    expect(engine.pairing.stats).toMatchObject({ completed: 5 + 1, expiredClients: 0 });
  });

  it('the first calls to a peer named only by attribute, late across a restart, end on the real edge', async () => {
    const env = uniqueName('late-peer');
    const dir = mkdtempSync(join(tmpdir(), 'topograph-late-'));
    const resource = { 'deployment.environment.name': env };
    const t = new TraceBuilder();
    for (let i = 0; i < 4; i++) {
      const client = t.span({
        service: 'shop',
        kind: SpanKind.CLIENT,
        name: 'POST',
        resource,
        error: i === 0,
        attributes: { 'http.request.method': 'POST', 'server.address': 'payments.internal' },
      });
      t.span({
        service: 'payments',
        kind: SpanKind.SERVER,
        name: 'POST /pay',
        parent: client,
        resource,
        error: i === 0,
      });
    }
    const first = (await start(dir)).ingest;
    await send(first, t.batch(['shop']));
    wall.t += 30 * SECOND;
    await send(first, httpCalls('x', 'y', `${env}-other`, 1));
    expect(await read(EDGES, env)).toEqual([
      { edge: 'shop -> payments.internal', calls: 4, errors: 1, unpaired: 4, ringCalls: 4 },
    ]);
    // Remembered in the checkpoint (never seen paired before), and read back from it by the next process.
    await first.stop();
    running = undefined;
    wall.t += 60 * SECOND;
    const { ingest, engine } = await start(dir);
    await send(ingest, t.batch(['payments']));
    expect(await read(EDGES, env)).toEqual([
      { edge: 'shop -> payments', calls: 4, errors: 1, unpaired: 0, ringCalls: 4 },
    ]);
    expect((await componentsIn(graph, env)).map((c) => c.name)).toEqual(['payments', 'shop']);
    expect(engine.stats().late.corrected).toBe(4);
  });

  it('a kept trace whose server half expired (naming a peer service) keeps its entry operation and sample when the late client half corrects it', async () => {
    const env = uniqueName('late-sample');
    const { ingest } = await start(mkdtempSync(join(tmpdir(), 'topograph-late-')));
    const resource = { 'deployment.environment.name': env };
    const t = new TraceBuilder();
    const client = t.client('a', { resource });
    // The server half names its caller by attribute, and calls on: the trace has a hop of its own.
    const server = t.server('b', '/x', { resource, parent: client, attributes: { 'peer.service': 'gw' } });
    const down = t.client('b', { resource, parent: server });
    t.server('c', '/y', { resource, parent: down });
    await send(ingest, t.batch(['b', 'c']));
    wall.t += 30 * SECOND;
    await send(ingest, httpCalls('x', 'y', `${env}-other`, 1));
    const sample = () => entryAndHops(t.traceId);
    expect(await sample()).toEqual([{ entry: 'GET /x', hops: ['GET /x -> GET /y'] }]);
    wall.t += 10 * SECOND;
    await send(ingest, t.batch(['a']));
    // The entry operation the sample names is still there, SAMPLED from, and the sample has the new hop.
    expect(await sample()).toEqual([{ entry: 'GET /x', hops: ['GET -> GET /x', 'GET /x -> GET /y'] }]);
    expect(await read(EDGES, env)).toEqual([
      { edge: 'a -> b', calls: 1, errors: 0, unpaired: 0, ringCalls: 1 },
      { edge: 'b -> c', calls: 1, errors: 0, unpaired: 0, ringCalls: 1 },
    ]);
    expect((await componentsIn(graph, env)).map((c) => c.name)).toEqual(['a', 'b', 'c']);
  });

  it("a kept trace entered through a queue's virtual publish operation keeps it when the late producer half corrects the consumer's", async () => {
    const env = uniqueName('late-queue');
    const { ingest } = await start(mkdtempSync(join(tmpdir(), 'topograph-late-')));
    const resource = { 'deployment.environment.name': env };
    const messaging = { 'messaging.destination.name': 'orders', 'messaging.system': 'kafka' };
    const t = new TraceBuilder();
    const producer = t.span({ service: 'p', kind: SpanKind.PRODUCER, name: 'send', resource, attributes: messaging });
    const consumer = t.span({
      service: 'c',
      kind: SpanKind.CONSUMER,
      name: 'process',
      parent: producer,
      resource,
      attributes: messaging,
    });
    const down = t.client('c', { resource, parent: consumer });
    t.server('d', '/y', { resource, parent: down });
    // Not flushed before the consumer half expires: the trace is decided with its hop from the queue.
    expect(await ingest.accept(t.batch(['c', 'd']))).toEqual({});
    wall.t += 30 * SECOND;
    await send(ingest, httpCalls('x', 'y', `${env}-other`, 1));
    const sample = () => entryAndHops(t.traceId);
    // Delivered from the queue: its publish operation is the trace's entry.
    expect(await sample()).toEqual([{ entry: 'publish', hops: ['process -> GET /y', 'publish -> process'] }]);
    wall.t += 10 * SECOND;
    await send(ingest, t.batch(['p']));
    // The hop from the queue is the same hop once paired: taken back and credited again, it stays.
    expect(await sample()).toEqual([
      { entry: 'publish', hops: ['process -> GET /y', 'publish -> process', 'send -> publish'] },
    ]);
    expect(await read(EDGES, env)).toEqual([
      { edge: 'c -> d', calls: 1, errors: 0, unpaired: 0, ringCalls: 1 },
      { edge: 'orders -> c', calls: 1, errors: 0, unpaired: 0, ringCalls: 1 },
      { edge: 'p -> orders', calls: 1, errors: 0, unpaired: 0, ringCalls: 1 },
    ]);
  });
});
