/**
 * The ancestry index (ingest/ancestry.ts) against what it replaced, a Map from `traceId + spanId` to
 * the span in arrival order: the same spans found, the same parents, nothing found past the window,
 * through ring growth, blocks let go whole and ids that are not model hex; at its bound, the newest
 * spans held and the rest counted as evicted.
 */
import { describe, expect, it } from 'vitest';
import { BLOCKS, createAncestryIndex, type Ancestor } from '../../ingest/ancestry.js';
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

/** What the index replaced (below its bound): a Map in arrival order (a repeated id moves to the end). */
function reference() {
  const map = new Map<string, Held>();
  return {
    map,
    remember(h: Held) {
      const key = h.traceId + ' ' + h.spanId;
      map.delete(key);
      map.set(key, h);
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

/**
 * Every span the reference holds is found with the same fields and parent; a forgotten one is not.
 * `repeated`: spans remembered again so far, an earlier copy of which may still count in `size`
 * (and give `oldestSource`) until its block goes (see the index's file comment); `evicted`: how many
 * the bound let go.
 */
function expectSame(
  index: ReturnType<typeof createAncestryIndex>,
  ref: ReturnType<typeof reference>,
  gone: Held[],
  { repeated = 0, evicted = 0 } = {},
) {
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
  expect(index.evicted).toBe(evicted);
  const first = ref.map.values().next();
  const oldest = first.done ? Number.POSITIVE_INFINITY : first.value.a.source;
  if (repeated === 0) {
    expect(index.size).toBe(ref.map.size);
    expect(index.oldestSource()).toBe(oldest);
  } else {
    expect(index.size).toBeGreaterThanOrEqual(ref.map.size);
    expect(index.size).toBeLessThanOrEqual(ref.map.size + repeated);
    expect(index.oldestSource()).toBeLessThanOrEqual(oldest);
  }
}

/** Traces of a few spans each, children under earlier spans of their trace, expired as time goes. */
function run(opts: { seed: number; spans: number; repeats: number; odd: number; window: number }) {
  const next = random(opts.seed);
  const index = createAncestryIndex(1_000_000);
  const ref = reference();
  const all: Held[] = [];
  let repeated = 0;
  let trace: Held[] = [];
  for (let i = 0; i < opts.spans; i++) {
    if (trace.length === 0 || next() < 0.2) trace = [];
    const odd = next() < opts.odd;
    const traceId = trace[0]?.traceId ?? (odd ? `zipkin-${i}` : hex(next, 32));
    // A span sent twice (a retried export): the same trace and span id as an earlier one.
    const again = all.length > 0 && next() < opts.repeats ? all[Math.floor(next() * all.length)] : undefined;
    if (again) repeated++;
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
      // Spans past the window whose block is still held among them: not found either.
      expectSame(index, ref, all.slice(-2 * opts.window), { repeated });
    }
  }
  expectSame(index, ref, all, { repeated });
  index.expire(Number.POSITIVE_INFINITY);
  ref.expire(Number.POSITIVE_INFINITY);
  expectSame(index, ref, all);
  expect(index.size).toBe(0);
}

describe('the ancestry index', () => {
  it('finds spans and their parents as the Map did, while it grows and expires', () => {
    run({ seed: 1, spans: 6_000, repeats: 0, odd: 0, window: 2_500 });
  });

  it('keeps arrival order when a span id comes again (the later one counts, and expires later)', () => {
    run({ seed: 2, spans: 4_000, repeats: 0.05, odd: 0, window: 1_200 });
  });

  it('counts a span sent again soon once: its newer copy found, the older one gone at once', () => {
    const index = createAncestryIndex(1_000);
    const trace = 'ab'.repeat(16);
    const a = (kind: SpanKind, source: number): Ancestor => ({
      parentSpanId: '',
      name: 'x',
      kind,
      service: services[0]!,
      source,
    });
    index.remember(trace, '00000000000000a1', a(SpanKind.SERVER, 1), 1);
    index.remember(trace, '00000000000000b2', a(SpanKind.INTERNAL, 2), 2);
    index.remember(trace, '00000000000000a1', a(SpanKind.CLIENT, 3), 3);
    expect(index.size).toBe(2);
    expect(index.kind(index.find(trace, '00000000000000a1'))).toBe(SpanKind.CLIENT);
    expect(index.oldestSource()).toBe(2);
    index.expire(2);
    expect(index.size).toBe(1);
    expect(index.kind(index.find(trace, '00000000000000a1'))).toBe(SpanKind.CLIENT);
    expect(index.find(trace, '00000000000000b2')).toBe(-1);
  });

  it('holds at most its bound: the newest spans, the oldest block let go early and counted', () => {
    const next = random(3);
    const max = 1_500;
    const index = createAncestryIndex(max);
    const all: Held[] = [];
    for (let i = 0; i < 5_000; i++) {
      const traceId = hex(next, 32);
      const parent = all.length > 0 && next() < 0.7 ? all[all.length - 1 - Math.floor(next() * 5)] : undefined;
      const held = {
        traceId: parent?.traceId ?? traceId,
        spanId: hex(next, 16),
        a: ancestor(next, i, parent?.spanId ?? ''),
        arrived: i,
      };
      index.remember(held.traceId, held.spanId, held.a, held.arrived);
      all.push(held);
      if (i % 97 !== 0 && i !== 4_999) continue;
      // A block is at most a quarter of the bound (a power of two of at least an eighth).
      expect(index.size).toBeLessThanOrEqual(max);
      if (all.length > max) expect(index.size).toBeGreaterThan(max * (1 - 2 / BLOCKS));
      const ref = reference();
      for (const h of all.slice(all.length - index.size)) ref.remember(h);
      const evicted = all.length - index.size;
      expectSame(index, ref, all.slice(0, evicted).slice(-600), { evicted });
    }
  });

  it('at its bound and past its window at once, with ids not in hex and repeated: finds only what it should', () => {
    const next = random(6);
    const max = 200;
    const window = 150;
    const index = createAncestryIndex(max);
    const all: Held[] = [];
    const newest = new Map<string, Held>();
    for (let i = 0; i < 3_000; i++) {
      const odd = next() < 0.3;
      const again = all.length > 0 && next() < 0.05 ? all[all.length - 1 - Math.floor(next() * 20)] : undefined;
      const parent = all.length > 0 && next() < 0.7 ? all[all.length - 1 - Math.floor(next() * 5)] : undefined;
      const held = {
        traceId: again?.traceId ?? parent?.traceId ?? (odd ? `zipkin-${i}` : hex(next, 32)),
        spanId: again?.spanId ?? (odd ? `s${i}` : hex(next, 16)),
        a: ancestor(next, i, parent && !again ? parent.spanId : (again?.a.parentSpanId ?? '')),
        arrived: i,
      };
      index.remember(held.traceId, held.spanId, held.a, held.arrived);
      all.push(held);
      newest.set(`${held.traceId} ${held.spanId}`, held);
      // Expired at a window the bound reaches first in bursts: blocks go partly gone, partly evicted.
      if (i % 37 === 0) index.expire(i - window);
      if (i % 101 !== 0) continue;
      const deadline = Math.floor(i / 37) * 37 - window;
      expect(index.size).toBeLessThanOrEqual(max);
      const wrong: string[] = [];
      for (const [key, h] of newest) {
        const slot = index.find(h.traceId, h.spanId);
        // The newest copy only, inside the window; among the newest three quarters of the bound, surely held.
        if (h.arrived <= deadline) {
          if (slot >= 0) wrong.push(`${key} found past the window`);
        } else if (h.arrived > i - max * (1 - 2 / BLOCKS) && slot < 0) wrong.push(`${key} not found`);
        else if (slot >= 0 && (index.kind(slot) !== h.a.kind || index.name(slot) !== h.a.name))
          wrong.push(`${key} is an older copy`);
      }
      expect(wrong).toEqual([]);
    }
    index.expire(Number.POSITIVE_INFINITY);
    expect(index.size).toBe(0);
    for (const h of all) expect(index.find(h.traceId, h.spanId)).toBe(-1);
    expect(index.evicted).toBeGreaterThan(0);
  });

  it('keeps ids that are not model hex (importers, tests) by their string, parents included', () => {
    run({ seed: 4, spans: 3_000, repeats: 0.02, odd: 0.3, window: 1_000 });
  });

  it('keeps them through a growth of a ring that has wrapped (its slots renumbered)', () => {
    // A window a little over half the first capacity: the ring wraps, then grows with its head inside.
    run({ seed: 5, spans: 4_000, repeats: 0.02, odd: 0.3, window: 600 });
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
