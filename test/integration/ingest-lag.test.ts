/**
 * The lag bound of the durable loop (TOPOGRAPH_INGEST_MAX_LAG): while Neo4j is reachable and the
 * oldest acknowledged request has waited more than the bound to be written, or the loop has more to
 * read than it can read in a flush interval, requests are refused with 429 instead of growing a
 * backlog that nobody will see for minutes. Time spent waiting for an absent Neo4j is the spool's
 * business (503 only once full), not lag.
 *
 * Against the real Neo4j: the loop commits through the real checkpoint store, whose commits a gate
 * holds back so the loop falls behind on purpose; an absent Neo4j is a driver pointed at a closed port.
 * The wall clock is injected and moved, so nothing sleeps for the bound to pass.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createOtlpHttpHandler, type Refusal } from '../../ingest/otlp/http-receiver.js';
import { createEngine, engineOptions } from '../../ingest/engine.js';
import { createIngestMetrics, registerIngestGauges } from '../../ingest/metrics.js';
import { createCheckpointStore, type CheckpointStore } from '../../ingest/spool/checkpoint-store.js';
import { createDurableIngest, type DurableIngest } from '../../ingest/spool/durable-ingest.js';
import { openSpool, type Spool } from '../../ingest/spool/segment-log.js';
import { defaultConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { createRegistry } from '../../src/core/metrics.js';
import { createGraph, type Graph } from '../../src/core/neo4j/connection.js';
import type { Registry } from 'prom-client';
import { fileGraph, uniqueName } from '../support/graph.js';
import { freePort } from '../support/processes.js';
import { httpCalls } from '../support/spans.js';

const MAX_LAG_MS = 5000;
const config = defaultConfig();
const env = uniqueName('lag-env');

const graph = fileGraph();
/** A driver pointed at a port nothing listens on: Neo4j away. */
let absent: Graph;
beforeAll(async () => {
  absent = createGraph(
    { ...inject('neo4j'), uri: `bolt://127.0.0.1:${await freePort()}` },
    { maxTransactionRetryTimeMs: 200 },
  );
});
afterAll(async () => {
  await absent.close();
});

const oneCall = () => httpCalls('lag-a', 'lag-b', env, 1);

/** Neo4j's answer to "are you there?", as the worker asks it (`ready`). */
const answers = async (g: Graph) =>
  g.driver.getServerInfo({ database: g.database }).then(
    () => true,
    () => false,
  );

/** The real checkpoint store of `g`, whose commits wait for `open()` while held. */
function gatedStore(g: Graph, spoolId: string) {
  const real = createCheckpointStore(g, spoolId, config.ingest.writer);
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  const commits: number[] = [];
  const store: CheckpointStore & { hold(): void; open(): void; commits: number[]; started: number } = {
    commits,
    started: 0,
    load: () => real.load(),
    async commit(batch, next, expected) {
      store.started++;
      await gate;
      await real.commit(batch, next, expected);
      commits.push(next.position);
    },
    hold() {
      gate = new Promise<void>((r) => (release = r));
    },
    open() {
      gate = undefined;
      release?.();
    },
  };
  return store;
}

describe('processing lag bound', () => {
  let spool: Spool | undefined;
  let ingest: DurableIngest | undefined;
  let gate: { open(): void } | undefined;
  afterEach(async () => {
    gate?.open();
    await ingest?.stop();
    ingest = undefined;
    spool = undefined;
  });

  type GatedStore = ReturnType<typeof gatedStore>;

  /** A durable loop on a fresh spool, committing through the gated real store of `g`. */
  async function setUp(
    wall: { t: number },
    opts: {
      g?: Graph;
      reachable?: () => Promise<boolean>;
      readAheadMaxSpans?: number;
      maxUnreadWorkMs?: number;
      maxHoldMs?: number;
    } = {},
  ) {
    const registry = createRegistry('lag-test');
    spool = await openSpool({ dir: mkdtempSync(join(tmpdir(), 'topograph-lag-')), maxBytes: 1 << 24 });
    const store = gatedStore(opts.g ?? graph, spool.id);
    gate = store;
    const engine = createEngine(engineOptions(config));
    ingest = createDurableIngest({
      spool,
      store,
      engine,
      log: createLogger('test', 'silent'),
      limits: config.limits.decode,
      metrics: createIngestMetrics(registry),
      flushInterval: () => 10,
      shutdownTimeoutMs: 2000,
      maxLagMs: MAX_LAG_MS,
      now: () => wall.t,
      reachable: opts.reachable,
      // Two requests of one call each: past them, what arrives while a write hangs stays unread.
      readAheadMaxSpans: opts.readAheadMaxSpans ?? 4,
      maxUnreadWorkMs: opts.maxUnreadWorkMs,
      maxHoldMs: opts.maxHoldMs,
    });
    registerIngestGauges(registry, { engine, spool: ingest });
    ingest.start();
    return { registry, store };
  }

  /** Waits (polling, bounded) until `cond` holds. */
  async function until(cond: () => boolean | Promise<boolean>) {
    for (let i = 0; i < 500 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await cond()).toBe(true);
  }

  /** Metric text → one of the loop's metrics in seconds (the series whose labels start with `labels`). */
  const secondsOf = async (registry: Registry, name: string, labels = '') =>
    Number(new RegExp(`^${name}\\{${labels}[^}]*\\} ([\\d.e-]+)`, 'm').exec(await registry.metrics())?.[1]);
  /** How long the oldest unread request has waited for the loop. */
  const lagOf = (registry: Registry) => secondsOf(registry, 'topograph_ingest_processing_lag_seconds');
  /** How long the oldest acknowledged request has waited to be written: what the bound is on. */
  const writeLagOf = (registry: Registry) => secondsOf(registry, 'topograph_ingest_write_lag_seconds');

  /**
   * Hangs the next commit and sends until a request stays unread: the loop reads on while the
   * write is in flight, up to its read-ahead bound. Returns the lag probe.
   */
  async function fallBehind(store: GatedStore, wall: { t: number }, registry: Registry) {
    store.hold();
    const startedBefore = store.started;
    expect(await ingest!.accept(oneCall())).toEqual({});
    await until(() => store.started > startedBefore);
    await until(async () => {
      expect(await ingest!.accept(oneCall())).toEqual({});
      wall.t += 1;
      await new Promise((r) => setTimeout(r, 20));
      return (await lagOf(registry)) > 0;
    });
    return () => lagOf(registry);
  }

  it('reads on while a flush is being written, up to its read-ahead bound, then waits for the write', async () => {
    const wall = { t: 1_700_000_000_000 };
    const { registry, store } = await setUp(wall, { readAheadMaxSpans: 4 });
    await ingest!.flush();
    store.hold();
    const startedBefore = store.started;
    expect(await ingest!.accept(oneCall())).toEqual({});
    await until(() => store.started > startedBefore);
    const committedBefore = store.commits.length;

    // The write hangs: two requests (4 spans) are still read and aggregated meanwhile.
    expect(await ingest!.accept(oneCall())).toEqual({});
    expect(await ingest!.accept(oneCall())).toEqual({});
    wall.t += 1000;
    await until(async () => (await lagOf(registry)) === 0);

    const waited = () => secondsOf(registry, 'topograph_ingest_write_wait_seconds_total', 'reason="read_ahead",');
    expect(await waited()).toBe(0);

    // The third waits for the write: it is unread, and ages.
    expect(await ingest!.accept(oneCall())).toEqual({});
    wall.t += 1000;
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
    expect(await lagOf(registry)).toBeGreaterThanOrEqual(1);
    expect(store.commits.length).toBe(committedBefore);

    // The write goes through; the next flush carries what was read ahead and the rest.
    store.open();
    await ingest!.flush();
    expect(await lagOf(registry)).toBe(0);
    expect(store.commits[store.commits.length - 1]).toBe(spool!.stats().lastSeq);
    // The time the loop stood still is counted, so an operator sees Neo4j set the pace.
    expect(await waited()).toBeGreaterThan(0.05);
  });

  it('refuses with 429 once what was acknowledged waits more than the bound to be written, and accepts again once it is', async () => {
    const wall = { t: 1_700_000_000_000 };
    const { registry, store } = await setUp(wall);
    await ingest!.flush();

    // The next write hangs; from some point on what is accepted stays unread.
    await fallBehind(store, wall, registry);
    // The oldest request not yet written (it is in the hanging flush) exactly at the bound: still taken.
    wall.t += MAX_LAG_MS - Math.round((await writeLagOf(registry)) * 1000);
    expect(await writeLagOf(registry)).toBe(MAX_LAG_MS / 1000);
    expect(await lagOf(registry)).toBeLessThan(MAX_LAG_MS / 1000);
    expect(await ingest!.accept(oneCall())).toEqual({});

    // Past the bound: refused, counted, and nothing of it is spooled.
    const before = spool!.stats().lastSeq;
    wall.t += 1;
    const refused = await ingest!.accept(oneCall());
    expect(refused.refuse?.status).toBe(429);
    expect(refused.refuse?.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.refuse?.message).toMatch(/behind/);
    expect(spool!.stats().lastSeq).toBe(before);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/topograph_spool_refused_total\{reason="behind",process="lag-test"\} 1/);
    expect(metrics).toMatch(/topograph_ingest_write_lag_seconds\{process="lag-test"\} 5\.001/);

    // The write completes, the loop reads what waited: accepted again, and everything is written.
    store.open();
    await ingest!.flush();
    expect(await ingest!.accept(oneCall())).toEqual({});
    await ingest!.flush();
    expect(store.commits[store.commits.length - 1]).toBe(spool!.stats().lastSeq);
    expect(spool!.stats().lastSeq).toBe(before + 1);
  });

  /**
   * A loop with more to read than its bound on unread work: a bound no real record fits under once
   * the loop has measured its pace, and a write that hangs, so that past its read-ahead what is
   * accepted stays unread. The wall clock barely moves, so the bound on the write lag is never reached.
   */
  async function behindOnReading(maxHoldMs: number) {
    const wall = { t: 1_700_000_000_000 };
    const { registry, store } = await setUp(wall, { maxUnreadWorkMs: 1e-6, maxHoldMs });
    await ingest!.flush();
    await fallBehind(store, wall, registry);
    return { registry, store };
  }

  it('holds a request unread while the loop has more to read than its bound on unread work, and refuses it after the hold', async () => {
    const { registry } = await behindOnReading(100);
    expect(await secondsOf(registry, 'topograph_ingest_unread_work_seconds')).toBeGreaterThan(0);
    expect(await writeLagOf(registry)).toBeLessThan(1);

    // Nothing is read meanwhile: held, then refused with 429, nothing spooled.
    const before = spool!.stats().lastSeq;
    const early = ingest!.admit();
    expect(early).toBeInstanceOf(Promise);
    const refused = await early;
    expect(refused?.status).toBe(429);
    expect(refused?.retryAfterSeconds).toBeGreaterThan(0);
    expect(spool!.stats().lastSeq).toBe(before);
    expect(await registry.metrics()).toMatch(/topograph_ingest_held_total\{outcome="refused",process="lag-test"\} 1/);
  });

  it('lets a held request in, unrefused, once the loop has read what waited', async () => {
    const { registry, store } = await behindOnReading(60_000);
    // Held; the write goes through, the loop reads what waited: let in.
    const waiting = ingest!.admit();
    expect(waiting).toBeInstanceOf(Promise);
    store.open();
    expect(await waiting).toBeUndefined();
    expect(await registry.metrics()).toMatch(/topograph_ingest_held_total\{outcome="admitted",process="lag-test"\} 1/);
    await ingest!.flush();
    expect(await secondsOf(registry, 'topograph_ingest_unread_work_seconds')).toBe(0);
    expect(ingest!.admit()).toBeUndefined();
  });

  it('a request held when shutdown begins is refused with 503 at once', async () => {
    await behindOnReading(60_000);
    const waiting = ingest!.admit();
    expect(waiting).toBeInstanceOf(Promise);
    ingest!.refuseNew();
    expect(await waiting).toMatchObject({ status: 503 });
  });

  it('a loop stuck on a Neo4j that no longer answers is an outage, not lag: accepted until Neo4j answers again', async () => {
    const wall = { t: 1_700_000_000_000 };
    let probed = absent;
    let asked = 0;
    const { registry, store } = await setUp(wall, {
      reachable: () => {
        asked++;
        return answers(probed);
      },
    });
    await ingest!.flush();
    // The commit hangs, as the first commits to a Neo4j that just stopped do in the driver's retries.
    await fallBehind(store, wall, registry);
    // Far behind, but Neo4j does not answer: taken, and Neo4j was asked.
    wall.t += 10 * MAX_LAG_MS;
    expect(await ingest!.accept(oneCall())).toEqual({});
    await until(() => asked > 0);
    expect(await ingest!.accept(oneCall())).toEqual({});
    // Neo4j answers again (the loop has not caught up yet): once it says so, being behind is refused.
    probed = graph;
    wall.t += 1000;
    await until(async () => (await ingest!.accept(oneCall())).refuse?.status === 429);
  });

  it('time spent waiting for an absent Neo4j is not lag: the spool keeps accepting', async () => {
    const wall = { t: 1_700_000_000_000 };
    await setUp(wall, { g: absent });
    // The loop cannot read its checkpoint, so nothing is read; the spool takes it all.
    expect(await ingest!.accept(oneCall())).toEqual({});
    wall.t += 10 * MAX_LAG_MS;
    expect(await ingest!.accept(oneCall())).toEqual({});
  });

  it('once shutdown begins, every request is refused with 503 and Retry-After, before anything is spooled', async () => {
    await setUp({ t: 1_700_000_000_000 });
    expect(await ingest!.accept(oneCall())).toEqual({});
    const before = spool!.stats().lastSeq;
    ingest!.refuseNew();
    expect(ingest!.admit()).toMatchObject({ status: 503, message: 'the worker is shutting down' });
    const refused = await ingest!.accept(oneCall());
    expect(refused.refuse).toMatchObject({ status: 503, message: 'the worker is shutting down' });
    expect(refused.refuse!.retryAfterSeconds).toBeGreaterThan(0);
    expect(spool!.stats().lastSeq).toBe(before);
  });

  it('OTLP/HTTP refuses up front, before reading or decoding the body, with Retry-After', async () => {
    let refusal: Refusal | undefined = { status: 429, message: 'ingest is behind', retryAfterSeconds: 5 };
    let accepted = 0;
    const handler = createOtlpHttpHandler({
      options: { maxBodyBytes: 1 << 20, maxDecompressedBytes: 1 << 20, limits: config.limits.decode },
      admit: () => refusal,
      accept: async () => {
        accepted++;
        return {};
      },
    });
    const server = createServer((req, res) => void handler(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/traces`;
    try {
      // Not even valid JSON: had it been read, it would have been a 400.
      const post = () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
      const refused = await post();
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(await refused.json()).toEqual({ code: 429, message: 'ingest is behind' });
      refusal = undefined;
      expect((await post()).status).toBe(400);
      expect(accepted).toBe(0);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
