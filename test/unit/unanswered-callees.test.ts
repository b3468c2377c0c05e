/**
 * Calls to a callee that never answers (an uninstrumented host) are counted at the next collect
 * once its calls have expired unanswered a few times in a row, not after the whole pairing TTL; a
 * server half that comes anyway still makes the call the real one, paired before the collect or
 * corrected after it.
 */
import { describe, expect, it } from 'vitest';
import { createEngine, engineOptions, type EngineOptions } from '../../ingest/engine.js';
import type { FactBatch } from '../../ingest/aggregate.js';
import { UnansweredCallees } from '../../ingest/unanswered-callees.js';
import { defaultConfig } from '../../src/core/config.js';
import { TraceBuilder } from '../support/spans.js';

const T0 = 1_700_000_000_000;
const TTL = 10_000;
const AFTER = 3;

/** an operation key's service name and operation name, for reading */
const opName = (key: string) => {
  const [, component, , name] = JSON.parse(key) as string[];
  return `${(JSON.parse(component!) as string[]).at(-1)} ${name}`;
};
const callsOf = (batch: FactBatch) => batch.calls.map((c) => `${opName(c.from)} -> ${opName(c.to)} ×${c.calls}`);

/** One trace: web's /checkout calls `host`; the callee's server span, when it sends one, is in `t.batch(['orders'])`. */
function checkout(at: number, host: string) {
  const t = new TraceBuilder();
  const root = t.server('web', '/checkout', { startMs: at - 50 });
  const call = t.client('web', { parent: root, startMs: at - 40, attributes: { 'server.address': host } });
  t.server('orders', '/orders', { parent: call, startMs: at - 30 });
  return t;
}

/** An engine whose calls to `silent-host` have expired unanswered `AFTER` times; returns it at `T0 + TTL + 1000`. */
function engineThatLearnt(options: Partial<EngineOptions> = {}) {
  const engine = createEngine({
    ...engineOptions(defaultConfig()),
    pairingTtlMs: TTL,
    pairingUnansweredAfter: AFTER,
    ...options,
  });
  for (let i = 0; i < AFTER; i++) engine.ingest(checkout(T0 + i, 'silent-host').batch(['web']), T0 + i, i + 1);
  engine.collect(T0 + TTL + 1000);
  return engine;
}

describe('calls to a callee that never answers', () => {
  it('are counted at the next collect once its calls expired unanswered in a row', () => {
    const engine = engineThatLearnt();
    expect(engine.pairing.stats.expiredClients).toBe(AFTER);
    const at = T0 + TTL + 2000;
    engine.ingest(checkout(at, 'silent-host').batch(['web']), at, 10);
    // An instrumented callee still waits: its server half may come.
    engine.ingest(checkout(at, 'orders-host').batch(['web']), at, 11);
    const batch = engine.collect(at + 1000);
    expect(callsOf(batch)).toContain('web GET /checkout -> silent-host GET ×1');
    expect(engine.pairing.stats.unanswered).toBe(1);
    expect(engine.pairing.size).toBe(1);
  });

  it('pair as before when the server half comes before the collect, and then wait again', () => {
    const engine = engineThatLearnt();
    const at = T0 + TTL + 2000;
    const t = checkout(at, 'silent-host');
    engine.ingest(t.batch(['web']), at, 10);
    engine.ingest(t.batch(['orders']), at + 100, 11);
    const batch = engine.collect(at + 1000);
    expect(callsOf(batch)).toContain('web GET /checkout -> orders GET /orders ×1');
    expect(callsOf(batch).filter((c) => c.includes('silent-host'))).toEqual([]);
    expect(batch.corrections ?? []).toEqual([]);
    // Answered once: its next call waits for its server half again.
    engine.ingest(checkout(at + 2000, 'silent-host').batch(['web']), at + 2000, 12);
    engine.collect(at + 3000);
    expect(engine.pairing.size).toBe(1);
    expect(engine.pairing.stats.unanswered).toBe(0);
  });

  it('are corrected to the real call when the server half comes after the collect', () => {
    const engine = engineThatLearnt();
    const at = T0 + TTL + 2000;
    const t = checkout(at, 'silent-host');
    engine.ingest(t.batch(['web']), at, 10);
    const first = engine.collect(at + 1000);
    expect(callsOf(first)).toContain('web GET /checkout -> silent-host GET ×1');
    engine.ingest(t.batch(['orders']), at + 2000, 11);
    const second = engine.collect(at + 3000);
    expect(callsOf(second)).toContain('web GET /checkout -> orders GET /orders ×1');
    expect((second.corrections ?? []).filter((c) => c.kind === 'call')).toHaveLength(1);
    expect(engine.stats().late.corrected).toBe(1);
    // Answered, if late: its next call waits for its server half again.
    engine.ingest(checkout(at + 4000, 'silent-host').batch(['web']), at + 4000, 12);
    engine.collect(at + 5000);
    expect(engine.pairing.size).toBe(1);
    expect(engine.pairing.stats.unanswered).toBe(1);
  });

  it('are counted once when their request is sent again after the first copy expired', () => {
    const engine = engineThatLearnt();
    const at = T0 + TTL + 2000;
    const t = checkout(at, 'silent-host');
    engine.ingest(t.batch(['web']), at, 10);
    expect(callsOf(engine.collect(at + 1000))).toContain('web GET /checkout -> silent-host GET ×1');
    // An exporter's retry, well within the TTL the copy would otherwise have waited.
    engine.ingest(t.batch(['web']), at + 3000, 11);
    const again = engine.collect(at + 4000);
    expect(callsOf(again).filter((c) => c.includes('silent-host'))).toEqual([]);
    expect(engine.pairing.size).toBe(0);
    expect(engine.pairing.stats.unanswered).toBe(1);
  });

  it('wait the whole TTL without the late memory, which would correct them', () => {
    const engine = engineThatLearnt({ pairingLateWindowMs: 0 });
    const at = T0 + TTL + 2000;
    engine.ingest(checkout(at, 'silent-host').batch(['web']), at, 10);
    engine.collect(at + 1000);
    expect(engine.pairing.size).toBe(1);
    expect(engine.pairing.stats.unanswered).toBe(0);
  });
});

describe('UnansweredCallees', () => {
  it('expects silence after the given expiries in a row, never after an answer', () => {
    const callees = new UnansweredCallees(2);
    callees.expired('a');
    expect(callees.silent('a')).toBe(false);
    callees.expired('a');
    expect(callees.silent('a')).toBe(true);
    callees.answered('a');
    for (let i = 0; i < 5; i++) callees.expired('a');
    expect(callees.silent('a')).toBe(false);
  });

  it('never expects silence with 0', () => {
    const callees = new UnansweredCallees(0);
    for (let i = 0; i < 5; i++) callees.expired('a');
    expect(callees.silent('a')).toBe(false);
  });

  it('starts over past its bound of callees', () => {
    const callees = new UnansweredCallees(1, 2);
    callees.expired('a');
    callees.expired('b');
    expect(callees.silent('a')).toBe(true);
    callees.expired('c');
    expect([callees.silent('a'), callees.silent('b'), callees.silent('c')]).toEqual([false, false, true]);
  });
});
