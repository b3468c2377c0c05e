/**
 * Conformance with the OpenTelemetry Collector's servicegraph connector: its test cases, re-expressed
 * as test/fixtures/servicegraph/ (spans, and the edges the connector states for them), go through the
 * real import path into Neo4j, and the graph read back in the connector's terms (collectorEdges in
 * test/support/model-graph.ts, which states the mapping) must give exactly those edges. The
 * connector's own files are checked by the corpus run (test/corpus/, `npm run test:corpus -- DIR`).
 */
import { describe, expect, it } from 'vitest';
import { caseBatches, servicegraphCases } from '../support/fixtures.js';
import { fileGraph, uniqueName } from '../support/graph.js';
import { batchesInto, collectorEdges, edgesIn, sortedEdges } from '../support/model-graph.js';

const graph = fileGraph();

describe('OpenTelemetry Collector servicegraph connector conformance', () => {
  it.each(servicegraphCases())('%s', async (name, c) => {
    const env = uniqueName(`conf-${name}`);
    await batchesInto(graph, env, caseBatches(c));
    expect(await collectorEdges(graph, env), c.about).toEqual(sortedEdges(c.expected));
    if (c.externalCallers) {
      const named = (await edgesIn(graph, env)).filter((e) => e.fromKind === 'EXTERNAL');
      expect(named.map(({ from, to, calls, errors }) => ({ from, to, calls, errors }))).toEqual(c.externalCallers);
    }
  });
});
