/**
 * Cross-service parent → child relations that are not CLIENT → SERVER pairs (a SERVER under another
 * service's SERVER or INTERNAL span, a span under another service's SERVER span) are calls too, as
 * Jaeger's and Zipkin's dependency linkers count them; a CLIENT → SERVER pair is counted once.
 */
import { describe, expect, it } from 'vitest';
import { SpanKind } from '../../ingest/span.js';
import { capturePipeline } from '../support/capture.js';
import { TraceBuilder } from '../support/spans.js';

const http = (route: string) => ({ 'http.request.method': 'GET', 'http.route': route });

describe('cross-service parent → child', () => {
  it('counts a CLIENT → SERVER call once, with nothing added for the SERVER under the CLIENT', async () => {
    const { sink, pipeline } = capturePipeline();
    const t = new TraceBuilder();
    const a = t.span({ service: 'a', kind: SpanKind.SERVER, name: 'GET /a', attributes: http('/a') });
    const internal = t.span({ service: 'a', kind: SpanKind.INTERNAL, name: 'work', parent: a });
    const c = t.span({
      service: 'a',
      kind: SpanKind.CLIENT,
      name: 'GET',
      parent: internal,
      attributes: { 'http.request.method': 'GET' },
    });
    t.span({ service: 'b', kind: SpanKind.SERVER, name: 'GET /b', parent: c, attributes: http('/b') });
    pipeline.ingest(t.batch());
    await pipeline.drainAll();
    expect(sink.edges()).toEqual({ 'a -> b': { calls: 1, errors: 0 } });
    expect(sink.calls()).toEqual({ 'a:GET /a -> b:GET /b': 1 });
  });

  it('makes a SERVER under another service SERVER a call from that service, not an entry point', async () => {
    const { sink, pipeline } = capturePipeline();
    const t = new TraceBuilder();
    const a = t.span({ service: 'a', kind: SpanKind.SERVER, name: 'GET /a', attributes: http('/a') });
    t.span({ service: 'b', kind: SpanKind.SERVER, name: 'GET /b', parent: a, attributes: http('/b'), error: true });
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
    const a = t.span({ service: 'a', kind: SpanKind.SERVER, name: 'GET /a', attributes: http('/a') });
    const inner = t.span({ service: 'a', kind: SpanKind.INTERNAL, name: 'plan', parent: a });
    t.span({ service: 'b', kind: SpanKind.SERVER, name: 'GET /b', parent: inner, attributes: http('/b') });
    pipeline.ingest(t.batch());
    await pipeline.drainAll();
    expect(sink.edges()).toEqual({ 'a -> b': { calls: 1, errors: 0 } });
    expect(sink.calls()).toEqual({ 'a:GET /a -> b:GET /b': 1 });
  });

  it('makes a non-entry span under another service SERVER a call, even when the parent arrives later', async () => {
    const { sink, pipeline } = capturePipeline();
    const t = new TraceBuilder();
    const a = t.span({ service: 'a', kind: SpanKind.SERVER, name: 'GET /a', attributes: http('/a') });
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
    const a = t.span({ service: 'a', kind: SpanKind.SERVER, name: 'GET /a', attributes: http('/a') });
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
    const a = t.span({ service: 'a', kind: SpanKind.SERVER, name: 'GET /a', attributes: http('/a') });
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
