/**
 * Presence and provenance as the engine hands them to the writer (ingest/presence.ts): an edge's hour
 * is written once however many flushes see it, a late span lands in its own hour, and an edge carries
 * the sources of both its halves.
 */
import { describe, expect, it } from 'vitest';
import { HOUR_MS } from '../../src/core/model.js';
import { capturePipeline } from '../support/capture.js';
import { httpCalls } from '../support/spans.js';
import type { DecodedBatch } from '../../ingest/span.js';

const name = (key: string) => (JSON.parse(key) as string[]).at(-1);
const edgeRows = (b: { edgePresence: { from: string; to: string; hours: number[]; sources: string[] }[] }) =>
  b.edgePresence.map((r) => ({ edge: `${name(r.from)} -> ${name(r.to)}`, hours: r.hours, sources: r.sources }));

/** Every span of `batch` moved to end `ms` earlier. */
function shifted(batch: DecodedBatch, ms: number): DecodedBatch {
  for (const rs of batch.batch)
    for (const ss of rs.scopeSpans)
      for (const s of ss.spans) {
        s.startMs -= ms;
        s.endMs -= ms;
      }
  return batch;
}

describe('presence', () => {
  it('writes an edge hour once, then nothing while the edge stays in that hour', async () => {
    const { clock, pipeline } = capturePipeline();
    const hour = Math.floor(clock.now / HOUR_MS);
    pipeline.ingest(shifted(httpCalls('web', 'api', 'p', 3), Date.now() - clock.now));
    const first = await pipeline.flush();
    expect(edgeRows(first)).toEqual([{ edge: 'web -> api', hours: [hour], sources: ['otlp'] }]);
    expect(first.componentPresence.map((c) => [name(c.key), c.hours]).sort()).toEqual([
      ['api', [hour]],
      ['web', [hour]],
    ]);

    clock.now += 1000;
    pipeline.ingest(shifted(httpCalls('web', 'api', 'p', 3), Date.now() - clock.now));
    const second = await pipeline.flush();
    expect(second.edges.length).toBe(1);
    expect(second.edgePresence).toEqual([]);
    expect(second.componentPresence).toEqual([]);
  });

  it('puts a late span in the hour it ended in, not the hour it arrived', async () => {
    const { clock, pipeline } = capturePipeline();
    const hour = Math.floor(clock.now / HOUR_MS);
    pipeline.ingest(shifted(httpCalls('web', 'api', 'p', 1), Date.now() - clock.now));
    await pipeline.flush();
    // Spans from three hours ago, arriving now (an import, a slow exporter).
    pipeline.ingest(shifted(httpCalls('web', 'api', 'p', 1), Date.now() - clock.now + 3 * HOUR_MS));
    const late = await pipeline.flush();
    expect(edgeRows(late)).toEqual([{ edge: 'web -> api', hours: [hour - 3], sources: [] }]);
  });

  it('gives an edge the sources of both its halves, and writes a new source once', async () => {
    const { clock, pipeline } = capturePipeline();
    const calls = shifted(httpCalls('web', 'api', 'p', 2), Date.now() - clock.now);
    const client = { ...calls, batch: calls.batch.filter((rs) => rs.resource['service.name'] === 'web') };
    const server: DecodedBatch = {
      ...calls,
      batch: calls.batch.filter((rs) => rs.resource['service.name'] === 'api'),
      origin: 'zipkin',
    };
    pipeline.ingest(client);
    pipeline.ingest(server);
    const both = await pipeline.flush();
    expect(edgeRows(both)).toEqual([
      { edge: 'web -> api', hours: [Math.floor(clock.now / HOUR_MS)], sources: ['otlp', 'zipkin'] },
    ]);

    pipeline.ingest({ ...shifted(httpCalls('web', 'api', 'p', 1), Date.now() - clock.now), origin: 'import' });
    expect(edgeRows(await pipeline.flush())).toEqual([{ edge: 'web -> api', hours: [], sources: ['import'] }]);
  });

  it('remembers TOPOGRAPH_PRESENCE_HOURS hours per edge up to its newest: an older hour is written again', async () => {
    const { clock, pipeline } = capturePipeline({ presence: { maxEntries: 200_000, hours: 2 } });
    const hour = Math.floor(clock.now / HOUR_MS);
    for (const back of [0, 1, 2]) {
      pipeline.ingest(shifted(httpCalls('web', 'api', 'p', 1), Date.now() - clock.now + back * HOUR_MS));
      expect(edgeRows(await pipeline.flush())[0]?.hours).toEqual([hour - back]);
    }
    // The newest hour and the one before it are remembered; two hours back is handed over each time.
    pipeline.ingest(shifted(httpCalls('web', 'api', 'p', 1), Date.now() - clock.now));
    pipeline.ingest(shifted(httpCalls('web', 'api', 'p', 1), Date.now() - clock.now + HOUR_MS));
    expect(edgeRows(await pipeline.flush())).toEqual([]);
    pipeline.ingest(shifted(httpCalls('web', 'api', 'p', 1), Date.now() - clock.now + 2 * HOUR_MS));
    expect(edgeRows(await pipeline.flush())).toEqual([{ edge: 'web -> api', hours: [hour - 2], sources: [] }]);
  });

  it('moves what it remembers forward with a newer hour, across more than 32 hours', async () => {
    const { clock, pipeline } = capturePipeline({ presence: { maxEntries: 200_000, hours: 40 } });
    const hour = Math.floor(clock.now / HOUR_MS);
    const at = (back: number) => shifted(httpCalls('web', 'api', 'p', 1), Date.now() - clock.now + back * HOUR_MS);
    const written = async (...backs: number[]) => {
      for (const back of backs) pipeline.ingest(at(back));
      return edgeRows(await pipeline.flush())[0]?.hours.map((h) => hour - h) ?? [];
    };
    expect(await written(90, 85, 60)).toEqual([90, 85, 60]);
    expect(await written(90, 85, 60)).toEqual([]);
    // 39 hours before the newest is remembered, 40 is not: it is written each time it is seen.
    expect(await written(99)).toEqual([99]);
    expect(await written(99, 100)).toEqual([100]);
    expect(await written(100)).toEqual([100]);
    // Ten hours newer: 85 (now 35 back, in the second word of bits) is still known, 90 is not.
    expect(await written(50)).toEqual([50]);
    expect(await written(60, 85, 90)).toEqual([90]);
    // 33 hours newer (a word and a bit): 50 is kept, 60 falls out.
    expect(await written(17)).toEqual([17]);
    expect(await written(50, 60)).toEqual([60]);
    expect(await written(50, 17)).toEqual([]);
  });

  it('starts afresh past TOPOGRAPH_PRESENCE_MAX_ENTRIES edges and components', async () => {
    const { clock, pipeline } = capturePipeline({ presence: { maxEntries: 3, hours: 48 } });
    const hour = Math.floor(clock.now / HOUR_MS);
    pipeline.ingest(shifted(httpCalls('web', 'api', 'p', 1), Date.now() - clock.now));
    await pipeline.flush();
    // One edge and two components: within the bound, nothing is handed over again.
    pipeline.ingest(shifted(httpCalls('web', 'api', 'p', 1), Date.now() - clock.now));
    expect(edgeRows(await pipeline.flush())).toEqual([]);
    pipeline.ingest(shifted(httpCalls('web', 'db', 'p', 1), Date.now() - clock.now));
    await pipeline.flush();
    // Five entries now: the memory starts afresh and the edge's hour is written again.
    pipeline.ingest(shifted(httpCalls('web', 'api', 'p', 1), Date.now() - clock.now));
    expect(edgeRows(await pipeline.flush())).toEqual([{ edge: 'web -> api', hours: [hour], sources: ['otlp'] }]);
  });
});
