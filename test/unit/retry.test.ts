/** The one retry loop (src/core/retry.ts): back-off doubling up to its cap, and giving up when told to. */
import { describe, expect, it } from 'vitest';
import { backoffMs, retry } from '../../src/core/retry.js';

describe('retry', () => {
  it('tries again after each failure, waiting twice as long each time up to the cap', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await retry(
      async (attempt) => {
        calls++;
        if (attempt < 6) throw new Error(`failure ${attempt}`);
        return 'done';
      },
      { firstDelayMs: 500, maxDelayMs: 4000, sleep: async (ms) => void waits.push(ms) },
    );
    expect(result).toBe('done');
    expect(calls).toBe(6);
    expect(waits).toEqual([500, 1000, 2000, 4000, 4000]);
  });

  it('rethrows the failure shouldRetry refuses, after telling it the attempt', async () => {
    const seen: [string, number][] = [];
    const error = await retry(
      async (attempt) => {
        throw new Error(attempt === 3 ? 'permanent' : 'transient');
      },
      {
        firstDelayMs: 1,
        maxDelayMs: 1,
        sleep: async () => {},
        shouldRetry: (e, attempt) => {
          seen.push([(e as Error).message, attempt]);
          return (e as Error).message === 'transient';
        },
      },
    ).catch((e: unknown) => e);
    expect((error as Error).message).toBe('permanent');
    expect(seen).toEqual([
      ['transient', 1],
      ['transient', 2],
      ['permanent', 3],
    ]);
  });

  it('keeps the wait bounded however many failures came before', () => {
    expect(backoffMs(1, { firstDelayMs: 250, maxDelayMs: 10_000 })).toBe(250);
    expect(backoffMs(1_000, { firstDelayMs: 250, maxDelayMs: 10_000 })).toBe(10_000);
  });
});
