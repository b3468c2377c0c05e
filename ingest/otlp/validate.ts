/** Checks every decoder applies to a span, whatever its wire format. */
import type { Span } from '../span.js';

/** Attribute values nested deeper than this (arrays in kvlists in arrays…) are replaced by TOO_DEEP. */
export const MAX_ATTRIBUTE_DEPTH = 8;
export const TOO_DEEP = '[too deep]';

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
