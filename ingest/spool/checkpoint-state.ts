/**
 * The engine's waiting state as the ingest checkpoint stores it, written with every flush. Nearly all
 * of it is the ids of the halves waiting to pair (~12,000-18,000 at 20,000 spans/s), so those are
 * stored as bytes, a trace id once for each run of halves of that trace (the pairing buffer holds
 * them in arrival order, and a trace's spans arrive together), after the rest of the state as
 * gzipped JSON; the whole is one frame (ingest/spool/byte-frame.ts). The whole state as gzipped JSON
 * in base64 cost ~18-23 ms of the worker's CPU per flush for 230 KB (docs/benchmarks.md).
 *
 * Layout: `[1][u32 LE: length of the gzipped JSON][gzipped JSON of the state, but for the packed ids]`
 * then runs of `[16 bytes trace id][u16 LE count][count × 8 bytes span id]`, in base64. Checkpoints
 * written before still read: this layout as a byte array, and the earliest (gzipped JSON in base64).
 */
import { gunzipSync } from 'node:zlib';
import type { EngineState } from '../engine.js';
import { isHexId, TRACE_HEX } from '../hex.js';
import { bytesOf, frame, unframe } from './byte-frame.js';

export const EMPTY_STATE: EngineState = { halves: [], orphans: [], calls: [] };

/** the first byte: a later layout gets another */
const PACKED = 1;
const TRACE_BYTES = 16;
const SPAN_BYTES = 8;
const MAX_RUN = 0xffff;
/** how the earliest layout (gzipped JSON, nothing before it) begins */
const GZIP_FIRST_BYTE = 0x1f;

/** The state as the checkpoint's `state` property holds it. */
export function encodeState(state: EngineState): string {
  // At most a trace id, a count and a span id per half.
  const ids = Buffer.allocUnsafe(state.halves.length * (TRACE_BYTES + 2 + SPAN_BYTES));
  let at = 0;
  let trace = '';
  let countAt = -1;
  let count = 0;
  // An id of another shape (none today) travels in the JSON part, as it is.
  const odd: string[] = [];
  for (const id of state.halves) {
    if (!isHexId(id)) {
      odd.push(id);
      continue;
    }
    if (countAt < 0 || count === MAX_RUN || !id.startsWith(trace)) {
      if (countAt >= 0) ids.writeUInt16LE(count, countAt);
      trace = id.slice(0, TRACE_HEX);
      countAt = at + ids.write(trace, at, TRACE_BYTES, 'hex');
      at = countAt + 2;
      count = 0;
    }
    count++;
    at += ids.write(id.slice(TRACE_HEX), at, SPAN_BYTES, 'hex');
  }
  if (countAt >= 0) ids.writeUInt16LE(count, countAt);
  return frame(PACKED, { ...state, halves: odd }, ids.subarray(0, at));
}

/** The state a checkpoint's `state` property holds: this layout, the earlier one, or none. */
export function decodeState(stored: unknown): EngineState {
  const raw = bytesOf(stored);
  if (!raw) return EMPTY_STATE;
  if (raw[0] === GZIP_FIRST_BYTE) return JSON.parse(gunzipSync(raw).toString('utf8')) as EngineState;
  if (raw[0] !== PACKED) throw new Error(`unknown ingest checkpoint state layout ${raw[0]}`);
  const { json: state, bytes: ids } = unframe<EngineState>(raw);
  for (let at = 0; at < ids.length;) {
    const trace = ids.toString('hex', at, at + TRACE_BYTES);
    const count = ids.readUInt16LE(at + TRACE_BYTES);
    at += TRACE_BYTES + 2;
    for (let i = 0; i < count; i++, at += SPAN_BYTES)
      state.halves.push(trace + ids.toString('hex', at, at + SPAN_BYTES));
  }
  return state;
}
