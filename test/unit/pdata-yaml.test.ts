import { describe, expect, it } from 'vitest';
import { pdataYamlToBatch } from '../../ingest/formats/pdata-yaml.js';
import { InvalidPayloadError } from '../../ingest/otlp/errors.js';
import { SpanKind } from '../../ingest/span.js';
import { placedSpans } from '../support/trace-edges.js';
import { defaultConfig } from '../../src/core/config.js';

const LIMITS = defaultConfig().limits.decode;

describe('pdataYamlToBatch: YAML pitfalls', () => {
  it('keeps unquoted ids and nanosecond times as written', () => {
    const text = [
      'resourceSpans:',
      '  - resource: {attributes: [{key: service.name, value: {stringValue: s}}]}',
      '    scopeSpans:',
      '      - spans:',
      '          - traceId: 10000000000000000000000000000000',
      '            spanId: 1e00000000000000',
      '            parentSpanId: 1000000000000000',
      '            kind: 2',
      '            startTimeUnixNano: 1800000000000000001',
      '            endTimeUnixNano: 1800000000000002000',
    ].join('\n');
    const decoded = pdataYamlToBatch(text, LIMITS);
    expect(decoded.rejected).toEqual([]);
    expect(placedSpans(decoded)[0]!.span).toMatchObject({
      traceId: '10000000000000000000000000000000',
      spanId: '1e00000000000000',
      parentSpanId: '1000000000000000',
      kind: SpanKind.SERVER,
      endMs: 1800000000000.002,
    });
  });

  it('throws InvalidPayloadError for invalid YAML or a non-trace document', () => {
    expect(() => pdataYamlToBatch('a: [unclosed', LIMITS)).toThrow(InvalidPayloadError);
    expect(() => pdataYamlToBatch('resourceMetrics: []', LIMITS)).toThrow(InvalidPayloadError);
  });
});
