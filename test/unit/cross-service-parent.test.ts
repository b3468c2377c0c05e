/**
 * Cross-service parent → child relations that are not CLIENT → SERVER pairs (a SERVER under another
 * service's SERVER or INTERNAL span, a span under another service's SERVER span) are calls too, as
 * Jaeger's and Zipkin's dependency linkers count them; a CLIENT → SERVER pair is counted once.
 */
import { describe, expect, it } from 'vitest';
import { SpanKind } from '../../ingest/span.js';
import { capturePipeline } from '../support/capture.js';
import { TraceBuilder } from '../support/spans.js';

describe('cross-service parent → child', () => {
  it('counts a CLIENT → SERVER call once, with nothing added for the SERVER under the CLIENT', async () => {
    const { sink, pipeline } = capturePipeline();
    const t = new TraceBuilder();
    const a = t.server('a', '/a');
    const internal = t.span({ service: 'a', kind: SpanKind.INTERNAL, name: 'work', parent: a });
    const c = t.client('a', { parent: internal });
    t.server('b', '/b', { parent: c });
    pipeline.ingest(t.batch());
    await pipeline.drainAll();
    expect(sink.edges()).toEqual({ 'a -> b': { calls: 1, errors: 0 } });
    expect(sink.calls()).toEqual({ 'a:GET /a -> b:GET /b': 1 });
  });

  it('makes a SERVER under another service SERVER a call from that service, not an entry point', async () => {
    const { sink, pipeline } = capturePipeline();
    const t = new TraceBuilder();
    const a = t.server('a', '/a');
    t.server('b', '/b', { parent: a, error: true });
    pipeline.ingest(t.batch(['b']));
    pipeline.ingest(t.batch(['a']));
    await pipeline.drainAll();
    expect(sink.edges()).toEqual({ 'a -> b': { calls: 1, errors: 1 } });
    expect(sink.calls()).toEqual({ 'a:GET /a -> b:GET /b': 1 });
    const b = sink.all.operations.find((o) => o.name === 'GET /b')!;
    expect(b.entryCalls).toBe(0);
  });

  it('makes a SERVER under another service INTERNAL span a call from that service', async () => {
    const { sink, pipeline } = capturePipeline();
    const t = new TraceBuilder();
    const a = t.server('a', '/a');
    const inner = t.span({ service: 'a', kind: SpanKind.INTERNAL, name: 'plan', parent: a });
    t.server('b', '/b', { parent: inner });
    pipeline.ingest(t.batch());
    await pipeline.drainAll();
    expect(sink.edges()).toEqual({ 'a -> b': { calls: 1, errors: 0 } });
    expect(sink.calls()).toEqual({ 'a:GET /a -> b:GET /b': 1 });
  });

  it('makes a non-entry span under another service SERVER a call, even when the parent arrives later', async () => {
    const { sink, pipeline } = capturePipeline();
    const t = new TraceBuilder();
    const a = t.server('a', '/a');
    t.span({ service: 'b', kind: SpanKind.INTERNAL, name: 'job', parent: a });
    pipeline.ingest(t.batch(['b']));
    await pipeline.flush();
    expect(pipeline.stats().pendingParents).toBe(1);
    pipeline.ingest(t.batch(['a']));
    await pipeline.drainAll();
    expect(pipeline.stats().pendingParents).toBe(0);
    expect(sink.edges()).toEqual({ 'a -> b': { calls: 1, errors: 0 } });
    expect(sink.calls()).toEqual({ 'a:GET /a -> b:job': 1 });
  });

  it('adds nothing for a CLIENT under another service CLIENT: the parent call is counted on its own', async () => {
    const { sink, pipeline } = capturePipeline();
    const t = new TraceBuilder();
    const a = t.server('a', '/a');
    const c = t.span({
      service: 'a',
      kind: SpanKind.CLIENT,
      name: 'call',
      parent: a,
      attributes: { 'peer.service': 'ext' },
    });
    t.span({ service: 'b', kind: SpanKind.CLIENT, name: 'query', parent: c, attributes: { 'db.system': 'mysql' } });
    pipeline.ingest(t.batch());
    await pipeline.drainAll();
    expect(Object.keys(sink.edges()).sort()).toEqual(['a -> ext', 'b -> mysql']);
  });

  it('adds nothing within one service', async () => {
    const { sink, pipeline } = capturePipeline();
    const t = new TraceBuilder();
    const a = t.server('a', '/a');
    t.span({ service: 'a', kind: SpanKind.INTERNAL, name: 'work', parent: a });
    pipeline.ingest(t.batch());
    await pipeline.drainAll();
    expect(sink.edges()).toEqual({});
  });

  it('gives up on a parent that never arrives after the TTL, without an edge', async () => {
    const { sink, clock, pipeline } = capturePipeline({ pairingTtlMs: 10_000 });
    const t = new TraceBuilder();
    const ghost = t.span({ service: 'ghost', kind: SpanKind.SERVER, name: 'x' });
    t.span({ service: 'b', kind: SpanKind.INTERNAL, name: 'job', parent: ghost });
    pipeline.ingest(t.batch(['b']));
    await pipeline.flush();
    expect(pipeline.stats().pendingParents).toBe(1);
    clock.now += 10_000;
    await pipeline.flush();
    expect(pipeline.stats().pendingParents).toBe(0);
    expect(sink.edges()).toEqual({});
  });
});

describe('the ancestry index', () => {
  it('is bounded by count (5 x the pairing bound): the oldest spans go early and are counted; recent ones still name the caller', async () => {
    const { sink, pipeline } = capturePipeline({ pairingMaxEntries: 2 });
    const t = new TraceBuilder();
    const entries = Array.from({ length: 12 }, () => t.server('a', '/a'));
    pipeline.ingest(t.batch());
    expect(pipeline.stats().ancestry).toBe(10);
    expect(pipeline.stats().ancestryEvicted).toBe(2);

    // A call made under the newest entry, arriving later: its entry operation is still found.
    const c = t.client('a', { parent: entries[11] });
    const s = t.server('b', '/b', { parent: c });
    const fresh = new Set([c.spanId, s.spanId]);
    const all = t.batch();
    pipeline.ingest({
      batch: all.batch.map((rs) => ({
        ...rs,
        scopeSpans: rs.scopeSpans.map((ss) => ({ ...ss, spans: ss.spans.filter((x) => fresh.has(x.spanId)) })),
      })),
      spanCount: 2,
      rejected: [],
    });
    await pipeline.drainAll();
    expect(sink.calls()).toEqual({ 'a:GET /a -> b:GET /b': 1 });
    expect(pipeline.stats().ancestry).toBeLessThanOrEqual(10);
  });

  it('a call no server answers keeps its caller when its ancestors go before it expires', async () => {
    const { sink, clock, pipeline } = capturePipeline({ pairingMaxEntries: 2 });
    const t = new TraceBuilder();
    const entry = t.server('a', '/a');
    t.client('a', { parent: entry, attributes: { 'server.address': 'payments.example.com' } });
    pipeline.ingest(t.batch());
    // Later traffic fills the index (10 spans) and pushes the entry span and its call out of it.
    const later = new TraceBuilder();
    for (let i = 0; i < 12; i++) later.server('c', '/c');
    pipeline.ingest(later.batch());
    expect(pipeline.stats().ancestryEvicted).toBeGreaterThanOrEqual(2);
    clock.now += 10_000;
    await pipeline.drainAll();
    // Found when the call came in, not when it expired: not an operation named after the client span.
    expect(sink.calls()).toEqual({ 'a:GET /a -> payments.example.com:GET': 1 });
    expect(pipeline.stats().unresolvedCallers).toBe(0);
  });
});
