import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeFile, detectJsonFormat } from '../../ingest/formats/detect.js';
import { CORPUS, corpusJson, corpusText } from './trace-edges.js';

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

  it('finds the corpus', () => {
    expect(json.length).toBe(38);
    expect(yamlTraces.length).toBe(4);
    expect(yamlMetrics.length).toBe(6);
  });

  it.each(json)('%s is recognised and decodes', (file) => {
    expect(detectJsonFormat(corpusJson(file))).toBe(formatOf(file));
    const decoded = decodeFile(file, corpusText(file));
    if ('dependencyLinks' in decoded) expect(decoded.dependencyLinks.length).toBeGreaterThan(0);
    else {
      expect(decoded.spanCount + decoded.rejected.length).toBeGreaterThan(0);
      // Only zipkin/envoy.json has a span to refuse.
      expect(decoded.rejected.length).toBe(file === 'zipkin/envoy.json' ? 1 : 0);
    }
  });

  it.each(yamlTraces)('%s decodes as pdata YAML', (file) => {
    const decoded = decodeFile(file, corpusText(file));
    expect('spanCount' in decoded && decoded.spanCount).toBeGreaterThan(0);
  });

  it.each(yamlMetrics)('%s is refused with its name: metrics are not traces', (file) => {
    expect(() => decodeFile(file, corpusText(file))).toThrow(`${file}: not a pdata YAML traces file`);
  });
});

describe('decodeFile errors', () => {
  it('names the file when the format cannot be told', () => {
    expect(() => decodeFile('mystery.json', '{"hello": "world"}')).toThrow(
      /^mystery\.json: cannot tell the trace format/,
    );
    expect(() => decodeFile('numbers.json', '[1, 2, 3]')).toThrow(/^numbers\.json: cannot tell/);
    expect(() => decodeFile('broken.json', '{"resourceSpans": [')).toThrow(/^broken\.json: not JSON/);
  });

  it('names the file when the detected decoder refuses it', () => {
    expect(() => decodeFile('bad.yaml', 'resourceSpans: 3')).toThrow(
      'bad.yaml: the request has no resourceSpans array',
    );
    expect(() => decodeFile('bad.yml', 'resourceSpans: [')).toThrow(/^bad\.yml: invalid YAML/);
  });

  it('accepts a byte-order mark and an empty Zipkin array', () => {
    expect(decodeFile('bom.json', '\uFEFF[]')).toEqual({ batch: [], spanCount: 0, rejected: [] });
  });
});
