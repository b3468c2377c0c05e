/**
 * The checkpoint's waiting state survives its encoding: packed ids, ids of another shape, the rest
 * of the state, and checkpoints written in the earlier format (gzipped JSON in base64).
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { EngineState, HalfId } from '../../ingest/engine.js';
import { decodeState, EMPTY_STATE, encodeState } from '../../ingest/spool/checkpoint-state.js';

const id = (n: number) => n.toString(16).padStart(32, '0') + (n * 7).toString(16).padStart(16, '0');
/** a half's ids from the joined form the engine compares them in */
const half = (joined: string, traceChars = 32): HalfId => ({
  traceId: joined.slice(0, traceChars),
  spanId: joined.slice(traceChars),
});

const state: EngineState = {
  halves: [
    half(id(1)),
    half(id(2)),
    half('not-a-hex-id', 6),
    half(id(3).toUpperCase()),
    { traceId: id(7).slice(0, 32), spanId: 'not hex' },
    half(id(4)),
  ],
  orphans: [{ child: id(5), queuedAt: 1_700_000_000_123 }],
  calls: [
    { client: id(6), service: '["service","prod","","a"]', toOp: 'op', error: true, latencyMs: 1.5, queuedAt: 7 },
  ],
  replayFrom: 42,
};

/** The halves are a set to the engine: their order does not matter. */
const joined = (s: EngineState) => s.halves.map((h) => h.traceId + h.spanId);
const sorted = (s: EngineState) => ({ ...s, halves: joined(s).sort() });

describe('checkpoint state encoding', () => {
  it('reads back what it wrote, ids of any shape included', () => {
    const encoded = encodeState(state);
    expect(typeof encoded).toBe('string');
    expect(sorted(decodeState(encoded))).toEqual(sorted(state));
  });

  it('reads the same layout stored as a byte array (checkpoints written before base64), in either view', () => {
    const bytes = Buffer.from(encodeState(state), 'base64');
    expect(bytes[0]).toBe(1);
    for (const stored of [
      new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    ])
      expect(sorted(decodeState(stored))).toEqual(sorted(state));
  });

  it('packs ids as bytes, a trace id once per run of its halves: far smaller than the ids as text', () => {
    // Halves of one trace arrive together: 4 per trace here.
    const halves = Array.from({ length: 10_000 }, (_, i) =>
      half(id(Math.floor(i / 4) * 7919 + 1).slice(0, 32) + id(i).slice(32)),
    );
    const many: EngineState = { halves, orphans: [], calls: [] };
    expect(Buffer.from(encodeState(many), 'base64').byteLength).toBeLessThan(10_000 * (8 + 18 / 4) + 100);
    expect(decodeState(encodeState(many)).halves).toEqual(halves);
  });

  it('reads the packed layout written before halves were given by their two ids (odd ones joined)', () => {
    const json = gzipSync(JSON.stringify({ ...state, halves: ['not-a-hex-id'] }), { level: 1 });
    const head = Buffer.from([1, 0, 0, 0, 0]);
    head.writeUInt32LE(json.length, 1);
    const run = Buffer.from(id(1).slice(0, 32) + '0200' + id(1).slice(32) + id(2).slice(32), 'hex');
    const earlier = Buffer.concat([head, json, run]).toString('base64');
    expect(joined(decodeState(earlier))).toEqual(['not-a-hex-id', id(1), id(1).slice(0, 32) + id(2).slice(32)]);
  });

  it('starts a new run past 65,535 halves of one trace', () => {
    const halves = Array.from({ length: 70_000 }, (_, i) => half(id(1).slice(0, 32) + id(i).slice(32)));
    expect(decodeState(encodeState({ halves, orphans: [], calls: [] })).halves).toEqual(halves);
  });

  it('reads checkpoints written before (gzipped JSON in base64), and none as empty', () => {
    const earlier = gzipSync(JSON.stringify({ ...state, halves: joined(state) })).toString('base64');
    expect(sorted(decodeState(earlier))).toEqual(sorted(state));
    expect(decodeState('')).toEqual(EMPTY_STATE);
    expect(decodeState(null)).toEqual(EMPTY_STATE);
  });
});
