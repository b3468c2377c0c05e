/**
 * The expired halves remembered for the late window (ingest/late-pairs.ts) as the ingest checkpoint
 * stores them. Each checkpoint writes only the halves remembered since the last one, as a segment of
 * its own (an `IngestLateHalves` node beside the checkpoint, deleted once none of its halves is
 * remembered), and the checkpoint names the places forgotten in the segments still held (`lateGone`).
 * Before that the whole memory was written with every flush: at its bound of 10,000 halves ~500 KB a
 * flush (docs/benchmarks.md items 55 and 72).
 *
 * Each half is a small fixed record of what differs (its key, error, latency, times and expiry order)
 * and the index of a template holding the rest (ingest/late-template.ts: one per caller → peer in a
 * segment, the text the late memory already interned), the templates as gzipped JSON.
 *
 * Layout (ingest/spool/byte-frame.ts): `[3][u32 LE: length of the gzipped JSON][gzipped JSON:
 * {templates, base, odd}]` then records of `[24 bytes: trace id and span id of the key][u32 template]
 * [u8 error][f64 latency][i32 at - base.at][i32 expiredAt - base.expiredAt][i32 source - base.source]
 * [i32 seq - base.seq]`, all LE. A half that fits no record (a key not in hex, times out of range)
 * goes whole into `odd` with its place. Layout 2 (the whole memory in the checkpoint's `late`, without
 * `seq`, the record count before the JSON's length) still reads.
 */
import { isHexId } from '../hex.js';
import {
  isTemplated,
  wholeOf,
  type LateHalf,
  type LateJournal,
  type StoredHalves,
  type TemplatedHalf,
} from '../late-pairs.js';
import type { SlotFigures } from '../late-ring.js';
import { fromTemplate, templateOf, textOf, type Template } from '../late-template.js';
import { bytesOf, frame, unframe } from './byte-frame.js';

/** the first byte: a later layout gets another */
const SEGMENT = 3;
/** the whole memory in one property, before segments */
const WHOLE = 2;
const RECORD = 24 + 4 + 1 + 8 + 4 + 4 + 4 + 4;
const WHOLE_RECORD = RECORD - 4;
const I32 = 2 ** 31 - 1;

const fits = (n: number, base: number) => Number.isInteger(n) && Math.abs(n - base) <= I32;

/** A remembered half without what the checkpoint says apart (its place) or never needs (`taken`). */
const bare = ({ segment: _s, index: _i, taken: _t, template: _x, ...entry }: LateHalf): LateHalf => entry;

/** Halves as a segment's frame (undefined when none), each at its place in `entries`. */
export function encodeLate(entries: readonly (LateHalf | TemplatedHalf)[] | undefined): string | undefined {
  if (!entries || entries.length === 0) return undefined;
  const first = entries[0]!;
  const firstFigures = isTemplated(first) ? first : first.half;
  const base = { at: firstFigures.at, expiredAt: first.expiredAt, source: firstFigures.source, seq: first.seq ?? 0 };
  const templates: string[] = [];
  const index = new Map<string, number>();
  const odd: [place: number, entry: LateHalf][] = [];
  const records = Buffer.allocUnsafe(entries.length * RECORD);
  let at = 0;
  entries.forEach((entry, place) => {
    const templated = isTemplated(entry);
    const key = templated ? entry.key : (entry.keys[0] ?? '');
    // The memory's text when it has one (a key not in hex never has a record, whatever it says).
    const text = !isHexId(key)
      ? undefined
      : templated
        ? entry.template
        : (entry.template ?? textOf(templateOf(entry.side, entry.half, entry.keys, entry.credits)));
    const h = templated ? entry : entry.half;
    const seq = entry.seq ?? 0;
    if (
      text === undefined ||
      !fits(h.at, base.at) ||
      !fits(entry.expiredAt, base.expiredAt) ||
      !fits(h.source, base.source) ||
      !fits(seq, base.seq)
    ) {
      odd.push([place, bare(wholeOf(entry))]);
      return;
    }
    let t = index.get(text);
    if (t === undefined) index.set(text, (t = templates.push(text) - 1));
    at += records.write(key, at, 24, 'hex');
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

/**
 * A segment's records read in place (`StoredHalves`): what the late memory's restore takes without an
 * object per half. `at[r]` is where the r-th record held starts, `place[r]` its place in the segment.
 */
class SegmentRecords implements StoredHalves {
  readonly count: number;
  constructor(
    readonly segment: number,
    readonly templates: string[],
    readonly bytes: Buffer,
    private readonly base: Stored['base'],
    private readonly at: Int32Array,
    private readonly place: Int32Array,
  ) {
    this.count = at.length;
  }

  keyAt(r: number): number {
    return this.at[r]!;
  }

  seq(r: number): number {
    return (this.base.seq ?? 0) + this.bytes.readInt32LE(this.at[r]! + 49);
  }

  read(r: number, f: SlotFigures): void {
    const raw = this.bytes;
    const at = this.at[r]!;
    f.template = raw.readUInt32LE(at + 24);
    f.error = raw[at + 28] === 1;
    f.latencyMs = raw.readDoubleLE(at + 29);
    f.at = this.base.at + raw.readInt32LE(at + 37);
    f.expiredAt = this.base.expiredAt + raw.readInt32LE(at + 41);
    f.source = this.base.source + raw.readInt32LE(at + 45);
    f.seq = this.seq(r);
    f.segment = this.segment;
    f.index = this.place[r]!;
  }
}

/**
 * A segment of layout 3: its records (those whose place `gone` names left out) and its odd halves held,
 * each with its place (and `segment`).
 */
function readSegment(
  raw: Buffer,
  segment: number,
  gone?: (place: number) => boolean,
): { records: SegmentRecords; odd: LateHalf[] } {
  if (raw[0] !== SEGMENT) throw new Error(`unknown late-halves layout ${raw[0]}`);
  const { json, bytes } = unframe<Stored & { odd: [number, LateHalf][] }>(raw);
  const places = bytes.length / RECORD + json.odd.length;
  const oddAt = new Map(json.odd);
  const odd: LateHalf[] = [];
  const at: number[] = [];
  const place: number[] = [];
  for (let p = 0, r = 0; p < places; p++) {
    const h = oddAt.get(p);
    if (h) {
      if (!gone?.(p)) odd.push({ ...h, segment, index: p });
      continue;
    }
    if (!gone?.(p)) {
      at.push(r * RECORD);
      place.push(p);
    }
    r++;
  }
  const records = new SegmentRecords(
    segment,
    json.templates,
    bytes,
    json.base,
    Int32Array.from(at),
    Int32Array.from(place),
  );
  return { records, odd };
}

/** The half a record holds. */
function fromRecord(
  raw: Buffer,
  at: number,
  texts: string[],
  parsed: Template[],
  base: Stored['base'],
  withSeq: boolean,
): LateHalf {
  const key = raw.toString('hex', at, at + 24);
  const t = raw.readUInt32LE(at + 24);
  const tpl = parsed[t]!;
  const entry: LateHalf = {
    ...fromTemplate(tpl, key, {
      error: raw[at + 28] === 1,
      latencyMs: raw.readDoubleLE(at + 29),
      at: base.at + raw.readInt32LE(at + 37),
      source: base.source + raw.readInt32LE(at + 45),
    }),
    expiredAt: base.expiredAt + raw.readInt32LE(at + 41),
    template: texts[t],
  };
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
    for (let at = 0; at < bytes.length; at += WHOLE_RECORD)
      out.push(fromRecord(bytes, at, json.templates, parsed, json.base, false));
    // The odd ones were taken out of expiry order: put back where they belong, the oldest first.
    return json.odd.length === 0 ? out : [...out, ...json.odd].sort((a, b) => a.expiredAt - b.expiredAt);
  }
  const { records, odd } = readSegment(raw, segment ?? 0);
  const parsed = records.templates.map((t) => JSON.parse(t) as Template);
  const f = {} as SlotFigures;
  const out: LateHalf[] = odd;
  for (let r = 0; r < records.count; r++) {
    records.read(r, f);
    const key = records.bytes.toString('hex', records.keyAt(r), records.keyAt(r) + 24);
    out.push({
      ...fromTemplate(parsed[f.template]!, key, f),
      expiredAt: f.expiredAt,
      seq: f.seq,
      template: records.templates[f.template],
      segment: f.segment,
      index: f.index,
    });
  }
  out.sort((a, b) => a.index! - b.index!);
  if (segment === undefined) for (const h of out) delete h.segment;
  return out;
}

/**
 * The late memory a checkpoint holds, for `restore`: its segments' halves but those `gone` names,
 * and the halves of a checkpoint written before segments (`whole`: its `late` property, or in the
 * oldest the list its state held), which are written again as new. A segment with nothing left is
 * listed as dropped.
 */
export function readLate(
  segments: readonly { segment: number; halves: unknown }[],
  gone: readonly number[],
  lastSegment: number,
  whole: unknown,
): LateJournal | undefined {
  const halves = Array.isArray(whole) ? [...(whole as LateHalf[])] : (decodeLate(whole) ?? []);
  if (halves.length === 0 && segments.length === 0) return undefined;
  const runs = new Map<number, number[]>();
  for (let i = 0; i + 2 < gone.length; i += 3) {
    let list = runs.get(gone[i]!);
    if (!list) runs.set(gone[i]!, (list = []));
    list.push(gone[i + 1]!, gone[i + 2]!);
  }
  const dropped: number[] = [];
  const stored: StoredHalves[] = [];
  for (const { segment, halves: bytes } of segments) {
    const raw = bytesOf(bytes);
    const list = runs.get(segment) ?? [];
    const forgotten = (place: number) => {
      for (let i = 0; i < list.length; i += 2) if (place >= list[i]! && place < list[i + 1]!) return true;
      return false;
    };
    const read = raw ? readSegment(raw, segment, forgotten) : undefined;
    if (!read || read.records.count + read.odd.length === 0) dropped.push(segment);
    if (!read) continue;
    halves.push(...read.odd);
    if (read.records.count > 0) stored.push(read.records);
  }
  const segment = segments.reduce((m, s) => Math.max(m, s.segment), lastSegment);
  return { segment, halves, stored, dropped, gone: [...gone] };
}
