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

/** One recent-health ring: the time each slot holds (minute or hour number, -1 none) and its figures. */
export interface Ring {
  epochs: number[];
  calls: number[];
  errors: number[];
  latSum: number[];
}

/**
 * A ring with the minute still being counted (`hmCur`, kept apart by the writer so that the lists
 * are not rewritten on every flush, see `current` below) added to its slot by the writer's own rule: a slot holding that
 * time adds to it, a slot holding an older time is replaced, a slot holding a newer time is kept.
 * `t` is that minute in the ring's unit (the minute, or its hour).
 */
function withCurrent(r: Ring, slots: number, t: number, add: WindowFigures): Ring {
  const slot = t % slots;
  const held = r.epochs[slot] ?? -1;
  if (held > t) return r;
  const put = (xs: number[], value: number) => {
    const out = xs.slice();
    out[slot] = (held === t ? (xs[slot] ?? 0) : 0) + value;
    return out;
  };
  return {
    epochs: r.epochs.map((e, i) => (i === slot ? t : e)),
    calls: put(r.calls, add.calls),
    errors: put(r.errors, add.errors),
    latSum: put(r.latSum, add.latSum),
  };
}

/** Float sums differ in their last bits: the current minute's latency is kept to the nanosecond. */
const NANOS_PER_MS = 1e6;

/**
 * The figures of the minute still being counted: the totals less the totals at its start
 * (ingest/current-minute.ts), or, as written before the start was kept, the minute's own scalars.
 */
const current = (m: MeasureRecord): WindowFigures =>
  m.hmStartCalls != null
    ? {
        calls: m.calls - m.hmStartCalls,
        errors: m.errors - (m.hmStartErrors ?? 0),
        latSum: Math.max(0, Math.round((m.latSum - (m.hmStartLatSum ?? 0)) * NANOS_PER_MS) / NANOS_PER_MS),
      }
    : { calls: m.hmCurCalls ?? 0, errors: m.hmCurErrors ?? 0, latSum: m.hmCurLatSum ?? 0 };

/** The minute ring as written, with the current minute folded in. */
export function minuteRing(m: MeasureRecord): Ring {
  const r = { epochs: m.hm, calls: m.hmCalls, errors: m.hmErrors, latSum: m.hmLatSum };
  return m.hmCur == null ? r : withCurrent(r, MINUTE_SLOTS, m.hmCur, current(m));
}

/** The hour ring as written, with the current minute folded into its hour. */
export function hourRing(m: MeasureRecord): Ring {
  const r = { epochs: m.hh, calls: m.hhCalls, errors: m.hhErrors, latSum: m.hhLatSum };
  return m.hmCur == null ? r : withCurrent(r, HOUR_SLOTS, Math.floor(m.hmCur / 60), current(m));
}

/**
 * Calls, errors and summed latency over the last `windowMs` before `now`: minute slots for windows up
 * to an hour, hour slots up to a day; longer windows fall back to the totals since firstSeen.
 */
export function windowFigures(m: MeasureRecord, windowMs: number, now: number): WindowFigures {
  const sum = (r: Ring, from: number) => {
    const out = { calls: 0, errors: 0, latSum: 0 };
    r.epochs.forEach((e, i) => {
      if (e >= from) {
        out.calls += r.calls[i] ?? 0;
        out.errors += r.errors[i] ?? 0;
        out.latSum += r.latSum[i] ?? 0;
      }
    });
    return out;
  };
  if (windowMs <= MINUTE_SLOTS * MINUTE_MS) return sum(minuteRing(m), Math.floor((now - windowMs) / MINUTE_MS) + 1);
  if (windowMs <= HOUR_SLOTS * HOUR_MS) return sum(hourRing(m), Math.floor((now - windowMs) / HOUR_MS) + 1);
  return { calls: m.calls, errors: m.errors, latSum: m.latSum };
}
