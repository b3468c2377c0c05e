/**
 * The late-halves memory in the checkpoint, against the real Neo4j (issues 19 and 14): each
 * checkpoint writes only the halves remembered since the last one, as a segment node of its own,
 * in the transaction of its facts; a segment goes once all its halves are forgotten; the checkpoint
 * names the places forgotten from the middle. Checkpoints are committed here as the durable loop
 * commits them (collect, then the engine's state, then one commit per flush), on a clock the test moves.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { emptyFactBatch, type FactBatch } from '../../ingest/aggregate.js';
import { createEngine, engineOptions, type Engine } from '../../ingest/engine.js';
import { SpanKind } from '../../ingest/span.js';
import {
  CheckpointMovedError,
  createCheckpointStore,
  DELETE_CHECKPOINT,
  EMPTY_STATE,
  type Checkpoint,
} from '../../ingest/spool/checkpoint-store.js';
import { encodeState } from '../../ingest/spool/checkpoint-state.js';
import { decodeLate } from '../../ingest/spool/late-state.js';
import type { DecodedBatch } from '../../ingest/span.js';
import { defaultConfig } from '../../src/core/config.js';
import { fileGraph, uniqueName } from '../support/graph.js';
import { splitCalls, TraceBuilder } from '../support/spans.js';

const graph = fileGraph();
const config = defaultConfig();
const T0 = Date.now();
const options = { pairingTtlMs: 10_000, pairingLateWindowMs: 15 * 60_000, pairingLateMaxEntries: 100 };

const newEngine = (more: Partial<typeof options> = {}) =>
  createEngine({ ...engineOptions(config), ...options, ...more });

/** A worker's engine and checkpoint store, committing one flush at a time as the durable loop does. */
function worker(id = uniqueName('late-spool')) {
  const store = createCheckpointStore(graph, id, config.ingest.writer);
  let engine = newEngine();
  let committed: Checkpoint = { generation: 0, position: 0, replayFrom: 1, clock: 0, state: EMPTY_STATE };
  let seq = 0;
  return {
    id,
    store,
    get engine(): Engine {
      return engine;
    },
    ingest(batch: DecodedBatch, at: number) {
      engine.ingest(batch, at, ++seq);
    },
    /** Collects at `at` and returns the checkpoint to commit (not committed yet: a crash may come first). */
    collect(at: number): { batch: FactBatch; next: Checkpoint } {
      const batch = engine.collect(at);
      const next = {
        generation: committed.generation + 1,
        position: seq,
        replayFrom: seq + 1,
        clock: at,
        state: engine.state(),
      };
      return { batch, next };
    },
    async commit({ batch, next }: { batch: FactBatch; next: Checkpoint }) {
      await store.commit(batch, next, committed.generation);
      committed = next;
    },
    async flush(at: number) {
      await this.commit(this.collect(at));
    },
    /** A fresh engine rebuilt from what Neo4j holds, as a restarted worker's. */
    async restart(at: number, more: Partial<typeof options> = {}) {
      const cp = (await store.load())!;
      engine = newEngine(more);
      engine.restore(cp.state).finish(at);
      committed = cp;
      seq = cp.position;
      return cp;
    },
  };
}

/** The checkpoint's late segments: per segment, how many halves it holds; and its list of forgotten places. */
async function lateIn(id: string) {
  return graph.read('test', async (tx) => {
    const segments = (
      await tx.run(
        `MATCH (:IngestCheckpoint {id: $id})-[:REMEMBERS]->(s:IngestLateHalves) RETURN s.segment AS segment, s.halves AS halves ORDER BY segment`,
        { id },
      )
    ).records.map((r) => [Number(r.get('segment')), decodeLate(r.get('halves'))!.length]);
    const c = (await tx.run(`MATCH (c:IngestCheckpoint {id: $id}) RETURN c.lateGone AS gone, c.late AS late`, { id }))
      .records[0];
    return {
      segments: Object.fromEntries(segments) as Record<number, number>,
      gone: ((c?.get('gone') as unknown[] | null) ?? []).map(Number),
      whole: c?.get('late') ?? null,
    };
  });
}

/** `n` calls, each its own trace, whose client halves expire (their servers held back). */
const calls = (env: string, n: number, at: number) =>
  Array.from({ length: n }, () => splitCalls(1, { environment: env, startMs: at - 100 }));

/** A component key's name (its last part). */
const nameOf = (key: string) => (JSON.parse(key) as string[]).at(-1)!;

/** Calls per edge named `from -> to`, summed over the minutes rows are kept by. */
function perEdge(rows: readonly { from: string; to: string; calls: number }[]): string[] {
  const sums = new Map<string, number>();
  for (const r of rows) {
    const name = `${nameOf(r.from)} -> ${nameOf(r.to)}`;
    sums.set(name, (sums.get(name) ?? 0) + r.calls);
  }
  return [...sums].map(([name, calls]) => `${name} x${calls}`);
}

/** The edges `batch` credits, and the calls its corrections take back from virtual ones. */
const edgesOf = (batch: FactBatch) => ({
  credited: perEdge(batch.edges),
  takenBack: perEdge((batch.corrections ?? []).filter((c) => c.kind === 'edge')),
});

describe('late halves in the checkpoint, in Neo4j', () => {
  it('each flush writes only the halves new since the last, as a segment; a segment goes once all its halves are forgotten', async () => {
    const env = uniqueName('late-seg');
    const w = worker();
    const first = calls(env, 5, T0);
    for (const c of first) w.ingest(c.clients, T0);
    await w.flush(T0 + 20_000);
    expect(await lateIn(w.id)).toEqual({ segments: { 1: 5 }, gone: [], whole: null });
    const second = calls(env, 3, T0 + 20_000);
    for (const c of second) w.ingest(c.clients, T0 + 20_000);
    await w.flush(T0 + 40_000);
    expect(await lateIn(w.id)).toEqual({ segments: { 1: 5, 2: 3 }, gone: [], whole: null });
    // Nothing new: the checkpoint's late memory is not written at all.
    const quiet = w.collect(T0 + 41_000);
    expect(quiet.next.state.late).toBeUndefined();
    await w.commit(quiet);
    expect((await lateIn(w.id)).segments).toEqual({ 1: 5, 2: 3 });
    // The server half of the third call of the first segment comes late: its place is named.
    w.ingest(first[2]!.servers, T0 + 50_000);
    await w.flush(T0 + 50_000);
    expect(await lateIn(w.id)).toEqual({ segments: { 1: 5, 2: 3 }, gone: [1, 2, 3], whole: null });
    expect(w.engine.stats().late).toMatchObject({ corrected: 1, waiting: 7 });
    // The first segment's halves pass the late window (the second's not yet): it goes, and its places with it.
    await w.flush(T0 + 20_000 + 15 * 60_000);
    expect(await lateIn(w.id)).toEqual({ segments: { 2: 3 }, gone: [], whole: null });
    await w.flush(T0 + 40_000 + 15 * 60_000);
    expect(await lateIn(w.id)).toEqual({ segments: {}, gone: [], whole: null });
    expect(w.engine.stats().late).toMatchObject({ droppedWindow: 7, waiting: 0 });
  });

  it('a restart rebuilds the memory; a crash between two checkpoints neither loses what was written nor keeps what was not', async () => {
    const env = uniqueName('late-crash');
    const w = worker();
    const a = calls(env, 3, T0);
    for (const c of a) w.ingest(c.clients, T0);
    await w.flush(T0 + 20_000);
    // The next flush expires two more and corrects one of the first three, but is never committed.
    const b = calls(env, 2, T0 + 20_000);
    for (const c of b) w.ingest(c.clients, T0 + 20_000);
    w.ingest(a[1]!.servers, T0 + 40_000);
    const lost = w.collect(T0 + 40_000);
    expect(lost.next.state.late).toMatchObject({ segment: 2, gone: [1, 1, 2] });
    expect(lost.next.state.late!.halves).toHaveLength(2);
    // A commit refused (its generation passed) writes no segment either: all in one transaction.
    const refused = await w.store.commit(lost.batch, lost.next, 7).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CheckpointMovedError);
    expect(await lateIn(w.id)).toEqual({ segments: { 1: 3 }, gone: [], whole: null });

    await w.restart(T0 + 40_000);
    expect(w.engine.stats().late).toMatchObject({ waiting: 3, corrected: 0 });
    // The server half comes again (the spool replays what the checkpoint had not reached): corrected once.
    w.ingest(a[1]!.servers, T0 + 45_000);
    const after = w.collect(T0 + 45_000);
    expect(edgesOf(after.batch)).toEqual({ credited: ['a -> b x1'], takenBack: ['a -> unknown x-1'] });
    await w.commit(after);
    expect(await lateIn(w.id)).toEqual({ segments: { 1: 3 }, gone: [1, 1, 2], whole: null });
    // After the restart the next expiries are a segment of their own beside the first.
    for (const c of b) w.ingest(c.clients, T0 + 45_000);
    await w.flush(T0 + 70_000);
    expect(await lateIn(w.id)).toEqual({ segments: { 1: 3, 2: 2 }, gone: [1, 1, 2], whole: null });
    await w.restart(T0 + 70_000);
    expect(w.engine.stats().late).toMatchObject({ waiting: 4 });
    for (const c of [a[0]!, a[2]!, ...b]) w.ingest(c.servers, T0 + 80_000);
    expect(edgesOf(w.collect(T0 + 80_000).batch)).toEqual({
      credited: ['a -> b x4'],
      takenBack: ['a -> unknown x-4'],
    });
  });

  it('a restart with a lower bound keeps the newest halves, each with its own template', async () => {
    // Three halves of two templates (two environments) in one segment, restored into a memory of one: the
    // first template is freed when its half is forgotten, and the third half must not reuse its number.
    const [one, two] = [uniqueName('late-lower'), uniqueName('late-lower')];
    const w = worker();
    const [first, second, third] = [calls(one, 1, T0)[0]!, calls(two, 1, T0)[0]!, calls(one, 1, T0)[0]!];
    for (const c of [first, second, third]) w.ingest(c.clients, T0);
    await w.flush(T0 + 20_000);
    expect(await lateIn(w.id)).toEqual({ segments: { 1: 3 }, gone: [], whole: null });
    await w.restart(T0 + 20_000, { pairingLateMaxEntries: 1 });
    expect(w.engine.stats().late).toMatchObject({ waiting: 1 });
    w.ingest(third.servers, T0 + 25_000);
    const batch = w.collect(T0 + 25_000).batch;
    expect(edgesOf(batch)).toEqual({ credited: ['a -> b x1'], takenBack: ['a -> unknown x-1'] });
    // Credited in the third half's own environment (a wrong template would name the second's).
    expect(batch.edges.map((e) => (JSON.parse(e.from) as string[]).includes(one))).toEqual([true]);
  });

  it('a call credited after its half was written writes the half again, its old place forgotten', async () => {
    const env = uniqueName('late-queued');
    const w = worker();
    const resource = { 'deployment.environment.name': env };
    // Two client halves under a server span of `a` that arrives only after they expired.
    const t = new TraceBuilder();
    const entry = t.server('a', '/in', { resource, startMs: T0 - 200 });
    const queued = t.client('a', { resource, parent: entry, startMs: T0 - 100 });
    const alone = calls(env, 1, T0)[0]!;
    const only = (kind: SpanKind, spans = [queued]) => {
      const b = t.batch(['a']);
      for (const rs of b.batch)
        for (const ss of rs.scopeSpans) ss.spans = ss.spans.filter((s) => s.kind === kind && spans.includes(s));
      return b;
    };
    w.ingest(alone.clients, T0);
    w.ingest(only(SpanKind.CLIENT), T0);
    await w.flush(T0 + 20_000);
    expect(await lateIn(w.id)).toEqual({ segments: { 1: 2 }, gone: [], whole: null });
    w.ingest(only(SpanKind.SERVER, [entry]), T0 + 21_000);
    await w.flush(T0 + 22_000);
    const held = await lateIn(w.id);
    expect(held.segments).toEqual({ 1: 2, 2: 1 });
    expect(held.gone).toHaveLength(3);
    // After a restart, its late server half takes back the call from `a`'s entry operation too.
    await w.restart(T0 + 22_000);
    expect(w.engine.stats().late).toMatchObject({ waiting: 2 });
    const server = new TraceBuilder();
    const late = server.server('b', '/x', { resource, startMs: T0 - 99 });
    Object.assign(late, { traceId: queued.traceId, parentSpanId: queued.spanId });
    w.ingest(server.batch(), T0 + 30_000);
    const calls_ = (w.collect(T0 + 30_000).batch.corrections ?? []).filter((c) => c.kind === 'call');
    expect(calls_.map((c) => [c.from.includes('/in'), c.calls])).toEqual([[true, -1]]);
  });

  it('two workers keep their memories apart', async () => {
    const env = uniqueName('late-two');
    const [w1, w2] = [worker(), worker()];
    for (const c of calls(env, 2, T0)) w1.ingest(c.clients, T0);
    for (const c of calls(env, 3, T0)) w2.ingest(c.clients, T0);
    await w1.flush(T0 + 20_000);
    await w2.flush(T0 + 20_000);
    // One forgets all it holds; the other's segment stays.
    await w1.flush(T0 + 20_000 + 15 * 60_000);
    expect((await lateIn(w1.id)).segments).toEqual({});
    expect((await lateIn(w2.id)).segments).toEqual({ 1: 3 });
    await w2.restart(T0 + 30_000);
    expect(w2.engine.stats().late).toMatchObject({ waiting: 3 });
    await graph.write('test', async (tx) => {
      for (const id of [w1.id, w2.id]) await tx.run(DELETE_CHECKPOINT, { id });
    });
    expect((await lateIn(w2.id)).segments).toEqual({});
  });

  it('reads a checkpoint written before segments (the whole memory in `late`), and moves its halves into a segment', async () => {
    const w = worker();
    const now = 1_700_000_000_000;
    // Written by a104b1f's checkpoint store: three client halves of `a` (environment late-fixture) in
    // trace abab…, span ids 1 to 3, expired to unknown at now + 20 s.
    const whole = Buffer.from(OLD_LATE, 'base64');
    await graph.write('test', (tx) =>
      tx.run(
        `CREATE (:IngestCheckpoint {id: $id, generation: 1, position: 1, replayFrom: 2, clock: $clock, state: $state, late: $late})`,
        {
          id: w.id,
          clock: now + 20_000,
          state: encodeState(EMPTY_STATE),
          late: new Int8Array(whole.buffer, whole.byteOffset, whole.byteLength),
        },
      ),
    );
    await w.restart(now + 20_000);
    expect(w.engine.stats().late).toMatchObject({ waiting: 3 });
    // The next checkpoint holds them in a segment, and the whole property is gone.
    await w.commit({ batch: emptyFactBatch(), next: { ...w.collect(now + 21_000).next } });
    expect(await lateIn(w.id)).toEqual({ segments: { 1: 3 }, gone: [], whole: null });
    await w.restart(now + 21_000);
    expect(w.engine.stats().late).toMatchObject({ waiting: 3 });
    const t = new TraceBuilder();
    for (let i = 1; i <= 3; i++) {
      const s = t.server('b', '/x', { resource: { 'deployment.environment.name': 'late-fixture' }, startMs: now - 95 });
      Object.assign(s, { traceId: 'ab'.repeat(16), parentSpanId: i.toString(16).padStart(16, '0') });
    }
    w.ingest(t.batch(), now + 30_000);
    expect(edgesOf(w.collect(now + 30_000).batch)).toEqual({
      credited: ['a -> b x3'],
      takenBack: ['a -> unknown x-3'],
    });
    await graph.write('test', (tx) => tx.run(DELETE_CHECKPOINT, { id: w.id }));
  });

  it('reads a checkpoint written before the late halves had a property of their own (a list in its state)', async () => {
    const w = worker();
    const now = 1_700_000_000_000;
    // The same three halves as above, as the checkpoint state's own `late` list (gzipped JSON then).
    const halves = decodeLate(Buffer.from(OLD_LATE, 'base64'))!.map(({ side, half, keys, expiredAt, credits }) => ({
      side,
      half,
      keys,
      expiredAt,
      credits,
    }));
    const state = gzipSync(JSON.stringify({ ...EMPTY_STATE, late: halves })).toString('base64');
    await graph.write('test', (tx) =>
      tx.run(
        `CREATE (:IngestCheckpoint {id: $id, generation: 1, position: 1, replayFrom: 2, clock: $clock, state: $state})`,
        { id: w.id, clock: now + 20_000, state },
      ),
    );
    await w.restart(now + 20_000);
    expect(w.engine.stats().late).toMatchObject({ waiting: 3 });
    await w.commit({ batch: emptyFactBatch(), next: { ...w.collect(now + 21_000).next } });
    expect(await lateIn(w.id)).toEqual({ segments: { 1: 3 }, gone: [], whole: null });
    await graph.write('test', (tx) => tx.run(DELETE_CHECKPOINT, { id: w.id }));
  });
});

const OLD_LATE =
  'AgMAAACIAQAAH4sIAAAAAAAEA82TTWsbMRCG/8t7ViFuIaW6hWJKIPgQfNvZg7I7boTX0iJpXZfF/z3MZL02JoTQXjKHZb4082hGO6Lwru9c4QxbYSRk3zLBEprOcygEQ3h23YZgR0Jwu9for+VaQ1sfWoL9ZgiZ0943Eh4JW/6rVSqic4TkCBGk35eNP5QhsdjqnBUnWq3V53ZuNnPvtAdBXRz2PsWwU1R7VVrY95yyj0FhCEdD6FMssYmdup5L6bVQTP63l7SF5DSJW18ywVYjYX++Ch8Kp+C6mfbNuwxhG+KfMF3kaEaCzKUi/N889PS/IJgwdN3FZ5oeoVa4eAEXe06uyMhOm5GuIrjorLbsTZWrIahvDp6Hof56rvvz4X65Ws+mPKlp81e0JQ1sNq7L/IrbfAz39CCVUZY8Ke/SnpLmbHmOIjiD36/Wy8fV3cNb6NOKP+EUL3ZeH1EbPLnMsCNcgV3c/jjJ4saAD71P3N5J5PuNylf5GuQ4pIb1N0FsW9iqPr4AmROuyUYEAACrq6urq6urq6urq6urq6urAAAAAAAAAAEAAAAAAQAAAAAAACRAAAAAAAAAAAAAAAAAq6urq6urq6urq6urq6urqwAAAAAAAAACAAAAAAAAAAAAAAAkQAAAAAAAAAAAAAAAAKurq6urq6urq6urq6urq6sAAAAAAAAAAwAAAAAAAAAAAAAAJEAAAAAAAAAAAAAAAAA=';
