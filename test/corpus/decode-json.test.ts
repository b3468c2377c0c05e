/** The OTLP JSON decoder on the corpus's files (`npm run test:corpus -- DIR`). */
import { describe, expect, it } from 'vitest';
import { decodeOtlpJson } from '../../ingest/otlp/decode-json.js';
import { SpanKind, StatusCode } from '../../ingest/span.js';
import { defaultConfig } from '../../src/core/config.js';
import { duplicateIds, edges, edgesOf, placedSpans, servicesOf } from '../support/trace-edges.js';
import { corpusJson } from './corpus.js';

const LIMITS = defaultConfig().limits.decode;

describe('decodeOtlpJson: corpus', () => {
  it('otlp-proto-examples/trace.json: upper-case hex ids, one SERVER span with typed attributes', () => {
    const decoded = decodeOtlpJson(corpusJson('otlp-proto-examples/trace.json'), LIMITS);
    expect(decoded.rejected).toEqual([]);
    expect(servicesOf(decoded)).toEqual(['my.service']);
    const { span } = placedSpans(decoded)[0]!;
    expect(span).toMatchObject({
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      parentSpanId: 'eee19b7ec3c1b173',
      kind: SpanKind.SERVER,
      startMs: 1544712660000,
      endMs: 1544712661000,
    });
    expect(span.attributes['my.span.attr']).toBe('some value');
    expect(decoded.batch[0]!.scopeSpans[0]!.scope).toEqual({ name: 'my.library', version: '1.0.0' });
  });

  it('istio-bookinfo/responseTrace.json (Tempo batches, base64 ids, enum names): 8 spans, the 4 Istio calls', () => {
    const decoded = decodeOtlpJson(corpusJson('istio-bookinfo/responseTrace.json'), LIMITS);
    expect(decoded.rejected).toEqual([]);
    expect(decoded.spanCount).toBe(8);
    expect(servicesOf(decoded)).toEqual([
      'details.bookinfo',
      'istio-ingressgateway.istio-system',
      'productpage.bookinfo',
      'ratings.bookinfo',
      'reviews.bookinfo',
    ]);
    const kinds = placedSpans(decoded).map((p) => p.span.kind);
    expect(kinds.filter((k) => k === SpanKind.CLIENT)).toHaveLength(4);
    expect(kinds.filter((k) => k === SpanKind.SERVER)).toHaveLength(4);
    expect(edgesOf(decoded).calls).toEqual(
      edges(
        ['istio-ingressgateway.istio-system', 'productpage.bookinfo'],
        ['productpage.bookinfo', 'details.bookinfo'],
        ['productpage.bookinfo', 'reviews.bookinfo'],
        ['reviews.bookinfo', 'ratings.bookinfo'],
      ),
    );
  });

  const mythical = ['mythical-recorder', 'mythical-requester', 'mythical-server'];
  // The attributes that decide each file's database name (see the corpus README).
  const databaseFiles: [string, Record<string, unknown>][] = [
    ['trace-with-queue-database.json', { 'db.name': 'postgres', 'db.system': 'postgresql' }],
    ['trace-with-queue-database2.json', { 'server.address': 'mythical-database' }],
    ['trace-with-queue-database3.json', { 'peer.service': 'mythical-database' }],
    ['trace-with-queue-database4.json', { 'network.peer.address': 'mythical-database', 'network.peer.port': 5432 }],
    [
      'trace-with-queue-database5.json',
      { 'network.peer.address': 'mythical-database', 'network.peer.port': undefined },
    ],
    ['trace-without-database-name.json', { 'db.name': undefined, 'server.address': 'mythical-database' }],
    ['trace-with-db-namespace.json', { 'db.namespace': 'mydb' }],
    ['trace-with-both-db-attributes.json', { 'db.name': 'postgres', 'db.namespace': 'priority-db' }],
    ['trace-with-db-system-name.json', { 'db.system': undefined, 'db.system.name': 'postgresql' }],
    ['trace-with-db-system-and-system-name.json', { 'db.system': 'mssql', 'db.system.name': 'microsoft.sql_server' }],
  ];
  it.each(databaseFiles)(
    'tempo-servicegraph/%s: 19 spans, requester→server, requester⇢recorder, a DB client span',
    (file, dbAttrs) => {
      const decoded = decodeOtlpJson(corpusJson(`tempo-servicegraph/${file}`), LIMITS);
      expect(decoded.rejected).toEqual([]);
      expect(decoded.spanCount).toBe(19);
      expect(servicesOf(decoded)).toEqual(mythical);
      const e = edgesOf(decoded);
      expect(e.calls).toEqual(edges(['mythical-requester', 'mythical-server']));
      expect(e.messaging).toEqual(edges(['mythical-requester', 'mythical-recorder']));
      const dbSpans = placedSpans(decoded).filter(
        (p) =>
          p.service === 'mythical-server' &&
          p.span.kind === SpanKind.CLIENT &&
          ('db.system' in p.span.attributes || 'db.system.name' in p.span.attributes),
      );
      expect(dbSpans).toHaveLength(1);
      for (const [key, value] of Object.entries(dbAttrs)) expect(dbSpans[0]!.span.attributes[key]).toBe(value);
    },
  );

  it('tempo-servicegraph/trace-with-failed-requests.json: 15 spans, failed client, server and DB spans', () => {
    const decoded = decodeOtlpJson(corpusJson('tempo-servicegraph/trace-with-failed-requests.json'), LIMITS);
    expect(decoded.spanCount).toBe(15);
    expect(edgesOf(decoded).calls).toEqual(edges(['mythical-requester', 'mythical-server']));
    const failed = placedSpans(decoded)
      .filter((p) => p.span.status === StatusCode.ERROR)
      .map((p) => `${p.service}:${p.span.kind}`)
      .sort();
    expect(failed).toEqual(['mythical-requester:3', 'mythical-server:2', 'mythical-server:3']);
  });

  it('tempo-servicegraph/trace-with-virtual-nodes.json: 3 spans in 2 traces, no CLIENT→SERVER pair', () => {
    const decoded = decodeOtlpJson(corpusJson('tempo-servicegraph/trace-with-virtual-nodes.json'), LIMITS);
    expect(decoded.spanCount).toBe(3);
    expect(new Set(placedSpans(decoded).map((p) => p.span.traceId)).size).toBe(2);
    expect(edgesOf(decoded).calls).toEqual([]);
    const consumer = placedSpans(decoded).find((p) => p.span.kind === SpanKind.CONSUMER)!;
    expect(consumer).toMatchObject({ service: 'internal-consumer', span: { parentSpanId: '' } });
    expect(consumer.span.attributes['peer.service']).toBe('external-producer');
  });

  it('tempo-servicegraph/trace-with-expired-edges.json: 5 spans, one matched call and an unmatched SERVER', () => {
    const decoded = decodeOtlpJson(corpusJson('tempo-servicegraph/trace-with-expired-edges.json'), LIMITS);
    expect(decoded.spanCount).toBe(5);
    expect(edgesOf(decoded).calls).toEqual(edges(['mythical-server', 'mythical-requester']));
    const ids = new Set(placedSpans(decoded).map((p) => p.span.spanId));
    const orphanServers = placedSpans(decoded).filter(
      (p) => p.span.kind === SpanKind.SERVER && p.span.parentSpanId !== '' && !ids.has(p.span.parentSpanId),
    );
    expect(orphanServers.map((p) => p.span.name)).toEqual(['unmatched']);
  });

  it('jaeger-ui OTLP fixtures decode (the single-span one holds the same span twice)', () => {
    const single = decodeOtlpJson(corpusJson('jaeger/jaeger-ui/otlp2jaeger-in.json'), LIMITS);
    expect(single.spanCount).toBe(2);
    expect(servicesOf(single)).toEqual(['telemetrygen']);
    expect(duplicateIds(single)).toHaveLength(1);
    const multi = decodeOtlpJson(corpusJson('jaeger/jaeger-ui/otlp2jaeger-multi-in-combined.json'), LIMITS);
    expect(multi.spanCount).toBe(4);
    expect(placedSpans(multi).every((p) => p.span.kind === SpanKind.INTERNAL)).toBe(true);
  });
});
