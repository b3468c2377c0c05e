import { describe, expect, it } from 'vitest';
import { decodeFile } from '../../ingest/formats/detect.js';
import { defaultConfig } from '../../src/core/config.js';

const LIMITS = defaultConfig().limits.decode;

describe('decodeFile errors', () => {
  it('names the file when the format cannot be told', () => {
    expect(() => decodeFile('mystery.json', '{"hello": "world"}', LIMITS)).toThrow(
      /^mystery\.json: cannot tell the trace format/,
    );
    expect(() => decodeFile('numbers.json', '[1, 2, 3]', LIMITS)).toThrow(/^numbers\.json: cannot tell/);
    expect(() => decodeFile('broken.json', '{"resourceSpans": [', LIMITS)).toThrow(/^broken\.json: not JSON/);
  });

  it('names the file when the detected decoder refuses it', () => {
    expect(() => decodeFile('bad.yaml', 'resourceSpans: 3', LIMITS)).toThrow(
      'bad.yaml: the request has no resourceSpans array',
    );
    expect(() => decodeFile('bad.yml', 'resourceSpans: [', LIMITS)).toThrow(/^bad\.yml: invalid YAML/);
  });

  it('accepts a byte-order mark and an empty Zipkin array', () => {
    expect(decodeFile('bom.json', '\uFEFF[]', LIMITS)).toEqual({
      batch: [],
      spanCount: 0,
      rejected: [],
      origin: 'zipkin',
    });
  });
});
