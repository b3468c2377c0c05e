/** The bounded trace sampler: errors kept up to a cap, a few successes per entry operation per window. */
import { describe, expect, it } from 'vitest';
import { TraceSampler } from '../../ingest/trace-sampling.js';
import { readHop } from '../../src/core/records.js';

const opts = { perWindow: 2, errorsPerWindow: 3, windowMs: 60_000, maxTracesPerFlush: 100 };

/** One trace: entry -> mid -> db, failing at db when `error`. */
function trace(s: TraceSampler, id: string, at: number, error = false, entry = 'entry') {
  s.hop(id, entry, 'mid', error, 10, at);
  s.hop(id, 'mid', 'db', error, 5, at + 1);
}

describe('TraceSampler', () => {
  it('keeps every failing trace up to its cap and a few successes per entry operation and window', () => {
    const s = new TraceSampler(opts);
    for (let i = 0; i < 10; i++) trace(s, `ok${i}`, 1000 + i);
    for (let i = 0; i < 5; i++) trace(s, `err${i}`, 1000 + i, true);
    for (let i = 0; i < 4; i++) trace(s, `other${i}`, 1000 + i, false, 'other-entry');
    const rows = s.drain();
    expect(rows.filter((r) => r.error)).toHaveLength(3);
    expect(rows.filter((r) => !r.error && r.entry === 'entry')).toHaveLength(2);
    expect(rows.filter((r) => r.entry === 'other-entry')).toHaveLength(2);
  });

  it('takes back a hop of the flush under way, once; a trace left with none is not written', () => {
    const s = new TraceSampler(opts);
    trace(s, 'kept', 1000);
    s.hop('kept', 'mid', 'cache', false, 2, 1002);
    s.hop('gone', 'entry', 'queue', false, 3, 1000);
    expect(s.takeBack('kept', 'mid', 'cache', false, 2, 1002)).toBe(true);
    expect(s.takeBack('kept', 'mid', 'db', true, 5, 1001)).toBe(false);
    expect(s.takeBack('gone', 'entry', 'queue', false, 3, 1000)).toBe(true);
    expect(s.takeBack('gone', 'entry', 'queue', false, 3, 1000)).toBe(false);
    // A hop after the last one was taken back follows the others.
    s.hop('kept', 'mid', 'queue', false, 1, 1003);
    const rows = s.drain();
    expect(rows.map((r) => [r.traceId, r.hops.map((h) => readHop(r, h)).map((h) => `${h.from}>${h.to}`)])).toEqual([
      ['kept', ['entry>mid', 'mid>db', 'mid>queue']],
    ]);
    // Drained, the hops are no longer this flush's: a take-back is then a correction's to make.
    expect(s.takeBack('kept', 'entry', 'mid', false, 10, 1000)).toBe(false);
  });

  it('remembers the decisions of its last traces, a trace decided again among the newest', () => {
    // Every trace left out: a trace whose decision is remembered may have no skeleton.
    const s = new TraceSampler({ ...opts, perWindow: 0, errorsPerWindow: 0, decisionMemory: 2 });
    const decide = (id: string) => {
      s.hop(id, 'entry', 'mid', false, 1, 1000);
      s.drain();
    };
    const known = (...ids: string[]) => ids.map((id) => !s.mayHaveKept(id));
    decide('a');
    decide('a');
    decide('b');
    expect(known('a', 'b')).toEqual([true, true]);
    decide('c');
    expect(known('a', 'b', 'c')).toEqual([false, true, true]);
    // Two traces, however often one of them is decided again.
    for (let i = 0; i < 10; i++) decide('c');
    expect(known('b', 'c')).toEqual([true, true]);
    decide('d');
    expect(known('b', 'c', 'd')).toEqual([false, true, true]);
  });

  it('lets go of the trace decided longest ago, not of one whose earlier decision is the oldest', () => {
    const s = new TraceSampler({ ...opts, perWindow: 0, errorsPerWindow: 0, decisionMemory: 2 });
    for (const id of ['a', 'b', 'a', 'c']) {
      s.hop(id, 'entry', 'mid', false, 1, 1000);
      s.drain();
    }
    expect(['a', 'b', 'c'].map((id) => !s.mayHaveKept(id))).toEqual([true, false, true]);
  });

  it('finds the entry operation and encodes hops compactly', () => {
    const s = new TraceSampler(opts);
    s.hop('t', 'mid', 'db', false, 5, 2000);
    s.hop('t', 'entry', 'mid', false, 10.25, 1999);
    const [row] = s.drain();
    expect(row).toMatchObject({ traceId: 't', entry: 'entry', error: false, firstSeen: 1999, lastSeen: 2000 });
    // Each key once, the hops naming them by position.
    expect(row!.ops).toEqual(['db', 'entry', 'mid']);
    expect(row!.hops.map((h) => JSON.parse(h))).toEqual([
      [1, 2, 0, 10.25, 1999],
      [2, 0, 0, 5, 2000],
    ]);
    expect(row!.hops.map((h) => readHop(row!, h))).toEqual([
      { from: 'entry', to: 'mid', error: false, latencyMs: 10.25, at: 1999 },
      { from: 'mid', to: 'db', error: false, latencyMs: 5, at: 2000 },
    ]);
  });

  it('a new window admits new samples; a kept trace keeps its later hops', () => {
    const s = new TraceSampler(opts);
    trace(s, 'a', 1000);
    trace(s, 'b', 1000);
    trace(s, 'c', 1000);
    expect(s.drain().map((r) => r.traceId)).toEqual(['a', 'b']);
    // Later hops of a kept trace are kept; those of a left-out one are not.
    s.hop('a', 'db', 'cache', false, 1, 2000);
    s.hop('c', 'db', 'cache', false, 1, 2000);
    expect(s.drain().map((r) => [r.traceId, r.entry])).toEqual([['a', 'entry']]);
    trace(s, 'd', 61_000);
    expect(s.drain().map((r) => r.traceId)).toEqual(['d']);
  });

  it('holds at most maxTracesPerFlush traces per flush', () => {
    const s = new TraceSampler({ ...opts, maxTracesPerFlush: 3, perWindow: 100 });
    for (let i = 0; i < 10; i++) trace(s, `t${i}`, 1000);
    expect(s.drain()).toHaveLength(3);
    expect(s.droppedHops).toBe(14);
  });
});
