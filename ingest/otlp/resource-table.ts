/**
 * Resources read from request bodies, one attributes object per resource while its bytes keep coming
 * back. A process sends the same resource with every export (its service, SDK, host and runtime), and
 * a request from a Collector in front carries one for every few spans (the bench's, ~3): reading each
 * again, then describing its service, choosing its tags and listing its libraries from it, was ~3% of
 * the saturated worker's busy thread (docs/benchmarks.md item 184). The same bytes give the same object, so what the
 * engine derives from a resource is kept beside it (ingest/engine.ts).
 *
 * A direct-mapped table by a hash of the resource's bytes, bounded (`SLOTS` resources of at most
 * `MAX_BYTES` bytes, a copy of each: a few MB at most). A found resource is compared byte for byte, so
 * only the cost depends on the table. Only a resource read whole and unchanged by the limits (no bad
 * UTF-8, no attribute dropped or cut) is kept, under the limits it was read with. Its object is frozen:
 * every request that sends those bytes shares it.
 */
import type { Attributes } from '../span.js';
import type { DecodeLimits } from './validate.js';

const SLOTS = 1 << 11;
/** larger resources are read each time */
export const MAX_BYTES = 2048;
/** what a slot's resource earns at most by being found again: so many other resources it outlasts */
const MAX_CREDIT = 3;

interface Known {
  bytes: Buffer;
  limits: DecodeLimits;
  attributes: Attributes;
}

const known: (Known | undefined)[] = new Array<Known | undefined>(SLOTS).fill(undefined);
const hashes = new Int32Array(SLOTS);
const credits = new Uint8Array(SLOTS);

/**
 * The hash a resource in `buf[start, end)` is kept and found by, or undefined when it is not kept:
 * larger than `MAX_BYTES`, or its length running past the body (for the reader to refuse, with its
 * message). FNV-1a over every byte: the resources of one system's services differ in a byte or two
 * (`svc24`, `svc25`), which a hash of some of the bytes left in one slot.
 */
export function resourceHash(buf: Buffer, start: number, end: number): number | undefined {
  if (end - start > MAX_BYTES || end > buf.length) return undefined;
  let h = 0x811c9dc5 ^ (end - start);
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h;
}

const slotOf = (h: number) => (h ^ (h >>> 15)) & (SLOTS - 1);

/**
 * The attributes of a resource kept with the bytes `buf[start, end)` (`h`: their `resourceHash`), read
 * under `limits`; undefined when none is.
 */
export function knownResource(
  buf: Buffer,
  start: number,
  end: number,
  h: number,
  limits: DecodeLimits,
): Attributes | undefined {
  const len = end - start;
  const slot = slotOf(h);
  const k = known[slot];
  if (
    k !== undefined &&
    hashes[slot] === h &&
    k.limits === limits &&
    k.bytes.length === len &&
    buf.compare(k.bytes, 0, len, start, end) === 0
  ) {
    if (credits[slot]! < MAX_CREDIT) credits[slot] = credits[slot]! + 1;
    return k.attributes;
  }
  return undefined;
}

/**
 * Keeps `attributes`, read whole from `buf[start, end)` (`h`: their `resourceHash`) under `limits`,
 * for the next request sending these bytes (unless the slot holds a resource found more often), and
 * freezes them when kept.
 */
export function rememberResource(
  buf: Buffer,
  start: number,
  end: number,
  h: number,
  limits: DecodeLimits,
  attributes: Attributes,
): void {
  const slot = slotOf(h);
  if (known[slot] !== undefined && credits[slot]! > 0) {
    credits[slot] = credits[slot]! - 1;
    return;
  }
  known[slot] = { bytes: Buffer.from(buf.subarray(start, end)), limits, attributes: Object.freeze(attributes) };
  hashes[slot] = h;
  credits[slot] = 0;
}
