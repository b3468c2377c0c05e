/** The pure pieces of the MCP tools: "did you mean" suggestions, times as a model writes them, pages. */
import { describe, expect, it } from 'vitest';
import { nearMatches } from '../../src/api/mcp/near-matches.js';
import { page, resolveSince } from '../../src/api/mcp/tool-results.js';

describe('nearMatches', () => {
  const known = ['payments', 'payment-gateway', 'checkout', 'orders-db', 'api.stripe.com', 'shipping'];

  it('names a typo, then names containing the wanted one, and nothing far off', () => {
    expect(nearMatches('paymnts', known)).toEqual(['payments']);
    expect(nearMatches('payment', known)).toEqual(['payments', 'payment-gateway']);
    expect(nearMatches('CHECKOUT', known)).toEqual(['checkout']);
    expect(nearMatches('inventory', known)).toEqual([]);
  });

  it('gives at most five, closest first', () => {
    const many = Array.from({ length: 20 }, (_, i) => `svc-${i}`);
    expect(nearMatches('svc-1', many)).toHaveLength(5);
    expect(nearMatches('svc-1', many)[0]).toBe('svc-1');
  });
});

describe('resolveSince', () => {
  const now = Date.parse('2026-05-01T15:30:00Z');

  it('reads ISO instants, durations back from now and "today"', () => {
    expect(resolveSince('2026-04-30T09:00:00Z', now)?.toISOString()).toBe('2026-04-30T09:00:00.000Z');
    expect(resolveSince('30m', now)?.toISOString()).toBe('2026-05-01T15:00:00.000Z');
    expect(resolveSince('6h', now)?.toISOString()).toBe('2026-05-01T09:30:00.000Z');
    expect(resolveSince('7d', now)?.toISOString()).toBe('2026-04-24T15:30:00.000Z');
    expect(resolveSince('Today', now)?.toISOString()).toBe('2026-05-01T00:00:00.000Z');
  });

  it('refuses what is not a time', () => {
    for (const bad of ['yesterday-ish', '12', '2026-13-45T00:00:00Z', '5 weeks', '']) {
      expect(resolveSince(bad, now)).toBeUndefined();
    }
  });
});

describe('page', () => {
  it('says where the next page starts, and null on the last', () => {
    const items = Array.from({ length: 5 }, (_, i) => i);
    expect(page(items, 0, 2)).toEqual({ items: [0, 1], total: 5, offset: 0, nextOffset: 2 });
    expect(page(items, 4, 2)).toEqual({ items: [4], total: 5, offset: 4, nextOffset: null });
    expect(page(items, 9, 2)).toEqual({ items: [], total: 5, offset: 9, nextOffset: null });
  });
});
