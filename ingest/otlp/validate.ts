/** Checks and limits every decoder applies to a span, whatever its wire format. */
import type { DecodeLimits } from '../../src/core/config.js';
import type { AttrValue, Attributes, Span } from '../span.js';

export const TOO_DEEP = '[too deep]';

/** Nothing real happens after this; a later time is a broken clock or a hostile sender. */
export const MAX_TIME_MS = Date.UTC(2100, 0, 1);

/** What one decoded request may hold: the TOPOGRAPH_MAX_* variables (src/core/config.ts). */
export type { DecodeLimits } from '../../src/core/config.js';

/** What the limits changed in a request that was still accepted (the worker counts these). */
export interface LimitCounts {
  attributesDropped: number;
  valuesTruncated: number;
  /** span kinds and status codes outside the enums, read as UNSPECIFIED / UNSET (proto3 keeps unknown values; newer SDKs may send them) */
  unknownEnums: number;
}

export const noLimitCounts = (): LimitCounts => ({ attributesDropped: 0, valuesTruncated: 0, unknownEnums: 0 });

const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** Returns why a span's ids or times make it unusable, or undefined when they are fine. */
export function checkSpanIds(span: Span): string | undefined {
  if (span.traceId.length !== 32) return `traceId must be 16 bytes, got ${span.traceId.length / 2}`;
  if (span.traceId === ZERO_TRACE) return 'traceId is all zeros';
  if (span.spanId.length !== 16) return `spanId must be 8 bytes, got ${span.spanId.length / 2}`;
  if (span.spanId === ZERO_SPAN) return 'spanId is all zeros';
  if (span.parentSpanId !== '' && span.parentSpanId.length !== 16) {
    return `parentSpanId must be empty or 8 bytes, got ${span.parentSpanId.length / 2}`;
  }
  if (span.parentSpanId === ZERO_SPAN) span.parentSpanId = '';
  if (!Number.isFinite(span.startMs) || !Number.isFinite(span.endMs)) return 'start or end time is not a number';
  if (span.endMs < span.startMs) return 'endTimeUnixNano is before startTimeUnixNano';
  return undefined;
}

/** checkSpanIds plus the configurable bounds on time an OTLP receiver enforces. */
export function checkSpan(span: Span, limits: DecodeLimits): string | undefined {
  const problem = checkSpanIds(span);
  if (problem) return problem;
  // Unsigned nanoseconds cannot be before 1970; only the far end needs a bound.
  // No Date here: past year 275760 it cannot even be printed.
  if (span.endMs > MAX_TIME_MS)
    return `endTimeUnixNano is after 2100-01-01 (${Math.round(span.endMs / 1000)} s since 1970)`;
  if (span.endMs - span.startMs > limits.maxDurationMs) {
    return `span lasts ${Math.round((span.endMs - span.startMs) / 1000)} s, longer than the limit of ${limits.maxDurationMs / 1000} s`;
  }
  return undefined;
}

// In a `u` regex a paired surrogate is one code point, so this finds only unpaired halves.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Whether a decoded string can be stored as UTF-8 (JSON escapes can carry unpaired surrogates). */
export const isWellFormed = (s: string): boolean => !LONE_SURROGATE.test(s);

/** The first string in a span (name, attribute keys and values) that is not well-formed Unicode. */
export function illFormedField(span: Span): string | undefined {
  if (!isWellFormed(span.name)) return 'name';
  return illFormedAttribute(span.attributes);
}

export function illFormedAttribute(attrs: Attributes): string | undefined {
  for (const key of Object.keys(attrs)) {
    if (!isWellFormed(key) || !valueWellFormed(attrs[key]!)) return `attribute "${key.slice(0, 64)}"`;
  }
  return undefined;
}

function valueWellFormed(v: AttrValue): boolean {
  if (typeof v === 'string') return isWellFormed(v);
  if (Array.isArray(v)) return v.every(valueWellFormed);
  if (v !== null && typeof v === 'object')
    return Object.entries(v).every(([k, x]) => isWellFormed(k) && valueWellFormed(x));
  return true;
}

/** Cuts a string to `max` UTF-16 units without splitting a surrogate pair. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = max > 0 && /[\uD800-\uDBFF]/.test(s[max - 1]!) ? max - 1 : max;
  return s.slice(0, cut);
}

/** A string cut to maxValueLength, counted when cut. */
export function limitString(s: string, limits: DecodeLimits, counts: LimitCounts): string {
  if (s.length <= limits.maxValueLength) return s;
  counts.valuesTruncated++;
  return truncate(s, limits.maxValueLength);
}

function limitValue(v: AttrValue, limits: DecodeLimits, counts: LimitCounts): AttrValue {
  if (typeof v === 'string') return limitString(v, limits, counts);
  if (Array.isArray(v)) return v.map((x) => limitValue(x, limits, counts));
  if (v !== null && typeof v === 'object') return limitAttributes(v, limits, counts);
  return v;
}

/**
 * Keeps the first maxAttributes attributes and cuts long strings, counting both, as the OpenTelemetry SDK limits do.
 * Attributes within the limits (nearly all) come back as they are, not copied.
 */
export function limitAttributes(attrs: Attributes, limits: DecodeLimits, counts: LimitCounts): Attributes {
  return withinLimits(attrs, limits) ? attrs : limitedCopy(attrs, limits, counts);
}

/**
 * Whether no attribute is past the count or length limits (nested arrays and lists are checked by
 * copying). Checked for every span: `for…in`, not an array of keys each time (docs/benchmarks.md
 * item 113); attributes are plain objects, so it sees their own keys only.
 */
function withinLimits(attrs: Attributes, limits: DecodeLimits): boolean {
  let n = 0;
  for (const key in attrs) {
    const v = attrs[key]!;
    if (++n > limits.maxAttributes) return false;
    if (typeof v === 'string' ? v.length > limits.maxValueLength : v !== null && typeof v === 'object') return false;
  }
  return true;
}

function limitedCopy(attrs: Attributes, limits: DecodeLimits, counts: LimitCounts): Attributes {
  const keys = Object.keys(attrs);
  if (keys.length > limits.maxAttributes) counts.attributesDropped += keys.length - limits.maxAttributes;
  const out: [string, AttrValue][] = [];
  for (const key of keys.slice(0, limits.maxAttributes)) out.push([key, limitValue(attrs[key]!, limits, counts)]);
  // fromEntries defines own properties, so a key such as "__proto__" stays an ordinary key.
  return Object.fromEntries(out);
}

/** Applies the attribute and length limits to a span in place. */
export function limitSpan(span: Span, limits: DecodeLimits, counts: LimitCounts): void {
  span.name = limitString(span.name, limits, counts);
  span.attributes = limitAttributes(span.attributes, limits, counts);
}
