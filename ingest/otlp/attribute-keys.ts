/**
 * Attribute keys read straight from a request's bytes: a key is looked up by its bytes in a table of
 * keys already seen, so the same string comes back for every span that names it (no string built per
 * key, and V8 stores a property under a string it has already internalised), and whether derivation
 * reads it is decided once per key. The protobuf decoder then builds only the attributes derivation
 * reads; the others are checked and counted without a string or object being made for them.
 */
import { isUtf8 } from 'node:buffer';
import { bitsOfKey } from '../semconv.js';

export interface AttributeKey {
  /** the key as decoded (latin1 for ASCII, else UTF-8 with replacement characters, as the decoder reads strings) */
  readonly text: string;
  /** whether derivation reads this key on a span (see `createAttributeKeys`) */
  readonly kept: boolean;
  /** whether the key's bytes are valid UTF-8 */
  readonly utf8: boolean;
  /** what an attribute under this key adds to its span's `keyBits` (ingest/semconv.ts) */
  readonly bits: number;
}

interface Entry extends AttributeKey {
  readonly bytes: Buffer;
  readonly hash: number;
  next: Entry | undefined;
}

export interface AttributeKeys {
  /** The key whose bytes are `buf[start, end)`: one object (and one string) per distinct key, bounded. */
  lookup(buf: Buffer, start: number, end: number): AttributeKey;
  /** whether spans keep every attribute (no key is left out) */
  readonly keepsAll: boolean;
  /** whether spans keep the attribute under this key */
  keeps(key: string): boolean;
}

/** Distinct keys remembered: hostile senders can make endless new keys, which then cost a string each. */
export const MAX_REMEMBERED_KEYS = 10_000;
const BUCKETS = 4096;
/** Past this many keys in one bucket a new key is not remembered (it then costs a string per attribute, as before). */
const MAX_CHAIN = 8;

/**
 * A hash of a key's length and a few of its bytes: one pass over the bytes (the comparison) instead of
 * two. Keys built to collide only lengthen one chain, which `MAX_CHAIN` bounds.
 */
function hashOf(buf: Buffer, start: number, end: number): number {
  const len = end - start;
  if (len === 0) return 0;
  const mid = start + (len >> 1);
  return (
    Math.imul(len, 0x9e3779b1) ^ (buf[start]! << 3) ^ (buf[end - 1]! << 11) ^ (buf[mid]! << 19) ^ (buf[mid - 1]! << 7)
  );
}

function sameBytes(a: Buffer, buf: Buffer, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== buf[start + i]) return false;
  return true;
}

function decodeKey(buf: Buffer, start: number, end: number): { text: string; utf8: boolean } {
  let i = start;
  while (i < end && buf[i]! < 0x80) i++;
  if (i === end) return { text: buf.toString('latin1', start, end), utf8: true };
  return { text: buf.toString('utf8', start, end), utf8: isUtf8(buf.subarray(start, end)) };
}

/**
 * A key table. `keep(key)`: whether spans keep an attribute under that key; without it, every one
 * (the decoder's behaviour for callers that read attributes themselves: importers, tests, tools).
 */
export function createAttributeKeys(keep?: (key: string) => boolean): AttributeKeys {
  const buckets: (Entry | undefined)[] = new Array<Entry | undefined>(BUCKETS).fill(undefined);
  let size = 0;
  return {
    keepsAll: keep === undefined,
    keeps: (key) => keep === undefined || keep(key),
    lookup(buf, start, end) {
      const hash = hashOf(buf, start, end);
      const slot = hash & (BUCKETS - 1);
      let chain = 0;
      for (let e = buckets[slot]; e !== undefined; e = e.next, chain++) {
        if (e.hash === hash && sameBytes(e.bytes, buf, start, end)) return e;
      }
      const { text, utf8 } = decodeKey(buf, start, end);
      const kept = keep === undefined || keep(text);
      // Past the bounds (a sender inventing keys) nothing is copied or kept for the key.
      const bits = bitsOfKey(text);
      if (size >= MAX_REMEMBERED_KEYS || chain >= MAX_CHAIN) return { text, kept, utf8, bits };
      const entry: Entry = {
        text,
        kept,
        utf8,
        bits,
        hash,
        bytes: Buffer.from(buf.subarray(start, end)),
        next: buckets[slot],
      };
      buckets[slot] = entry;
      size++;
      return entry;
    },
  };
}
