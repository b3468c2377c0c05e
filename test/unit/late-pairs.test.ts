/**
 * Late halves through the engine (issue 19), on a clock the test moves: a half whose partner comes
 * after the TTL first counts against a virtual component, then is corrected to the real edge when the
 * partner comes within the late window; past the window, or pushed out by the bound, it stays.
 */
import { describe, expect, it } from 'vitest';
import { createEngine, engineOptions } from '../../ingest/engine.js';
import { SpanKind } from '../../ingest/span.js';
import { defaultConfig } from '../../src/core/config.js';
import { readHop } from '../../src/core/records.js';
import { capturePipeline, captureSink, driveEngine } from '../support/capture.js';
import { splitCalls, TraceBuilder } from '../support/spans.js';

const TTL = 10_000;
const options = { pairingTtlMs: TTL, pairingLateWindowMs: 15 * 60_000, pairingLateMaxEntries: 100 };

const split = (n: number, startMs: number) => splitCalls(n, { startMs });

/** Sums of operation rows and their corrections, by operation name. */
function entryCalls(sink: ReturnType<typeof captureSink>): Record<string, number> {
  const names = new Map(sink.all.operations.map((o) => [o.key, o.name]));
  const out: Record<string, number> = {};
  for (const o of sink.all.operations) out[o.name] = (out[o.name] ?? 0) + o.entryCalls;
  for (const c of sink.all.corrections ?? [])
    if (c.kind === 'operation') out[names.get(c.from)!] = (out[names.get(c.from)!] ?? 0) + c.entryCalls;
  return out;
}

describe('late halves', () => {
  it('client halves 40 s before their servers: counted to unknown, then corrected to the one real edge', async () => {
    const { sink, clock, pipeline } = capturePipeline(options);
    const { clients, servers } = split(20, clock.now - 100);
    pipeline.ingest(clients);
    clock.now += 20_000;
    await pipeline.flush();
    expect(sink.edges()).toEqual({ 'a -> unknown': { calls: 20, errors: 0 } });
    clock.now += 20_000;
    pipeline.ingest(servers);
    await pipeline.flush();
    expect(sink.edges()).toEqual({ 'a -> b': { calls: 20, errors: 0 } });
    expect(sink.calls()).toEqual({ 'a:GET -> b:GET /x': 20 });
    expect(pipeline.stats().late).toMatchObject({ corrected: 20, waiting: 0 });
    // The edge to unknown is marked unpaired on expiry and unmarked on correction.
    const unpaired = (sink.all.corrections ?? []).filter((c) => c.kind === 'edge').reduce((n, c) => n + c.unpaired, 0);
    expect(unpaired).toBe(0);
  });

  it('a sampled skeleton is corrected only for traces the sampler kept', async () => {
    const hops = async (perWindow: number) => {
      const traceSampling = { ...defaultConfig().ingest.traceSampling, perWindow };
      const { sink, clock, pipeline } = capturePipeline({ ...options, traceSampling });
      const { clients, servers } = split(3, clock.now - 100);
      pipeline.ingest(clients);
      clock.now += 20_000;
      await pipeline.flush();
      pipeline.ingest(servers);
      await pipeline.flush();
      expect(sink.edges()).toEqual({ 'a -> b': { calls: 3, errors: 0 } });
      return (sink.all.corrections ?? []).filter((c) => c.kind === 'hop').map((c) => c.calls);
    };
    // One trace, its three identical hops one line of the skeleton: taken back as one row.
    expect(await hops(5)).toEqual([-3]);
    expect(await hops(0)).toEqual([]);
  });

  it('server halves before their clients: the entry counts they made are taken back', async () => {
    const { sink, clock, pipeline } = capturePipeline(options);
    // One call paired first: b's GET /x is known to be called by instrumented clients.
    const known = split(1, clock.now - 100);
    pipeline.ingest(known.clients);
    pipeline.ingest(known.servers);
    const { clients, servers } = split(5, clock.now - 100);
    pipeline.ingest(servers);
    clock.now += 20_000;
    await pipeline.flush();
    expect(entryCalls(sink)['GET /x']).toBe(5);
    clock.now += 30_000;
    pipeline.ingest(clients);
    await pipeline.flush();
    expect(entryCalls(sink)['GET /x']).toBe(0);
    expect(sink.edges()).toEqual({ 'a -> b': { calls: 6, errors: 0 } });
    expect(sink.calls()).toEqual({ 'a:GET -> b:GET /x': 6 });
  });

  it('halves sharing one remembered template are taken back each with its own error, latency and minute', async () => {
    const { sink, clock, pipeline } = capturePipeline(options);
    // Two calls a -> b alike but for their figures: the late memory keeps them against one template.
    const calls = [
      { error: true, durationMs: 30, startMs: clock.now - 100 },
      { error: false, durationMs: 250, startMs: clock.now - 100 - 60_000 },
    ].map((spec) => {
      const t = new TraceBuilder();
      const c = t.client('a', spec);
      t.server('b', '/x', { parent: c, error: spec.error, startMs: spec.startMs + 1 });
      return { spec, clients: t.batch(['a']), servers: t.batch(['b']) };
    });
    for (const call of calls) pipeline.ingest(call.clients);
    clock.now += 20_000;
    await pipeline.flush();
    expect(sink.edges()).toEqual({ 'a -> unknown': { calls: 2, errors: 1 } });
    // Held as their figures and the template since they expired; a collect later, the same.
    clock.now += 1_000;
    await pipeline.flush();
    // Each late server half alone: the correction it brings is its own call's, nothing of the other's.
    for (const { spec, servers } of [...calls].reverse()) {
      const before = sink.all.corrections?.length ?? 0;
      clock.now += 5_000;
      pipeline.ingest(servers);
      await pipeline.flush();
      const edge = (sink.all.corrections ?? []).slice(before).filter((c) => c.kind === 'edge' && c.calls !== 0);
      expect(edge.map((c) => [c.minute, c.calls, c.errors, c.latSum])).toEqual([
        [Math.floor(spec.startMs / 60_000), -1, spec.error ? -1 : 0, -spec.durationMs],
      ]);
    }
    expect(sink.edges()).toEqual({ 'a -> b': { calls: 2, errors: 1 } });
    expect(pipeline.stats().late).toMatchObject({ corrected: 2, waiting: 0 });
  });

  it('a half sent again after its first copy expired is not taken for its partner', async () => {
    // At-least-once delivery: a Collector retrying a request sends its spans twice.
    const { sink, clock, pipeline } = capturePipeline(options);
    const { clients } = split(3, clock.now - 100);
    pipeline.ingest(clients);
    clock.now += 20_000;
    await pipeline.flush();
    pipeline.ingest(clients);
    clock.now += 20_000;
    await pipeline.flush();
    expect(sink.edges()).toEqual({ 'a -> unknown': { calls: 6, errors: 0 } });
    const late = split(3, clock.now - 100);
    pipeline.ingest(late.servers);
    clock.now += 20_000;
    await pipeline.flush();
    pipeline.ingest(late.servers);
    clock.now += 20_000;
    await pipeline.flush();
    expect(entryCalls(sink)['GET /x']).toBe(6);
    expect(sink.edges()).toEqual({ 'a -> unknown': { calls: 6, errors: 0 } });
  });

  it('past the late window the virtual edge stays, and the forgotten halves are counted', async () => {
    const { sink, clock, pipeline } = capturePipeline(options);
    const { clients, servers } = split(3, clock.now - 100);
    pipeline.ingest(clients);
    clock.now += 20_000;
    await pipeline.flush();
    clock.now += 16 * 60_000;
    await pipeline.flush();
    expect(pipeline.stats().late).toMatchObject({ droppedWindow: 3, waiting: 0, corrected: 0 });
    pipeline.ingest(servers);
    clock.now += 20_000;
    await pipeline.flush();
    expect(sink.edges()['a -> unknown']).toEqual({ calls: 3, errors: 0 });
    const unpaired = (sink.all.corrections ?? []).filter((c) => c.kind === 'edge').reduce((n, c) => n + c.unpaired, 0);
    expect(unpaired).toBe(3);
  });

  it('past the bound the oldest are forgotten early, counted', async () => {
    const { clock, pipeline } = capturePipeline({ ...options, pairingLateMaxEntries: 4 });
    pipeline.ingest(split(10, clock.now - 100).clients);
    clock.now += 20_000;
    await pipeline.flush();
    expect(pipeline.stats().late).toMatchObject({ waiting: 4, droppedBound: 6 });
  });

  it('halves whose ids are not in hex (held whole) are bounded to a sixteenth of the bound', async () => {
    const { clock, pipeline } = capturePipeline({ ...options, pairingLateMaxEntries: 32 });
    pipeline.ingest(splitCalls(10, { startMs: clock.now - 100, trace: new TraceBuilder('an-importer-trace') }).clients);
    pipeline.ingest(split(10, clock.now - 100).clients);
    clock.now += 20_000;
    await pipeline.flush();
    // 2 of the 10 odd ones stay, all 10 in hex.
    expect(pipeline.stats().late).toMatchObject({ waiting: 12, droppedBound: 8 });
  });

  it('the bound lets the oldest halves whose ids are not in hex go first, past ones taken back', async () => {
    // A bound of 48: three odd halves held at most.
    const { sink, clock, pipeline } = capturePipeline({ ...options, pairingLateMaxEntries: 48 });
    const odd = (n: string) => splitCalls(1, { startMs: clock.now - 100, trace: new TraceBuilder(`importer-${n}`) });
    const calls = ['a', 'b', 'c', 'd', 'e'].map(odd);
    // a, b, c expire in turn; a's server comes late and takes it back; d and e expire.
    for (const c of calls.slice(0, 3)) {
      pipeline.ingest(c.clients);
      clock.now += 11_000;
      await pipeline.flush();
    }
    pipeline.ingest(calls[0]!.servers);
    await pipeline.flush();
    for (const c of calls.slice(3, 5)) {
      pipeline.ingest(c.clients);
      clock.now += 11_000;
      await pipeline.flush();
    }
    expect(pipeline.stats().late).toMatchObject({ corrected: 1, waiting: 3, droppedBound: 1 });
    // b went (the oldest still held); c, d and e are still remembered and corrected.
    for (const c of [calls[2]!, calls[3]!, calls[4]!]) pipeline.ingest(c.servers);
    await pipeline.flush();
    expect(pipeline.stats().late).toMatchObject({ corrected: 4, waiting: 0 });
    expect(sink.edges()).toEqual({ 'a -> b': { calls: 4, errors: 0 }, 'a -> unknown': { calls: 1, errors: 0 } });
  });

  it('the order the bound lets odd halves go in stays right past a thousand taken back', async () => {
    // A bound of 1,600: a hundred odd halves held at most, and room for the thousand taken back.
    const { clock, pipeline } = capturePipeline({
      ...options,
      pairingLateMaxEntries: 1_600,
      pairingLateWindowMs: 24 * 3_600_000,
    });
    const odd = (n: string) => splitCalls(1, { startMs: clock.now - 100, trace: new TraceBuilder(`importer-${n}`) });
    const expire = async (...calls: ReturnType<typeof odd>[]) => {
      for (const c of calls) pipeline.ingest(c.clients);
      clock.now += 11_000;
      await pipeline.flush();
    };
    const held = Array.from({ length: 100 }, (_, i) => odd(`held-${i}`));
    for (const h of held) await expire(h);
    for (let i = 0; i < 1_100; i++) {
      const taken = odd(`taken-${i}`);
      await expire(taken);
      pipeline.ingest(taken.servers);
      await pipeline.flush();
    }
    const [c, d] = [odd('c'), odd('d')];
    await expire(c, d);
    expect(pipeline.stats().late).toMatchObject({ corrected: 1_100, waiting: 100, droppedBound: 2 });
    // The two oldest went: their servers find nothing; the next one's, c's and d's find theirs.
    pipeline.ingest(held[0]!.servers);
    pipeline.ingest(held[1]!.servers);
    await pipeline.flush();
    expect(pipeline.stats().late).toMatchObject({ corrected: 1_100 });
    for (const late of [held[2]!, c, d]) pipeline.ingest(late.servers);
    await pipeline.flush();
    expect(pipeline.stats().late).toMatchObject({ corrected: 1_103, waiting: 97 });
  });

  it('what is remembered survives a checkpoint: a fresh engine restored from it corrects the late half', async () => {
    const clock = { now: 1_700_000_000_000 };
    const { clients, servers } = split(4, clock.now - 100);
    const first = createEngine({ ...engineOptions(defaultConfig()), ...options });
    // The state as the checkpoint stores it: JSON.
    first.ingest(clients, clock.now, 1);
    clock.now += 20_000;
    expect(first.collect(clock.now).edges.map((e) => e.calls)).toEqual([4]);
    const state = JSON.parse(JSON.stringify(first.state())) as ReturnType<typeof first.state>;
    expect(state.late!.halves).toHaveLength(4);

    const engine = createEngine({ ...engineOptions(defaultConfig()), ...options });
    engine.restore(state).finish(clock.now);
    const sink = captureSink();
    const restarted = driveEngine(engine, sink, () => clock.now);
    clock.now += 30_000;
    restarted.ingest(servers);
    await restarted.flush();
    // What the first engine wrote to unknown is taken back here.
    expect(sink.edges()).toEqual({ 'a -> b': { calls: 4, errors: 0 }, 'a -> unknown': { calls: -4, errors: 0 } });
    const takenBack = (sink.all.corrections ?? []).filter((c) => c.kind === 'edge');
    expect(takenBack.map((c) => [c.calls, c.unpaired])).toEqual([[-4, -4]]);
  });

  it('remembers every expiry: the first calls to a peer named only by attribute are corrected when their server halves come late', async () => {
    const { sink, clock, pipeline } = capturePipeline(options);
    const t = new TraceBuilder();
    const client = t.span({
      service: 'a',
      kind: SpanKind.CLIENT,
      name: 'POST',
      startMs: clock.now - 100,
      attributes: { 'http.request.method': 'POST', 'server.address': 'payments.internal' },
    });
    t.span({ service: 'payments', kind: SpanKind.SERVER, name: 'POST /pay', parent: client, startMs: clock.now - 99 });
    // A request from a browser: its server half expires as an entry call, remembered too.
    const browser = new TraceBuilder();
    const page = browser.span({ service: 'browser', kind: SpanKind.CLIENT, name: 'GET' });
    browser.span({ service: 'front', kind: SpanKind.SERVER, name: 'GET /', parent: page });
    pipeline.ingest(t.batch(['a']));
    pipeline.ingest(browser.batch(['front']));
    clock.now += 20_000;
    await pipeline.flush();
    expect(sink.edges()).toEqual({ 'a -> payments.internal': { calls: 1, errors: 0 } });
    expect(pipeline.stats().late).toMatchObject({ waiting: 2, droppedBound: 0 });
    clock.now += 30_000;
    pipeline.ingest(t.batch(['payments']));
    await pipeline.flush();
    expect(sink.edges()).toEqual({ 'a -> payments': { calls: 1, errors: 0 } });
    expect(sink.calls()).toEqual({ 'a:POST -> payments:POST /pay': 1 });
    expect(pipeline.stats().late).toMatchObject({ waiting: 1, corrected: 1 });
  });

  it('a call still looking for its caller at a restart is still taken back when the late half comes', async () => {
    const clock = { now: 1_700_000_000_000 };
    const t = new TraceBuilder();
    // The client's parent never arrives: its expiry's call waits for its caller across the restart.
    const root = t.span({ service: 'a', kind: SpanKind.SERVER, name: 'GET /job', startMs: clock.now - 200 });
    const { servers } = splitCalls(1, { startMs: clock.now - 100, trace: t, parent: root });
    const client = t.batch(['a']);
    client.batch[0]!.scopeSpans[0]!.spans.splice(0, 1);
    client.spanCount = 1;
    const first = createEngine({ ...engineOptions(defaultConfig()), ...options });
    first.ingest(client, clock.now, 1);
    clock.now += 20_000;
    first.collect(clock.now);
    const state = JSON.parse(JSON.stringify(first.state())) as ReturnType<typeof first.state>;
    expect(state.calls.map((k) => k.late)).toEqual([true]);

    const engine = createEngine({ ...engineOptions(defaultConfig()), ...options });
    const restorer = engine.restore(state);
    restorer.ingest(client, clock.now - 20_000, 1);
    restorer.finish(clock.now);
    const sink = captureSink();
    const restarted = driveEngine(engine, sink, () => clock.now);
    clock.now += 5_000;
    restarted.ingest(servers);
    clock.now += 60_000;
    await restarted.flush();
    expect(Object.keys(sink.calls())).toEqual(['a:GET -> b:GET /x']);
  });
  it("a late call credited in the same flush as its partner's arrival leaves no virtual hop in the sampled skeleton", () => {
    const clock = { now: 1_700_000_000_000 };
    const t = new TraceBuilder();
    const root = t.span({ service: 'a', kind: SpanKind.SERVER, name: 'GET /job', startMs: clock.now - 200 });
    const { servers } = splitCalls(1, { startMs: clock.now - 100, trace: t, parent: root });
    const all = t.batch(['a']);
    const client = t.batch(['a']);
    client.batch[0]!.scopeSpans[0]!.spans.splice(0, 1);
    client.spanCount = 1;
    const parent = t.batch(['a']);
    parent.batch[0]!.scopeSpans[0]!.spans.splice(1);
    parent.spanCount = 1;
    expect(all.spanCount).toBe(2);
    const engine = createEngine({ ...engineOptions(defaultConfig()), ...options });
    engine.ingest(client, clock.now, 1);
    clock.now += 20_000;
    engine.collect(clock.now);
    // Its caller, then the late server half, in the one interval before the next flush.
    clock.now += 1_000;
    engine.ingest(parent, clock.now, 2);
    engine.ingest(servers, clock.now, 3);
    clock.now += 1_000;
    const batch = engine.collect(clock.now);
    const names = (key: string) => (JSON.parse(key) as string[])[3]!;
    const written = batch.traceSamples.flatMap((row) => row.hops.map((h) => readHop(row, h)));
    const takenBack = (batch.corrections ?? []).filter((c) => c.kind === 'hop');
    expect(written.map((h) => `${names(h.from)} -> ${names(h.to)}`)).toEqual(['GET /job -> GET /x']);
    expect(takenBack).toEqual([]);
  });
});
