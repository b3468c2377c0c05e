/**
 * The worker's internal span model: what every receiver and importer decodes into
 * (OTLP protobuf and JSON, Zipkin, Jaeger, pdata YAML) and what derivation reads.
 * Ids are lower-case hex; times are Unix milliseconds (fractional), which keeps
 * microsecond precision within a double.
 */

export type AttrValue = string | number | boolean | null | AttrValue[] | { [key: string]: AttrValue };
export type Attributes = Record<string, AttrValue>;

/** OTLP span kinds (the protocol's enum numbers). */
export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/** OTLP status codes. */
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

export interface SpanLink {
  traceId: string;
  spanId: string;
}

export interface Span {
  traceId: string;
  spanId: string;
  /** '' for a root span */
  parentSpanId: string;
  name: string;
  kind: SpanKind;
  startMs: number;
  endMs: number;
  status: StatusCode;
  attributes: Attributes;
  links: SpanLink[];
  /**
   * Which semantic-convention accessors may find a key in `attributes` (ingest/semconv.ts `bitsOfKey`
   * of each key, or'ed): an accessor whose bit is not set answers without looking. Absent: any may.
   * The protobuf decoder sets it; a key added to `attributes` afterwards must add its bits too.
   */
  keyBits?: number;
  /** where the decoder put its ids' words in its batch's `idColumn` (see there); absent: none */
  idAt?: number;
}

export interface Scope {
  name: string;
  version: string;
}

export interface ScopeSpans {
  scope: Scope;
  spans: Span[];
}

export interface ResourceSpans {
  resource: Attributes;
  scopeSpans: ScopeSpans[];
}

/** One decoded export request (or imported file): the unit the worker derives facts from. */
export type TraceBatch = ResourceSpans[];

/** A span the decoder or importer refused, with the reason a user can act on. */
export interface SpanProblem {
  /** where it was, e.g. `resourceSpans[0].scopeSpans[1].spans[3]` or a file-specific locator */
  at: string;
  message: string;
}

export interface DecodedBatch {
  batch: TraceBatch;
  spanCount: number;
  rejected: SpanProblem[];
  /** what the receiver's limits dropped or cut from spans it still accepted */
  limited?: { attributesDropped: number; valuesTruncated: number; unknownEnums: number };
  /** who sent it, for the edges' `sources` (ingest/presence.ts); OTLP when not said */
  origin?: 'otlp' | 'zipkin' | 'import';
  /**
   * The protobuf decoder's ids as 32-bit words, read from the bytes (ingest/hex.ts `ID_STRIDE` per
   * span from its `idAt`): what the engine would otherwise parse back from each span's hex ids.
   */
  idColumn?: Uint32Array;
}

export function countSpans(batch: TraceBatch): number {
  let n = 0;
  for (const rs of batch) for (const ss of rs.scopeSpans) n += ss.spans.length;
  return n;
}
