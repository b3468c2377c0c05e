/** Every file of the corpus is recognised and decodes (`npm run test:corpus -- DIR`). */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeFile, detectJsonFormat } from '../../ingest/formats/detect.js';
import { defaultConfig } from '../../src/core/config.js';
import { CORPUS, corpusJson, corpusText } from './corpus.js';

const LIMITS = defaultConfig().limits.decode;

/** Every data file of the corpus, as a path relative to it. */
function corpusFiles(dir = ''): string[] {
  return readdirSync(new URL(dir, CORPUS), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? corpusFiles(`${dir}${entry.name}/`) : entry.name === 'README.md' ? [] : [dir + entry.name],
  );
}

const FORMATS: Record<string, string> = {
  'istio-bookinfo/': 'tempo',
  'jaeger/jaeger-ui/otlp2jaeger-in.json': 'otlp-json',
  'jaeger/jaeger-ui/otlp2jaeger-multi-in-combined.json': 'otlp-json',
  'jaeger/jaeger-ui/small.json': 'dependency-links',
  'jaeger/jaeger-ui/large.json': 'dependency-links',
  'jaeger/': 'jaeger',
  'otlp-proto-examples/': 'otlp-json',
  'tempo-servicegraph/': 'otlp-json',
  'zipkin/': 'zipkin',
};
const formatOf = (file: string) => Object.entries(FORMATS).find(([prefix]) => file.startsWith(prefix))![1];

describe('decodeFile over the whole corpus', () => {
  const files = corpusFiles();
  const json = files.filter((f) => f.endsWith('.json'));
  const yamlTraces = files.filter((f) => f.endsWith('-trace.yaml'));
  const yamlMetrics = files.filter((f) => f.endsWith('.yaml') && !f.endsWith('-trace.yaml'));

  it('finds trace files in the corpus', () => {
    expect(json.length + yamlTraces.length).toBeGreaterThan(0);
  });

  it.each(json)('%s is recognised and decodes', (file) => {
    expect(detectJsonFormat(corpusJson(file))).toBe(formatOf(file));
    const decoded = decodeFile(file, corpusText(file), LIMITS);
    if ('dependencyLinks' in decoded) expect(decoded.dependencyLinks.length).toBeGreaterThan(0);
    else {
      expect(decoded.spanCount + decoded.rejected.length).toBeGreaterThan(0);
      // Only zipkin/envoy.json has a span to refuse.
      expect(decoded.rejected.length).toBe(file === 'zipkin/envoy.json' ? 1 : 0);
    }
  });

  it.each(yamlTraces)('%s decodes as pdata YAML', (file) => {
    const decoded = decodeFile(file, corpusText(file), LIMITS);
    expect('spanCount' in decoded && decoded.spanCount).toBeGreaterThan(0);
  });

  it.each(yamlMetrics)('%s is refused with its name: metrics are not traces', (file) => {
    expect(() => decodeFile(file, corpusText(file), LIMITS)).toThrow(`${file}: not a pdata YAML traces file`);
  });
});
