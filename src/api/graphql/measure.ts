/** Figures derived from stored measures: percentiles from the latency histogram, windows from the health rings. */
import { HOUR_MS, HOUR_SLOTS, LATENCY_BOUNDS_MS, MINUTE_MS, MINUTE_SLOTS } from '../../core/model.js';
import type { MeasureRecord } from './data/projections.js';

/** A percentile (0–1) from histogram counts, interpolated linearly inside its bucket. */
export function percentile(buckets: number[], max: number, q: number): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const count = buckets[i]!;
    if (count > 0 && seen + count >= rank) {
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      const upper = i < LATENCY_BOUNDS_MS.length ? LATENCY_BOUNDS_MS[i]! : Math.max(max, lower);
      const value = lower + ((rank - seen) / count) * (upper - lower);
      return Math.min(value, max);
    }
    seen += count;
  }
  return max;
}

export interface WindowFigures {
  calls: number;
  errors: number;
  latSum: number;
}

/**
 * Calls, errors and summed latency over the last `windowMs` before `now`: minute slots for windows up
 * to an hour, hour slots up to a day; longer windows fall back to the totals since firstSeen.
 */
export function windowFigures(m: MeasureRecord, windowMs: number, now: number): WindowFigures {
  const sum = (epochs: number[], calls: number[], errors: number[], lat: number[], from: number) => {
    const out = { calls: 0, errors: 0, latSum: 0 };
    epochs.forEach((e, i) => {
      if (e >= from) {
        out.calls += calls[i] ?? 0;
        out.errors += errors[i] ?? 0;
        out.latSum += lat[i] ?? 0;
      }
    });
    return out;
  };
  if (windowMs <= MINUTE_SLOTS * MINUTE_MS) {
    const from = Math.floor((now - windowMs) / MINUTE_MS) + 1;
    return sum(m.hm, m.hmCalls, m.hmErrors, m.hmLatSum, from);
  }
  if (windowMs <= HOUR_SLOTS * HOUR_MS) {
    const from = Math.floor((now - windowMs) / HOUR_MS) + 1;
    return sum(m.hh, m.hhCalls, m.hhErrors, m.hhLatSum, from);
  }
  return { calls: m.calls, errors: m.errors, latSum: m.latSum };
}
