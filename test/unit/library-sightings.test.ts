/**
 * Which library uses a flush hands to the writer (ingest/library-sightings.ts): a use still running
 * is written again only once its last sighting moved by TOPOGRAPH_LIBRARY_SEEN_REFRESH; a new use,
 * a new version and a late sighting before the first one written go at once.
 */
import { describe, expect, it } from 'vitest';
import { SpanKind } from '../../ingest/span.js';
import { capturePipeline } from '../support/capture.js';
import { TraceBuilder } from '../support/spans.js';

const REFRESH_MS = 60_000;

describe('library uses', () => {
  it('writes a running use again only once its last sighting moved by the refresh interval', async () => {
    const { sink, clock, pipeline } = capturePipeline({ librarySeenRefreshMs: REFRESH_MS });
    const start = clock.now;
    /** One span of `web` using instrumentation-http `version`, ending at `at`; a flush; the uses it wrote. */
    const flushAt = async (at: number, version = '0.53.0') => {
      clock.now = Math.max(clock.now, at + 1);
      const t = new TraceBuilder();
      t.span({
        service: 'web',
        kind: SpanKind.INTERNAL,
        name: 'x',
        startMs: at - 10,
        scope: { name: '@opentelemetry/instrumentation-http', version },
      });
      const before = sink.all.uses.length;
      pipeline.ingest(t.batch());
      await pipeline.flush();
      return sink.all.uses
        .slice(before)
        .filter((u) => u.library === '@opentelemetry/instrumentation-http')
        .map((u) => `${u.version} ${u.firstSeen - start}..${u.lastSeen - start}`);
    };
    expect(await flushAt(start)).toEqual(['0.53.0 0..0']);
    // Seen again within the interval: nothing new for Neo4j.
    expect(await flushAt(start + 1_000)).toEqual([]);
    expect(await flushAt(start + REFRESH_MS - 1)).toEqual([]);
    // A version it did not write yet goes at once.
    expect(await flushAt(start + REFRESH_MS - 1, '0.54.0')).toEqual([`0.54.0 ${REFRESH_MS - 1}..${REFRESH_MS - 1}`]);
    // The interval since the last sighting written: written again.
    expect(await flushAt(start + REFRESH_MS)).toEqual([`0.53.0 ${REFRESH_MS}..${REFRESH_MS}`]);
    // A late span before the first sighting written moves firstSeen: written at once.
    expect(await flushAt(start - 5_000)).toEqual(['0.53.0 -5000..-5000']);
  });

  it('writes every use in every flush with a refresh of 0', async () => {
    const { sink, clock, pipeline } = capturePipeline({ librarySeenRefreshMs: 0 });
    for (let i = 0; i < 3; i++) {
      const t = new TraceBuilder();
      t.span({ service: 'web', kind: SpanKind.INTERNAL, name: 'x', startMs: clock.now - 10 });
      pipeline.ingest(t.batch());
      await pipeline.flush();
      clock.now += 1_000;
    }
    expect(sink.all.uses.filter((u) => u.library === 'test').length).toBe(3);
  });
});
