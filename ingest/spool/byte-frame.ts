/**
 * The frame the checkpoint's framed properties share (ingest/spool/checkpoint-state.ts,
 * ingest/spool/late-state.ts): what is small and irregular as gzipped JSON, what is large and regular
 * as bytes after it, and a first byte naming the layout, so that a later layout can still read an
 * earlier one.
 *
 * Layout: `[layout][u32 LE: length of the gzipped JSON][gzipped JSON][bytes]`, stored in base64. The
 * driver packs a byte array one byte at a time in JavaScript (~6.5 ms for 300 KB, 2.5% of the
 * saturated worker) and a string natively (~0.8 ms as base64, docs/benchmarks.md item 114); frames
 * stored as byte arrays before that still read.
 */
import { gunzipSync, gzipSync } from 'node:zlib';

/** `json` and `bytes` as one property's value. */
export function frame(layout: number, json: unknown, bytes: Buffer): string {
  const text = gzipSync(JSON.stringify(json), { level: 1 });
  const head = Buffer.allocUnsafe(5);
  head[0] = layout;
  head.writeUInt32LE(text.length, 1);
  return Buffer.concat([head, text, bytes]).toString('base64');
}

/** The stored property's bytes (a byte array's without a copy), or undefined when it holds none. */
export function bytesOf(stored: unknown): Buffer | undefined {
  if (typeof stored === 'string') return stored === '' ? undefined : Buffer.from(stored, 'base64');
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
