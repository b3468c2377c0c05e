/**
 * What a receiver hands a decoded request to, and what it answers with: the contract between the
 * three receivers (OTLP/HTTP, OTLP/gRPC, Zipkin) and the worker behind them. Protocol-free: each
 * receiver turns a refusal into its own status (HTTP status + Retry-After, gRPC code + RetryInfo).
 */
import type { DecodedBatch } from './span.js';

/** What the raw (decompressed) body of a request is: OTLP protobuf (HTTP or gRPC), OTLP JSON, Zipkin v2 JSON. */
export type RawContentType = 'protobuf' | 'json' | 'zipkin-json';

/** A request's body as received (decompressed), kept so that the spool can store it instead of the decoded batch. */
export interface RawBody {
  body: Buffer;
  contentType: RawContentType;
}

/** Why a request is not taken, as an HTTP status (e.g. 503 while the worker cannot keep it). */
export interface Refusal {
  status: number;
  message: string;
  retryAfterSeconds?: number;
}

export interface AcceptResult {
  /** when set, the request is refused */
  refuse?: Refusal;
}

export interface Intake {
  /**
   * Asked before a request's body is read: a refusal known up front (the worker is behind or stopping)
   * then costs no reading, inflating or decoding, which is what an overloaded worker can least spare.
   * A promise holds the request, body unread, until the worker has room for it or refuses it.
   */
  admit?(): Refusal | undefined | Promise<Refusal | undefined>;
  /**
   * Takes a decoded request, with its body when it came over the wire; resolves once the worker has
   * taken responsibility for it.
   */
  accept(decoded: DecodedBatch, raw?: RawBody): Promise<AcceptResult>;
  /** `spans` > 0: that many single spans refused; 0: the whole request refused, for `reason` */
  onRejected?(spans: number, reason: string): void;
}
