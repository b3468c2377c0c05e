/**
 * The expired halves remembered for the late window (ingest/late-pairs.ts) as the ingest checkpoint
 * stores them. Each checkpoint writes only the halves remembered since the last one, as a segment of
 * its own (an `IngestLateHalves` node beside the checkpoint, deleted once none of its halves is
 * remembered), and the checkpoint names the places forgotten in the segments still held (`lateGone`).
 * Before that the whole memory was written with every flush: at its bound of 10,000 halves ~500 KB a
 * flush (docs/benchmarks.md items 55 and 72).
 *
 * What one expiry remembers is nearly all the same as another's to the same peer from the same
 * caller operation: the service, the operation, the virtual component, and the credits its expiry
 * made. So each half is a small fixed record of what differs (its key, error, latency, times and
 * expiry order) and the index of a template holding the rest, the templates (one per caller → peer
 * in a segment) as gzipped JSON.
 *
 * Layout (ingest/spool/byte-frame.ts): `[3][u32 LE: length of the gzipped JSON][gzipped JSON:
 * {templates, base, odd}]` then records of `[24 bytes: trace id and span id of the key][u32 template]
 * [u8 error][f64 latency][i32 at - base.at][i32 expiredAt - base.expiredAt][i32 source - base.source]
 * [i32 seq - base.seq]`, all LE. A half that fits no record (a key not in hex, times out of range)
 * goes whole into `odd` with its place. Layout 2 (the whole memory in the checkpoint's `late`, without
 * `seq`, the record count before the JSON's length) still reads.
 */
import { isHexId, TRACE_HEX } from '../hex.js';
import type { Credit, LateHalf, LateJournal } from '../late-pairs.js';
import { bytesOf, frame, unframe } from './byte-frame.js';

/** the first byte: a later layout gets another */
const SEGMENT = 3;
/** the whole memory in one property, before segments */
const WHOLE = 2;
const RECORD = 24 + 4 + 1 + 8 + 4 + 4 + 4 + 4;
const WHOLE_RECORD = RECORD - 4;
const I32 = 2 ** 31 - 1;

/** The half's fields a record carries; the rest, and what the key gives back, are left out of its template. */
interface Template {
  side: LateHalf['side'];
  half: Record<string, unknown>;
  /** the keys when they are not the record's key alone */
  keys?: string[];
  /** credits with `null` where the value is the half's own error, latency or time */
  credits: unknown[];
}

/** Per credit kind, the positions of the error, latency and time a record carries. */
const VARIABLE: Record<'e' | 'o' | 'c' | 't', [error: number, latency: number, at: number]> = {
  e: [2, 3, 4],
  o: [2, 3, 1],
  c: [2, 3, 4],
  t: [5, -1, -1],
};

/** The template of `entry`, or undefined when its key does not fit a record. */
function templateOf(entry: LateHalf): string | undefined {
  const key = entry.keys[0];
  if (key === undefined || !isHexId(key)) return undefined;
  const h = entry.half;
  // Named one by one (not a copy less some fields): this runs for every expiry once.
  const half: Record<string, unknown> = {
    name: h.name,
    kind: h.kind,
    service: h.service,
    protocol: h.protocol,
    op: h.op,
    destination: h.destination,
    callee: h.callee,
    calleeOp: h.calleeOp,
    externalCaller: h.externalCaller,
    origin: h.origin,
  };
  const keySpan = key.slice(TRACE_HEX);
  if (h.traceId !== key.slice(0, TRACE_HEX)) half.traceId = h.traceId;
  // A client is found by its own span; a server by its parent, and its own span is not needed again.
  if (entry.side === 'client' && h.spanId !== keySpan) half.spanId = h.spanId;
  let resolved = false;
  const credits: unknown[] = [];
  for (const c of entry.credits) {
    let kind: keyof typeof VARIABLE | undefined;
    if ('e' in c) kind = 'e';
    else if ('c' in c) kind = 'c';
    else if ('o' in c) kind = 'o';
    else if ('t' in c) kind = 't';
    if (kind === undefined) {
      credits.push(c);
      continue;
    }
    if (kind === 'c') resolved = true;
    const [e, l, t] = VARIABLE[kind];
    const out = [...(c as Record<string, unknown[]>)[kind]!];
    if (out[e] === h.error) out[e] = null;
    if (l >= 0 && out[l] === h.latencyMs) out[l] = null;
    if (t >= 0 && out[t] === h.at) out[t] = null;
    credits.push({ [kind]: out });
  }
  // A client's parent matters only while its call has no caller yet (no `c` credit): then it is kept.
  if (entry.side === 'client' ? !resolved : h.parentSpanId !== keySpan) half.parentSpanId = h.parentSpanId;
  const template: Template = { side: entry.side, half, credits };
  if (entry.keys.length !== 1) template.keys = entry.keys;
  return JSON.stringify(template);
}

const fits = (n: number, base: number) => Number.isInteger(n) && Math.abs(n - base) <= I32;

/** A remembered half without what the checkpoint says apart (its place) or never needs (`taken`). */
const bare = ({ segment: _s, index: _i, taken: _t, ...entry }: LateHalf): LateHalf => entry;

/** Halves as a segment's bytes (undefined when none), each at its place in `entries`. */
export function encodeLate(entries: readonly LateHalf[] | undefined): Int8Array | undefined {
  if (!entries || entries.length === 0) return undefined;
  const first = entries[0]!;
  const base = { at: first.half.at, expiredAt: first.expiredAt, source: first.half.source, seq: first.seq ?? 0 };
  const templates: string[] = [];
  const index = new Map<string, number>();
  const odd: [place: number, entry: LateHalf][] = [];
  const records = Buffer.allocUnsafe(entries.length * RECORD);
  let at = 0;
  entries.forEach((entry, place) => {
    const text = templateOf(entry);
    const h = entry.half;
    const seq = entry.seq ?? 0;
    if (
      text === undefined ||
      !fits(h.at, base.at) ||
      !fits(entry.expiredAt, base.expiredAt) ||
      !fits(h.source, base.source) ||
      !fits(seq, base.seq)
    ) {
      odd.push([place, bare(entry)]);
      return;
    }
    let t = index.get(text);
    if (t === undefined) index.set(text, (t = templates.push(text) - 1));
    at += records.write(entry.keys[0]!, at, 24, 'hex');
    at = records.writeUInt32LE(t, at);
    at = records.writeUInt8(h.error ? 1 : 0, at);
    at = records.writeDoubleLE(h.latencyMs, at);
    at = records.writeInt32LE(h.at - base.at, at);
    at = records.writeInt32LE(entry.expiredAt - base.expiredAt, at);
    at = records.writeInt32LE(h.source - base.source, at);
    at = records.writeInt32LE(seq - base.seq, at);
  });
  // Templates as JSON text inside the JSON: parsed once each when read back.
  return frame(SEGMENT, { templates, base, odd }, records.subarray(0, at));
}

interface Stored {
  templates: string[];
  base: { at: number; expiredAt: number; source: number; seq?: number };
}

/** The half a record holds. */
function fromRecord(raw: Buffer, at: number, parsed: Template[], base: Stored['base'], withSeq: boolean): LateHalf {
  const key = raw.toString('hex', at, at + 24);
  const tpl = parsed[raw.readUInt32LE(at + 24)]!;
  const error = raw[at + 28] === 1;
  const latencyMs = raw.readDoubleLE(at + 29);
  const halfAt = base.at + raw.readInt32LE(at + 37);
  const expiredAt = base.expiredAt + raw.readInt32LE(at + 41);
  const source = base.source + raw.readInt32LE(at + 45);
  const keySpan = key.slice(TRACE_HEX);
  const half = {
    traceId: key.slice(0, TRACE_HEX),
    spanId: tpl.side === 'client' ? keySpan : '',
    parentSpanId: tpl.side === 'client' ? '' : keySpan,
    ...tpl.half,
    error,
    latencyMs,
    at: halfAt,
    source,
  } as LateHalf['half'];
  const credits = tpl.credits.map((c) => {
    const [kind, values] = Object.entries(c as Credit)[0] as [string, unknown];
    if (!Array.isArray(values)) return c as Credit;
    const [e, l, t] = VARIABLE[kind as keyof typeof VARIABLE];
    const filled = [...(values as unknown[])];
    if (filled[e] === null) filled[e] = error;
    if (l >= 0 && filled[l] === null) filled[l] = latencyMs;
    if (t >= 0 && filled[t] === null) filled[t] = halfAt;
    return { [kind]: filled } as Credit;
  });
  const entry: LateHalf = { side: tpl.side, half, keys: tpl.keys ?? [key], expiredAt, credits };
  if (withSeq) entry.seq = (base.seq ?? 0) + raw.readInt32LE(at + 49);
  return entry;
}

/**
 * The halves a segment holds, each at its place (`index`, and `segment` when given); or those of a
 * checkpoint's whole `late` property of layout 2, in expiry order, without places.
 */
export function decodeLate(stored: unknown, segment?: number): LateHalf[] | undefined {
  const raw = bytesOf(stored);
  if (!raw) return undefined;
  if (raw[0] === WHOLE) {
    const { json, bytes } = unframe<Stored & { odd: LateHalf[] }>(raw, 5);
    const parsed = json.templates.map((t) => JSON.parse(t) as Template);
    const out: LateHalf[] = [];
    for (let at = 0; at < bytes.length; at += WHOLE_RECORD) out.push(fromRecord(bytes, at, parsed, json.base, false));
    // The odd ones were taken out of expiry order: put back where they belong, the oldest first.
    return json.odd.length === 0 ? out : [...out, ...json.odd].sort((a, b) => a.expiredAt - b.expiredAt);
  }
  if (raw[0] !== SEGMENT) throw new Error(`unknown late-halves layout ${raw[0]}`);
  const { json, bytes } = unframe<Stored & { odd: [number, LateHalf][] }>(raw);
  const parsed = json.templates.map((t) => JSON.parse(t) as Template);
  const out = new Array<LateHalf>(bytes.length / RECORD + json.odd.length);
  for (const [place, entry] of json.odd) out[place] = entry;
  for (let place = 0, at = 0; at < bytes.length; place++) {
    if (out[place]) continue;
    out[place] = fromRecord(bytes, at, parsed, json.base, true);
    at += RECORD;
  }
  out.forEach((entry, place) => {
    entry.index = place;
    if (segment !== undefined) entry.segment = segment;
  });
  return out;
}

/**
 * The late memory a checkpoint holds, for `restore`: its segments' halves but those `gone` names,
 * and the halves of a checkpoint written before segments (its `late` property), which are written
 * again as new. A segment with nothing left is listed as dropped.
 */
export function readLate(
  segments: readonly { segment: number; halves: unknown }[],
  gone: readonly number[],
  lastSegment: number,
  whole: unknown,
): LateJournal | undefined {
  const halves = decodeLate(whole) ?? [];
  if (halves.length === 0 && segments.length === 0) return undefined;
  const forgotten = new Set<string>();
  for (let i = 0; i + 2 < gone.length; i += 3)
    for (let n = gone[i + 1]!; n < gone[i + 2]!; n++) forgotten.add(`${gone[i]}:${n}`);
  const dropped: number[] = [];
  for (const { segment, halves: stored } of segments) {
    const held = (decodeLate(stored, segment) ?? []).filter((h) => !forgotten.has(`${segment}:${h.index}`));
    if (held.length === 0) dropped.push(segment);
    halves.push(...held);
  }
  const segment = segments.reduce((m, s) => Math.max(m, s.segment), lastSegment);
  return { segment, halves, dropped, gone: [...gone] };
}
