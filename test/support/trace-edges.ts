/**
 * Test helpers for decoder tests: the cross-service edges a DecodedBatch makes visible through
 * parent span ids.
 */
import type { DecodedBatch, Span } from '../../ingest/span.js';
import { SpanKind } from '../../ingest/span.js';

export interface PlacedSpan {
  span: Span;
  service: string;
}

export function placedSpans(decoded: DecodedBatch): PlacedSpan[] {
  return decoded.batch.flatMap((rs) =>
    rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => ({ span, service: String(rs.resource['service.name']) }))),
  );
}

export const servicesOf = (decoded: DecodedBatch): string[] =>
  [...new Set(placedSpans(decoded).map((p) => p.service))].sort();

/** (trace id, span id) pairs that occur more than once. */
export function duplicateIds(decoded: DecodedBatch): string[] {
  const seen = new Set<string>();
  const dups: string[] = [];
  for (const { span } of placedSpans(decoded)) {
    const key = `${span.traceId}/${span.spanId}`;
    if (seen.has(key)) dups.push(key);
    seen.add(key);
  }
  return dups;
}

export interface Edges {
  /** a CLIENT span in A whose child is a SERVER span in B */
  calls: string[];
  /** a PRODUCER span in A whose child is a CONSUMER span in B */
  messaging: string[];
  /** any span in A whose child is in B, whatever the kinds */
  parentChild: string[];
}

/** Distinct cross-service edges, each written `A -> B`, sorted. */
export function edgesOf(decoded: DecodedBatch): Edges {
  const spans = placedSpans(decoded);
  const byId = new Map(spans.map((p) => [`${p.span.traceId}/${p.span.spanId}`, p]));
  const calls = new Set<string>();
  const messaging = new Set<string>();
  const parentChild = new Set<string>();
  for (const child of spans) {
    const parent = byId.get(`${child.span.traceId}/${child.span.parentSpanId}`);
    if (!parent || parent.service === child.service) continue;
    const edge = `${parent.service} -> ${child.service}`;
    parentChild.add(edge);
    if (parent.span.kind === SpanKind.CLIENT && child.span.kind === SpanKind.SERVER) calls.add(edge);
    if (parent.span.kind === SpanKind.PRODUCER && child.span.kind === SpanKind.CONSUMER) messaging.add(edge);
  }
  return { calls: [...calls].sort(), messaging: [...messaging].sort(), parentChild: [...parentChild].sort() };
}

export const edges = (...pairs: [string, string][]): string[] => pairs.map(([a, b]) => `${a} -> ${b}`).sort();

/** What every format carries of a span, in one order: for comparing one trace written in two formats. */
export const spanEssentials = (decoded: DecodedBatch) =>
  placedSpans(decoded)
    .map(({ service, span }) => ({
      service,
      traceId: span.traceId,
      spanId: span.spanId,
      parentSpanId: span.parentSpanId,
      name: span.name,
      kind: span.kind,
      startMs: span.startMs,
      endMs: span.endMs,
    }))
    .sort((a, b) => `${a.traceId}${a.spanId}`.localeCompare(`${b.traceId}${b.spanId}`));
