/**
 * Decoding a trace file whose format is not declared: OTLP JSON, Tempo trace-by-id responses,
 * Zipkin v2, the Jaeger shapes, pdata YAML (by extension) and Jaeger dependency links.
 */
import type { DecodedBatch } from '../span.js';
import type { DecodeLimits } from '../otlp/validate.js';
import { decodeOtlpJson, isObject } from '../otlp/decode-json.js';
import { dependencyLinks, isDependencyLinks, type DependencyLink } from './dependency-links.js';
import { jaegerToBatch } from './jaeger.js';
import { pdataYamlToBatch } from './pdata-yaml.js';
import { zipkinToBatch } from './zipkin.js';

export type FileFormat = 'otlp-json' | 'tempo' | 'zipkin' | 'jaeger' | 'pdata-yaml' | 'dependency-links';
export type DecodedFile = DecodedBatch | { dependencyLinks: DependencyLink[] };

const isJaegerTrace = (v: unknown) => isObject(v) && Array.isArray(v.spans) && ('traceID' in v || 'processes' in v);

/** The format of an already-parsed JSON document, or undefined when it is none of those known. */
export function detectJsonFormat(doc: unknown): Exclude<FileFormat, 'pdata-yaml'> | undefined {
  if (isDependencyLinks(doc)) return 'dependency-links';
  if (Array.isArray(doc)) {
    // An empty array is a valid (empty) Zipkin upload.
    const first: unknown = doc[0];
    if (first === undefined) return 'zipkin';
    if (isObject(first) && 'traceId' in first && 'id' in first) return 'zipkin';
    if (isObject(first) && 'traceID' in first && 'spanID' in first) return 'jaeger';
    return undefined;
  }
  if (!isObject(doc)) return undefined;
  if (Array.isArray(doc.resourceSpans)) return 'otlp-json';
  if (Array.isArray(doc.batches)) return 'tempo';
  if (Array.isArray(doc.data) && doc.data.every(isJaegerTrace)) return 'jaeger';
  if (isJaegerTrace(doc.data) || isJaegerTrace(doc)) return 'jaeger';
  return undefined;
}

const KNOWN =
  'OTLP JSON (resourceSpans), a Tempo response (batches), a Zipkin v2 span array, Jaeger JSON, pdata YAML or Jaeger dependency links';

/**
 * Decodes a trace file by its content (YAML by its `.yaml`/`.yml` name); throws an Error naming the
 * file otherwise. A file is read whole: of the limits, all but the receivers' spans per request apply.
 */
export function decodeFile(name: string, text: string, requestLimits: DecodeLimits): DecodedFile {
  const limits = { ...requestLimits, maxSpans: Number.POSITIVE_INFINITY };
  const body = text.replace(/^\uFEFF/, '');
  try {
    if (/\.ya?ml$/i.test(name)) {
      if (!/^resourceSpans\s*:/m.test(body))
        throw new Error(`not a pdata YAML traces file (no resourceSpans); expected ${KNOWN}`);
      return pdataYamlToBatch(body, limits);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch (error) {
      throw new Error(`not JSON (${(error as Error).message}), nor a .yaml/.yml file; expected ${KNOWN}`);
    }
    switch (detectJsonFormat(doc)) {
      case 'dependency-links':
        return { dependencyLinks: dependencyLinks(doc) };
      case 'otlp-json':
      case 'tempo':
        return decodeOtlpJson(doc, limits);
      case 'zipkin':
        return zipkinToBatch(doc);
      case 'jaeger':
        return jaegerToBatch(doc);
      default:
        throw new Error(`cannot tell the trace format; expected ${KNOWN}`);
    }
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}`, { cause: error });
  }
}
