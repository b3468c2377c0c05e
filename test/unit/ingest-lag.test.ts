/**
 * The processing-lag bound of the durable loop (TOPOGRAPH_INGEST_MAX_LAG): while Neo4j is reachable
 * and the loop has fallen more than the bound behind what was accepted, requests are refused with 429
 * instead of growing a backlog that nobody will see for minutes. Time spent waiting for an absent
 * Neo4j is the spool's business (503 only once full), not lag.
 *
 * The write is held open by a gate so the loop falls behind on purpose; the wall clock is injected and
 * moved, so nothing sleeps for the bound to pass.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createOtlpHttpHandler, type Refusal } from '../../ingest/otlp/http-receiver.js';
import { createPipeline } from '../../ingest/pipeline.js';
import { SpanKind } from '../../ingest/span.js';
import type { CheckpointStore } from '../../ingest/spool/checkpoint-store.js';
import { createDurableIngest, createPipelineClock, type DurableIngest } from '../../ingest/spool/durable-ingest.js';
import { openSpool, type Spool } from '../../ingest/spool/segment-log.js';
import { pipelineOptions } from '../../ingest/worker.js';
import { createNoopSink } from '../../ingest/writer.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createRegistry } from '../../src/metrics.js';
import type { Registry } from 'prom-client';
import { TraceBuilder } from '../support/spans.js';

const MAX_LAG_MS = 5000;

function oneCall() {
  const t = new TraceBuilder();
  const client = t.span({ service: 'lag-a', kind: SpanKind.CLIENT, name: 'GET', attributes: { 'peer.service': 'b' } });
  t.span({ service: 'lag-b', kind: SpanKind.SERVER, name: 'GET /x', parent: client });
  return t.batch();
}

/** A checkpoint store whose commits wait for `open()`, and whose loads can be made to fail. */
function gatedStore() {
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  const commits: number[] = [];
  const store: CheckpointStore & { hold(): void; open(): void; commits: number[]; started: number; down: boolean } = {
    commits,
    started: 0,
    down: false,
    async load() {
      if (store.down) throw new Error('Neo4j is unavailable');
      return undefined;
    },
    async commit(_batch, next) {
      store.started++;
      await gate;
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

  async function setUp(
    store: CheckpointStore & { open(): void },
    wall: { t: number },
    reachable?: () => Promise<boolean>,
  ) {
    gate = store;
    const registry = createRegistry('lag-test');
    spool = await openSpool({ dir: mkdtempSync(join(tmpdir(), 'topograph-lag-')), maxBytes: 1 << 24 });
    const clock = createPipelineClock();
    const pipeline = createPipeline({
      sink: createNoopSink(),
      options: pipelineOptions(loadConfig({})),
      now: clock.now,
    });
    ingest = createDurableIngest({
      spool,
      store,
      pipeline,
      clock,
      log: createLogger('test', 'silent'),
      registry,
      flushIntervalMs: 10,
      shutdownTimeoutMs: 2000,
      maxLagMs: MAX_LAG_MS,
      now: () => wall.t,
      reachable,
    });
    ingest.start();
    return registry;
  }

  /** Waits (polling, bounded) until `cond` holds. */
  async function until(cond: () => boolean | Promise<boolean>) {
    for (let i = 0; i < 500 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await cond()).toBe(true);
  }

  /** Metric text → the processing lag in seconds. */
  const lagOf = async (registry: Registry) =>
    Number(/^topograph_ingest_processing_lag_seconds\{[^}]*\} ([\d.e-]+)/m.exec(await registry.metrics())?.[1]);

  /**
   * Hangs the next commit and sends until a request stays unread: the loop may read on while the
   * write is in flight, until a flush falls due and has to wait for it. Returns the lag probe.
   */
  async function fallBehind(store: ReturnType<typeof gatedStore>, wall: { t: number }, registry: Registry) {
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

  it('refuses with 429 once the loop is more than the bound behind, and accepts again once it catches up', async () => {
    const store = gatedStore();
    const wall = { t: 1_700_000_000_000 };
    const registry = await setUp(store, wall);
    await ingest!.flush();

    // The next write hangs; from some point on what is accepted stays unread.
    const lag = await fallBehind(store, wall, registry);
    // Accepted while the loop waits: unread, and the oldest of them exactly at the bound.
    wall.t += MAX_LAG_MS - Math.round((await lag()) * 1000);
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
    expect(metrics).toMatch(/topograph_ingest_processing_lag_seconds\{process="lag-test"\} 5\.001/);

    // The write completes, the loop reads what waited: accepted again, and everything is written.
    store.open();
    await ingest!.flush();
    expect(await ingest!.accept(oneCall())).toEqual({});
    await ingest!.flush();
    expect(store.commits[store.commits.length - 1]).toBe(spool!.stats().lastSeq);
    expect(spool!.stats().lastSeq).toBe(before + 1);
  });

  it('a loop stuck on a Neo4j that no longer answers is an outage, not lag: accepted until Neo4j answers again', async () => {
    const store = gatedStore();
    const wall = { t: 1_700_000_000_000 };
    let answers = false;
    let asked = 0;
    const registry = await setUp(store, wall, async () => {
      asked++;
      return answers;
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
    answers = true;
    wall.t += 1000;
    await until(async () => (await ingest!.accept(oneCall())).refuse?.status === 429);
  });

  it('time spent waiting for an absent Neo4j is not lag: the spool keeps accepting', async () => {
    const store = gatedStore();
    store.down = true;
    const wall = { t: 1_700_000_000_000 };
    await setUp(store, wall);
    // The loop cannot read its checkpoint, so nothing is read; the spool takes it all.
    expect(await ingest!.accept(oneCall())).toEqual({});
    wall.t += 10 * MAX_LAG_MS;
    expect(await ingest!.accept(oneCall())).toEqual({});
    store.down = false;
  });

  it('once shutdown begins, every request is refused with 503 and Retry-After, before anything is spooled', async () => {
    const store = gatedStore();
    await setUp(store, { t: 1_700_000_000_000 });
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
      options: { maxBodyBytes: 1 << 20, maxDecompressedBytes: 1 << 20 },
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
