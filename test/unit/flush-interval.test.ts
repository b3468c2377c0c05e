import { describe, expect, it } from 'vitest';
import { createBusyMeter, createFlushInterval } from '../../ingest/flush-interval.js';
import { defaultConfig, loadConfig } from '../../src/core/config.js';

describe('the flush interval', () => {
  const interval = createFlushInterval({ minMs: 1000, maxMs: 4000, rowsPerSecond: 5000 });

  it('stays at the shortest while a flush has no more rows than the rate allows in it', () => {
    expect(interval(0)).toBe(1000);
    expect(interval(5000)).toBe(1000);
  });

  it('grows with the rows of the last flush, so that rows per second stay at the rate', () => {
    expect(interval(7500)).toBe(1500);
    expect(interval(15_000)).toBe(3000);
    expect(15_000 / (interval(15_000) / 1000)).toBe(5000);
  });

  it('stops growing at the longest interval, which bounds the staleness it adds', () => {
    expect(interval(20_000)).toBe(4000);
    expect(interval(1_000_000)).toBe(4000);
  });

  it('is the longest while the loop is behind, whatever the rows', () => {
    expect(interval(0, true)).toBe(4000);
    expect(interval(7500, true)).toBe(4000);
    expect(interval(7500, false)).toBe(1500);
  });

  it('counts the loop busy from the share of the last interval it worked, never with a percent of 0', () => {
    const shares = [0.9, 0.85, 0.84, 0.2, 1];
    const busy = createBusyMeter(85, () => shares.shift()!);
    expect([busy(), busy(), busy(), busy(), busy()]).toEqual([true, true, false, false, true]);
    const never = createBusyMeter(0, () => 1);
    expect(never()).toBe(false);
    expect(() => loadConfig({ TOPOGRAPH_FLUSH_BUSY_PERCENT: '101' })).toThrow(/TOPOGRAPH_FLUSH_BUSY_PERCENT/);
  });

  it('measures the share as the time the event loop worked over the wall time between two asks', async () => {
    const busy = createBusyMeter(50);
    busy();
    const until = performance.now() + 60;
    while (performance.now() < until); // the loop works the whole time
    expect(busy()).toBe(true);
    busy();
    await new Promise((r) => setTimeout(r, 250)); // the loop idles the whole time
    expect(busy()).toBe(false);
  });

  it('is fixed when no rate is set, behind or not', () => {
    const fixed = createFlushInterval({ minMs: 1000, maxMs: 4000, rowsPerSecond: 0 });
    expect(fixed(1_000_000)).toBe(1000);
    expect(fixed(0, true)).toBe(1000);
  });

  it('is configured with a longest interval below the lag bound', () => {
    expect(defaultConfig().ingest.flushInterval).toEqual({
      minMs: 1000,
      maxMs: 2000,
      rowsPerSecond: 8000,
      busyPercent: 85,
    });
    // An interval set longer than the longest (a test's 1h) stays as set: it does not grow.
    const long = loadConfig({ TOPOGRAPH_FLUSH_INTERVAL: '1h' }).ingest.flushInterval;
    expect(createFlushInterval(long)(1_000_000)).toBe(3_600_000);
    expect(() => loadConfig({ TOPOGRAPH_FLUSH_INTERVAL_MAX: '5s' })).toThrow(
      /TOPOGRAPH_FLUSH_INTERVAL_MAX: must be shorter than TOPOGRAPH_INGEST_MAX_LAG/,
    );
    expect(
      loadConfig({ TOPOGRAPH_FLUSH_INTERVAL_MAX: '5s', TOPOGRAPH_INGEST_MAX_LAG: '0s' }).ingest.flushInterval.maxMs,
    ).toBe(5000);
  });
});
