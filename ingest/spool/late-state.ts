/**
 * The expired halves remembered for the late window (ingest/late-pairs.ts) as the ingest checkpoint
 * stores them: every expiry is remembered (up to TOPOGRAPH_PAIRING_LATE_MAX_ENTRIES), and the whole
 * memory is written with every flush, so it must be cheap to write. Remembered as JSON (about 1 KB
 * each), 10,000 halves cost 580 KB gzipped and 270 ms of CPU per flush (docs/benchmarks.md item 43).
 *
 * What one expiry remembers is nearly all the same as another's to the same peer from the same
 * caller operation: the service, the operation, the virtual component, and the credits its expiry
 * made. So each half is a small fixed record of what differs (its key, error, latency and times)
 * and the index of a template holding the rest, the templates (one per caller → peer, a few hundred)
 * as gzipped JSON. A half's template is made once, when first written, and kept with it.
 *
 * Layout: `[2][u32 LE: count][u32 LE: length of the gzipped JSON][gzipped JSON: {templates, base, odd}]`
 * then `count` records of `[24 bytes: trace id and span id of the key][u32 template][u8 error]
 * [f64 latency][i32 at - base.at][i32 expiredAt - base.expiredAt][i32 source - base.source]`, all LE.
 * A half that fits no record (a key not in hex, times out of range) goes whole into `odd`.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Credit, LateHalf } from '../late-pairs.js';

/** the first byte: a later layout gets another */
const PACKED = 2;
const KEY_HEX = 48;
const TRACE_HEX = 32;
const RECORD = 24 + 4 + 1 + 8 + 4 + 4 + 4;
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

const isHex = (s: string) => /^[0-9a-f]+$/.test(s);

/** The template of `entry`, or undefined when its key does not fit a record. */
function templateOf(entry: LateHalf): string | undefined {
  const key = entry.keys[0];
  if (key === undefined || key.length !== KEY_HEX || !isHex(key)) return undefined;
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

/** Templates already made, with the number of credits they were made from (a queued call adds one later). */
const made = new WeakMap<LateHalf, { credits: number; text: string | undefined }>();

function cachedTemplate(entry: LateHalf): string | undefined {
  const kept = made.get(entry);
  if (kept && kept.credits === entry.credits.length) return kept.text;
  const text = templateOf(entry);
  made.set(entry, { credits: entry.credits.length, text });
  return text;
}

const fits = (n: number, base: number) => Number.isInteger(n) && Math.abs(n - base) <= I32;

/** The remembered halves as the checkpoint's `late` property holds them (undefined when none). */
export function encodeLate(entries: readonly LateHalf[] | undefined): Int8Array | undefined {
  if (!entries || entries.length === 0) return undefined;
  const first = entries[0]!;
  const base = { at: first.half.at, expiredAt: first.expiredAt, source: first.half.source };
  const templates: string[] = [];
  const index = new Map<string, number>();
  const odd: LateHalf[] = [];
  const records = Buffer.allocUnsafe(entries.length * RECORD);
  let count = 0;
  for (const entry of entries) {
    const text = cachedTemplate(entry);
    const h = entry.half;
    if (
      text === undefined ||
      !fits(h.at, base.at) ||
      !fits(entry.expiredAt, base.expiredAt) ||
      !fits(h.source, base.source)
    ) {
      odd.push(entry);
      continue;
    }
    let t = index.get(text);
    if (t === undefined) index.set(text, (t = templates.push(text) - 1));
    let at = count * RECORD;
    at += records.write(entry.keys[0]!, at, 24, 'hex');
    at = records.writeUInt32LE(t, at);
    at = records.writeUInt8(h.error ? 1 : 0, at);
    at = records.writeDoubleLE(h.latencyMs, at);
    at = records.writeInt32LE(h.at - base.at, at);
    at = records.writeInt32LE(entry.expiredAt - base.expiredAt, at);
    records.writeInt32LE(h.source - base.source, at);
    count++;
  }
  // Templates as JSON text inside the JSON: parsed once each when read back.
  const json = gzipSync(JSON.stringify({ templates, base, odd }), { level: 1 });
  const head = Buffer.allocUnsafe(9);
  head[0] = PACKED;
  head.writeUInt32LE(count, 1);
  head.writeUInt32LE(json.length, 5);
  const all = Buffer.concat([head, json, records.subarray(0, count * RECORD)]);
  return new Int8Array(all.buffer, all.byteOffset, all.byteLength);
}

/** The remembered halves a checkpoint's `late` property holds, in the order they were written (expiry order). */
export function decodeLate(stored: unknown): LateHalf[] | undefined {
  if (!(stored instanceof Int8Array || stored instanceof Uint8Array)) return undefined;
  const raw = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  if (raw[0] !== PACKED) throw new Error(`unknown late-halves layout ${raw[0]}`);
  const count = raw.readUInt32LE(1);
  const jsonEnd = 9 + raw.readUInt32LE(5);
  const { templates, base, odd } = JSON.parse(gunzipSync(raw.subarray(9, jsonEnd)).toString('utf8')) as {
    templates: string[];
    base: { at: number; expiredAt: number; source: number };
    odd: LateHalf[];
  };
  const parsed = templates.map((t) => JSON.parse(t) as Template);
  const out: LateHalf[] = [];
  for (let i = 0, at = jsonEnd; i < count; i++) {
    const key = raw.toString('hex', at, at + 24);
    const tpl = parsed[raw.readUInt32LE(at + 24)]!;
    const error = raw[at + 28] === 1;
    const latencyMs = raw.readDoubleLE(at + 29);
    const halfAt = base.at + raw.readInt32LE(at + 37);
    const expiredAt = base.expiredAt + raw.readInt32LE(at + 41);
    const source = base.source + raw.readInt32LE(at + 45);
    at += RECORD;
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
    out.push({ side: tpl.side, half, keys: tpl.keys ?? [key], expiredAt, credits });
  }
  // The odd ones were taken out of expiry order: put back where they belong, the oldest first.
  return odd.length === 0 ? out : [...out, ...odd].sort((a, b) => a.expiredAt - b.expiredAt);
}
