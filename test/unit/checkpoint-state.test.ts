/**
 * The checkpoint's waiting state survives its encoding: packed ids, ids of another shape, the rest
 * of the state, and checkpoints written in the earlier format (gzipped JSON in base64).
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { EngineState } from '../../ingest/engine.js';
import { decodeState, EMPTY_STATE, encodeState } from '../../ingest/spool/checkpoint-state.js';

const id = (n: number) => n.toString(16).padStart(32, '0') + (n * 7).toString(16).padStart(16, '0');

const state: EngineState = {
  halves: [id(1), id(2), 'not-a-hex-id', id(3).toUpperCase(), id(4)],
  orphans: [{ child: id(5), queuedAt: 1_700_000_000_123 }],
  calls: [
    { client: id(6), service: '["service","prod","","a"]', toOp: 'op', error: true, latencyMs: 1.5, queuedAt: 7 },
  ],
  replayFrom: 42,
};

/** The halves are a set to the engine: their order does not matter. */
const sorted = (s: EngineState) => ({ ...s, halves: [...s.halves].sort() });

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
    const halves = Array.from(
      { length: 10_000 },
      (_, i) => id(Math.floor(i / 4) * 7919 + 1).slice(0, 32) + id(i).slice(32),
    );
    const many: EngineState = { halves, orphans: [], calls: [] };
    expect(Buffer.from(encodeState(many), 'base64').byteLength).toBeLessThan(10_000 * (8 + 18 / 4) + 100);
    expect(decodeState(encodeState(many)).halves).toEqual(halves);
  });

  it('starts a new run past 65,535 halves of one trace', () => {
    const halves = Array.from({ length: 70_000 }, (_, i) => id(1).slice(0, 32) + id(i).slice(32));
    expect(decodeState(encodeState({ halves, orphans: [], calls: [] })).halves).toEqual(halves);
  });

  it('reads checkpoints written before (gzipped JSON in base64), and none as empty', () => {
    const earlier = gzipSync(JSON.stringify(state)).toString('base64');
    expect(decodeState(earlier)).toEqual(state);
    expect(decodeState('')).toEqual(EMPTY_STATE);
    expect(decodeState(null)).toEqual(EMPTY_STATE);
  });
});
