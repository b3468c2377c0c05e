/**
 * A checkout's protobuf decoding as its worker decodes (ingest/worker.ts): with the worker's
 * attribute-key table where the checkout has one (every attribute before it chose), so that a bench
 * tool comparing two checkouts measures what each worker does.
 */
import { existsSync } from 'node:fs';
import type { DecodedBatch } from '../../ingest/span.js';

export async function workerDecoder(
  dir: string,
  config: { ingest: { tagKeys: string[] }; limits: { decode: unknown } },
): Promise<(body: Uint8Array) => DecodedBatch> {
  const { decodeOtlpProtobuf } = await import(`${dir}/ingest/otlp/decode-protobuf.ts`);
  let keys: unknown;
  if (existsSync(`${dir}/ingest/otlp/attribute-keys.ts`)) {
    const { createAttributeKeys } = await import(`${dir}/ingest/otlp/attribute-keys.ts`);
    const { readsSpanAttribute } = await import(`${dir}/ingest/derive.ts`);
    keys = createAttributeKeys(readsSpanAttribute(config.ingest.tagKeys));
  }
  return (body) => decodeOtlpProtobuf(body, config.limits.decode, keys) as DecodedBatch;
}
