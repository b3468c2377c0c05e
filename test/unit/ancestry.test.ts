/**
 * The ancestry index (ingest/ancestry.ts) against what it replaced, a Map from `traceId + spanId` to
 * the span in arrival order: the same spans found, the same parents, the same expiry and eviction,
 * through ring growth, deletions in the middle of probe runs and ids that are not model hex.
 */
import { describe, expect, it } from 'vitest';
import { createAncestryIndex, type Ancestor } from '../../ingest/ancestry.js';
import { describeService, internalOperation } from '../../ingest/derive.js';
import { SpanKind } from '../../ingest/span.js';

const services = ['shop', 'billing', 'stock'].map((name) => describeService({ 'service.name': name }));
const ops = services.map((s) => internalOperation('work', s));

/** A small deterministic generator (the test must fail the same way every time). */
function random(seed: number) {
  let x = seed;
  return () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 2 ** 32;
  };
}

const hex = (next: () => number, chars: number) => {
  let s = '';
  for (let i = 0; i < chars; i++) s += Math.floor(next() * 16).toString(16);
  return s;
};

interface Held {
  traceId: string;
  spanId: string;
  a: Ancestor;
  arrived: number;
}

/** What the index replaced: a Map in arrival order (a repeated id moves to the end), oldest out past the bound. */
function reference(max: number) {
  const map = new Map<string, Held>();
  let evicted = 0;
  return {
    map,
    get evicted() {
      return evicted;
    },
    remember(h: Held) {
      const key = h.traceId + ' ' + h.spanId;
      map.delete(key);
      map.set(key, h);
      if (map.size > max) {
        map.delete(map.keys().next().value!);
        evicted++;
      }
    },
    expire(arrived: number) {
      for (const [key, h] of map) {
        if (h.arrived > arrived) break;
        map.delete(key);
      }
    },
  };
}

function ancestor(next: () => number, arrived: number, parentSpanId: string): Ancestor {
  const k = Math.floor(next() * 3);
  return {
    parentSpanId,
    name: `span-${k}`,
    kind: [SpanKind.SERVER, SpanKind.CLIENT, SpanKind.INTERNAL][k]!,
    service: services[k]!,
    op: k === 0 ? ops[k] : undefined,
    source: arrived * 10,
  };
}

/** Every span the reference holds is found with the same fields and parent; a forgotten one is not. */
function expectSame(index: ReturnType<typeof createAncestryIndex>, ref: ReturnType<typeof reference>, gone: Held[]) {
  // Differences gathered, then one assertion: an expect per span made the test minutes long.
  const wrong: string[] = [];
  for (const h of ref.map.values()) {
    const slot = index.find(h.traceId, h.spanId);
    if (slot < 0) {
      wrong.push(`${h.spanId} not found`);
      continue;
    }
    const parent = ref.map.get(h.traceId + ' ' + h.a.parentSpanId);
    const fields = [
      index.kind(slot) === h.a.kind,
      index.name(slot) === h.a.name,
      index.service(slot) === h.a.service,
      index.entryOp(slot) === h.a.op,
      index.hasParent(slot) === (h.a.parentSpanId !== ''),
      index.parentOf(slot) === (parent ? index.find(parent.traceId, parent.spanId) : -1),
    ];
    if (fields.includes(false)) wrong.push(`${h.spanId}: ${fields.join(' ')}`);
  }
  for (const h of gone)
    if (!ref.map.has(h.traceId + ' ' + h.spanId) && index.find(h.traceId, h.spanId) >= 0)
      wrong.push(`${h.spanId} still found`);
  expect(wrong).toEqual([]);
  expect(index.size).toBe(ref.map.size);
  expect(index.evicted).toBe(ref.evicted);
  const first = ref.map.values().next();
  expect(index.oldestSource()).toBe(first.done ? Number.POSITIVE_INFINITY : first.value.a.source);
}

/** Traces of a few spans each, children under earlier spans of their trace, expired as time goes. */
function run(opts: { seed: number; max: number; spans: number; repeats: number; odd: number; window: number }) {
  const next = random(opts.seed);
  const index = createAncestryIndex(opts.max);
  const ref = reference(opts.max);
  const all: Held[] = [];
  let trace: Held[] = [];
  for (let i = 0; i < opts.spans; i++) {
    if (trace.length === 0 || next() < 0.2) trace = [];
    const odd = next() < opts.odd;
    const traceId = trace[0]?.traceId ?? (odd ? `zipkin-${i}` : hex(next, 32));
    // A span sent twice (a retried export): the same trace and span id as an earlier one.
    const again = all.length > 0 && next() < opts.repeats ? all[Math.floor(next() * all.length)] : undefined;
    const spanId = again?.spanId ?? (odd ? `s${i}` : hex(next, 16));
    const parent = trace.length > 0 ? trace[Math.floor(next() * trace.length)]!.spanId : '';
    const held = { traceId: again?.traceId ?? traceId, spanId, a: ancestor(next, i, parent), arrived: i };
    index.remember(held.traceId, held.spanId, held.a, held.arrived);
    ref.remember(held);
    all.push(held);
    trace.push(held);
    if (i % 499 === 0) {
      index.expire(i - opts.window);
      ref.expire(i - opts.window);
      expectSame(index, ref, all.slice(-300));
    }
  }
  expectSame(index, ref, all);
  index.expire(Number.POSITIVE_INFINITY);
  ref.expire(Number.POSITIVE_INFINITY);
  expectSame(index, ref, all);
  return index;
}

describe('the ancestry index', () => {
  it('finds spans and their parents as the Map did, while it grows and expires', () => {
    run({ seed: 1, max: 1_000_000, spans: 6_000, repeats: 0, odd: 0, window: 2_500 });
  });

  it('keeps arrival order when a span id comes again (the later one counts, and expires later)', () => {
    run({ seed: 2, max: 1_000_000, spans: 4_000, repeats: 0.05, odd: 0, window: 1_200 });
  });

  it('holds at most its bound: the oldest go early, counted', () => {
    const index = run({ seed: 3, max: 1_500, spans: 5_000, repeats: 0, odd: 0, window: 1_000_000 });
    expect(index.evicted).toBe(5_000 - 1_500);
  });

  it('keeps ids that are not model hex (importers, tests) by their string, parents included', () => {
    run({ seed: 4, max: 1_000_000, spans: 3_000, repeats: 0.02, odd: 0.3, window: 1_000 });
  });

  it('keeps them through a growth of a ring that has wrapped (its slots renumbered)', () => {
    // A window a little over half the first capacity: the ring wraps, then grows with its head inside.
    run({ seed: 5, max: 1_000_000, spans: 4_000, repeats: 0.02, odd: 0.3, window: 600 });
  });

  it('finds a hex span under a parent whose id is not hex, and the reverse', () => {
    const index = createAncestryIndex(10);
    const trace = 'ab'.repeat(16);
    const a = (parentSpanId: string, source: number): Ancestor => ({
      parentSpanId,
      name: 'x',
      kind: SpanKind.INTERNAL,
      service: services[0]!,
      source,
    });
    index.remember(trace, 'root', a('', 1), 1);
    index.remember(trace, '0123456789abcdef', a('root', 2), 2);
    index.remember(trace, 'leaf', a('0123456789abcdef', 3), 3);
    const leaf = index.find(trace, 'leaf');
    const middle = index.parentOf(leaf);
    expect(middle).toBe(index.find(trace, '0123456789abcdef'));
    expect(index.parentOf(middle)).toBe(index.find(trace, 'root'));
    expect(index.parentOf(index.find(trace, 'root'))).toBe(-1);
    // Upper-case hex is not the model's: a different id, not found by the lower-case one.
    expect(index.find(trace.toUpperCase(), '0123456789abcdef')).toBe(-1);
    expect(index.find(trace, '0123456789ABCDEF')).toBe(-1);
  });
});
