/**
 * The importer's formats on the repository's own trace files (test/fixtures/traces, one shop written
 * in each format by test/fixtures/build.ts): each is recognised, decodes without loss, and gives the
 * same spans and the same cross-service edges as the OTLP original.
 */
import { describe, expect, it } from 'vitest';
import { decodeFile, detectJsonFormat, type FileFormat } from '../../ingest/formats/detect.js';
import { pdataYamlExpectedEdges } from '../../ingest/formats/pdata-yaml.js';
import type { DecodedBatch } from '../../ingest/span.js';
import { defaultConfig } from '../../src/core/config.js';
import { fixtureJson, fixtureText } from '../support/fixtures.js';
import { duplicateIds, edges, edgesOf, placedSpans, servicesOf, spanEssentials } from '../support/trace-edges.js';

const LIMITS = defaultConfig().limits.decode;

const SHOP: [string, FileFormat][] = [
  ['traces/shop.otlp.json', 'otlp-json'],
  ['traces/shop.tempo.json', 'tempo'],
  ['traces/shop-trace.yaml', 'pdata-yaml'],
  ['traces/shop.zipkin.json', 'zipkin'],
  ['traces/shop.jaeger.json', 'jaeger'],
];

const decode = (file: string): DecodedBatch => {
  const decoded = decodeFile(file, fixtureText(file), LIMITS);
  if ('dependencyLinks' in decoded) throw new Error(`${file} holds dependency links`);
  return decoded;
};

describe('the shop in every format', () => {
  it.each(SHOP)('%s is recognised as %s', (file, format) => {
    if (format === 'pdata-yaml') expect(() => JSON.parse(fixtureText(file))).toThrow();
    else expect(detectJsonFormat(fixtureJson(file))).toBe(format);
  });

  it.each(SHOP)('%s: 12 spans of web, api and worker; web calls api, api reaches worker through a queue', (file) => {
    const d = decode(file);
    expect(d.rejected).toEqual([]);
    expect(d.spanCount).toBe(12);
    expect(duplicateIds(d)).toEqual([]);
    expect(servicesOf(d)).toEqual(['api', 'web', 'worker']);
    const found = edgesOf(d);
    expect(found.calls).toEqual(edges(['web', 'api']));
    expect(found.messaging).toEqual(edges(['api', 'worker']));
    expect(placedSpans(d).filter((p) => p.span.status === 2)).toHaveLength(2);
  });

  it.each(SHOP.slice(1))('%s decodes to the same spans as the OTLP original', (file) => {
    expect(spanEssentials(decode(file))).toEqual(spanEssentials(decode('traces/shop.otlp.json')));
  });
});

describe('the other files', () => {
  it('dependency links: service → service with call counts', () => {
    const file = 'traces/shop.dependencies.json';
    expect(detectJsonFormat(fixtureJson(file))).toBe('dependency-links');
    expect(decodeFile(file, fixtureText(file), LIMITS)).toEqual({
      dependencyLinks: [
        { parent: 'web', child: 'api', callCount: 2 },
        { parent: 'api', child: 'worker', callCount: 2 },
      ],
    });
  });

  it('a span without a service name is rejected, saying so', () => {
    const d = decode('traces/unnamed.zipkin.json');
    expect(d.spanCount).toBe(0);
    expect(d.rejected).toEqual([{ at: '[0]', message: expect.stringMatching(/has no service name/) }]);
  });

  it('expected servicegraph metrics: read as edges, and refused as traces with the file named', () => {
    const file = 'traces/shop-expected-metrics.yaml';
    expect(pdataYamlExpectedEdges(fixtureText(file))).toEqual([
      { client: 'web', server: 'api', connectionType: '', failed: false, count: 1 },
      { client: 'web', server: 'api', connectionType: '', failed: true, count: 1 },
      { client: 'api', server: 'worker', connectionType: 'messaging_system', failed: false, count: 2 },
      { client: 'api', server: 'orders-db', connectionType: 'database', failed: false, count: 2 },
      { client: 'user', server: 'web', connectionType: 'virtual_node', failed: false, count: 2 },
    ]);
    expect(() => decodeFile(file, fixtureText(file), LIMITS)).toThrow(`${file}: not a pdata YAML traces file`);
  });
});
