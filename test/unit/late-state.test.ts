/**
 * The remembered late halves survive the checkpoint's compact layout (ingest/spool/late-state.ts):
 * every kind of expiry reads back as the engine remembered it (but for the span ids a late partner
 * never reads), and a fresh engine restored from them corrects as the first would have; thousands of
 * expiries to a few peers take a few dozen bytes each.
 */
import { describe, expect, it } from 'vitest';
import { createEngine, engineOptions } from '../../ingest/engine.js';
import { isTemplated, wholeOf, type LateHalf } from '../../ingest/late-pairs.js';
import { SpanKind } from '../../ingest/span.js';
import { decodeLate, encodeLate } from '../../ingest/spool/late-state.js';
import { defaultConfig } from '../../src/core/config.js';
import { captureSink, driveEngine } from '../support/capture.js';
import { splitCalls, TraceBuilder } from '../support/spans.js';

const options = {
  ...engineOptions(defaultConfig()),
  pairingTtlMs: 10_000,
  pairingLateWindowMs: 15 * 60_000,
  pairingLateMaxEntries: 100_000,
};

/** A remembered half as a late partner reads it: a server's own span and a resolved client's parent are not kept. */
const asRead = ({ segment: _s, index: _i, ...e }: LateHalf) =>
  JSON.parse(
    JSON.stringify({
      ...e,
      half: {
        ...e.half,
        spanId: e.side === 'server' ? '' : e.half.spanId,
        parentSpanId: e.side === 'client' && e.credits.some((c) => 'c' in c) ? '' : e.half.parentSpanId,
      },
    }),
  ) as unknown;

/** Expiries of every kind: to unknown, to a peer named by attribute, a root client, entry calls, a consumer with a link. */
function expiries(now: number) {
  const t = new TraceBuilder();
  const calls = splitCalls(3, { startMs: now - 100, errors: 1, trace: t, versions: ['1', '2'] });
  t.span({
    service: 'a',
    kind: SpanKind.CLIENT,
    name: 'POST',
    startMs: now - 90,
    attributes: { 'http.request.method': 'POST', 'server.address': 'payments.internal' },
  });
  const browser = new TraceBuilder();
  const page = browser.span({ service: 'browser', kind: SpanKind.CLIENT, name: 'GET' });
  browser.span({ service: 'front', kind: SpanKind.SERVER, name: 'GET /', parent: page, startMs: now - 80 });
  const producer = new TraceBuilder().span({ service: 'p', kind: SpanKind.PRODUCER, name: 'send' });
  const consumer = new TraceBuilder();
  consumer.span({
    service: 'c',
    kind: SpanKind.CONSUMER,
    name: 'process',
    startMs: now - 70,
    links: [producer],
    attributes: { 'messaging.destination.name': 'orders', 'messaging.system': 'kafka' },
  });
  return { batches: [t.batch(['a']), browser.batch(['front']), consumer.batch()], servers: calls.servers };
}

describe('late halves in the checkpoint', () => {
  it('reads back every kind of expiry, and a restored engine corrects with them', async () => {
    const now = 1_700_000_000_000;
    const first = createEngine(options);
    const { batches, servers } = expiries(now);
    for (const b of batches) first.ingest(b, now, 7);
    first.collect(now + 20_000);
    const late = first.state().late!.halves.map((h) => wholeOf(h));
    expect(late.map((e) => e.side).sort()).toEqual(['client', 'client', 'client', 'client', 'server', 'server']);
    const decoded = decodeLate(encodeLate(late));
    expect(decoded!.map(asRead)).toEqual(late.map(asRead));

    const engine = createEngine(options);
    engine
      .restore({ ...first.state(), late: { segment: 1, halves: decoded!, dropped: [], gone: [] } })
      .finish(now + 20_000);
    const sink = captureSink();
    const clock = { now: now + 50_000 };
    const restarted = driveEngine(engine, sink, () => clock.now);
    restarted.ingest(servers);
    await restarted.flush();
    expect(sink.edges()).toEqual({ 'a -> b': { calls: 3, errors: 1 }, 'a -> unknown': { calls: -3, errors: -1 } });
    // The version pair's take-back, netted with the version counts (none held since the restart).
    const versions = sink.all.edgeVersions.filter((r) => r.calls < 0);
    expect(versions.map((r) => [r.fromVersion, r.toVersion, r.calls, r.errors])).toEqual([['1', '', -3, -1]]);
  });

  it('10,000 expiries to a few peers: a few dozen bytes each', () => {
    const now = 1_700_000_000_000;
    const engine = createEngine(options);
    for (let i = 0; i < 100; i++) engine.ingest(splitCalls(100, { startMs: now - 100 + i }).clients, now, i);
    engine.collect(now + 20_000);
    const late = engine.state().late!.halves.map((h) => wholeOf(h));
    expect(late).toHaveLength(10_000);
    const bytes = Buffer.from(encodeLate(late)!, 'base64').byteLength;
    expect(bytes).toBeLessThan(10_000 * 60);
    expect(decodeLate(encodeLate(late))!.map(asRead)).toEqual(late.map(asRead));
    // A segment stored as a byte array (before frames were written in base64) reads the same.
    const raw = Buffer.from(encodeLate(late)!, 'base64');
    const asBytes = new Int8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    expect(decodeLate(asBytes)!.map(asRead)).toEqual(late.map(asRead));
  });

  it('a half that fits no record keeps its place in the segment', () => {
    const now = 1_700_000_000_000;
    const engine = createEngine(options);
    engine.ingest(splitCalls(3, { startMs: now - 100 }).clients, now, 1);
    engine.collect(now + 20_000);
    const halves = engine.state().late!.halves.map((h) => wholeOf(h));
    // Its key not in hex: kept whole, in the middle.
    const odd = { ...halves[1]!, keys: ['not-a-hex-key'] };
    const decoded = decodeLate(encodeLate([halves[0]!, odd, halves[2]!]), 4)!;
    expect(decoded.map((h) => [h.segment, h.index, h.keys[0], h.seq])).toEqual([
      [4, 0, halves[0]!.keys[0], halves[0]!.seq],
      [4, 1, 'not-a-hex-key', halves[1]!.seq],
      [4, 2, halves[2]!.keys[0], halves[2]!.seq],
    ]);
  });

  it('halves held against templates go as their records, and read back and restore the same', async () => {
    const now = 1_700_000_000_000;
    const first = createEngine(options);
    const { batches, servers } = expiries(now);
    for (const b of batches) first.ingest(b, now, 7);
    first.collect(now + 20_000);
    first.collect(now + 21_000);
    const state = first.state();
    const held = state.late!.halves;
    expect(held.length).toBe(6);
    expect(held.every(isTemplated)).toBe(true);
    const whole = held.map((h) => wholeOf(h));
    expect(encodeLate(held)).toBe(encodeLate(whole));
    expect(decodeLate(encodeLate(held))!.map(asRead)).toEqual(whole.map(asRead));

    // A restart from the state as taken (not through the checkpoint's bytes) corrects the same.
    const engine = createEngine(options);
    engine.restore(state).finish(now + 21_000);
    expect(engine.stats().late.waiting).toBe(6);
    const sink = captureSink();
    const restarted = driveEngine(engine, sink, () => now + 50_000);
    restarted.ingest(servers);
    await restarted.flush();
    expect(sink.edges()).toEqual({ 'a -> b': { calls: 3, errors: 1 }, 'a -> unknown': { calls: -3, errors: -1 } });
  });

  it('a half held against a template that fits no record goes whole', () => {
    const now = 1_700_000_000_000;
    const engine = createEngine(options);
    engine.ingest(splitCalls(2, { startMs: now - 100 }).clients, now, 1);
    engine.collect(now + 20_000);
    const [a, b] = engine.state().late!.halves;
    if (!isTemplated(a!) || !isTemplated(b!)) throw new Error('expected halves held against templates');
    // Its time past what a record's 32-bit offset from the segment's first holds.
    const far = { ...b, at: b.at + 2 ** 32 };
    const decoded = decodeLate(encodeLate([a, far]), 5)!;
    const { template: _t, ...farWhole } = wholeOf(far);
    expect(decoded.map(asRead)).toEqual([wholeOf(a), farWhole].map(asRead));
    expect(decoded[1]!.half.at).toBe(b.at + 2 ** 32);
  });

  it('nothing remembered is no property at all', () => {
    expect(encodeLate([])).toBeUndefined();
    expect(decodeLate(null)).toBeUndefined();
  });
});
