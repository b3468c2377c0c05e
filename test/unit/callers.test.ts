/**
 * The caller-resolution stage on its own (ingest/callers.ts), time passed in: a call waits for the
 * entry operation above its client span, is made on its behalf once that span is known, and falls
 * back to an internal operation once it has waited the TTL.
 */
import { describe, expect, it } from 'vitest';
import { OperationKind } from '../../src/core/model.js';
import { Aggregator } from '../../ingest/aggregate.js';
import { createCallerStage, type Half } from '../../ingest/callers.js';
import { describeService, internalOperation } from '../../ingest/derive.js';
import { SpanKind } from '../../ingest/span.js';
import { Origin } from '../../ingest/presence.js';

const shop = describeService({ 'service.name': 'shop' });
const checkout = { ...internalOperation('checkout', shop), kind: OperationKind.SERVER };
const TTL = 10_000;

function stage() {
  const out = { agg: new Aggregator({ exemplarsPerEdge: 1 }) };
  return { out, callers: createCallerStage({ ttlMs: TTL, maxOrphans: 10, maxAncestry: 10 }, out) };
}

const client = (parentSpanId: string): Half => ({
  traceId: 't'.repeat(32),
  spanId: 'c'.repeat(16),
  parentSpanId,
  name: 'GET',
  kind: SpanKind.CLIENT,
  service: shop,
  error: false,
  latencyMs: 5,
  at: 1_000,
  protocol: 'http',
  source: 1,
  origin: Origin.otlp,
});

/** The entry span `checkout` (span id p…p) the calls above are made under, arriving at `at`. */
const rememberEntry = (callers: ReturnType<typeof stage>['callers'], at: number) =>
  callers.remember(
    {
      traceId: 't'.repeat(32),
      spanId: 'p'.repeat(16),
      parentSpanId: '',
      name: 'checkout',
      kind: SpanKind.SERVER,
      service: shop,
      op: checkout,
      source: 2,
    },
    at,
  );

const callsOf = (out: { agg: Aggregator }) => out.agg.drain().calls.map((c) => `${c.from} -> ${c.to} x${c.calls}`);

describe('caller resolution', () => {
  it('makes a waiting call on behalf of the entry operation above it, once that span arrives', () => {
    const { out, callers } = stage();
    callers.callTo(client('p'.repeat(16)), 'billing-op', false, 5, 1_000);
    callers.resolve(2_000, false);
    expect(callers.stats().pendingCalls).toBe(1);
    expect(callsOf(out)).toEqual([]);

    rememberEntry(callers, 3_000);
    callers.resolve(3_000, false);
    expect(callers.stats()).toMatchObject({ pendingCalls: 0, unresolvedCallers: 0 });
    expect(callsOf(out)).toEqual([`${checkout.key} -> billing-op x1`]);
  });

  it('credits at the end of a batch the calls whose caller is known, and keeps the rest (and expiries) for the collect', () => {
    const { out, callers } = stage();
    const parent = 'p'.repeat(16);
    rememberEntry(callers, 1_000);
    callers.callTo(client(parent), 'billing-op', false, 5, 1_000);
    callers.callTo(client('q'.repeat(16)), 'stock-op', false, 5, 1_000);
    // Queued by an expiry: a late partner may still take it back before the collect.
    callers.callTo(client(parent), 'mail-op', false, 5, 1_000, '', (agg) => agg);
    callers.creditKnown(1_000);
    expect(callers.stats().pendingCalls).toBe(2);
    expect(callsOf(out)).toEqual([`${checkout.key} -> billing-op x1`]);

    // Asked once at its batch's end: a call still waiting is asked again at the collect.
    callers.creditKnown(1_500);
    expect(callers.stats().pendingCalls).toBe(2);
    callers.resolve(2_000, false);
    expect(callers.stats().pendingCalls).toBe(1);
    expect(callsOf(out)).toEqual([`${checkout.key} -> mail-op x1`]);

    // Past the TTL (a call restored from a checkpoint, asked by the first batch after a restart): a
    // batch's end does not give up on its caller, the collect does.
    callers.callTo(client('r'.repeat(16)), 'late-op', false, 5, 1_000);
    callers.creditKnown(1_000 + TTL + 1);
    expect(callers.stats()).toMatchObject({ pendingCalls: 2, unresolvedCallers: 0 });
    callers.resolve(1_000 + TTL + 1, false);
    expect(callers.stats()).toMatchObject({ pendingCalls: 0, unresolvedCallers: 2 });
  });

  it('gives up on a missing parent after the TTL: the client span itself is the caller, counted', () => {
    const { out, callers } = stage();
    callers.callTo(client('p'.repeat(16)), 'billing-op', false, 5, 1_000);
    callers.resolve(1_000 + TTL - 1, false);
    expect(callers.stats().pendingCalls).toBe(1);
    callers.resolve(1_000 + TTL, false);
    expect(callers.stats()).toMatchObject({ pendingCalls: 0, unresolvedCallers: 1 });
    expect(callsOf(out)).toEqual([`${internalOperation('GET', shop).key} -> billing-op x1`]);
  });

  it('names what waits by reference, with the oldest input it came from', () => {
    const { callers } = stage();
    callers.callTo(client('p'.repeat(16)), 'billing-op', true, 5, 1_000);
    expect(callers.state()).toEqual({
      orphans: [],
      calls: [
        {
          client: 't'.repeat(32) + 'c'.repeat(16),
          service: shop.key,
          toOp: 'billing-op',
          error: true,
          latencyMs: 5,
          queuedAt: 1_000,
        },
      ],
      oldestSource: 1,
    });
  });
});
