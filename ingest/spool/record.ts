/**
 * What a spool record holds, and reading it back. A record's payload is the request body as received
 * (decompressed), behind one byte naming its format: smaller than the decoded batch as JSON, and
 * nothing to serialise before the fsync. Decoding is deterministic (limits, no clock), so decoding the
 * body again yields what the receiver accepted. Records without such a byte hold a TraceBatch as JSON
 * (batches handed over without a body, and spools written before this format); JSON text never
 * starts with these bytes.
 */
import { zipkinToBatch } from '../formats/zipkin.js';
import type { RawBody, RawContentType } from '../intake.js';
import { decodeOtlpJson } from '../otlp/decode-json.js';
import type { AttributeKeys } from '../otlp/attribute-keys.js';
import { decodeOtlpProtobuf } from '../otlp/decode-protobuf.js';
import type { DecodeLimits } from '../otlp/validate.js';
import { countSpans, type DecodedBatch, type TraceBatch } from '../span.js';

const FORMAT_BYTE: Record<RawContentType, number> = { protobuf: 1, json: 2, 'zipkin-json': 3 };

const FORMAT_PREFIX = Object.fromEntries(
  Object.entries(FORMAT_BYTE).map(([format, byte]) => [format, Buffer.of(byte)]),
) as Record<RawContentType, Buffer>;

/**
 * The payload a request is spooled as: its body when there is one, else its decoded batch as JSON. In
 * parts, which the spool writes one after the other: joining the format byte and the body was a copy
 * of every body.
 */
export function encodeSpoolPayload(decoded: DecodedBatch, raw?: RawBody): Buffer[] {
  return raw ? [FORMAT_PREFIX[raw.contentType], raw.body] : [Buffer.from(JSON.stringify(decoded.batch, portable))];
}

/**
 * A span's `keyBits` and `idAt` are left out of the JSON: they mean something only to the process that
 * decoded it (the bits follow the order ingest/semconv.ts declares its accessors in; `idAt` points
 * into a column not written), and a record may be read by another build after a restart.
 */
const portable = (key: string, value: unknown) => (key === 'keyBits' || key === 'idAt' ? undefined : value);

/** The request a payload holds, decoded with the limits (and attribute keys) the receivers decode with. */
export function decodeSpoolPayload(payload: Buffer, limits: DecodeLimits, attributeKeys?: AttributeKeys): DecodedBatch {
  const body = payload.subarray(1);
  switch (payload[0]) {
    case FORMAT_BYTE.protobuf:
      return decodeOtlpProtobuf(body, limits, attributeKeys);
    case FORMAT_BYTE.json:
      return decodeOtlpJson(JSON.parse(body.toString('utf8')), limits);
    case FORMAT_BYTE['zipkin-json']:
      return zipkinToBatch(JSON.parse(body.toString('utf8')), limits);
    default: {
      const batch = JSON.parse(payload.toString('utf8')) as TraceBatch;
      return { batch, spanCount: countSpans(batch), rejected: [] };
    }
  }
}
