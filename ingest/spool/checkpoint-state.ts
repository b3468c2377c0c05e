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
import type { EngineState, HalfId } from '../engine.js';
import { putHex } from '../hex.js';
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
  // An id of another shape (none today) travels in the JSON part, as it is (the ids alone: a half
  // given here may be the engine's whole half).
  const odd: HalfId[] = [];
  for (const half of state.halves) {
    // A trace's halves share its id's string, so a run is mostly told apart by reference.
    if (countAt < 0 || count === MAX_RUN || half.traceId !== trace) {
      // Written past the runs so far, so an odd id leaves them as they were.
      if (!putHex(half.traceId, TRACE_BYTES, ids, at)) {
        odd.push({ traceId: half.traceId, spanId: half.spanId });
        continue;
      }
      if (countAt >= 0) ids.writeUInt16LE(count, countAt);
      trace = half.traceId;
      countAt = at + TRACE_BYTES;
      at = countAt + 2;
      count = 0;
    }
    if (!putHex(half.spanId, SPAN_BYTES, ids, at)) {
      odd.push({ traceId: half.traceId, spanId: half.spanId });
      continue;
    }
    count++;
    at += SPAN_BYTES;
  }
  if (countAt >= 0) ids.writeUInt16LE(count, countAt);
  return frame(PACKED, { ...state, halves: odd }, ids.subarray(0, at));
}

/** The state a checkpoint's `state` property holds: this layout, the earlier one, or none. */
export function decodeState(stored: unknown): EngineState {
  const raw = bytesOf(stored);
  if (!raw) return EMPTY_STATE;
  if (raw[0] === GZIP_FIRST_BYTE) return withHalfIds(JSON.parse(gunzipSync(raw).toString('utf8')) as StoredState);
  if (raw[0] !== PACKED) throw new Error(`unknown ingest checkpoint state layout ${raw[0]}`);
  const { json, bytes: ids } = unframe<StoredState>(raw);
  const state = withHalfIds(json);
  for (let at = 0; at < ids.length;) {
    const traceId = ids.toString('hex', at, at + TRACE_BYTES);
    const count = ids.readUInt16LE(at + TRACE_BYTES);
    at += TRACE_BYTES + 2;
    for (let i = 0; i < count; i++, at += SPAN_BYTES)
      state.halves.push({ traceId, spanId: ids.toString('hex', at, at + SPAN_BYTES) });
  }
  return state;
}

/** A state as stored: checkpoints written before item 121 name each half by its joined ids. */
type StoredState = Omit<EngineState, 'halves'> & { halves: (HalfId | string)[] };

/** The engine only ever joins a half's two ids again, so a joined one read back is its trace id alone. */
function withHalfIds(stored: StoredState): EngineState {
  return { ...stored, halves: stored.halves.map((h) => (typeof h === 'string' ? { traceId: h, spanId: '' } : h)) };
}
