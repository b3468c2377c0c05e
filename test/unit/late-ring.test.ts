/**
 * The late memory's ring of columns (ingest/late-ring.ts) alone: a half held is found by its key with
 * its figures, the start forgets in expiry order (the late window), a slot taken from the middle is
 * no longer found, the bound forgets the oldest first and counts them (through the engine), and the
 * chunks the start has passed are reused, so that a steady flow does not grow the memory.
 */
import { describe, expect, it } from 'vitest';
import { LateRing, SLOT_BYTES, type SlotFigures } from '../../ingest/late-ring.js';
import { createLatePairs } from '../../ingest/late-pairs.js';

const figures = (seq: number, over: Partial<SlotFigures> = {}): SlotFigures => ({
  error: seq % 2 === 1,
  latencyMs: seq + 0.5,
  at: 1_700_000_000_000 + seq,
  source: 7,
  expiredAt: 1_700_000_010_000 + seq,
  seq,
  template: -1,
  segment: -1,
  index: -1,
  ...over,
});

/** a distinct 48-character lower-case hex key (trace id and span id) */
const key = (n: number) => n.toString(16).padStart(32, '0') + (n * 7919).toString(16).padStart(16, 'a');

const blank = (): SlotFigures => figures(0);

describe('late ring', () => {
  it('finds a half by its key with the figures it was given, and nothing under a key not held', () => {
    const ring = new LateRing();
    const refs = Array.from({ length: 5000 }, (_, n) => ring.push(key(n), figures(n, { template: n % 3 })));
    expect(ring.size).toBe(5000);
    for (const n of [0, 1, 4095, 4096, 4999]) {
      const ref = ring.find(key(n));
      expect(ref).toBe(refs[n]);
      expect(ring.key(ref)).toBe(key(n));
      expect(ring.read(ref, blank())).toEqual(figures(n, { template: n % 3 }));
    }
    expect(ring.find(key(5000))).toBe(-1);
    expect(ring.find('not a hex key')).toBe(-1);
  });

  it('a later half with the same key is the one found; a half without a hex key is held but not indexed', () => {
    const ring = new LateRing();
    ring.push(key(1), figures(1));
    const later = ring.push(key(1), figures(2));
    ring.push('X'.repeat(48), figures(3));
    expect(ring.find(key(1))).toBe(later);
    expect(ring.size).toBe(3);
  });

  it('forgets from the start in expiry order; a slot taken from the middle is no longer found', () => {
    const ring = new LateRing();
    for (let n = 0; n < 10; n++) ring.push(key(n), figures(n));
    ring.remove(ring.find(key(5)));
    expect(ring.find(key(5))).toBe(-1);
    expect(ring.size).toBe(9);
    // The taken slot stays in place until the start passes it.
    expect(ring.length).toBe(10);
    // The late window: the oldest go while they expired before the deadline.
    const deadline = figures(6).expiredAt;
    const gone: number[] = [];
    for (let ref = ring.oldest(); ref >= 0 && ring.expiredAt(ref) <= deadline; ref = ring.oldest()) {
      gone.push(ring.seq(ref));
      ring.remove(ref);
    }
    expect(gone).toEqual([0, 1, 2, 3, 4, 6]);
    expect(ring.size).toBe(3);
    expect(ring.length).toBe(3);
    for (let n = 0; n < 7; n++) expect(ring.find(key(n))).toBe(-1);
    for (let n = 7; n < 10; n++) expect(ring.read(ring.find(key(n)), blank()).seq).toBe(n);
  });

  it('keys whose hashes collide are all found, and removing one leaves the others findable', () => {
    const ring = new LateRing(() => 0);
    for (let n = 0; n < 50; n++) ring.push(key(n), figures(n));
    for (const n of [0, 10, 20, 49]) ring.remove(ring.find(key(n)));
    for (let n = 0; n < 50; n++) {
      const ref = ring.find(key(n));
      if ([0, 10, 20, 49].includes(n)) expect(ref).toBe(-1);
      else expect(ring.seq(ref)).toBe(n);
    }
  });

  it('reuses the chunks its start has passed: a steady flow holds the same bytes, and a reused ref is not taken for the old half', () => {
    const ring = new LateRing();
    let seq = 0;
    const first = ring.push(key(seq), figures(seq++));
    const firstSeq = 0;
    for (let n = 1; n < 10_000; n++) ring.push(key(seq), figures(seq++));
    const sizes: number[] = [];
    for (let round = 0; round < 20; round++) {
      for (let n = 0; n < 10_000; n++) {
        ring.remove(ring.oldest());
        ring.push(key(seq), figures(seq++));
      }
      sizes.push(ring.bytes);
    }
    expect(ring.size).toBe(10_000);
    // Three chunks hold 10,000 slots; a fourth is the one being filled as the first empties.
    expect(new Set(sizes)).toEqual(new Set([sizes[0]]));
    // The index: a ref and a hash per entry, twice as many entries as halves at most, rounded up.
    expect(sizes[0]).toBeLessThanOrEqual(4 * 4096 * SLOT_BYTES + 32_768 * 8);
    expect(ring.holds(first, firstSeq)).toBe(false);
    expect(ring.find(key(firstSeq))).toBe(-1);
    expect(ring.seq(ring.find(key(seq - 1)))).toBe(seq - 1);
  });
});

describe('late memory bound', () => {
  it('past the bound the oldest are forgotten first and counted; the newest are still found', () => {
    const late = createLatePairs({ windowMs: 15 * 60_000, maxEntries: 3 });
    const agg = { agg: undefined as never };
    const service = { key: 'shop' };
    const half = (n: number) =>
      ({
        traceId: key(n).slice(0, 32),
        spanId: key(n).slice(32),
        error: false,
        latencyMs: 1,
        at: n,
        source: 0,
        parentSpanId: key(n).slice(32),
        name: 'GET /',
        service,
      }) as never;
    for (let n = 0; n < 5; n++) late.expire('server', half(n), [key(n)], n, agg, () => false);
    expect(late.stats()).toMatchObject({ waiting: 3, droppedBound: 2 });
    expect(late.take([key(0)], 'server')).toBeUndefined();
    expect(late.take([key(1)], 'server')).toBeUndefined();
    expect(late.take([key(4)], 'server')?.seq).toBe(4);
  });
});
