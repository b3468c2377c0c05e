/**
 * Conformance with the OpenTelemetry Collector's servicegraph connector, on the connector's own test
 * cases from the corpus: each trace goes through the real import path into Neo4j, and the graph, read
 * back in the connector's terms (collectorEdges, test/support/model-graph.ts, states the mapping),
 * must give exactly the edges the case's expected-metrics file states. The repository's own suite
 * runs the same cases re-expressed as test/fixtures/servicegraph/ (test/integration).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pdataYamlExpectedEdges } from '../../ingest/formats/pdata-yaml.js';
import { SpanKind } from '../../ingest/span.js';
import { fileGraph, uniqueName } from '../support/graph.js';
import { batchesInto, collectorEdges, edgesIn, importInto, point, sortedEdges } from '../support/model-graph.js';
import { corpusPath } from './corpus.js';
import { TraceBuilder } from '../support/spans.js';

const graph = fileGraph();
const expectedOf = (file: string) =>
  pdataYamlExpectedEdges(readFileSync(corpusPath(`otel-servicegraph/${file}`), 'utf8'));

describe('OpenTelemetry Collector servicegraph connector conformance', () => {
  it('extra-dimensions-queue-db: foo-server → bar-requester, one request', async () => {
    const env = uniqueName('conf-extra');
    await importInto(graph, env, [corpusPath('otel-servicegraph/extra-dimensions-queue-db-trace.yaml')]);
    const expected = expectedOf('extra-dimensions-queue-db-expected-metrics.yaml');
    expect(expected).toEqual([point('foo-server', 'bar-requester', '', false, 1)]);
    expect(await collectorEdges(graph, env)).toEqual(expected);
  });

  it('messaging-system: foo-server → bar-requester, one request (a CLIENT → SERVER pair, so connection type "")', async () => {
    const env = uniqueName('conf-msg');
    await importInto(graph, env, [corpusPath('otel-servicegraph/messaging-system-trace.yaml')]);
    const expected = expectedOf('messaging-system-trace-expected-metrics.yaml');
    expect(await collectorEdges(graph, env)).toEqual(sortedEdges(expected));
  });

  it('virtual-node-label: foo-server → unknown and user → bar-requester; the peer.service caller kept as an External node', async () => {
    const env = uniqueName('conf-virtual');
    await importInto(graph, env, [corpusPath('otel-servicegraph/virtual-node-label-trace.yaml')]);
    const expected = expectedOf('virtual-node-label-expected-metrics.yaml');
    expect(await collectorEdges(graph, env)).toEqual(sortedEdges(expected));
    // Beyond the connector: its `server_peer.service=external-platform` label is a node here.
    const named = (await edgesIn(graph, env)).filter((e) => e.fromKind === 'EXTERNAL');
    expect(named).toMatchObject([{ from: 'external-platform', to: 'bar-requester', calls: 1, errors: 0 }]);
  });

  it('virtual-node-label-client: user → bar-requester (peer.service.name is not peer.service: no named caller)', async () => {
    const env = uniqueName('conf-vclient');
    await importInto(graph, env, [corpusPath('otel-servicegraph/virtual-node-label-client-trace.yaml')]);
    const expected = expectedOf('virtual-node-label-client-expected-metrics.yaml');
    expect(await collectorEdges(graph, env)).toEqual(sortedEdges(expected));
    expect((await edgesIn(graph, env)).filter((e) => e.fromKind === 'EXTERNAL')).toEqual([]);
  });

  it('virtual-node-label-server (trace file missing upstream; built from the expected file): foo-server → unknown', async () => {
    const env = uniqueName('conf-vserver');
    const t = new TraceBuilder();
    // A root CLIENT span of foo-server that no instrumented server answers, naming no peer.
    t.span({ service: 'foo-server', kind: SpanKind.CLIENT, name: 'server' });
    await batchesInto(graph, env, [t.batch()]);
    const expected = expectedOf('virtual-node-label-server-expected-metrics.yaml');
    expect(await collectorEdges(graph, env)).toEqual(sortedEdges(expected));
  });

  it('failed-label-not-work (trace file missing upstream; built from the expected file): foo → bar, 2 ok and 1 failed', async () => {
    const env = uniqueName('conf-failed');
    const batches = [];
    for (const failed of [false, false, true]) {
      const t = new TraceBuilder();
      const c = t.span({ service: 'foo', kind: SpanKind.CLIENT, name: 'call', error: failed });
      t.span({ service: 'bar', kind: SpanKind.SERVER, name: 'serve', parent: c, error: failed });
      batches.push(t.batch(['bar']), t.batch(['foo']));
    }
    await batchesInto(graph, env, batches);
    const expected = expectedOf('failed-label-not-work-expect-metrics.yaml');
    // foo's spans are CLIENT roots, bar's are answered: the only edge is foo → bar.
    expect(await collectorEdges(graph, env)).toEqual(sortedEdges(expected));
  });
});
