/** The pdata YAML decoder on the corpus's files (`npm run test:corpus -- DIR`). */
import { describe, expect, it } from 'vitest';
import { pdataYamlExpectedEdges, pdataYamlToBatch } from '../../ingest/formats/pdata-yaml.js';
import { InvalidPayloadError } from '../../ingest/otlp/errors.js';
import { SpanKind } from '../../ingest/span.js';
import { edges, edgesOf, placedSpans, servicesOf } from '../support/trace-edges.js';
import { defaultConfig } from '../../src/core/config.js';
import { corpusText } from './corpus.js';

const LIMITS = defaultConfig().limits.decode;

const dir = 'otel-servicegraph/';

describe('pdataYamlToBatch: corpus', () => {
  it.each(['extra-dimensions-queue-db-trace.yaml', 'messaging-system-trace.yaml'])(
    '%s: 2 spans, foo-server CLIENT → bar-requester SERVER',
    (file) => {
      const decoded = pdataYamlToBatch(corpusText(dir + file), LIMITS);
      expect(decoded.rejected).toEqual([]);
      expect(decoded.spanCount).toBe(2);
      expect(servicesOf(decoded)).toEqual(['bar-requester', 'foo-server']);
      expect(edgesOf(decoded).calls).toEqual(edges(['foo-server', 'bar-requester']));
      const [client] = placedSpans(decoded);
      expect(client!.span).toMatchObject({
        traceId: 'a0000000000000000000000000000000',
        spanId: 'a000000000000000',
        startMs: 1800000000000,
        endMs: 1800000000000.001,
      });
    },
  );

  it('extra-dimensions-queue-db-trace.yaml keeps the dimension attributes', () => {
    const spans = placedSpans(pdataYamlToBatch(corpusText(dir + 'extra-dimensions-queue-db-trace.yaml'), LIMITS));
    expect(spans.map((p) => p.span.attributes)).toEqual([
      { 'messaging.system': 'kafka' },
      { 'db.system': 'postgresql' },
    ]);
  });

  it('virtual-node-label-trace.yaml: 2 traces, one unpaired CLIENT and one root SERVER', () => {
    const decoded = pdataYamlToBatch(corpusText(dir + 'virtual-node-label-trace.yaml'), LIMITS);
    expect(decoded.spanCount).toBe(2);
    expect(edgesOf(decoded).parentChild).toEqual([]);
    const server = placedSpans(decoded).find((p) => p.span.kind === SpanKind.SERVER)!;
    expect(server).toMatchObject({ service: 'bar-requester', span: { parentSpanId: '' } });
    expect(server.span.attributes['peer.service']).toBe('external-platform');
  });

  it('virtual-node-label-client-trace.yaml: 1 root SERVER with peer.service.name', () => {
    const decoded = pdataYamlToBatch(corpusText(dir + 'virtual-node-label-client-trace.yaml'), LIMITS);
    expect(decoded.spanCount).toBe(1);
    expect(placedSpans(decoded)[0]!.span.attributes).toEqual({ 'peer.service.name': 'external-platform' });
  });
});

describe('pdataYamlExpectedEdges', () => {
  const expected = (file: string) => pdataYamlExpectedEdges(corpusText(dir + file));
  const edge = (client: string, server: string, connectionType: string, failed: boolean, count: number) => ({
    client,
    server,
    connectionType,
    failed,
    count,
  });

  it('reads the request_total data points of every expected-metrics file', () => {
    expect(expected('extra-dimensions-queue-db-expected-metrics.yaml')).toEqual([
      edge('foo-server', 'bar-requester', '', false, 1),
    ]);
    expect(expected('messaging-system-trace-expected-metrics.yaml')).toEqual([
      edge('foo-server', 'bar-requester', '', false, 1),
    ]);
    expect(expected('virtual-node-label-expected-metrics.yaml')).toEqual([
      edge('foo-server', 'unknown', 'virtual_node', false, 1),
      edge('user', 'bar-requester', 'virtual_node', false, 1),
    ]);
    expect(expected('virtual-node-label-client-expected-metrics.yaml')).toEqual([
      edge('user', 'bar-requester', 'virtual_node', false, 1),
    ]);
    expect(expected('virtual-node-label-server-expected-metrics.yaml')).toEqual([
      edge('foo-server', 'unknown', 'virtual_node', false, 1),
    ]);
    // request_failed_total is a different metric and is not counted here.
    expect(expected('failed-label-not-work-expect-metrics.yaml')).toEqual([
      edge('foo', 'bar', '', false, 2),
      edge('foo', 'bar', '', true, 1),
    ]);
  });

  it('agrees with the CLIENT → SERVER pairs of the trace files that have a real edge', () => {
    for (const name of ['extra-dimensions-queue-db', 'messaging-system-trace']) {
      const traceFile = name.endsWith('-trace') ? `${name}.yaml` : `${name}-trace.yaml`;
      const calls = edgesOf(pdataYamlToBatch(corpusText(dir + traceFile), LIMITS)).calls;
      const stated = expected(`${name}-expected-metrics.yaml`)
        .filter((e) => e.connectionType === '')
        .map((e) => `${e.client} -> ${e.server}`);
      expect(calls).toEqual(stated);
    }
  });

  it('throws for a file without resourceMetrics', () => {
    expect(() => pdataYamlExpectedEdges(corpusText(dir + 'messaging-system-trace.yaml'))).toThrow(InvalidPayloadError);
  });
});
