/**
 * The frame the checkpoint's byte-array properties share (ingest/spool/checkpoint-state.ts,
 * ingest/spool/late-state.ts): what is small and irregular as gzipped JSON, what is large and regular
 * as bytes after it, and a first byte naming the layout, so that a later layout can still read an
 * earlier one.
 *
 * Layout: `[layout][u32 LE: length of the gzipped JSON][gzipped JSON][bytes]`.
 */
import { gunzipSync, gzipSync } from 'node:zlib';

/** `json` and `bytes` as one byte array (a Neo4j property). */
export function frame(layout: number, json: unknown, bytes: Buffer): Int8Array {
  const text = gzipSync(JSON.stringify(json), { level: 1 });
  const head = Buffer.allocUnsafe(5);
  head[0] = layout;
  head.writeUInt32LE(text.length, 1);
  const all = Buffer.concat([head, text, bytes]);
  return new Int8Array(all.buffer, all.byteOffset, all.byteLength);
}

/** The stored property as a buffer (no copy), or undefined when it is not a byte array. */
export function bytesOf(stored: unknown): Buffer | undefined {
  if (!(stored instanceof Int8Array || stored instanceof Uint8Array)) return undefined;
  return Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
}

/**
 * The JSON and the bytes of a frame. `lengthAt`: where the JSON's length is (an earlier layout had
 * another field before it).
 */
export function unframe<T>(raw: Buffer, lengthAt = 1): { json: T; bytes: Buffer } {
  const start = lengthAt + 4;
  const end = start + raw.readUInt32LE(lengthAt);
  return { json: JSON.parse(gunzipSync(raw.subarray(start, end)).toString('utf8')) as T, bytes: raw.subarray(end) };
}
