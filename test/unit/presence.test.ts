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

  it('remembers only TOPOGRAPH_PRESENCE_HOURS hours per edge: an hour it forgot is written again', async () => {
    const { clock, pipeline } = capturePipeline({ presence: { maxEntries: 200_000, hours: 2 } });
    const hour = Math.floor(clock.now / HOUR_MS);
    for (const back of [0, 1, 2]) {
      pipeline.ingest(shifted(httpCalls('web', 'api', 'p', 1), Date.now() - clock.now + back * HOUR_MS));
      expect(edgeRows(await pipeline.flush())[0]?.hours).toEqual([hour - back]);
    }
    // Three hours seen, two remembered: the first one is handed over again, the last one is not.
    pipeline.ingest(shifted(httpCalls('web', 'api', 'p', 1), Date.now() - clock.now));
    expect(edgeRows(await pipeline.flush())).toEqual([{ edge: 'web -> api', hours: [hour], sources: [] }]);
    pipeline.ingest(shifted(httpCalls('web', 'api', 'p', 1), Date.now() - clock.now + 2 * HOUR_MS));
    expect(edgeRows(await pipeline.flush())).toEqual([]);
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
