/**
 * The repository's own trace files (test/fixtures/traces: one shop in every format the importer
 * reads) imported through `importFiles` into Neo4j: every format gives the same graph, the one the
 * servicegraph connector's metrics for the shop state (shop-expected-metrics.yaml, read in the
 * connector's terms by collectorEdges), and dependency links give service → service edges.
 */
import { describe, expect, it } from 'vitest';
import { pdataYamlExpectedEdges } from '../../ingest/formats/pdata-yaml.js';
import { fixturePath, fixtureText } from '../support/fixtures.js';
import { fileGraph, uniqueName } from '../support/graph.js';
import { collectorEdges, edgesIn, importInto, sortedEdges } from '../support/model-graph.js';

const graph = fileGraph();
/** Each edge's sources and how many hours of presence it holds (ingest/presence.ts). */
const provenanceIn = (env: string) =>
  graph.read('test', async (tx) =>
    (
      await tx.run(
        `MATCH (a:Component {environment: $env})-[r:DEPENDS_ON]->() RETURN DISTINCT r.sources AS sources, size(r.hours) AS hours`,
        { env },
      )
    ).records.map((r) => ({ sources: r.get('sources') as string[], hours: Number(r.get('hours')) })),
  );

const EXPECTED = sortedEdges(pdataYamlExpectedEdges(fixtureText('traces/shop-expected-metrics.yaml')));

describe('importing the shop', () => {
  it.each(['shop.otlp.json', 'shop.tempo.json', 'shop-trace.yaml', 'shop.zipkin.json', 'shop.jaeger.json'])(
    '%s gives the edges the connector states',
    async (file) => {
      const env = uniqueName('import-shop');
      const result = await importInto(graph, env, [fixturePath(`traces/${file}`)]);
      expect(result.files).toEqual([{ file: fixturePath(`traces/${file}`), spans: 12, rejected: [] }]);
      expect(await collectorEdges(graph, env)).toEqual(EXPECTED);
      // Whatever the file's format, an import is what saw these edges; each in the one hour its spans ended in.
      expect(await provenanceIn(env)).toEqual([{ sources: ['import'], hours: 1 }]);
    },
  );

  it('dependency links: service → service edges with their call counts', async () => {
    const env = uniqueName('import-links');
    const result = await importInto(graph, env, [fixturePath('traces/shop.dependencies.json')]);
    expect(result.files[0]).toMatchObject({ links: 2 });
    const edges = await edgesIn(graph, env);
    expect(edges.map((e) => [e.from, e.to, e.calls])).toEqual([
      ['api', 'worker', 2],
      ['web', 'api', 2],
    ]);
    expect(edges.every((e) => e.protocols.includes('jaeger-dependencies'))).toBe(true);
    expect(await provenanceIn(env)).toEqual([{ sources: ['import'], hours: 1 }]);
  });

  it('refuses a file it cannot read, naming it, and goes on with the next', async () => {
    const env = uniqueName('import-refused');
    const result = await importInto(graph, env, [
      fixturePath('traces/shop-expected-metrics.yaml'),
      fixturePath('traces/shop.zipkin.json'),
    ]);
    expect(result.files[0]!.error).toMatch(/shop-expected-metrics\.yaml: not a pdata YAML traces file/);
    expect(result.files[1]).toMatchObject({ spans: 12, rejected: [] });
  });
});
